/* acpi, aml, acpi_pm: table checksums and layout as a guest walks them,
 * AML encodings, and the PM1 registers (power button, S5). */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "../../hypervisor/vmm/acpi.h"
#include "../../hypervisor/vmm/acpi_pm.h"
#include "../../hypervisor/vmm/aml.h"

#define GPA 0xF0000u

static uint16_t get16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static uint8_t region[ACPI_REGION_SIZE];

static const struct mptable_pci_irq two_slots[] = {
    { .slot = 1, .pin = 1, .gsi = 17 }, { .slot = 2, .pin = 1, .gsi = 18 },
};

static struct acpi_config config(uint32_t cpus)
{
    return (struct acpi_config){
        .nvcpus = cpus, .pci = two_slots, .n_pci = 2,
        .pci_mmio_base = 0xC0000000, .pci_mmio_end = 0xFEC00000,
        .pci_pio_base = 0xC000, .pci_pio_end = 0x10000,
    };
}

static const uint8_t *at(uint64_t gpa)
{
    CHECK(gpa >= GPA && gpa < GPA + ACPI_REGION_SIZE);
    return region + (gpa - GPA);
}

/* A table's signature, length inside the region and checksum. */
static const uint8_t *table(uint64_t gpa, const char *sig)
{
    const uint8_t *t = at(gpa);
    CHECK(memcmp(t, sig, 4) == 0);
    CHECK(get32(t + 4) >= 36 && gpa + get32(t + 4) <= GPA + ACPI_REGION_SIZE);
    CHECK_EQ_INT(acpi_sum(t, get32(t + 4)), 0);
    return t;
}

static const uint8_t *xsdt_find(const uint8_t *xsdt, const char *sig)
{
    for (uint32_t off = 36; off < get32(xsdt + 4); off += 8) {
        const uint8_t *t = at(get64(xsdt + off));
        if (memcmp(t, sig, 4) == 0)
            return table(get64(xsdt + off), sig);
    }
    return NULL;
}

static bool contains(const uint8_t *p, size_t n, const void *needle, size_t m)
{
    for (size_t i = 0; i + m <= n; i++)
        if (memcmp(p + i, needle, m) == 0)
            return true;
    return false;
}

static void test_rsdp_xsdt_checksums(void)
{
    struct acpi_config c = config(4);
    memset(region, 0xCC, sizeof(region));
    size_t used = acpi_build(region, sizeof(region), GPA, &c, NULL);
    CHECK(used > 0 && used < 8192);
    CHECK(memcmp(region, "RSD PTR ", 8) == 0);
    CHECK_EQ_INT(acpi_sum(region, 20), 0);
    CHECK_EQ_INT(acpi_sum(region, 36), 0);
    CHECK_EQ_INT(region[15], 2);
    const uint8_t *xsdt = table(get64(region + 24), "XSDT");
    CHECK_EQ_INT(get32(xsdt + 4), 36 + 2 * 8);
    CHECK(xsdt_find(xsdt, "FACP") != NULL);
    CHECK(xsdt_find(xsdt, "APIC") != NULL);
}

static void test_fadt_points_at_dsdt_facs_and_pm1(void)
{
    struct acpi_config c = config(1);
    CHECK(acpi_build(region, sizeof(region), GPA, &c, NULL) > 0);
    const uint8_t *fadt = xsdt_find(table(get64(region + 24), "XSDT"), "FACP");
    CHECK(fadt && get32(fadt + 4) == 276);
    if (!fadt)
        return;
    const uint8_t *facs = at(get32(fadt + 36));
    CHECK(memcmp(facs, "FACS", 4) == 0 && get32(fadt + 36) % 64 == 0);
    CHECK_EQ_INT(get32(fadt + 40), get64(fadt + 140));
    table(get32(fadt + 40), "DSDT");
    CHECK_EQ_INT(get16(fadt + 46), ACPI_SCI_IRQ);
    CHECK_EQ_INT(get32(fadt + 48), 0); /* no SMI_CMD: ACPI mode from boot */
    CHECK_EQ_INT(get32(fadt + 56), ACPI_PM1_EVT_PORT);
    CHECK_EQ_INT(get32(fadt + 64), ACPI_PM1_CNT_PORT);
    CHECK_EQ_INT(get32(fadt + 76), ACPI_PM_TMR_PORT); /* PM_TMR_BLK */
    CHECK_EQ_INT(fadt[91], 4);                        /* PM_TMR_LEN */
    CHECK_EQ_INT(fadt[88], 4);
    CHECK_EQ_INT(fadt[89], 2);
    CHECK(get16(fadt + 109) & 2);          /* i8042 present */
    CHECK_EQ_INT(get32(fadt + 112) & 0x10, 0); /* fixed power button */
    CHECK_EQ_INT(get32(fadt + 112) & (1u << 20), 0); /* not HW-reduced */
}

