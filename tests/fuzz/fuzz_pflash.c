/* libFuzzer target for the CFI flash's command set (pflash.c): any
 * sequence of guest reads and writes, any widths and offsets.
 *
 * Input: records of 4 bytes {u8 op, u8 off_lo, u8 off_hi, u8 value}:
 *   op & 1: write, else read; width = 1 << ((op >> 1) & 3) (1-8 bytes);
 *   offset = off_lo | off_hi << 8, scaled so that some land past the end
 *   (op bit 3 adds the array size); a write's bytes are value, value+1...
 * Invariants checked: a write changes only the bytes it reports dirty,
 * the dirty range is inside the array, romd_changed is reported exactly
 * when pflash_romd() flips, and a read in romd mode returns the array. */
#include "../../hypervisor/vmm/pflash.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_BLOCKS 2
#define FUZZ_SIZE (FUZZ_BLOCKS * PFLASH_BLOCK_SIZE)

static void fuzz_write(struct pflash *f, uint8_t *shadow, uint64_t off,
                       const uint8_t *val, uint32_t len)
{
    bool romd = pflash_romd(f);
    struct pflash_effect e = pflash_write(f, off, val, len);
    if (e.romd_changed != (romd != pflash_romd(f)))
        abort();
    if (e.dirty_len && (e.dirty_off >= FUZZ_SIZE || e.dirty_len > FUZZ_SIZE - e.dirty_off))
        abort();
    uint64_t lo = e.dirty_len ? e.dirty_off : FUZZ_SIZE;
    uint64_t hi = e.dirty_len ? e.dirty_off + e.dirty_len : FUZZ_SIZE;
    if (memcmp(f->array, shadow, lo) || memcmp(f->array + hi, shadow + hi, FUZZ_SIZE - hi))
        abort();
    if (!e.dirty_len)
        return;
    memcpy(shadow + lo, f->array + lo, hi - lo);
}

static void fuzz_read(struct pflash *f, uint64_t off, uint32_t len)
{
    uint8_t buf[8];
    pflash_read(f, off, buf, len);
    if (!pflash_romd(f))
        return;
    for (uint32_t i = 0; i < len; i++)
        if (buf[i] != (off + i < FUZZ_SIZE ? f->array[off + i] : 0xff))
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *array = malloc(FUZZ_SIZE), *shadow = malloc(FUZZ_SIZE);
    struct pflash f;
    if (!array || !shadow)
        abort();
    for (size_t i = 0; i < FUZZ_SIZE; i++)
        array[i] = (uint8_t)(i * 13);
    memcpy(shadow, array, FUZZ_SIZE);
    if (pflash_init(&f, array, FUZZ_SIZE, PFLASH_BLOCK_SIZE))
        abort();
    for (size_t i = 0; i + 4 <= size; i += 4) {
        const uint8_t *r = data + i;
        uint32_t len = 1u << ((r[0] >> 1) & 3);
        uint64_t off = ((uint64_t)r[1] | (uint64_t)r[2] << 8) % FUZZ_SIZE;
        if (r[0] & 8)
            off += FUZZ_SIZE - 4; /* near or past the end */
        if (r[0] & 1) {
            uint8_t val[8];
            for (uint32_t k = 0; k < 8; k++)
                val[k] = (uint8_t)(r[3] + k);
            fuzz_write(&f, shadow, off, val, len);
        } else {
            fuzz_read(&f, off, len);
        }
    }
    free(array);
    free(shadow);
    return 0;
}
