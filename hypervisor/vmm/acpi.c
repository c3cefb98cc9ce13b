/* acpi: RSDP, XSDT, FADT, FACS, DSDT and MADT (see acpi.h). */
#include "acpi.h"

#include <string.h>

#include "aml.h"

#define ACPI_FACS_LEN 64
#define ACPI_FADT_REVISION 6
#define ACPI_DSDT_MAX 4096
#define ACPI_OEM_ID "CORRAL"
#define ACPI_OEM_TABLE_ID "CORRALVM"

/* FADT fields (ACPI 6.0, 5.2.9). */
#define FADT_PM_PROFILE 45
#define FADT_SCI_INT 46
#define FADT_PM1A_EVT_BLK 56
#define FADT_PM1A_CNT_BLK 64
#define FADT_PM_TMR_BLK 76
#define FADT_PM_TMR_LEN 91
#define FADT_PM1_EVT_LEN 88
#define FADT_PM1_CNT_LEN 89
#define FADT_P_LVL2_LAT 96
#define FADT_P_LVL3_LAT 98
#define FADT_CENTURY 108
#define FADT_IAPC_BOOT_ARCH 109
#define FADT_FLAGS 112
#define FADT_MINOR_VERSION 131

#define FADT_BOOT_LEGACY_DEVICES 0x0001
#define FADT_BOOT_8042 0x0002
#define FADT_BOOT_NO_MSI 0x0008
#define FADT_F_WBINVD 0x0001
#define FADT_F_PROC_C1 0x0004
#define FADT_F_SLP_BUTTON 0x0020 /* set: no fixed sleep button */
#define FADT_PM_PROFILE_SERVER 4
#define FADT_C_STATE_NONE_L2 101  /* > 100 us: C2 not supported */
#define FADT_C_STATE_NONE_L3 1001 /* > 1000 us: C3 not supported */
#define CMOS_CENTURY_INDEX 0x32

/* MADT (5.2.12). */
#define MADT_PCAT_COMPAT 1
#define MADT_LAPIC 0
#define MADT_IOAPIC 1
#define MADT_OVERRIDE 2
#define MADT_LAPIC_NMI 4
#define MADT_LAPIC_ENABLED 1
#define MADT_FLAGS_LEVEL_HIGH 0x000D /* active high, level triggered */
#define PIT_IRQ 0
#define PIT_GSI 2

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

uint8_t acpi_sum(const uint8_t *p, size_t len)
{
    uint8_t s = 0;
    for (size_t i = 0; i < len; i++)
        s = (uint8_t)(s + p[i]);
    return s;
}

/* Tables are placed one after another in the region. */
struct acpi_writer {
    uint8_t *region;
    size_t size, used;
    uint32_t gpa;
};

/* Reserve len bytes aligned to align; NULL when they do not fit. */
static uint8_t *acpi_alloc(struct acpi_writer *w, size_t len, size_t align,
                           uint32_t *gpa)
{
    size_t at = (w->used + align - 1) & ~(align - 1);
    if (at > w->size || len > w->size - at)
        return NULL;
    w->used = at + len;
    *gpa = w->gpa + (uint32_t)at;
    memset(w->region + at, 0, len);
    return w->region + at;
}

static void acpi_header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
    memcpy(t, sig, 4);
    put32(t + 4, len);
    t[8] = rev;
    memcpy(t + 10, ACPI_OEM_ID, 6);
    memcpy(t + 16, ACPI_OEM_TABLE_ID, 8);
    put32(t + 24, 1);
    memcpy(t + 28, "CRRL", 4);
    put32(t + 32, 1);
}

static void acpi_checksum(uint8_t *t, size_t len, size_t at)
{
    t[at] = 0;
    t[at] = (uint8_t)(0x100 - acpi_sum(t, len));
}

/* --- DSDT ------------------------------------------------------------------ */

/* Name(_CRS, ResourceTemplate(){ r }) */
static void dsdt_crs(struct aml *a, struct aml_res *r)
{
    aml_res_end(r);
    if (r->overflow) {
        a->overflow = true;
        return;
    }
    aml_name(a, "_CRS");
    aml_buffer(a, r->buf, r->len);
}

