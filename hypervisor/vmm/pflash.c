/* pflash: the Intel/Sharp command set over a byte array (see pflash.h). */
#include "pflash.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static bool is_power_of_two(uint64_t v)
{
    return v && !(v & (v - 1));
}

static unsigned log2_ceil(uint64_t v)
{
    unsigned n = 0;
    while ((1ULL << n) < v && n < 63)
        n++;
    return n;
}

/* The CFI query table (JESD68): "QRY", the Intel/Sharp command set, no
 * buffered write, one region of uniform erase blocks. */
static void pflash_fill_cfi(struct pflash *f)
{
    uint8_t *t = f->cfi;
    uint64_t blocks = f->size / f->block_size;
    memset(t, 0, sizeof(f->cfi));
    t[0x10] = 'Q';
    t[0x11] = 'R';
    t[0x12] = 'Y';
    t[0x13] = 0x01; /* primary command set: Intel/Sharp extended */
    t[0x1b] = 0x45; /* Vcc min 4.5 V */
    t[0x1c] = 0x55; /* Vcc max 5.5 V */
    t[0x1f] = 0x07; /* typical byte program: 2^7 us */
    t[0x21] = 0x0a; /* typical block erase: 2^10 ms */
    t[0x23] = 0x04; /* max byte program: 2^4 times typical */
    t[0x25] = 0x04; /* max block erase: 2^4 times typical */
    t[0x27] = (uint8_t)log2_ceil(f->size); /* device size: 2^n bytes */
    t[0x28] = 0x00; /* interface: x8 only */
    t[0x2c] = 0x01; /* one erase block region */
    t[0x2d] = (uint8_t)(blocks - 1);
    t[0x2e] = (uint8_t)((blocks - 1) >> 8);
    t[0x2f] = (uint8_t)(f->block_size >> 8);
    t[0x30] = (uint8_t)(f->block_size >> 16);
}

int pflash_init(struct pflash *f, uint8_t *array, uint64_t size,
                uint32_t block_size)
{
    if (!is_power_of_two(block_size) || block_size < 256 || !size ||
        size % block_size || size / block_size > 0x10000)
        return -EINVAL;
    memset(f, 0, sizeof(*f));
    f->array = array;
    f->size = size;
    f->block_size = block_size;
    f->mode = PFLASH_MODE_ARRAY;
    pflash_fill_cfi(f);
    return 0;
}

bool pflash_romd(const struct pflash *f)
{
    return f->mode == PFLASH_MODE_ARRAY;
}

static uint8_t pflash_read_byte(const struct pflash *f, uint64_t off)
{
    switch (f->mode) {
    case PFLASH_MODE_STATUS:
        return f->status;
    case PFLASH_MODE_ID:
        /* per block: 0 manufacturer, 1 device, 2 lock state (unlocked) */
        switch (off & (f->block_size - 1)) {
        case 0: return PFLASH_ID_MANUFACTURER;
        case 1: return PFLASH_ID_DEVICE;
        default: return 0;
        }
    case PFLASH_MODE_CFI:
        return (off & 0xff) < PFLASH_CFI_TABLE_LEN ? f->cfi[off & 0xff] : 0;
    case PFLASH_MODE_ARRAY:
    default:
        return off < f->size ? f->array[off] : 0xff;
    }
}

void pflash_read(struct pflash *f, uint64_t off, uint8_t *data, uint32_t len)
{
    for (uint32_t i = 0; i < len; i++) {
        uint64_t at = off + i;
        data[i] = at < off || at >= f->size ? 0xff : pflash_read_byte(f, at);
    }
}

static void pflash_set_mode(struct pflash *f, enum pflash_mode mode,
                            struct pflash_effect *e)
{
    if ((mode == PFLASH_MODE_ARRAY) != pflash_romd(f))
        e->romd_changed = true;
    if (mode == PFLASH_MODE_ARRAY && f->mode != PFLASH_MODE_ARRAY)
        e->sync = true; /* the end of a sequence: OVMF's 0xff after programs */
    f->mode = mode;
}

static void pflash_program(struct pflash *f, uint64_t off, const uint8_t *data,
                           uint32_t len, struct pflash_effect *e)
{
    memcpy(f->array + off, data, len);
    e->dirty_off = off;
    e->dirty_len = len;
    f->status |= PFLASH_STATUS_READY;
}

