/* Unit tests for the PCI host bridge: configuration mechanism 1 as a guest
 * drives it through the port-I/O bus, BAR sizing and moving, decode
 * enable, capabilities and INTx. */
#include "check.h"
#include "../../hypervisor/vmm/i440fx.h"
#include "../../hypervisor/vmm/pci.h"

#include <errno.h>

static struct bus bus;
static struct pci_bus pci;
static struct pci_device dev;

static int irq_gsi = -1, irq_level = -1;
static uint64_t last_bar_offset;
static int bar_hits;

static void record_irq(void *ctx, uint32_t gsi, int level)
{
    (void)ctx;
    irq_gsi = (int)gsi;
    irq_level = level;
}

static void bar_handler(void *opaque, uint64_t offset, uint8_t *data,
                        uint32_t len, bool is_write)
{
    (void)opaque;
    last_bar_offset = offset;
    bar_hits++;
    if (!is_write)
        memset(data, 0xAB, len);
}

static const struct pci_platform platform = {
    .irq_line = record_irq,
    .intx_gsi = { 5, 9, 10, 11 },
};

static void pio_write(uint16_t port, uint32_t v, uint32_t len)
{
    bus_dispatch(&bus, BUS_PIO, port, (uint8_t *)&v, len, true);
}

static uint32_t pio_read(uint16_t port, uint32_t len)
{
    uint32_t v = 0;
    if (bus_dispatch(&bus, BUS_PIO, port, (uint8_t *)&v, len, false) < 0)
        return 0xFFFFFFFF;
    return v;
}

static uint32_t cfg_addr(unsigned busno, unsigned slot, unsigned fn, unsigned reg)
{
    return 0x80000000u | busno << 16 | slot << 11 | fn << 8 | (reg & 0xFC);
}

static uint32_t cfg_read(unsigned slot, unsigned reg, uint32_t len)
{
    pio_write(0xCF8, cfg_addr(0, slot, 0, reg), 4);
    return pio_read((uint16_t)(0xCFC + (reg & 3)), len);
}

static void cfg_write(unsigned slot, unsigned reg, uint32_t v, uint32_t len)
{
    pio_write(0xCF8, cfg_addr(0, slot, 0, reg), 4);
    pio_write((uint16_t)(0xCFC + (reg & 3)), v, len);
}

static bool mmio_hits(uint64_t addr)
{
    uint32_t v;
    int before = bar_hits;
    return bus_dispatch(&bus, BUS_MMIO, addr, (uint8_t *)&v, 4, false) == 0 &&
           bar_hits == before + 1;
}

static int setup(void)
{
    bus_init(&bus);
    CHECK_EQ_INT(pci_bus_create(&pci, &bus, &platform), 0);
    pci_device_init(&dev, 0x1AF4, 0x1042, 0x010000, 1, NULL);
    CHECK_EQ_INT(pci_device_add_bar(&dev, 0, PCI_BAR_MEM32, 0x4000, bar_handler, &dev, "t0"), 0);
    CHECK_EQ_INT(pci_device_add_bar(&dev, 1, PCI_BAR_IO, 0x20, bar_handler, &dev, "t1"), 0);
    CHECK_EQ_INT(pci_device_add_bar(&dev, 2, PCI_BAR_MEM64, 0x10000, bar_handler, &dev, "t2"), 0);
    int slot = pci_bus_add_device(&pci, &dev);
    CHECK_EQ_INT(slot, 1);
    return slot;
}

static void teardown(void)
{
    pci_bus_destroy(&pci);
    pci_device_destroy(&dev);
    bus_destroy(&bus);
}

static void test_host_bridge_and_absent_devices(void)
{
    setup();
    CHECK_EQ_INT(cfg_read(0, PCI_VENDOR_ID, 4),
                 I440FX_DEVICE << 16 | I440FX_VENDOR);
    CHECK_EQ_INT(cfg_read(0, 0x08, 4) >> 8, PCI_CLASS_HOST_BRIDGE);
    CHECK_EQ_INT(cfg_read(7, PCI_VENDOR_ID, 4), 0xFFFFFFFF);
    pio_write(0xCF8, cfg_addr(0, 1, 1, 0), 4); /* function 1 */
    CHECK_EQ_INT(pio_read(0xCFC, 4), 0xFFFFFFFF);
    pio_write(0xCF8, cfg_addr(1, 0, 0, 0), 4); /* bus 1 */
    CHECK_EQ_INT(pio_read(0xCFC, 4), 0xFFFFFFFF);
    pio_write(0xCF8, cfg_addr(0, 0, 0, 0) & ~0x80000000u, 4); /* disabled */
    CHECK_EQ_INT(pio_read(0xCFC, 4), 0xFFFFFFFF);
    teardown();
}