static void dsdt_pci_crs(struct aml *a, const struct acpi_config *cfg)
{
    struct aml_res r = { .len = 0 };
    aml_res_bus_numbers(&r, 0, 0);
    aml_res_io_fixed(&r, 0xCF8, 8);
    aml_res_io_window(&r, (uint16_t)cfg->pci_pio_base,
                      (uint16_t)(cfg->pci_pio_end - 1));
    aml_res_mem32_window(&r, (uint32_t)cfg->pci_mmio_base,
                         (uint32_t)(cfg->pci_mmio_end - 1));
    dsdt_crs(a, &r);
}

/* Package(){ Package(){ 0xSSSSFFFF, pin 0 (INTA), 0 (a GSI), gsi }, ... } */
static void dsdt_pci_prt(struct aml *a, const struct acpi_config *cfg)
{
    aml_name(a, "_PRT");
    size_t prt = aml_package_begin(a, (uint8_t)cfg->n_pci);
    for (size_t i = 0; i < cfg->n_pci; i++) {
        size_t e = aml_package_begin(a, 4);
        aml_integer(a, (uint32_t)cfg->pci[i].slot << 16 | 0xFFFF);
        aml_integer(a, (uint64_t)(cfg->pci[i].pin - 1));
        aml_integer(a, 0);
        aml_integer(a, cfg->pci[i].gsi);
        aml_end(a, e);
    }
    aml_end(a, prt);
}

/* The i8042's keyboard (PNP0303: ports 0x60 and 0x64, IRQ 1) and PS/2
 * mouse (PNP0F13: IRQ 12).  Windows finds them only this way; Linux's
 * i8042 takes its ports and IRQs from them when present. */
static void dsdt_i8042(struct aml *a)
{
    struct aml_res kbd = { .len = 0 }, mou = { .len = 0 };
    size_t dev = aml_device_begin(a, "KBD_");
    aml_name_eisaid(a, "_HID", "PNP0303");
    aml_res_io_fixed(&kbd, 0x60, 1);
    aml_res_io_fixed(&kbd, 0x64, 1);
    aml_res_irq(&kbd, 1);
    dsdt_crs(a, &kbd);
    aml_end(a, dev);
    dev = aml_device_begin(a, "MOU_");
    aml_name_eisaid(a, "_HID", "PNP0F13");
    aml_res_irq(&mou, 12);
    dsdt_crs(a, &mou);
    aml_end(a, dev);
}

static void dsdt_body(struct aml *a, const struct acpi_config *cfg)
{
    size_t sb = aml_scope_begin(a, "\\_SB_");
    size_t pci = aml_device_begin(a, "PCI0");
    aml_name_eisaid(a, "_HID", "PNP0A03");
    aml_name_integer(a, "_ADR", 0);
    aml_name_integer(a, "_BBN", 0);
    aml_name_integer(a, "_UID", 0);
    dsdt_pci_crs(a, cfg);
    dsdt_pci_prt(a, cfg);
    aml_end(a, pci);
    dsdt_i8042(a);
    aml_end(a, sb);
    /* \_S5: SLP_TYPa, SLP_TYPb, reserved, reserved */
    aml_name(a, "\\_S5_");
    size_t s5 = aml_package_begin(a, 4);
    aml_integer(a, ACPI_S5_SLP_TYP);
    aml_integer(a, ACPI_S5_SLP_TYP);
    aml_integer(a, 0);
    aml_integer(a, 0);
    aml_end(a, s5);
}

static uint32_t acpi_write_dsdt(struct acpi_writer *w, const struct acpi_config *cfg)
{
    uint8_t body[ACPI_DSDT_MAX];
    struct aml a;
    aml_init(&a, body, sizeof(body));
    dsdt_body(&a, cfg);
    uint32_t gpa;
    uint32_t len = (uint32_t)(ACPI_HEADER_LEN + a.len);
    uint8_t *t = a.overflow ? NULL : acpi_alloc(w, len, 16, &gpa);
    if (!t)
        return 0;
    acpi_header(t, "DSDT", len, 2);
    memcpy(t + ACPI_HEADER_LEN, body, a.len);
    acpi_checksum(t, len, 9);
    return gpa;
}

/* --- FACS, FADT -------------------------------------------------------------- */

