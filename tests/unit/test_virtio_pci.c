/* Unit tests for the virtio 1.x PCI transport, driven as a guest driver
 * would: PCI config space through ports 0xCF8/0xCFC, the BAR through MMIO
 * dispatch, with a small test device behind it. */
#include "check.h"
#include "../../hypervisor/vmm/virtio_pci.h"

#include <stdlib.h>

#define RAM_SIZE (1u << 20)
#define DESC_GPA 0x1000
#define AVAIL_GPA 0x2000
#define USED_GPA 0x3000
#define DATA_GPA 0x8000
#define QSIZE 8

static uint8_t *ram;
static struct guest_mem mem;
static struct bus bus;
static struct pci_bus pci;
static struct virtio_pci_dev vdev;
static uint64_t bar0;

static int irq_level, msi_count, notify_calls, reset_calls;
static uint64_t msi_addr;
static uint32_t msi_data;

static void record_irq(void *ctx, uint32_t gsi, int level) { (void)ctx; (void)gsi; irq_level = level; }
static void record_msi(void *ctx, uint64_t addr, uint32_t data)
{
    (void)ctx;
    msi_count++;
    msi_addr = addr;
    msi_data = data;
}

/* The test device: answers every request by writing one byte 0x5A. */
static int test_queue_notify(struct virtio_pci_dev *v, uint16_t q)
{
    struct virtq *vq = virtio_pci_queue_ring(v, q);
    static struct virtq_chain chain;
    int rc;
    notify_calls++;
    while ((rc = virtq_pop(vq, &chain)) > 0) {
        uint8_t b = 0x5A;
        size_t n = virtq_iov_write(chain.seg + chain.n_readable, chain.n_writable, 0, &b, 1);
        virtq_push(vq, chain.head, (uint32_t)n);
    }
    virtio_pci_queue_interrupt(v, q);
    return rc;
}

static void test_config_read(struct virtio_pci_dev *v, uint32_t off, uint8_t *data, uint32_t len)
{
    (void)v;
    for (uint32_t i = 0; i < len; i++)
        data[i] = (uint8_t)(0xC0 + off + i);
}

static void test_reset(struct virtio_pci_dev *v) { (void)v; reset_calls++; }

static const struct virtio_device_ops test_ops = {
    .queue_notify = test_queue_notify,
    .config_read = test_config_read,
    .reset = test_reset,
};

static uint32_t cfg_read(unsigned reg, uint32_t len)
{
    uint32_t addr = 0x80000000u | (uint32_t)vdev.pci.slot << 11 | (reg & 0xFC), v = 0;
    bus_dispatch(&bus, BUS_PIO, 0xCF8, (uint8_t *)&addr, 4, true);
    bus_dispatch(&bus, BUS_PIO, 0xCFC + (reg & 3), (uint8_t *)&v, len, false);
    return v;
}

static void cfg_write(unsigned reg, uint32_t v, uint32_t len)
{
    uint32_t addr = 0x80000000u | (uint32_t)vdev.pci.slot << 11 | (reg & 0xFC);
    bus_dispatch(&bus, BUS_PIO, 0xCF8, (uint8_t *)&addr, 4, true);
    bus_dispatch(&bus, BUS_PIO, 0xCFC + (reg & 3), (uint8_t *)&v, len, true);
}

static uint64_t bar_read(uint64_t off, uint32_t len)
{
    uint64_t v = 0;
    CHECK_EQ_INT(bus_dispatch(&bus, BUS_MMIO, bar0 + off, (uint8_t *)&v, len, false), 0);
    return v;
}

static void bar_write(uint64_t off, uint64_t v, uint32_t len)
{
    CHECK_EQ_INT(bus_dispatch(&bus, BUS_MMIO, bar0 + off, (uint8_t *)&v, len, true), 0);
}

static void common_write(uint32_t reg, uint64_t v, uint32_t len) { bar_write(VIRTIO_PCI_COMMON_OFFSET + reg, v, len); }
static uint64_t common_read(uint32_t reg, uint32_t len) { return bar_read(VIRTIO_PCI_COMMON_OFFSET + reg, len); }

