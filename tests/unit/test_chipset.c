/* The chipset firmware identifies the platform by: the PIIX3 ISA bridge
 * at 00:01.0 and the PIIX4 PM function at 00:01.3, as a guest reaches them
 * through configuration mechanism 1; the PM block following PMBA and
 * PMREGMISC (also hostile values), and the PM timer's count. */
#include "check.h"
#include "../../hypervisor/vmm/acpi.h"
#include "../../hypervisor/vmm/piix3_isa.h"
#include "../../hypervisor/vmm/piix4_pm.h"

#include <errno.h>
#include <time.h>

static struct bus bus;
static struct pci_bus pci;
static struct pci_device isa;
static struct piix4_pm fn;
static struct acpi_pm pm;
static unsigned sci_changes;

static void no_irq(void *ctx, uint32_t gsi, int level) { (void)ctx; (void)gsi; (void)level; }
static void count_sci(void *ctx, int level) { (void)ctx; (void)level; sci_changes++; }
static void no_sleep(void *ctx, unsigned t) { (void)ctx; (void)t; }

static void other_handler(void *opaque, uint64_t offset, uint8_t *data,
                          uint32_t len, bool is_write)
{
    (void)opaque; (void)offset;
    if (!is_write)
        memset(data, 0x5A, len);
}

static const struct pci_platform platform = { .irq_line = no_irq, .intx_gsi = { 16, 17, 18, 19 } };

static void pio_write(uint16_t port, uint32_t v, uint32_t len)
{
    bus_dispatch(&bus, BUS_PIO, port, (uint8_t *)&v, len, true);
}

static uint32_t pio_read(uint16_t port, uint32_t len)
{
    uint32_t v = 0;
    if (bus_dispatch(&bus, BUS_PIO, port, (uint8_t *)&v, len, false) < 0)
        return 0xFFFFFFFF; /* nothing there */
    return v;
}

static void select(unsigned fnum, unsigned reg)
{
    pio_write(0xCF8, 0x80000000u | PIIX_SLOT << 11 | fnum << 8 | (reg & 0xFC), 4);
}

static uint32_t cfg_read(unsigned fnum, unsigned reg, uint32_t len)
{
    select(fnum, reg);
    return pio_read((uint16_t)(0xCFC + (reg & 3)), len);
}

static void cfg_write(unsigned fnum, unsigned reg, uint32_t v, uint32_t len)
{
    select(fnum, reg);
    pio_write((uint16_t)(0xCFC + (reg & 3)), v, len);
}

static void setup(uint16_t base)
{
    bus_init(&bus);
    CHECK_EQ_INT(pci_bus_create(&pci, &bus, &platform), 0);
    piix3_isa_init(&isa);
    CHECK_EQ_INT(pci_bus_add_function(&pci, &isa, PIIX_SLOT, PIIX3_ISA_FUNC), 0);
    acpi_pm_init(&pm, count_sci, no_sleep, NULL);
    piix4_pm_init(&fn, &pm, &bus, base);
    CHECK_EQ_INT(pci_bus_add_function(&pci, &fn.pci, PIIX_SLOT, PIIX4_PM_FUNC), 0);
    CHECK_EQ_INT(piix4_pm_update_mapping(&fn), 0);
}

static void teardown(void)
{
    piix4_pm_unmap(&fn);
    pci_bus_destroy(&pci);
    pci_device_destroy(&isa);
    pci_device_destroy(&fn.pci);
    acpi_pm_destroy(&pm);
    bus_destroy(&bus);
}

static void test_identity(void)
{
    setup(ACPI_PM_BASE);
    CHECK_EQ_INT(cfg_read(0, PCI_VENDOR_ID, 4), 0x70008086);
    CHECK_EQ_INT(cfg_read(0, PCI_REVISION_ID, 4) >> 8, PIIX3_ISA_CLASS);
    CHECK_EQ_INT(cfg_read(0, PCI_HEADER_TYPE, 1), PCI_HEADER_MULTI_FUNCTION);
    CHECK_EQ_INT(cfg_read(3, PCI_VENDOR_ID, 4), 0x71138086);
    CHECK_EQ_INT(cfg_read(3, PCI_REVISION_ID, 1), PIIX4_PM_REVISION);
    CHECK_EQ_INT(cfg_read(3, PCI_INTERRUPT_PIN, 1), 0);
    CHECK_EQ_INT(cfg_read(1, PCI_VENDOR_ID, 4), 0xFFFFFFFF); /* no IDE */
    /* SeaBIOS: "SMM set up already" */
    CHECK(cfg_read(3, PIIX4_DEVACTB, 4) & PIIX4_DEVACTB_APMC_EN);
    teardown();
}