static void test_config_address_register(void)
{
    setup();
    /* Linux's pci_check_type1: a byte write to 0xCFB must not disturb
     * CONFIG_ADDRESS, and a dword reads back as written. */
    pio_write(0xCF8, 0x80000000, 4);
    pio_write(0xCFB, 0x01, 1);
    CHECK_EQ_INT(pio_read(0xCF8, 4), 0x80000000);
    pio_write(0xCF8, 0xFFFFFFFF, 4); /* reserved bits read as zero */
    CHECK_EQ_INT(pio_read(0xCF8, 4), 0x80FFFFFC);
    teardown();
}

static void test_sub_dword_access(void)
{
    setup();
    CHECK_EQ_INT(cfg_read(1, PCI_DEVICE_ID, 2), 0x1042);
    CHECK_EQ_INT(cfg_read(1, PCI_VENDOR_ID + 1, 1), 0x1A);
    CHECK_EQ_INT(cfg_read(1, PCI_INTERRUPT_PIN, 1), 1);
    /* A misaligned word at 0xCFD reads all-ones. */
    pio_write(0xCF8, cfg_addr(0, 1, 0, 0), 4);
    CHECK_EQ_INT(pio_read(0xCFD, 2), 0xFFFF);
    teardown();
}

static void test_read_only_registers(void)
{
    setup();
    cfg_write(1, PCI_VENDOR_ID, 0x12345678, 4);
    CHECK_EQ_INT(cfg_read(1, PCI_VENDOR_ID, 4), 0x10421AF4);
    cfg_write(1, PCI_INTERRUPT_LINE, 0x7, 1);
    CHECK_EQ_INT(cfg_read(1, PCI_INTERRUPT_LINE, 1), 7);
    teardown();
}

static void test_bars_assigned_and_decoding(void)
{
    setup();
    uint32_t bar0 = cfg_read(1, PCI_BAR0, 4);
    uint32_t bar1 = cfg_read(1, PCI_BAR0 + 4, 4);
    CHECK_EQ_INT(bar0 & 0xF, 0);
    CHECK(bar0 >= PCI_MMIO_WINDOW_BASE && bar0 % 0x4000 == 0);
    CHECK_EQ_INT(bar1 & 3, 1);
    CHECK(bar1 >= PCI_PIO_WINDOW_BASE);
    CHECK_EQ_INT(cfg_read(1, PCI_BAR0 + 8, 4) & 0xF, 4); /* 64-bit */
    CHECK(cfg_read(1, PCI_COMMAND, 2) & PCI_COMMAND_MEMORY);
    CHECK(mmio_hits(bar0 + 0x10));
    CHECK_EQ_INT(last_bar_offset, 0x10);
    uint32_t v;
    CHECK_EQ_INT(bus_dispatch(&bus, BUS_PIO, (bar1 & ~3u) + 4, (uint8_t *)&v, 1, false), 0);
    CHECK_EQ_INT(last_bar_offset, 4);
    teardown();
}

static void test_bar_sizing(void)
{
    setup();
    cfg_write(1, PCI_COMMAND, 0, 2); /* as Linux does while sizing */
    cfg_write(1, PCI_BAR0, 0xFFFFFFFF, 4);
    CHECK_EQ_INT(cfg_read(1, PCI_BAR0, 4), 0xFFFFC000);
    cfg_write(1, PCI_BAR0 + 4, 0xFFFFFFFF, 4);
    CHECK_EQ_INT(cfg_read(1, PCI_BAR0 + 4, 4), 0xFFFFFFE1);
    cfg_write(1, PCI_BAR0 + 8, 0xFFFFFFFF, 4);
    cfg_write(1, PCI_BAR0 + 12, 0xFFFFFFFF, 4);
    CHECK_EQ_INT(cfg_read(1, PCI_BAR0 + 8, 4), 0xFFFF0004);
    CHECK_EQ_INT(cfg_read(1, PCI_BAR0 + 12, 4), 0xFFFFFFFF);
    CHECK_EQ_INT(cfg_read(1, PCI_BAR0 + 16, 4), 0); /* unimplemented */
    cfg_write(1, PCI_BAR0 + 16, 0xFFFFFFFF, 4);
    CHECK_EQ_INT(cfg_read(1, PCI_BAR0 + 16, 4), 0);
    cfg_write(1, 0x30, 0xFFFFFFFF, 4); /* no expansion ROM */
    CHECK_EQ_INT(cfg_read(1, 0x30, 4), 0);
    teardown();
}