static void test_madt_cpus_ioapic_overrides(void)
{
    for (uint32_t cpus = 1; cpus <= 64; cpus++) {
        struct acpi_config c = config(cpus);
        CHECK(acpi_build(region, sizeof(region), GPA, &c, NULL) > 0);
        const uint8_t *madt = xsdt_find(table(get64(region + 24), "XSDT"), "APIC");
        CHECK(madt != NULL);
        if (!madt)
            return;
        unsigned lapics = 0, ioapics = 0, overrides = 0;
        for (uint32_t off = 44; off < get32(madt + 4); off += madt[off + 1]) {
            const uint8_t *e = madt + off;
            CHECK(e[1] >= 2);
            if (e[1] < 2)
                return;
            if (e[0] == 0) {
                CHECK_EQ_INT(e[3], lapics); /* APIC ID = vCPU index */
                CHECK_EQ_INT(get32(e + 4), 1);
                lapics++;
            } else if (e[0] == 1) {
                CHECK_EQ_INT(e[2], cpus);
                CHECK_EQ_INT(get32(e + 4), 0xFEC00000u);
                ioapics++;
            } else if (e[0] == 2) {
                if (e[3] == 0)
                    CHECK_EQ_INT(get32(e + 4), 2);
                if (e[3] == ACPI_SCI_IRQ)
                    CHECK_EQ_INT(get16(e + 8), 0x000D);
                overrides++;
            }
        }
        CHECK_EQ_INT(lapics, cpus);
        CHECK_EQ_INT(ioapics, 1);
        CHECK_EQ_INT(overrides, 2);
    }
}

static void test_dsdt_content(void)
{
    struct acpi_config c = config(2);
    CHECK(acpi_build(region, sizeof(region), GPA, &c, NULL) > 0);
    const uint8_t *fadt = xsdt_find(table(get64(region + 24), "XSDT"), "FACP");
    if (!fadt)
        return;
    const uint8_t *dsdt = table(get32(fadt + 40), "DSDT");
    size_t n = get32(dsdt + 4);
    static const uint8_t pnp0a03[] = { 0x0C, 0x41, 0xD0, 0x0A, 0x03 };
    static const uint8_t s5[] = { 0x08, '\\', '_', 'S', '5', '_', 0x12 };
    /* slot 2 INTA -> GSI 18: Package(4){0x0002FFFF, Zero, Zero, 18} */
    static const uint8_t prt2[] = { 0x12, 0x0B, 0x04, 0x0C, 0xFF, 0xFF, 0x02, 0x00,
                                    0x00, 0x00, 0x0A, 0x12 };
    /* the MMIO window as a DWordMemory descriptor: min and max */
    static const uint8_t mem[] = { 0x00, 0x00, 0x00, 0xC0, 0xFF, 0xFF, 0xBF, 0xFE };
    CHECK(contains(dsdt, n, "PCI0", 4));
    CHECK(contains(dsdt, n, pnp0a03, sizeof(pnp0a03)));
    CHECK(contains(dsdt, n, "_PRT", 4));
    CHECK(contains(dsdt, n, prt2, sizeof(prt2)));
    CHECK(contains(dsdt, n, mem, sizeof(mem)));
    CHECK(contains(dsdt, n, s5, sizeof(s5)));
    /* the i8042's keyboard and mouse, with their ports and IRQs */
    static const uint8_t pnp0303[] = { 0x41, 0xD0, 0x03, 0x03 };
    static const uint8_t pnp0f13[] = { 0x41, 0xD0, 0x0F, 0x13 };
    static const uint8_t kbd_crs[] = { 0x47, 1, 0x60, 0, 0x60, 0, 1, 1,
                                       0x47, 1, 0x64, 0, 0x64, 0, 1, 1,
                                       0x22, 0x02, 0x00 };
    static const uint8_t mou_irq[] = { 0x22, 0x00, 0x10, 0x79 };
    CHECK(contains(dsdt, n, pnp0303, sizeof(pnp0303)));
    CHECK(contains(dsdt, n, pnp0f13, sizeof(pnp0f13)));
    CHECK(contains(dsdt, n, kbd_crs, sizeof(kbd_crs)));
    CHECK(contains(dsdt, n, mou_irq, sizeof(mou_irq)));
}