static uint32_t acpi_write_facs(struct acpi_writer *w)
{
    uint32_t gpa;
    uint8_t *t = acpi_alloc(w, ACPI_FACS_LEN, 64, &gpa);
    if (!t)
        return 0;
    memcpy(t, "FACS", 4);
    put32(t + 4, ACPI_FACS_LEN);
    t[32] = 2; /* version */
    return gpa;
}

static uint32_t acpi_write_fadt(struct acpi_writer *w, uint32_t facs,
                                uint32_t dsdt)
{
    uint32_t gpa;
    uint8_t *t = acpi_alloc(w, ACPI_FADT_LEN, 16, &gpa);
    if (!t)
        return 0;
    acpi_header(t, "FACP", ACPI_FADT_LEN, ACPI_FADT_REVISION);
    put32(t + ACPI_FADT_FIRMWARE_CTRL, facs);
    put32(t + ACPI_FADT_DSDT, dsdt);
    put64(t + ACPI_FADT_X_DSDT, dsdt);
    t[FADT_PM_PROFILE] = FADT_PM_PROFILE_SERVER;
    put16(t + FADT_SCI_INT, ACPI_SCI_IRQ);
    put32(t + FADT_PM1A_EVT_BLK, ACPI_PM1_EVT_PORT);
    put32(t + FADT_PM1A_CNT_BLK, ACPI_PM1_CNT_PORT);
    t[FADT_PM1_EVT_LEN] = ACPI_PM1_EVT_LEN;
    t[FADT_PM1_CNT_LEN] = ACPI_PM1_CNT_LEN;
    put32(t + FADT_PM_TMR_BLK, ACPI_PM_TMR_PORT);
    t[FADT_PM_TMR_LEN] = ACPI_PM_TMR_LEN;
    put16(t + FADT_P_LVL2_LAT, FADT_C_STATE_NONE_L2);
    put16(t + FADT_P_LVL3_LAT, FADT_C_STATE_NONE_L3);
    t[FADT_CENTURY] = CMOS_CENTURY_INDEX;
    put16(t + FADT_IAPC_BOOT_ARCH, FADT_BOOT_LEGACY_DEVICES | FADT_BOOT_8042);
    /* PWR_BUTTON clear: the power button is the fixed-feature one. */
    put32(t + FADT_FLAGS, FADT_F_WBINVD | FADT_F_PROC_C1 | FADT_F_SLP_BUTTON);
    t[FADT_MINOR_VERSION] = 0;
    acpi_checksum(t, ACPI_FADT_LEN, ACPI_HEADER_CHECKSUM);
    return gpa;
}

/* --- MADT -------------------------------------------------------------------- */

static uint8_t *madt_override(uint8_t *p, uint8_t irq, uint32_t gsi, uint16_t flags)
{
    p[0] = MADT_OVERRIDE;
    p[1] = 10;
    p[2] = 0; /* ISA */
    p[3] = irq;
    put32(p + 4, gsi);
    put16(p + 8, flags);
    return p + 10;
}

static uint32_t acpi_write_madt(struct acpi_writer *w, uint32_t nvcpus)
{
    uint32_t len = ACPI_HEADER_LEN + 8 + 8 * nvcpus + 12 + 10 * 2 + 6;
    uint32_t gpa;
    uint8_t *t = acpi_alloc(w, len, 16, &gpa);
    if (!t)
        return 0;
    acpi_header(t, "APIC", len, 4);
    put32(t + 36, MPTABLE_LAPIC_ADDR);
    put32(t + 40, MADT_PCAT_COMPAT);
    uint8_t *p = t + 44;
    for (uint32_t i = 0; i < nvcpus; i++, p += 8) {
        p[0] = MADT_LAPIC;
        p[1] = 8;
        p[2] = (uint8_t)i; /* ACPI processor UID */
        p[3] = (uint8_t)i; /* APIC ID */
        put32(p + 4, MADT_LAPIC_ENABLED);
    }
    p[0] = MADT_IOAPIC;
    p[1] = 12;
    p[2] = (uint8_t)nvcpus;
    put32(p + 4, MPTABLE_IOAPIC_ADDR);
    put32(p + 8, 0);
    p += 12;
    p = madt_override(p, PIT_IRQ, PIT_GSI, 0);
    p = madt_override(p, ACPI_SCI_IRQ, ACPI_SCI_IRQ, MADT_FLAGS_LEVEL_HIGH);
    p[0] = MADT_LAPIC_NMI;
    p[1] = 6;
    p[2] = 0xFF; /* every processor */
    put16(p + 3, 0);
    p[5] = 1;    /* LINT1 */
    acpi_checksum(t, len, 9);
    return gpa;
}