/* OVMF and SeaBIOS write the PIRQ routing; it reads back. */
static void test_isa_pirq_routing_is_storage(void)
{
    setup(ACPI_PM_BASE);
    CHECK_EQ_INT(cfg_read(0, PIIX3_PIRQ_ROUTE, 4), 0x80808080);
    cfg_write(0, PIIX3_PIRQ_ROUTE, 0x0B0B0A0A, 4);
    CHECK_EQ_INT(cfg_read(0, PIIX3_PIRQ_ROUTE, 4), 0x0B0B0A0A);
    cfg_write(0, PIIX3_PIRQ_ROUTE + 2, 0x05, 1);
    CHECK_EQ_INT(cfg_read(0, PIIX3_PIRQ_ROUTE, 4), 0x0B050A0A);
    cfg_write(0, PCI_VENDOR_ID, 0, 4); /* read-only */
    cfg_write(0, 0x40, 0xFFFFFFFF, 4); /* not a register here */
    CHECK_EQ_INT(cfg_read(0, PCI_VENDOR_ID, 4), 0x70008086);
    CHECK_EQ_INT(cfg_read(0, 0x40, 4), 0);
    teardown();
}

/* Powered up decoding where the FADT says: PMBA, PMIOSE, I/O enable. */
static void test_pm_block_at_power_up_base(void)
{
    setup(ACPI_PM_BASE);
    CHECK_EQ_INT(cfg_read(3, PIIX4_PMBA, 4), ACPI_PM_BASE | PIIX4_PMBA_IO);
    CHECK_EQ_INT(cfg_read(3, PIIX4_PMREGMISC, 1), PIIX4_PMREGMISC_PMIOSE);
    CHECK(cfg_read(3, PCI_COMMAND, 2) & PCI_COMMAND_IO);
    CHECK_EQ_INT(pio_read(ACPI_PM1_CNT_PORT, 2), ACPI_PM1_CNT_SCI_EN);
    pio_write(ACPI_PM1_EVT_PORT + 2, ACPI_PM1_EN_PWRBTN, 2);
    CHECK_EQ_INT(pio_read(ACPI_PM1_EVT_PORT, 4), (uint32_t)ACPI_PM1_EN_PWRBTN << 16);
    CHECK(pio_read(ACPI_PM_TMR_PORT, 4) <= ACPI_PM_TIMER_MASK);
    CHECK_EQ_INT(pio_read(ACPI_PM_BASE + 12, 4), 0xFFFFFFFF); /* unused */
    teardown();
}

/* OVMF with PMIOSE clear: PMBA, then I/O enable, then PMIOSE. */
static void test_pm_block_follows_firmware(void)
{
    setup(0);
    CHECK_EQ_INT(cfg_read(3, PIIX4_PMREGMISC, 1), 0);
    CHECK_EQ_INT(pio_read(ACPI_PM1_CNT_PORT, 2), 0xFFFFFFFF);
    cfg_write(3, PIIX4_PMBA, 0xB000, 4);
    CHECK_EQ_INT(pio_read(0xB004, 2), 0xFFFFFFFF); /* not yet: PMIOSE clear */
    cfg_write(3, PCI_COMMAND, PCI_COMMAND_IO, 2);
    cfg_write(3, PIIX4_PMREGMISC, PIIX4_PMREGMISC_PMIOSE, 1);
    CHECK_EQ_INT(pio_read(0xB004, 2), ACPI_PM1_CNT_SCI_EN);
    /* the guest moves it: the registers move, with their state */
    pio_write(0xB002, ACPI_PM1_EN_PWRBTN, 2);
    cfg_write(3, PIIX4_PMBA, 0x600, 2);
    CHECK_EQ_INT(pio_read(0xB004, 2), 0xFFFFFFFF);
    CHECK_EQ_INT(pio_read(0x602, 2), ACPI_PM1_EN_PWRBTN);
    /* and turns it off */
    cfg_write(3, PIIX4_PMREGMISC, 0, 1);
    CHECK_EQ_INT(pio_read(0x604, 2), 0xFFFFFFFF);
    teardown();
}