static void setup(void)
{
    static const struct pci_platform platform = {
        .mem = &mem, .irq_line = record_irq, .signal_msi = record_msi,
        .intx_gsi = { 5, 9, 10, 11 },
    };
    const struct virtio_pci_config cfg = {
        .device_id = 4, .class_code = 0xFF0000,
        .features = 1ULL << VIRTIO_F_RING_EVENT_IDX | 1ULL << 3,
        .num_queues = 2, .queue_max_size = QSIZE, .config_size = 8,
        .ops = &test_ops, .name = "virtio-test",
    };
    memset(ram, 0, RAM_SIZE);
    guest_mem_layout(&mem, ram, RAM_SIZE);
    irq_level = msi_count = notify_calls = reset_calls = 0;
    bus_init(&bus);
    CHECK_EQ_INT(pci_bus_create(&pci, &bus, &platform), 0);
    CHECK_EQ_INT(virtio_pci_init(&vdev, &pci, &cfg), 1);
    bar0 = cfg_read(PCI_BAR0, 4) & ~0xFULL;
}

static void teardown(void)
{
    pci_bus_destroy(&pci);
    virtio_pci_destroy(&vdev);
    bus_destroy(&bus);
}

static void negotiate(uint64_t features)
{
    common_write(VIRTIO_PCI_COMMON_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER, 1);
    common_write(VIRTIO_PCI_COMMON_GFSELECT, 0, 4);
    common_write(VIRTIO_PCI_COMMON_GF, (uint32_t)features, 4);
    common_write(VIRTIO_PCI_COMMON_GFSELECT, 1, 4);
    common_write(VIRTIO_PCI_COMMON_GF, (uint32_t)(features >> 32), 4);
    common_write(VIRTIO_PCI_COMMON_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                 VIRTIO_STATUS_FEATURES_OK, 1);
}

