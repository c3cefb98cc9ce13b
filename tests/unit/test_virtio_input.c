/* virtio_input: the tablet's configuration answers, its events in the
 * guest's buffers (one report = events + SYN_REPORT), events waiting for
 * buffers and the oldest whole reports dropped, the status queue, and a
 * hostile driver (short buffers, a broken ring, unknown selectors). */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "../../hypervisor/vmm/input.h"
#include "../../hypervisor/vmm/virtio_input.h"

#define RAM_SIZE (1u << 20)
#define QSIZE 16
#define DATA_GPA 0x10000

static uint8_t *ram;
static struct guest_mem mem;
static struct bus bus;
static struct pci_bus pci;
static struct virtio_input *tab;
static uint64_t bar0;
static int msi_count;

static const uint64_t desc_gpa[2] = { 0x1000, 0x4000 };
static const uint64_t avail_gpa[2] = { 0x2000, 0x5000 };
static const uint64_t used_gpa[2] = { 0x3000, 0x6000 };

static void no_irq(void *ctx, uint32_t gsi, int level) { (void)ctx; (void)gsi; (void)level; }
static void count_msi(void *ctx, uint64_t a, uint32_t d) { (void)ctx; (void)a; (void)d; msi_count++; }

static uint32_t cfg_read(unsigned reg, uint32_t len)
{
    uint32_t addr = 0x80000000u | (uint32_t)tab->vdev.pci.slot << 11 | (reg & 0xFC), v = 0;
    bus_dispatch(&bus, BUS_PIO, 0xCF8, (uint8_t *)&addr, 4, true);
    bus_dispatch(&bus, BUS_PIO, 0xCFC + (reg & 3), (uint8_t *)&v, len, false);
    return v;
}

static uint64_t bar_read(uint64_t off, uint32_t len)
{
    uint64_t v = 0;
    bus_dispatch(&bus, BUS_MMIO, bar0 + off, (uint8_t *)&v, len, false);
    return v;
}

static void bar_write(uint64_t off, uint64_t v, uint32_t len)
{
    bus_dispatch(&bus, BUS_MMIO, bar0 + off, (uint8_t *)&v, len, true);
}

static void common_write(uint32_t reg, uint64_t v, uint32_t len)
{
    bar_write(VIRTIO_PCI_COMMON_OFFSET + reg, v, len);
}

static uint8_t status_read(void)
{
    return (uint8_t)bar_read(VIRTIO_PCI_COMMON_OFFSET + VIRTIO_PCI_COMMON_STATUS, 1);
}

static void setup(void)
{
    static const struct pci_platform platform = {
        .mem = &mem, .irq_line = no_irq, .signal_msi = count_msi,
        .intx_gsi = { 16, 17, 18, 19 },
    };
    ram = calloc(1, RAM_SIZE);
    guest_mem_layout(&mem, ram, RAM_SIZE);
    bus_init(&bus);
    pci_bus_create(&pci, &bus, &platform);
    CHECK_EQ_INT(virtio_input_create(&tab, &pci), 0);
    bar0 = cfg_read(PCI_BAR0, 4) & ~0xFULL;
}

static void teardown(void)
{
    pci_bus_destroy(&pci);
    virtio_input_destroy(tab);
    bus_destroy(&bus);
    free(ram);
}

