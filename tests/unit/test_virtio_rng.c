/* virtio_rng: chains filled with random bytes, bounded per request, and
 * hostile chains (no writable part, huge lengths) handled. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "../../hypervisor/vmm/virtio_rng.h"

#define RAM_SIZE (64ULL << 20)

static uint8_t *ram;
static struct guest_mem mem;
static struct bus bus;
static struct pci_bus pci;
static struct virtio_rng *rng;
static size_t asked;

static void no_irq(void *ctx, uint32_t gsi, int level) { (void)ctx; (void)gsi; (void)level; }

static ssize_t fake_fill(void *buf, size_t len)
{
    asked = len;
    memset(buf, 0xA5, len);
    return (ssize_t)len;
}

static ssize_t failing_fill(void *buf, size_t len)
{
    (void)buf; (void)len;
    return -1;
}

static void setup(void)
{
    static const struct pci_platform platform = {
        .mem = &mem, .irq_line = no_irq, .intx_gsi = { 5, 9, 10, 11 },
    };
    ram = calloc(1, RAM_SIZE);
    guest_mem_layout(&mem, ram, RAM_SIZE);
    bus_init(&bus);
    pci_bus_create(&pci, &bus, &platform);
    CHECK_EQ_INT(virtio_rng_create(&rng, &pci), 0);
    CHECK_EQ_INT(pci_config_read(&rng->vdev.pci, PCI_DEVICE_ID, 2), 0x1044);
}

static void teardown(void)
{
    pci_bus_destroy(&pci);
    virtio_rng_destroy(rng);
    bus_destroy(&bus);
    free(ram);
}

static void test_fills_writable_buffers(void)
{
    static uint8_t a[100], b[50], readable[8];
    struct virtq_chain *c = calloc(1, sizeof(*c));
    c->seg[0] = (struct iovec){ readable, sizeof(readable) };
    c->seg[1] = (struct iovec){ a, sizeof(a) };
    c->seg[2] = (struct iovec){ b, sizeof(b) };
    c->n_readable = 1;
    c->readable_len = sizeof(readable);
    c->n_writable = 2;
    c->writable_len = sizeof(a) + sizeof(b);
    rng->fill = fake_fill;
    CHECK_EQ_INT(virtio_rng_fill_chain(rng, c), 150);
    CHECK(a[0] == 0xA5 && a[99] == 0xA5 && b[49] == 0xA5);
    CHECK_EQ_INT(readable[0], 0); /* the driver's bytes are not ours */
    free(c);
}

static void test_bounded_and_hostile_chains(void)
{
    static uint8_t big[VIRTIO_RNG_MAX_REQUEST * 2];
    struct virtq_chain *c = calloc(1, sizeof(*c));
    c->seg[0] = (struct iovec){ big, sizeof(big) };
    c->n_writable = 1;
    c->writable_len = sizeof(big);
    rng->fill = fake_fill;
    CHECK_EQ_INT(virtio_rng_fill_chain(rng, c), VIRTIO_RNG_MAX_REQUEST);
    CHECK_EQ_INT(asked, VIRTIO_RNG_MAX_REQUEST);
    CHECK_EQ_INT(big[VIRTIO_RNG_MAX_REQUEST], 0);
    /* nothing writable: nothing written, nothing asked */
    memset(c, 0, sizeof(*c));
    asked = 0;
    CHECK_EQ_INT(virtio_rng_fill_chain(rng, c), 0);
    CHECK_EQ_INT(asked, 0);
    /* the host's source failing is "no bytes this time", not a crash */
    c->seg[0] = (struct iovec){ big, 16 };
    c->n_writable = 1;
    c->writable_len = 16;
    rng->fill = failing_fill;
    CHECK_EQ_INT(virtio_rng_fill_chain(rng, c), 0);
    free(c);
}

/* virtio-rng has no device configuration, so no DEVICE_CFG structure
 * (type 4): one of length 0 makes Linux refuse the whole device. */
static void test_no_empty_device_cfg_capability(void)
{
    const struct pci_device *dev = &rng->vdev.pci;
    unsigned off = pci_config_read(dev, PCI_CAPABILITY_LIST, 1), vendor_caps = 0;
    for (int guard = 0; off && guard < 48; guard++) {
        if (pci_config_read(dev, off, 1) == PCI_CAP_ID_VENDOR) {
            vendor_caps++;
            CHECK(pci_config_read(dev, off + 3, 1) != 4);
        }
        off = pci_config_read(dev, off + 1, 1);
    }
    CHECK(vendor_caps >= 3); /* common, notify, ISR (and the access window) */
}

int main(void)
{
    setup();
    RUN(test_fills_writable_buffers);
    RUN(test_bounded_and_hostile_chains);
    RUN(test_no_empty_device_cfg_capability);
    teardown();
    return check_summary("virtio_rng");
}