static void test_build_refuses_bad_config_and_small_region(void)
{
    struct acpi_config c = config(0);
    CHECK_EQ_INT(acpi_build(region, sizeof(region), GPA, &c, NULL), 0);
    c = config(2);
    CHECK_EQ_INT(acpi_build(region, 200, GPA, &c, NULL), 0);
    CHECK_EQ_INT(acpi_build(region, sizeof(region), GPA + 4, &c, NULL), 0);
    c.pci_pio_end = 0x20000;
    CHECK_EQ_INT(acpi_build(region, sizeof(region), GPA, &c, NULL), 0);
}

/* A PCI INTx on the SCI's pin (or any ISA pin) made Linux fail the device
 * with EBUSY; only IOAPIC pins 16-23 are accepted. */
static void test_build_refuses_pci_gsi_on_isa_pins(void)
{
    struct mptable_pci_irq irq = { .slot = 1, .pin = 1, .gsi = ACPI_SCI_IRQ };
    struct acpi_config c = config(1);
    c.pci = &irq;
    c.n_pci = 1;
    CHECK_EQ_INT(acpi_build(region, sizeof(region), GPA, &c, NULL), 0);
    irq.gsi = 15;
    CHECK_EQ_INT(acpi_build(region, sizeof(region), GPA, &c, NULL), 0);
    irq.gsi = 24;
    CHECK_EQ_INT(acpi_build(region, sizeof(region), GPA, &c, NULL), 0);
    irq.gsi = 16;
    CHECK(acpi_build(region, sizeof(region), GPA, &c, NULL) > 0);
    irq.gsi = 23;
    CHECK(acpi_build(region, sizeof(region), GPA, &c, NULL) > 0);
}

static void test_aml_encodings(void)
{
    uint8_t buf[8192];
    struct aml a;
    CHECK_EQ_INT(aml_eisaid("PNP0A03"), 0x030AD041);
    CHECK_EQ_INT(aml_eisaid("pnp0a03"), 0);
    CHECK_EQ_INT(aml_eisaid("PNP0A0"), 0);
    aml_init(&a, buf, sizeof(buf));
    aml_integer(&a, 0);
    aml_integer(&a, 1);
    aml_integer(&a, 0x12);
    aml_integer(&a, 0x1234);
    aml_integer(&a, 0x12345678);
    aml_integer(&a, 0x100000000ULL);
    static const uint8_t ints[] = { 0x00, 0x01, 0x0A, 0x12, 0x0B, 0x34, 0x12,
                                    0x0C, 0x78, 0x56, 0x34, 0x12, 0x0E, 0, 0,
                                    0, 0, 1, 0, 0, 0 };
    CHECK_EQ_INT(a.len, sizeof(ints));
    CHECK(memcmp(buf, ints, sizeof(ints)) == 0);

    /* Package lengths: one byte below 64, two bytes (low nibble first) up
     * to 4095; the length counts its own bytes. */
    static const uint8_t filler[300];
    aml_init(&a, buf, sizeof(buf));
    size_t m = aml_package_begin(&a, 0);
    aml_bytes(&a, filler, 10);
    aml_end(&a, m);
    CHECK_EQ_INT(a.len, 1 + 1 + 1 + 10);
    CHECK_EQ_INT(buf[1], 1 + 1 + 10);
    aml_init(&a, buf, sizeof(buf));
    m = aml_package_begin(&a, 0);
    aml_bytes(&a, filler, 300);
    aml_end(&a, m);
    CHECK_EQ_INT(a.len, 1 + 2 + 1 + 300);
    CHECK_EQ_INT(buf[1], 0x40 | ((2 + 1 + 300) & 0xF));
    CHECK_EQ_INT(buf[2], (2 + 1 + 300) >> 4);

    /* Running out of room is reported, never written past. */
    uint8_t small[6] = { 0 };
    aml_init(&a, small, 4);
    aml_name_integer(&a, "_UID", 7);
    CHECK(a.overflow);
    CHECK_EQ_INT(small[4], 0);
}