static void setup_queue(uint16_t q)
{
    common_write(VIRTIO_PCI_COMMON_Q_SELECT, q, 2);
    common_write(VIRTIO_PCI_COMMON_Q_SIZE, QSIZE, 2);
    common_write(VIRTIO_PCI_COMMON_Q_DESC, desc_gpa[q], 8);
    common_write(VIRTIO_PCI_COMMON_Q_DRIVER, avail_gpa[q], 8);
    common_write(VIRTIO_PCI_COMMON_Q_DEVICE, used_gpa[q], 8);
    common_write(VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
}

/* Reset, then bring the driver up as Linux's virtio_input does. */
static void driver_up(void)
{
    const uint8_t s = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;
    common_write(VIRTIO_PCI_COMMON_STATUS, 0, 1);
    memset(ram, 0, 0x20000);
    common_write(VIRTIO_PCI_COMMON_STATUS, s, 1);
    common_write(VIRTIO_PCI_COMMON_GFSELECT, 1, 4);
    common_write(VIRTIO_PCI_COMMON_GF, 1, 4); /* VERSION_1 */
    common_write(VIRTIO_PCI_COMMON_STATUS, s | VIRTIO_STATUS_FEATURES_OK, 1);
    setup_queue(0);
    setup_queue(1);
    CHECK(!virtio_input_ready(tab));
    common_write(VIRTIO_PCI_COMMON_STATUS, s | VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK, 1);
    CHECK(virtio_input_ready(tab));
}

/* n buffers of len bytes each on queue q, descriptors from first. */
static void offer(uint16_t q, unsigned first, unsigned n, uint32_t len, uint16_t flags)
{
    uint16_t idx;
    memcpy(&idx, ram + avail_gpa[q] + 2, 2);
    for (unsigned i = 0; i < n; i++) {
        unsigned d = (first + i) % QSIZE;
        uint64_t addr = DATA_GPA + d * 16;
        uint8_t *desc = ram + desc_gpa[q] + 16 * d;
        memcpy(desc, &addr, 8);
        memcpy(desc + 8, &len, 4);
        memcpy(desc + 12, &flags, 2);
        memset(desc + 14, 0, 2);
        uint16_t head = (uint16_t)d;
        memcpy(ram + avail_gpa[q] + 4 + 2 * (idx % QSIZE), &head, 2);
        idx++;
    }
    memcpy(ram + avail_gpa[q] + 2, &idx, 2);
}

static void notify(uint16_t q)
{
    bar_write(VIRTIO_PCI_NOTIFY_OFFSET + q * VIRTIO_PCI_NOTIFY_MULTIPLIER, q, 2);
}

static uint16_t used_idx(uint16_t q)
{
    uint16_t v;
    memcpy(&v, ram + used_gpa[q] + 2, 2);
    return v;
}

/* The event in used entry i of the eventq. */
static struct virtio_input_event used_event(unsigned i, uint32_t *written)
{
    uint32_t id;
    memcpy(&id, ram + used_gpa[0] + 4 + 8 * (i % QSIZE), 4);
    memcpy(written, ram + used_gpa[0] + 8 + 8 * (i % QSIZE), 4);
    const uint8_t *p = ram + DATA_GPA + id * 16;
    struct virtio_input_event ev;
    memcpy(&ev.type, p, 2);
    memcpy(&ev.code, p + 2, 2);
    memcpy(&ev.value, p + 4, 4);
    return ev;
}

#define CHECK_EVENT(i, t, c, v)                                         \
    do {                                                                \
        uint32_t w_;                                                    \
        struct virtio_input_event e_ = used_event(i, &w_);              \
        CHECK_EQ_INT(w_, 8);                                            \
        CHECK_EQ_INT(e_.type, t);                                       \
        CHECK_EQ_INT(e_.code, c);                                       \
        CHECK_EQ_INT(e_.value, v);                                      \
    } while (0)

static unsigned cfg_select(uint8_t sel, uint8_t sub, uint8_t *payload)
{
    bar_write(VIRTIO_PCI_DEVICE_CFG_OFFSET, sel, 1);
    bar_write(VIRTIO_PCI_DEVICE_CFG_OFFSET + 1, sub, 1);
    for (unsigned i = 0; i < 128; i++)
        payload[i] = (uint8_t)bar_read(VIRTIO_PCI_DEVICE_CFG_OFFSET + 8 + i, 1);
    return (unsigned)bar_read(VIRTIO_PCI_DEVICE_CFG_OFFSET + 2, 1);
}

static void test_identity_and_config(void)
{
    uint8_t p[128];
    CHECK_EQ_INT(cfg_read(PCI_DEVICE_ID, 2), 0x1052);
    CHECK_EQ_INT(cfg_select(VIRTIO_INPUT_CFG_ID_NAME, 0, p), 13);
    CHECK(!memcmp(p, "Corral Tablet", 13));
    CHECK(cfg_select(VIRTIO_INPUT_CFG_ID_SERIAL, 0, p) > 0);
    CHECK_EQ_INT(cfg_select(VIRTIO_INPUT_CFG_ID_DEVIDS, 0, p), 8);
    CHECK_EQ_INT(p[0], 0x06); /* BUS_VIRTUAL */
    CHECK_EQ_INT(cfg_select(VIRTIO_INPUT_CFG_PROP_BITS, 0, p), 0);
    CHECK_EQ_INT(cfg_select(VIRTIO_INPUT_CFG_EV_BITS, VIRTIO_INPUT_EV_KEY, p), 35);
    CHECK_EQ_INT(p[34], 0x07); /* BTN_LEFT, BTN_RIGHT, BTN_MIDDLE */
    CHECK_EQ_INT(p[0], 0);
    CHECK_EQ_INT(cfg_select(VIRTIO_INPUT_CFG_EV_BITS, VIRTIO_INPUT_EV_ABS, p), 1);
    CHECK_EQ_INT(p[0], 0x03);
    CHECK_EQ_INT(cfg_select(VIRTIO_INPUT_CFG_EV_BITS, VIRTIO_INPUT_EV_REL, p), 2);
    CHECK_EQ_INT(p[1], 0x01); /* REL_WHEEL = 8 */
    CHECK_EQ_INT(cfg_select(VIRTIO_INPUT_CFG_EV_BITS, 0x11, p), 0); /* no LEDs */
    CHECK_EQ_INT(cfg_select(VIRTIO_INPUT_CFG_ABS_INFO, VIRTIO_INPUT_ABS_Y, p), 20);
    uint32_t min, max;
    memcpy(&min, p, 4);
    memcpy(&max, p + 4, 4);
    CHECK_EQ_INT(min, 0);
    CHECK_EQ_INT(max, INPUT_ABS_MAX);
    CHECK_EQ_INT(cfg_select(VIRTIO_INPUT_CFG_ABS_INFO, 2, p), 0);
    CHECK_EQ_INT(cfg_select(0x77, 0xff, p), 0); /* unknown: size 0, zeros */
    CHECK_EQ_INT(p[0], 0);
    /* a write to the read-only part changes nothing */
    bar_write(VIRTIO_PCI_DEVICE_CFG_OFFSET, VIRTIO_INPUT_CFG_ID_NAME, 1);
    bar_write(VIRTIO_PCI_DEVICE_CFG_OFFSET + 1, 0, 1);
    bar_write(VIRTIO_PCI_DEVICE_CFG_OFFSET + 8, 0x41414141, 4);
    CHECK_EQ_INT(bar_read(VIRTIO_PCI_DEVICE_CFG_OFFSET + 8, 1), 'C');
    CHECK_EQ_INT(bar_read(VIRTIO_PCI_DEVICE_CFG_OFFSET + 0x200, 4), 0); /* outside */
}

static void test_reports_in_buffers(void)
{
    driver_up();
    offer(0, 0, 8, 8, VIRTQ_DESC_F_WRITE);
    notify(0); /* nothing pending: buffers stay available */
    CHECK_EQ_INT(used_idx(0), 0);
    virtio_input_move(tab, 100, 200, 0, INPUT_BUTTON_LEFT);
    CHECK_EQ_INT(used_idx(0), 4);
    CHECK_EVENT(0, VIRTIO_INPUT_EV_ABS, VIRTIO_INPUT_ABS_X, 100);
    CHECK_EVENT(1, VIRTIO_INPUT_EV_ABS, VIRTIO_INPUT_ABS_Y, 200);
    CHECK_EVENT(2, VIRTIO_INPUT_EV_KEY, VIRTIO_INPUT_BTN_LEFT, 1);
    CHECK_EVENT(3, VIRTIO_INPUT_EV_SYN, VIRTIO_INPUT_SYN_REPORT, 0);
    /* wheel down one step; left released; x beyond the range is clamped */
    virtio_input_move(tab, 0xFFFFFFFFu, 5, 1, 0);
    CHECK_EQ_INT(used_idx(0), 8);
    CHECK_EVENT(4, VIRTIO_INPUT_EV_ABS, VIRTIO_INPUT_ABS_X, INPUT_ABS_MAX);
    CHECK_EVENT(6, VIRTIO_INPUT_EV_KEY, VIRTIO_INPUT_BTN_LEFT, 0);
    CHECK_EVENT(7, VIRTIO_INPUT_EV_REL, VIRTIO_INPUT_REL_WHEEL, 0xFFFFFFFFu);
    /* no buffer left: that report's SYN and the next report wait for
     * the driver's buffers */
    virtio_input_move(tab, 1, 2, 0, 0);
    CHECK_EQ_INT(used_idx(0), 8);
    offer(0, 8, 5, 8, VIRTQ_DESC_F_WRITE);
    notify(0);
    CHECK_EQ_INT(used_idx(0), 12);
    CHECK_EVENT(8, VIRTIO_INPUT_EV_SYN, VIRTIO_INPUT_SYN_REPORT, 0);
    CHECK_EVENT(9, VIRTIO_INPUT_EV_ABS, VIRTIO_INPUT_ABS_X, 1);
    CHECK_EVENT(11, VIRTIO_INPUT_EV_SYN, VIRTIO_INPUT_SYN_REPORT, 0);
    CHECK(msi_count == 0); /* MSI-X not enabled: INTx */
}

static void test_hostile_buffers(void)
{
    driver_up();
    offer(0, 0, 1, 4, VIRTQ_DESC_F_WRITE); /* too short: back unused */
    offer(0, 1, 1, 8, 0);                  /* not writable: same */
    offer(0, 2, 3, 8, VIRTQ_DESC_F_WRITE);
    virtio_input_move(tab, 7, 8, 0, 0);
    CHECK_EQ_INT(used_idx(0), 5);
    uint32_t written;
    used_event(0, &written);
    CHECK_EQ_INT(written, 0);
    used_event(1, &written);
    CHECK_EQ_INT(written, 0);
    CHECK_EVENT(2, VIRTIO_INPUT_EV_ABS, VIRTIO_INPUT_ABS_X, 7);
    CHECK_EVENT(4, VIRTIO_INPUT_EV_SYN, VIRTIO_INPUT_SYN_REPORT, 0);
    /* a descriptor outside RAM breaks the ring: the device needs a reset */
    uint64_t far = RAM_SIZE * 4ULL;
    offer(0, 5, 1, 8, VIRTQ_DESC_F_WRITE);
    memcpy(ram + desc_gpa[0] + 16 * 5, &far, 8);
    virtio_input_move(tab, 1, 1, 0, 0);
    CHECK(status_read() & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
    CHECK(!virtio_input_ready(tab));
    driver_up(); /* and recovers after one */
    CHECK(!(status_read() & VIRTIO_STATUS_DEVICE_NEEDS_RESET));
}

static void test_status_queue_consumed(void)
{
    driver_up();
    offer(1, 0, 3, 8, 0); /* LED events: readable buffers */
    notify(1);
    CHECK_EQ_INT(used_idx(1), 3);
}

/* A guest that never gives buffers: the ring keeps the newest reports,
 * whole, and the first event the guest gets starts a report. */
static void test_pending_ring_drops_oldest_reports(void)
{
    driver_up();
    for (uint32_t i = 0; i < 1000; i++)
        virtio_input_move(tab, i, i, 0, i % 2 ? INPUT_BUTTON_RIGHT : 0);
    CHECK(tab->dropped > 0);
    CHECK(tab->p_count <= VIRTIO_INPUT_PENDING);
    offer(0, 0, QSIZE, 8, VIRTQ_DESC_F_WRITE);
    notify(0);
    CHECK_EQ_INT(used_idx(0), QSIZE);
    uint32_t w;
    struct virtio_input_event first = used_event(0, &w);
    CHECK_EQ_INT(first.type, VIRTIO_INPUT_EV_ABS);
    CHECK_EQ_INT(first.code, VIRTIO_INPUT_ABS_X);
    CHECK(first.value > 500); /* an old one went, a recent one stayed */
}

int main(void)
{
    setup();
    RUN(test_identity_and_config);
    RUN(test_reports_in_buffers);
    RUN(test_hostile_buffers);
    RUN(test_status_queue_consumed);
    RUN(test_pending_ring_drops_oldest_reports);
    teardown();
    return check_summary("virtio_input");
}