static void test_bar_move(void)
{
    setup();
    uint32_t old = cfg_read(1, PCI_BAR0, 4);
    cfg_write(1, PCI_COMMAND, 0, 2);
    CHECK(!mmio_hits(old)); /* decode off: off the bus */
    cfg_write(1, PCI_BAR0, 0xE0000000, 4);
    CHECK(!mmio_hits(0xE0000000));
    cfg_write(1, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_IO, 2);
    CHECK(mmio_hits(0xE0000000 + 0x3FFC));
    CHECK_EQ_INT(last_bar_offset, 0x3FFC);
    CHECK(!mmio_hits(old));
    /* Moving while decoding moves the range in place. */
    cfg_write(1, PCI_BAR0, 0xE0100000, 4);
    CHECK(mmio_hits(0xE0100000));
    CHECK(!mmio_hits(0xE0000000));
    /* A 64-bit BAR above 4 GiB. */
    cfg_write(1, PCI_BAR0 + 8, 0x00000000, 4);
    cfg_write(1, PCI_BAR0 + 12, 0x00000010, 4);
    CHECK(mmio_hits(0x1000000000ULL + 8));
    teardown();
}

static void test_bar_cannot_steal_config_ports(void)
{
    setup();
    cfg_write(1, PCI_BAR0 + 4, 0xCE0, 4); /* 0xCE0-0xCFF covers 0xCF8 */
    CHECK_EQ_INT(cfg_read(1, PCI_BAR0 + 4, 4), 0xCE1);
    CHECK_EQ_INT(cfg_read(0, PCI_VENDOR_ID, 2), I440FX_VENDOR);
    CHECK(!dev.bars[1].mapped);
    /* Two BARs at one address: the second one stays off the bus. */
    uint32_t bar0 = cfg_read(1, PCI_BAR0, 4);
    cfg_write(1, PCI_BAR0 + 8, bar0, 4);
    cfg_write(1, PCI_BAR0 + 12, 0, 4);
    CHECK(dev.bars[0].mapped);
    CHECK(!dev.bars[2].mapped);
    teardown();
}

static void test_bar_declaration_errors(void)
{
    struct pci_device d;
    pci_device_init(&d, 1, 2, 0, 0, NULL);
    CHECK(pci_device_add_bar(&d, 0, PCI_BAR_MEM32, 0x3000, bar_handler, &d, "x") < 0);
    CHECK(pci_device_add_bar(&d, 5, PCI_BAR_MEM64, 0x1000, bar_handler, &d, "x") < 0);
    CHECK_EQ_INT(pci_device_add_bar(&d, 2, PCI_BAR_MEM64, 0x1000, bar_handler, &d, "x"), 0);
    CHECK(pci_device_add_bar(&d, 3, PCI_BAR_MEM32, 0x1000, bar_handler, &d, "x") < 0);
    pci_device_destroy(&d);
}