static int sci_level = -1, sleep_type = -1;
static void on_sci(void *ctx, int level) { (void)ctx; sci_level = level; }
static void on_sleep(void *ctx, unsigned t) { (void)ctx; sleep_type = (int)t; }

static uint16_t pm_read(struct acpi_pm *pm, bool control, uint64_t off)
{
    uint8_t d[2];
    (control ? acpi_pm_control_io : acpi_pm_event_io)(pm, off, d, 2, false);
    return get16(d);
}

static void pm_write(struct acpi_pm *pm, bool control, uint64_t off, uint16_t v)
{
    uint8_t d[2];
    memcpy(d, &v, 2);
    (control ? acpi_pm_control_io : acpi_pm_event_io)(pm, off, d, 2, true);
}

static void test_power_button_and_sci(void)
{
    struct acpi_pm pm;
    sci_level = -1;
    acpi_pm_init(&pm, on_sci, on_sleep, NULL);
    CHECK(!acpi_pm_press_power_button(&pm)); /* nobody listening yet */
    CHECK_EQ_INT(pm_read(&pm, false, 0), ACPI_PM1_STS_PWRBTN);
    CHECK_EQ_INT(sci_level, -1); /* not enabled: no SCI */
    pm_write(&pm, false, 2, ACPI_PM1_EN_PWRBTN);
    CHECK_EQ_INT(sci_level, 1);
    CHECK_EQ_INT(pm_read(&pm, false, 2), ACPI_PM1_EN_PWRBTN);
    pm_write(&pm, false, 0, 0);  /* writing 0 clears nothing */
    CHECK_EQ_INT(sci_level, 1);
    pm_write(&pm, false, 0, 0xFFFF); /* write 1 to clear */
    CHECK_EQ_INT(sci_level, 0);
    CHECK_EQ_INT(pm_read(&pm, false, 0), 0);
    CHECK(acpi_pm_press_power_button(&pm));
    CHECK_EQ_INT(sci_level, 1);
    uint8_t b = 0x01; /* byte write of bit 8 */
    acpi_pm_event_io(&pm, 1, &b, 1, true);
    CHECK_EQ_INT(sci_level, 0);
    uint8_t far[4];
    acpi_pm_event_io(&pm, 3, far, 4, false); /* past the block: 0xFF */
    CHECK_EQ_INT(far[1], 0xFF);
    acpi_pm_destroy(&pm);
}

static void test_sleep_control(void)
{
    struct acpi_pm pm;
    sleep_type = -1;
    acpi_pm_init(&pm, on_sci, on_sleep, NULL);
    CHECK(pm_read(&pm, true, 0) & ACPI_PM1_CNT_SCI_EN);
    pm_write(&pm, true, 0, 5 << ACPI_PM1_CNT_SLP_TYP_SHIFT); /* no SLP_EN */
    CHECK_EQ_INT(sleep_type, -1);
    CHECK_EQ_INT(pm_read(&pm, true, 0), (5 << 10) | ACPI_PM1_CNT_SCI_EN);
    pm_write(&pm, true, 0, 0); /* SCI_EN stays */
    CHECK(pm_read(&pm, true, 0) & ACPI_PM1_CNT_SCI_EN);
    pm_write(&pm, true, 0, (5 << 10) | ACPI_PM1_CNT_SLP_EN);
    CHECK_EQ_INT(sleep_type, 5);
    CHECK_EQ_INT(pm_read(&pm, true, 0) & ACPI_PM1_CNT_SLP_EN, 0);
    sleep_type = -1;
    uint8_t hi = (uint8_t)((ACPI_PM1_CNT_SLP_EN | 3 << 10) >> 8);
    acpi_pm_control_io(&pm, 1, &hi, 1, true); /* high byte alone */
    CHECK_EQ_INT(sleep_type, 3);
    acpi_pm_destroy(&pm);
}

int main(void)
{
    RUN(test_rsdp_xsdt_checksums);
    RUN(test_fadt_points_at_dsdt_facs_and_pm1);
    RUN(test_madt_cpus_ioapic_overrides);
    RUN(test_dsdt_content);
    RUN(test_build_refuses_bad_config_and_small_region);
    RUN(test_build_refuses_pci_gsi_on_isa_pins);
    RUN(test_aml_encodings);
    RUN(test_power_button_and_sci);
    RUN(test_sleep_control);
    return check_summary("acpi");
}
