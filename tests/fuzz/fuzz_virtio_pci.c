/* libFuzzer target for the virtio-pci transport with a virtio-blk disk
 * behind it: the guest's register accesses (BAR 0 and PCI config space)
 * come from the input, as does guest RAM, so feature negotiation, status
 * changes, queue setup, MSI-X programming, the config-access window and
 * notifications run in any order with any values.
 *
 * Input: le16 count of accesses (at most 128), then count records of 12
 * bytes {u8 kind, u8 size, le16 offset, le64 value}, then guest RAM.
 *   kind % 4: 0 BAR write, 1 BAR read, 2 config write, 3 config read
 *   size % 4: 1, 2, 4 or 8 bytes (config accesses use at most 4)
 * RAM is 32 KiB below the PCI hole plus 32 KiB at 4 GiB.  The disk has two
 * queues; an input of even size has its requests in flight through
 * io_uring (completions reaped after every access, the rest when the disk
 * goes), an odd one is served synchronously. */
#include "../../hypervisor/vmm/virtio_blk.h"
#include "fuzz_vpci_access.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_RAM_SIZE 0x10000u
#define FUZZ_MAX_ACCESSES 128

static uint8_t ram[FUZZ_RAM_SIZE] __attribute__((aligned(4096)));
static const struct guest_mem mem = {
    ram, FUZZ_RAM_SIZE, FUZZ_RAM_SIZE / 2, FUZZ_RAM_SIZE / 2
};
static char image[] = "/tmp/corral-fuzz-vpci-XXXXXX";

static void fuzz_remove_image(void)
{
    unlink(image);
}

/* The disk is reopened by path for every input, so the file stays until
 * the fuzzer exits. */
static void fuzz_make_image_once(void)
{
    static bool made;
    if (made)
        return;
    int fd = mkstemp(image);
    if (fd < 0 || ftruncate(fd, 64 * 512) < 0)
        abort();
    close(fd);
    atexit(fuzz_remove_image);
    made = true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct pci_platform platform = {
        .mem = &mem, .irq_line = fuzz_vpci_ignore_irq, .signal_msi = fuzz_vpci_ignore_msi,
        .intx_gsi = { 5, 9, 10, 11 },
    };
    long count = fuzz_vpci_load(data, size, FUZZ_MAX_ACCESSES, ram, sizeof(ram));
    if (count < 0)
        return 0;

    fuzz_make_image_once();
    struct bus bus;
    struct pci_bus pci;
    struct virtio_blk *blk;
    struct virtio_blk_options o = { .path = image, .queues = 2,
                                    .synchronous = size & 1 };
    bus_init(&bus);
    if (pci_bus_create(&pci, &bus, &platform) < 0 ||
        virtio_blk_create(&blk, &pci, &o) < 0)
        abort();
    for (long i = 0; i < count; i++) {
        fuzz_vpci_access(&bus, &blk->vdev, data + 2 + i * FUZZ_VPCI_RECORD);
        virtio_blk_requests_done(blk, false);
    }
    pci_bus_destroy(&pci);
    virtio_blk_destroy(blk);
    bus_destroy(&bus);
    return 0;
}