/* --- XSDT, RSDP -------------------------------------------------------------- */

static uint32_t acpi_write_xsdt(struct acpi_writer *w, const uint32_t *tables,
                                size_t n)
{
    uint32_t len = (uint32_t)(ACPI_HEADER_LEN + 8 * n);
    uint32_t gpa;
    uint8_t *t = acpi_alloc(w, len, 16, &gpa);
    if (!t)
        return 0;
    acpi_header(t, "XSDT", len, 1);
    for (size_t i = 0; i < n; i++)
        put64(t + ACPI_HEADER_LEN + 8 * i, tables[i]);
    acpi_checksum(t, len, 9);
    return gpa;
}

static void acpi_write_rsdp(uint8_t *p, uint32_t xsdt)
{
    memcpy(p, "RSD PTR ", 8);
    memcpy(p + 9, ACPI_OEM_ID, 6);
    p[15] = 2; /* revision: ACPI 2.0+, XSDT */
    put32(p + 20, ACPI_RSDP_LEN);
    put64(p + ACPI_RSDP_XSDT, xsdt);
    p[ACPI_RSDP_CHECKSUM] = (uint8_t)(0x100 - acpi_sum(p, ACPI_RSDP_V1_LEN));
    p[ACPI_RSDP_EXT_CHECKSUM] = (uint8_t)(0x100 - acpi_sum(p, ACPI_RSDP_LEN));
}

/* Linux takes a _PRT GSI as level-triggered, active-low.  On a pin an ISA
 * IRQ may claim (0-15) that clashes with the edge ISA devices and with the
 * SCI's level, active-high override: the PCI device's driver then fails
 * with EBUSY ("failed to register GSI").  So PCI gets the pins above. */
static bool acpi_pci_gsis_ok(const struct acpi_config *c)
{
    for (size_t i = 0; i < c->n_pci; i++)
        if (c->pci[i].gsi < ACPI_PCI_GSI_FIRST || c->pci[i].gsi >= ACPI_IOAPIC_PINS)
            return false;
    return true;
}

static bool acpi_config_ok(const struct acpi_config *c)
{
    return acpi_pci_gsis_ok(c) && c->nvcpus >= 1 && c->nvcpus < 255 && c->n_pci <= 32 &&
           c->pci_mmio_base < c->pci_mmio_end && c->pci_mmio_end <= 0x100000000ULL &&
           c->pci_pio_base < c->pci_pio_end && c->pci_pio_end <= 0x10000;
}

size_t acpi_build(uint8_t *region, size_t region_size, uint32_t region_gpa,
                  const struct acpi_config *cfg, struct acpi_layout *layout)
{
    struct acpi_writer w = { region, region_size, 0, region_gpa };
    uint32_t rsdp_gpa, tables[2];
    if (region_gpa % 16 || !acpi_config_ok(cfg))
        return 0;
    uint8_t *rsdp = acpi_alloc(&w, ACPI_RSDP_LEN, 16, &rsdp_gpa);
    uint32_t facs = rsdp ? acpi_write_facs(&w) : 0;
    uint32_t dsdt = facs ? acpi_write_dsdt(&w, cfg) : 0;
    tables[0] = dsdt ? acpi_write_fadt(&w, facs, dsdt) : 0;
    tables[1] = tables[0] ? acpi_write_madt(&w, cfg->nvcpus) : 0;
    uint32_t xsdt = tables[1] ? acpi_write_xsdt(&w, tables, 2) : 0;
    if (!xsdt)
        return 0;
    acpi_write_rsdp(rsdp, xsdt);
    if (layout)
        *layout = (struct acpi_layout){
            .rsdp = rsdp_gpa - region_gpa, .xsdt = xsdt - region_gpa,
            .xsdt_entries = 2, .fadt = tables[0] - region_gpa,
        };
    return w.used;
}
