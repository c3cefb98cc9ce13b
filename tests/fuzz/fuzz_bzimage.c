/* Fuzz the bzImage loader: header parsing, boot planning against a small
 * guest RAM, and the load itself (zero page, e820, page tables).  Whatever
 * the header says, nothing may be read or written outside the file or RAM. */
#include "fuzz_input.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../hypervisor/vmm/boot_linux.h"

#define FUZZ_RAM (48u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t *ram;
    struct bzimage_info bz;
    struct boot_plan plan;
    struct guest_mem mem;
    char err[256];
    static const uint8_t initrd[3000];

    if (!ram)
        ram = calloc(1, FUZZ_RAM);
    uint8_t *img = fuzz_input_bytes(data, size);
    guest_mem_layout(&mem, ram, FUZZ_RAM);
    if (bzimage_parse(img, size, &bz, err, sizeof(err)) == 0) {
        size_t initrd_len = size ? data[0] * 11u : 0;
        if (initrd_len > sizeof(initrd))
            initrd_len = sizeof(initrd);
        if (boot_plan_make(&bz, &mem, initrd_len, 9, &plan, err, sizeof(err)) == 0)
            boot_linux_load(&mem, &bz, &plan, img, size, initrd, initrd_len,
                            "console=x", err, sizeof(err));
    }
    free(img);
    return 0;
}
