/* libFuzzer target for the UEFI variables file check (lib/nvram.c): any
 * bytes as a whole file.  Invariants: it never reads outside the buffer
 * (ASan), and a refusal always says why in the shared words. */
#include "../../lib/nvram.h"
#include "fuzz_input.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256] = "";
    /* a private copy of exactly size bytes so that ASan sees any overread */
    uint8_t *buf = fuzz_input_bytes(data, size);
    if (nvram_check(buf, size, err, sizeof(err)) &&
        strncmp(err, "not a UEFI variables file: ", 27))
        abort();
    free(buf);
    return 0;
}