static void pflash_erase(struct pflash *f, uint64_t off, struct pflash_effect *e)
{
    uint64_t block = off & ~(uint64_t)(f->block_size - 1);
    memset(f->array + block, 0xff, f->block_size);
    e->dirty_off = block;
    e->dirty_len = f->block_size;
    e->sync = true;
    f->status |= PFLASH_STATUS_READY;
}

/* The second bus cycle of a two-cycle command. */
static void pflash_second_cycle(struct pflash *f, uint64_t off, const uint8_t *data,
                                uint32_t len, struct pflash_effect *e)
{
    uint8_t first = f->pending;
    f->pending = 0;
    switch (first) {
    case PFLASH_CMD_PROGRAM:
    case PFLASH_CMD_PROGRAM_ALT:
        pflash_program(f, off, data, len, e);
        break;
    case PFLASH_CMD_ERASE:
        if (data[0] == PFLASH_CMD_ERASE_CONFIRM)
            pflash_erase(f, off, e);
        else if (data[0] == PFLASH_CMD_READ_ARRAY)
            pflash_set_mode(f, PFLASH_MODE_ARRAY, e); /* aborted */
        else
            f->status |= PFLASH_STATUS_READY | PFLASH_STATUS_ERASE_ERROR |
                         PFLASH_STATUS_PROGRAM_ERROR; /* sequence error */
        break;
    default: /* PFLASH_CMD_LOCK_SETUP: nothing is ever locked */
        if (data[0] == PFLASH_CMD_READ_ARRAY)
            pflash_set_mode(f, PFLASH_MODE_ARRAY, e);
        else
            f->status |= PFLASH_STATUS_READY;
        break;
    }
}

static void pflash_command(struct pflash *f, uint8_t cmd, struct pflash_effect *e)
{
    switch (cmd) {
    case PFLASH_CMD_PROGRAM:
    case PFLASH_CMD_PROGRAM_ALT:
    case PFLASH_CMD_ERASE:
    case PFLASH_CMD_LOCK_SETUP:
        f->pending = cmd;
        pflash_set_mode(f, PFLASH_MODE_STATUS, e);
        break;
    case PFLASH_CMD_READ_STATUS:
        pflash_set_mode(f, PFLASH_MODE_STATUS, e);
        break;
    case PFLASH_CMD_CLEAR_STATUS:
        f->status = 0;
        pflash_set_mode(f, PFLASH_MODE_ARRAY, e);
        break;
    case PFLASH_CMD_READ_ID:
        pflash_set_mode(f, PFLASH_MODE_ID, e);
        break;
    case PFLASH_CMD_CFI_QUERY:
        pflash_set_mode(f, PFLASH_MODE_CFI, e);
        break;
    default: /* read array, its aliases, and unknown commands */
        pflash_set_mode(f, PFLASH_MODE_ARRAY, e);
        break;
    }
}

struct pflash_effect pflash_write(struct pflash *f, uint64_t off,
                                  const uint8_t *data, uint32_t len)
{
    struct pflash_effect e = { 0 };
    if (!len || len > 8 || off >= f->size || len > f->size - off)
        return e;
    if (f->pending)
        pflash_second_cycle(f, off, data, len, &e);
    else
        pflash_command(f, data[0], &e);
    return e;
}

int pflash_layout(uint64_t code_size, uint64_t vars_size,
                  struct pflash_layout *out, char *err, size_t errlen)
{
    uint64_t total = code_size + vars_size;
    if (!code_size || code_size % PFLASH_BLOCK_SIZE || !vars_size ||
        vars_size % PFLASH_BLOCK_SIZE) {
        snprintf(err, errlen, "the firmware code (%llu bytes) and variables "
                 "(%llu bytes) must each be a non-empty multiple of %u bytes",
                 (unsigned long long)code_size, (unsigned long long)vars_size,
                 PFLASH_BLOCK_SIZE);
        return -EINVAL;
    }
    if (total > PFLASH_TOTAL_MAX || !is_power_of_two(total)) {
        snprintf(err, errlen, "the firmware code (%llu KiB) and variables "
                 "(%llu KiB) do not make one OVMF build: together they must "
                 "be a power of two up to 8 MiB (OVMF_CODE_4M.fd goes with "
                 "OVMF_VARS_4M.fd)",
                 (unsigned long long)(code_size >> 10),
                 (unsigned long long)(vars_size >> 10));
        return -EINVAL;
    }
    out->code_base = PFLASH_TOP - code_size;
    out->vars_base = out->code_base - vars_size;
    return 0;
}