static void test_capability_list(void)
{
    struct pci_device d;
    pci_device_init(&d, 1, 2, 0, 0, NULL);
    uint8_t cap1[5] = { 0x09, 0xEE, 5, 1, 2 }, cap2[12] = { 0x11 };
    int o1 = pci_device_add_capability(&d, cap1, sizeof(cap1));
    int o2 = pci_device_add_capability(&d, cap2, sizeof(cap2));
    CHECK_EQ_INT(o1, 0x40);
    CHECK_EQ_INT(o2, 0x48); /* dword aligned */
    CHECK_EQ_INT(pci_config_read(&d, PCI_CAPABILITY_LIST, 1), 0x40);
    CHECK_EQ_INT(pci_config_read(&d, 0x41, 1), 0x48);
    CHECK_EQ_INT(pci_config_read(&d, 0x49, 1), 0);
    CHECK(pci_config_read(&d, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
    uint8_t huge[200] = { 0x09 };
    CHECK_EQ_INT(pci_device_add_capability(&d, huge, sizeof(huge)), -ENOSPC);
    pci_device_destroy(&d);
}

static void test_intx_and_disable(void)
{
    setup();
    CHECK_EQ_INT(cfg_read(1, PCI_INTERRUPT_LINE, 1), 9); /* slot 1 -> PIRQ B */
    CHECK_EQ_INT(pci_bus_slot_gsi(&pci, 1), 9);
    pci_device_set_intx(&dev, true);
    CHECK_EQ_INT(irq_gsi, 9);
    CHECK_EQ_INT(irq_level, 1);
    CHECK(cfg_read(1, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
    cfg_write(1, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_IO | PCI_COMMAND_INTX_DISABLE, 2);
    CHECK_EQ_INT(irq_level, 0);
    CHECK(cfg_read(1, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
    cfg_write(1, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_IO, 2);
    CHECK_EQ_INT(irq_level, 1);
    pci_device_set_intx(&dev, false);
    CHECK_EQ_INT(irq_level, 0);
    CHECK(!(cfg_read(1, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT));
    teardown();
}

static uint32_t fn_read(unsigned slot, unsigned fn, unsigned reg, uint32_t len)
{
    pio_write(0xCF8, cfg_addr(0, slot, fn, reg), 4);
    return pio_read((uint16_t)(0xCFC + (reg & 3)), len);
}

/* A second function in a slot: reachable by its function number, and
 * function 0 says the slot is multi-function (bit 7 of the header type),
 * which is what makes firmware and Linux look at functions 1-7. */
static void test_multi_function_slot(void)
{
    static struct pci_device f3, other;
    setup();
    CHECK_EQ_INT(fn_read(1, 0, PCI_HEADER_TYPE, 1), 0);
    pci_device_init(&f3, 0x8086, 0x7113, 0x068000, 3, NULL);
    CHECK_EQ_INT(pci_bus_add_function(&pci, &f3, 1, 3), 0);
    CHECK_EQ_INT(fn_read(1, 0, PCI_HEADER_TYPE, 1), PCI_HEADER_MULTI_FUNCTION);
    CHECK_EQ_INT(fn_read(1, 3, PCI_VENDOR_ID, 4), 0x71138086);
    CHECK_EQ_INT(fn_read(1, 3, PCI_HEADER_TYPE, 1), 0);
    CHECK_EQ_INT(fn_read(1, 2, PCI_VENDOR_ID, 4), 0xFFFFFFFF);
    /* taken, out of range, or without a function 0 */
    pci_device_init(&other, 0x8086, 0x7000, 0x060100, 0, NULL);
    CHECK_EQ_INT(pci_bus_add_function(&pci, &other, 1, 3), -EEXIST);
    CHECK_EQ_INT(pci_bus_add_function(&pci, &other, 0, 0), -EEXIST);
    CHECK_EQ_INT(pci_bus_add_function(&pci, &other, 9, 1), -EINVAL);
    CHECK_EQ_INT(pci_bus_add_function(&pci, &other, 32, 0), -EINVAL);
    CHECK_EQ_INT(pci_bus_add_function(&pci, &other, 1, 8), -EINVAL);
    /* a guest cannot clear the multi-function bit */
    pio_write(0xCF8, cfg_addr(0, 1, 0, PCI_HEADER_TYPE), 4);
    pio_write(0xCFE, 0, 1);
    CHECK_EQ_INT(fn_read(1, 0, PCI_HEADER_TYPE, 1), PCI_HEADER_MULTI_FUNCTION);
    /* the next free slot skips the chipset's */
    CHECK_EQ_INT(pci_bus_add_device(&pci, &other), 2);
    CHECK(pci_bus_slot(&pci, 2) == &other);
    CHECK(pci_bus_slot(&pci, 32) == NULL);
    teardown();
    pci_device_destroy(&f3);
    pci_device_destroy(&other);
}

/* The i440FX's PAM and SMRAM registers keep what firmware writes; the IDs
 * and the rest of its header do not change. */
static void test_i440fx_registers(void)
{
    setup();
    CHECK_EQ_INT(cfg_read(0, PCI_REVISION_ID, 1), I440FX_REVISION);
    CHECK_EQ_INT(cfg_read(0, PCI_INTERRUPT_PIN, 1), 0);
    CHECK_EQ_INT(cfg_read(0, I440FX_SMRAM, 1), I440FX_SMRAM_RESET);
    cfg_write(0, I440FX_PAM0 & ~3u, 0x33333300, 4); /* SeaBIOS: ALIGN_DOWN */
    CHECK_EQ_INT(cfg_read(0, I440FX_PAM0, 1), 0x33);
    CHECK_EQ_INT(cfg_read(0, I440FX_PAM0 - 1, 1), 0); /* 0x58: not PAM */
    cfg_write(0, I440FX_SMRAM, 0xFF, 1);
    CHECK_EQ_INT(cfg_read(0, I440FX_SMRAM, 1), I440FX_SMRAM_RESET | I440FX_SMRAM_WRITABLE);
    cfg_write(0, PCI_VENDOR_ID, 0xFFFFFFFF, 4);
    cfg_write(0, PCI_INTERRUPT_LINE, 0xFF, 1);
    CHECK_EQ_INT(cfg_read(0, PCI_VENDOR_ID, 4), I440FX_DEVICE << 16 | I440FX_VENDOR);
    CHECK_EQ_INT(cfg_read(0, PCI_INTERRUPT_LINE, 1), 0);
    teardown();
}

int main(void)
{
    RUN(test_host_bridge_and_absent_devices);
    RUN(test_config_address_register);
    RUN(test_sub_dword_access);
    RUN(test_read_only_registers);
    RUN(test_bars_assigned_and_decoding);
    RUN(test_bar_sizing);
    RUN(test_bar_move);
    RUN(test_bar_cannot_steal_config_ports);
    RUN(test_bar_declaration_errors);
    RUN(test_capability_list);
    RUN(test_intx_and_disable);
    RUN(test_multi_function_slot);
    RUN(test_i440fx_registers);
    return check_summary("pci");
}