/* Queue 0 at the fixed test addresses, the way Linux's setup_vq does it. */
static void setup_queue0(void)
{
    common_write(VIRTIO_PCI_COMMON_Q_SELECT, 0, 2);
    common_write(VIRTIO_PCI_COMMON_Q_SIZE, QSIZE, 2);
    common_write(VIRTIO_PCI_COMMON_Q_DESC, DESC_GPA, 4);
    common_write(VIRTIO_PCI_COMMON_Q_DESC + 4, 0, 4);
    common_write(VIRTIO_PCI_COMMON_Q_DRIVER, AVAIL_GPA, 8);
    common_write(VIRTIO_PCI_COMMON_Q_DEVICE, USED_GPA, 8);
    common_write(VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
}

static void driver_ok(void)
{
    common_write(VIRTIO_PCI_COMMON_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                 VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK, 1);
}

/* One writable byte at DATA_GPA, offered as a chain on queue 0. */
static void offer_request(void)
{
    uint64_t addr = DATA_GPA;
    uint32_t len = 1;
    uint16_t flags = VIRTQ_DESC_F_WRITE, idx;
    memcpy(ram + DESC_GPA, &addr, 8);
    memcpy(ram + DESC_GPA + 8, &len, 4);
    memcpy(ram + DESC_GPA + 12, &flags, 2);
    memcpy(&idx, ram + AVAIL_GPA + 2, 2);
    memset(ram + AVAIL_GPA + 4 + 2 * (idx % QSIZE), 0, 2);
    idx++;
    memcpy(ram + AVAIL_GPA + 2, &idx, 2);
}

static void notify_queue0(void)
{
    bar_write(VIRTIO_PCI_NOTIFY_OFFSET, 0, 2);
}

/* Find a vendor capability of the given type by walking the list. */
static unsigned find_virtio_cap(uint8_t type)
{
    unsigned off = cfg_read(PCI_CAPABILITY_LIST, 1);
    for (int guard = 0; off && guard < 48; guard++) {
        if (cfg_read(off, 1) == PCI_CAP_ID_VENDOR && cfg_read(off + 3, 1) == type)
            return off;
        off = cfg_read(off + 1, 1);
    }
    return 0;
}

static void test_pci_identity_and_caps(void)
{
    setup();
    CHECK_EQ_INT(cfg_read(PCI_VENDOR_ID, 2), 0x1AF4);
    CHECK_EQ_INT(cfg_read(PCI_DEVICE_ID, 2), 0x1044);
    CHECK_EQ_INT(cfg_read(PCI_REVISION_ID, 1), 1);
    CHECK(bar0 >= PCI_MMIO_WINDOW_BASE);
    unsigned common = find_virtio_cap(1), notify = find_virtio_cap(2);
    unsigned isr = find_virtio_cap(3), device = find_virtio_cap(4);
    CHECK(common && notify && isr && device);
    CHECK_EQ_INT(cfg_read(common + 4, 1), 0); /* BAR 0 */
    CHECK_EQ_INT(cfg_read(common + 8, 4), VIRTIO_PCI_COMMON_OFFSET);
    CHECK_EQ_INT(cfg_read(notify + 8, 4), VIRTIO_PCI_NOTIFY_OFFSET);
    CHECK_EQ_INT(cfg_read(notify + 16, 4), VIRTIO_PCI_NOTIFY_MULTIPLIER);
    CHECK_EQ_INT(cfg_read(isr + 8, 4), VIRTIO_PCI_ISR_OFFSET);
    CHECK_EQ_INT(cfg_read(device + 12, 4), 8);
    CHECK_EQ_INT(cfg_read(vdev.msix.cap_offset, 1), PCI_CAP_ID_MSIX);
    CHECK_EQ_INT(cfg_read(vdev.msix.cap_offset + 2, 2) & 0x7FF, 2); /* 3 vectors */
    CHECK_EQ_INT(bar_read(VIRTIO_PCI_DEVICE_CFG_OFFSET + 2, 2), 0xC3C2);
    teardown();
}

static void test_feature_negotiation(void)
{
    setup();
    common_write(VIRTIO_PCI_COMMON_DFSELECT, 0, 4);
    CHECK_EQ_INT(common_read(VIRTIO_PCI_COMMON_DF, 4), 1u << VIRTIO_F_RING_EVENT_IDX | 1u << 3);
    common_write(VIRTIO_PCI_COMMON_DFSELECT, 1, 4);
    CHECK_EQ_INT(common_read(VIRTIO_PCI_COMMON_DF, 4), 1); /* VERSION_1 */
    common_write(VIRTIO_PCI_COMMON_DFSELECT, 2, 4);
    CHECK_EQ_INT(common_read(VIRTIO_PCI_COMMON_DF, 4), 0);

    negotiate(1ULL << 3); /* legacy driver: no VERSION_1 */
    CHECK(!(common_read(VIRTIO_PCI_COMMON_STATUS, 1) & VIRTIO_STATUS_FEATURES_OK));
    common_write(VIRTIO_PCI_COMMON_STATUS, 0, 1);
    negotiate(1ULL << VIRTIO_F_VERSION_1 | 1ULL << 5); /* not offered */
    CHECK(!(common_read(VIRTIO_PCI_COMMON_STATUS, 1) & VIRTIO_STATUS_FEATURES_OK));
    common_write(VIRTIO_PCI_COMMON_STATUS, 0, 1);
    negotiate(1ULL << VIRTIO_F_VERSION_1 | 1ULL << 3);
    CHECK(common_read(VIRTIO_PCI_COMMON_STATUS, 1) & VIRTIO_STATUS_FEATURES_OK);
    CHECK_EQ_INT(vdev.driver_features, 1ULL << VIRTIO_F_VERSION_1 | 1ULL << 3);
    /* Frozen after FEATURES_OK. */
    common_write(VIRTIO_PCI_COMMON_GFSELECT, 0, 4);
    common_write(VIRTIO_PCI_COMMON_GF, 0, 4);
    CHECK_EQ_INT(vdev.driver_features, 1ULL << VIRTIO_F_VERSION_1 | 1ULL << 3);
    teardown();
}

static void test_reset_clears_state(void)
{
    setup();
    negotiate(1ULL << VIRTIO_F_VERSION_1);
    setup_queue0();
    common_write(VIRTIO_PCI_COMMON_Q_MSIX, 1, 2);
    CHECK_EQ_INT(common_read(VIRTIO_PCI_COMMON_Q_ENABLE, 2), 1);
    common_write(VIRTIO_PCI_COMMON_STATUS, 0, 1);
    CHECK_EQ_INT(common_read(VIRTIO_PCI_COMMON_STATUS, 1), 0);
    CHECK_EQ_INT(reset_calls, 2); /* once at creation */
    CHECK_EQ_INT(common_read(VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
    CHECK_EQ_INT(common_read(VIRTIO_PCI_COMMON_Q_DESC, 8), 0);
    CHECK_EQ_INT(common_read(VIRTIO_PCI_COMMON_Q_SIZE, 2), QSIZE);
    CHECK_EQ_INT(common_read(VIRTIO_PCI_COMMON_Q_MSIX, 2), PCI_MSIX_NO_VECTOR);
    CHECK_EQ_INT(vdev.driver_features, 0);
    teardown();
}

static void test_queue_registers(void)
{
    setup();
    CHECK_EQ_INT(common_read(VIRTIO_PCI_COMMON_NUMQ, 2), 2);
    common_write(VIRTIO_PCI_COMMON_Q_SELECT, 1, 2);
    CHECK_EQ_INT(common_read(VIRTIO_PCI_COMMON_Q_NOFF, 2), 1);
    common_write(VIRTIO_PCI_COMMON_Q_SELECT, 5, 2); /* no such queue */
    CHECK_EQ_INT(common_read(VIRTIO_PCI_COMMON_Q_SIZE, 2), 0);
    common_write(VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2); /* ignored, no crash */
    negotiate(1ULL << VIRTIO_F_VERSION_1);
    setup_queue0();
    common_write(VIRTIO_PCI_COMMON_Q_DESC, 0x7000, 8); /* enabled: frozen */
    CHECK_EQ_INT(common_read(VIRTIO_PCI_COMMON_Q_DESC, 8), DESC_GPA);
    common_write(VIRTIO_PCI_COMMON_Q_MSIX, 7, 2); /* beyond the table */
    CHECK_EQ_INT(common_read(VIRTIO_PCI_COMMON_Q_MSIX, 2), PCI_MSIX_NO_VECTOR);
    common_write(VIRTIO_PCI_COMMON_MSIX, 0, 2);
    CHECK_EQ_INT(common_read(VIRTIO_PCI_COMMON_MSIX, 2), 0);
    teardown();
}

static void test_bad_queue_address_needs_reset(void)
{
    setup();
    negotiate(1ULL << VIRTIO_F_VERSION_1);
    common_write(VIRTIO_PCI_COMMON_Q_SELECT, 0, 2);
    common_write(VIRTIO_PCI_COMMON_Q_DESC, 0xC0000000ULL, 8); /* PCI hole */
    common_write(VIRTIO_PCI_COMMON_Q_DRIVER, AVAIL_GPA, 8);
    common_write(VIRTIO_PCI_COMMON_Q_DEVICE, USED_GPA, 8);
    common_write(VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
    CHECK_EQ_INT(common_read(VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
    CHECK(common_read(VIRTIO_PCI_COMMON_STATUS, 1) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
    common_write(VIRTIO_PCI_COMMON_STATUS, 0, 1);
    CHECK_EQ_INT(common_read(VIRTIO_PCI_COMMON_STATUS, 1), 0);
    teardown();
}

static void test_request_with_intx(void)
{
    setup();
    negotiate(1ULL << VIRTIO_F_VERSION_1);
    setup_queue0();
    offer_request();
    notify_queue0(); /* before DRIVER_OK: not processed */
    CHECK_EQ_INT(notify_calls, 0);
    driver_ok();
    notify_queue0();
    CHECK_EQ_INT(notify_calls, 1);
    CHECK_EQ_INT(ram[DATA_GPA], 0x5A);
    CHECK_EQ_INT(irq_level, 1);
    CHECK_EQ_INT(msi_count, 0);
    CHECK_EQ_INT(bar_read(VIRTIO_PCI_ISR_OFFSET, 1), VIRTIO_ISR_QUEUE);
    CHECK_EQ_INT(irq_level, 0);
    CHECK_EQ_INT(bar_read(VIRTIO_PCI_ISR_OFFSET, 1), 0); /* read clears */
    teardown();
}

static void program_msix_vector(unsigned v, uint64_t addr, uint32_t data, bool masked)
{
    uint64_t e = VIRTIO_PCI_MSIX_TABLE_OFFSET + 16ull * v;
    bar_write(e, addr, 8);
    bar_write(e + 8, data, 4);
    bar_write(e + 12, masked, 4);
}

static void test_request_with_msix(void)
{
    setup();
    program_msix_vector(1, 0xFEE00000, 0x4041, false);
    cfg_write(vdev.msix.cap_offset + 2, PCI_MSIX_CTRL_ENABLE, 2);
    CHECK(vdev.msix.enabled);
    negotiate(1ULL << VIRTIO_F_VERSION_1);
    setup_queue0();
    common_write(VIRTIO_PCI_COMMON_Q_MSIX, 1, 2);
    driver_ok();
    offer_request();
    notify_queue0();
    CHECK_EQ_INT(msi_count, 1);
    CHECK_EQ_INT(msi_addr, 0xFEE00000);
    CHECK_EQ_INT(msi_data, 0x4041);
    CHECK_EQ_INT(irq_level, 0);
    /* The state line: destination APIC 0 (address bits 19:12), vector
     * 0x41 (data bits 7:0), one message sent. */
    char line[128];
    virtio_pci_queue_vector_format(&vdev, 0, line, sizeof(line));
    CHECK_EQ_STR(line, "MSI-X vector 1 to APIC 0 as 0x41, sent 1");
    /* Masked: pending in the PBA, delivered on unmask. */
    bar_write(VIRTIO_PCI_MSIX_TABLE_OFFSET + 16 + 12, 1, 4);
    offer_request();
    notify_queue0();
    CHECK_EQ_INT(msi_count, 1);
    CHECK_EQ_INT(bar_read(VIRTIO_PCI_MSIX_PBA_OFFSET, 8), 2);
    virtio_pci_queue_vector_format(&vdev, 0, line, sizeof(line));
    CHECK_EQ_STR(line, "MSI-X vector 1 to APIC 0 as 0x41, sent 1, masked, pending");
    bar_write(VIRTIO_PCI_MSIX_TABLE_OFFSET + 16 + 12, 0, 4);
    CHECK_EQ_INT(msi_count, 2);
    virtio_pci_queue_vector_format(&vdev, 0, line, sizeof(line));
    CHECK_EQ_STR(line, "MSI-X vector 1 to APIC 0 as 0x41, sent 2");
    virtio_pci_queue_vector_format(&vdev, 5, line, sizeof(line));
    CHECK_EQ_STR(line, "no queue");
    CHECK_EQ_INT(bar_read(VIRTIO_PCI_MSIX_PBA_OFFSET, 8), 0);
    /* Function mask does the same for every vector. */
    cfg_write(vdev.msix.cap_offset + 2, PCI_MSIX_CTRL_ENABLE | PCI_MSIX_CTRL_MASKALL, 2);
    offer_request();
    notify_queue0();
    CHECK_EQ_INT(msi_count, 2);
    cfg_write(vdev.msix.cap_offset + 2, PCI_MSIX_CTRL_ENABLE, 2);
    CHECK_EQ_INT(msi_count, 3);
    teardown();
}

static void test_msix_table_access_rules(void)
{
    setup();
    program_msix_vector(0, 0xFEE01000, 0x31, false);
    CHECK_EQ_INT(bar_read(VIRTIO_PCI_MSIX_TABLE_OFFSET, 4), 0xFEE01000);
    CHECK_EQ_INT(bar_read(VIRTIO_PCI_MSIX_TABLE_OFFSET + 8, 4), 0x31);
    bar_write(VIRTIO_PCI_MSIX_TABLE_OFFSET + 12, 0xFFFFFFFF, 4); /* reserved bits */
    CHECK_EQ_INT(bar_read(VIRTIO_PCI_MSIX_TABLE_OFFSET + 12, 4), 1);
    CHECK_EQ_INT(bar_read(VIRTIO_PCI_MSIX_TABLE_OFFSET + 16 * 3, 4), 0xFFFFFFFF); /* past the table */
    CHECK_EQ_INT(bar_read(VIRTIO_PCI_MSIX_TABLE_OFFSET + 2, 2), 0xFFFF); /* word access */
    CHECK_EQ_INT(bar_read(VIRTIO_PCI_MSIX_TABLE_OFFSET + 16 * 2 + 12, 4), 1); /* starts masked */
    /* Only enable and mask-all are writable in message control. */
    cfg_write(vdev.msix.cap_offset + 2, 0xFFFF, 2);
    CHECK_EQ_INT(cfg_read(vdev.msix.cap_offset + 2, 2), 0xC002);
    teardown();
}

static void test_broken_ring_needs_reset(void)
{
    setup();
    negotiate(1ULL << VIRTIO_F_VERSION_1);
    setup_queue0();
    driver_ok();
    /* A descriptor that chains to itself. */
    uint16_t flags = VIRTQ_DESC_F_NEXT, next = 0, idx = 1;
    memcpy(ram + DESC_GPA + 12, &flags, 2);
    memcpy(ram + DESC_GPA + 14, &next, 2);
    memcpy(ram + AVAIL_GPA + 2, &idx, 2);
    notify_queue0();
    CHECK(common_read(VIRTIO_PCI_COMMON_STATUS, 1) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
    CHECK_EQ_INT(bar_read(VIRTIO_PCI_ISR_OFFSET, 1), VIRTIO_ISR_CONFIG);
    /* No more processing until reset. */
    notify_queue0();
    CHECK_EQ_INT(notify_calls, 1);
    teardown();
}

static void test_notify_gpa_follows_bar(void)
{
    setup();
    CHECK_EQ_INT(virtio_pci_notify_gpa(&vdev, 1), bar0 + VIRTIO_PCI_NOTIFY_OFFSET + 4);
    cfg_write(PCI_BAR0, 0xE0000000, 4);
    CHECK_EQ_INT(virtio_pci_notify_gpa(&vdev, 1), 0xE0000000 + VIRTIO_PCI_NOTIFY_OFFSET + 4);
    CHECK_EQ_INT(virtio_pci_notify_gpa(&vdev, 2), 0);
    teardown();
}

static void test_pci_cfg_access_window(void)
{
    setup();
    unsigned cap = find_virtio_cap(5);
    CHECK(cap != 0);
    cfg_write(cap + 4, 0, 1); /* BAR 0 */
    cfg_write(cap + 8, VIRTIO_PCI_COMMON_OFFSET + VIRTIO_PCI_COMMON_NUMQ, 4);
    cfg_write(cap + 12, 2, 4);
    CHECK_EQ_INT(cfg_read(cap + 16, 2), 2); /* num_queues through config */
    cfg_write(cap + 8, VIRTIO_PCI_COMMON_OFFSET + VIRTIO_PCI_COMMON_Q_SELECT, 4);
    cfg_write(cap + 16, 1, 2);
    CHECK_EQ_INT(common_read(VIRTIO_PCI_COMMON_Q_SELECT, 2), 1);
    /* Misaligned or odd lengths do nothing. */
    cfg_write(cap + 8, VIRTIO_PCI_COMMON_OFFSET + VIRTIO_PCI_COMMON_Q_SELECT + 1, 4);
    cfg_write(cap + 16, 0, 2);
    CHECK_EQ_INT(common_read(VIRTIO_PCI_COMMON_Q_SELECT, 2), 1);
    cfg_write(cap + 12, 3, 4);
    cfg_write(cap + 8, VIRTIO_PCI_COMMON_OFFSET + VIRTIO_PCI_COMMON_Q_SELECT, 4);
    cfg_write(cap + 16, 0, 2);
    CHECK_EQ_INT(common_read(VIRTIO_PCI_COMMON_Q_SELECT, 2), 1);
    teardown();
}

int main(void)
{
    ram = aligned_alloc(4096, RAM_SIZE);
    RUN(test_pci_identity_and_caps);
    RUN(test_feature_negotiation);
    RUN(test_reset_clears_state);
    RUN(test_queue_registers);
    RUN(test_bad_queue_address_needs_reset);
    RUN(test_request_with_intx);
    RUN(test_request_with_msix);
    RUN(test_msix_table_access_rules);
    RUN(test_broken_ring_needs_reset);
    RUN(test_notify_gpa_follows_bar);
    RUN(test_pci_cfg_access_window);
    free(ram);
    return check_summary("virtio_pci");
}