/* A guest's hostile PMBA: low bits and the I/O indicator cannot change, 0
 * decodes nothing, and a base over someone else's ports leaves the block
 * off the bus (the other device keeps its ports). */
static void test_pm_block_hostile_bases(void)
{
    setup(ACPI_PM_BASE);
    CHECK_EQ_INT(bus_register(&bus, BUS_PIO, 0x3F8, 8, other_handler, &bus, "com1"), 0);
    cfg_write(3, PIIX4_PMBA, 0xFFFFFFFF, 4);
    CHECK_EQ_INT(cfg_read(3, PIIX4_PMBA, 4), PIIX4_PMBA_MASK | PIIX4_PMBA_IO);
    CHECK_EQ_INT(pio_read(0xFFC4, 2), ACPI_PM1_CNT_SCI_EN);
    cfg_write(3, PIIX4_PMBA, 0, 4);
    CHECK_EQ_INT(cfg_read(3, PIIX4_PMBA, 4), PIIX4_PMBA_IO);
    CHECK(!fn.mapped);
    cfg_write(3, PIIX4_PMBA, 0x3C0, 4); /* registers at 0x3C0-0x3CB: free here */
    CHECK(fn.mapped);
    CHECK_EQ_INT(bus_register(&bus, BUS_PIO, 0xCC08, 4, other_handler, &bus, "x"), 0);
    cfg_write(3, PIIX4_PMBA, 0xCC00, 4); /* the timer's ports are taken */
    CHECK(!fn.mapped);
    CHECK_EQ_INT(pio_read(0xCC08, 4), 0x5A5A5A5A);
    CHECK_EQ_INT(pio_read(0xCC04, 2), 0xFFFFFFFF); /* all or nothing */
    CHECK_EQ_INT(pio_read(0x3C4, 2), 0xFFFFFFFF);
    CHECK_EQ_INT(piix4_pm_update_mapping(&fn), -EBUSY);
    /* the SMBus host cannot be enabled */
    cfg_write(3, 0xD2, 0xFF, 1);
    CHECK_EQ_INT(cfg_read(3, 0xD2, 1), 0);
    teardown();
}

static void test_timer_count(void)
{
    CHECK_EQ_INT(acpi_pm_timer_count(0), 0);
    CHECK_EQ_INT(acpi_pm_timer_count(1000000000ULL), 3579545);
    CHECK_EQ_INT(acpi_pm_timer_count(1000), 3); /* 3.58 ticks a microsecond */
    /* 24 bits: wraps after 4.69 s */
    CHECK_EQ_INT(acpi_pm_timer_count(5000000000ULL), 17897725 & 0xFFFFFF);
    /* a year of uptime: no overflow in the arithmetic */
    uint64_t year = 365ULL * 86400 * 1000000000ULL;
    CHECK_EQ_INT(acpi_pm_timer_count(year), (365ULL * 86400 * 3579545) & 0xFFFFFF);
}

/* The timer counts up at 3.58 MHz through the bus, any width. */
static void test_timer_counts_through_the_bus(void)
{
    setup(ACPI_PM_BASE);
    uint32_t a = pio_read(ACPI_PM_TMR_PORT, 4);
    struct timespec ts = { 0, 2000000 }; /* 2 ms: 7159 ticks */
    nanosleep(&ts, NULL);
    uint32_t b = pio_read(ACPI_PM_TMR_PORT, 4);
    uint32_t elapsed = (b - a) & ACPI_PM_TIMER_MASK;
    CHECK(elapsed >= 7000 && elapsed < 3579545); /* between 2 ms and 1 s */
    CHECK(pio_read(ACPI_PM_TMR_PORT + 3, 1) == 0); /* bits 24-31 */
    pio_write(ACPI_PM_TMR_PORT, 0, 4); /* read-only: ignored */
    CHECK(((pio_read(ACPI_PM_TMR_PORT, 4) - b) & ACPI_PM_TIMER_MASK) < 3579545);
    teardown();
}

int main(void)
{
    (void)sci_changes;
    RUN(test_identity);
    RUN(test_isa_pirq_routing_is_storage);
    RUN(test_pm_block_at_power_up_base);
    RUN(test_pm_block_follows_firmware);
    RUN(test_pm_block_hostile_bases);
    RUN(test_timer_count);
    RUN(test_timer_counts_through_the_bus);
    return check_summary("chipset");
}
