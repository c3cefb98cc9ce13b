/* Fuzz the ELF/PVH loader: program headers and notes, the PVH plan against
 * a small guest RAM, and the load itself (segments, start_info page).
 * Whatever the headers say, nothing may be read or written outside the
 * file or RAM. */
#include "fuzz_input.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../hypervisor/vmm/pvh_boot.h"

#define FUZZ_RAM (48u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t *ram;
    static struct elf_pvh_info elf;
    struct boot_plan plan;
    struct guest_mem mem;
    char err[256];
    static const uint8_t initrd[3000];

    if (!ram)
        ram = calloc(1, FUZZ_RAM);
    uint8_t *img = fuzz_input_bytes(data, size);
    guest_mem_layout(&mem, ram, FUZZ_RAM);
    if (elf_pvh_parse(img, size, &elf, err, sizeof(err)) == 0) {
        size_t initrd_len = size > 8 ? data[8] * 11u : 0;
        if (initrd_len > sizeof(initrd))
            initrd_len = sizeof(initrd);
        if (pvh_plan_make(&elf, &mem, initrd_len, 9, &plan, err, sizeof(err)) == 0)
            pvh_boot_load(&mem, &elf, &plan, img, size, initrd, initrd_len,
                          "console=x", 0xf0000, err, sizeof(err));
    }
    free(img);
    return 0;
}
