/* libFuzzer target for the i8042 with its keyboard and mouse: the guest's
 * port accesses (commands and data at 0x64/0x60, any order, any values)
 * interleaved with keys and mouse motion from the remote console.
 *
 * Input: records of 4 bytes {u8 kind, u8 a, u8 b, u8 c}:
 *   kind % 6: 0 write a to 0x60, 1 read 0x60, 2 write a to 0x64,
 *             3 read 0x64, 4 key qnum a | (b & 1) << 8 (0x100 and above
 *             are not keys), down = c & 1,
 *             5 mouse motion dx = (int8_t)a * 8, dy = (int8_t)b * 8,
 *               dz = (int8_t)c >> 6, buttons = c & 7
 * Invariants checked: status bit 5 never without bit 0, and the reset
 * line is the only way out. */
#include "../../hypervisor/vmm/i8042.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_irq(void *ctx, unsigned irq, int level)
{
    if (irq != I8042_KBD_IRQ && irq != I8042_AUX_IRQ)
        abort();
    (void)ctx, (void)level;
}

static void fuzz_reset(void *ctx)
{
    (void)ctx;
}

static void fuzz_record(struct i8042 *k, const uint8_t *r)
{
    uint8_t v = r[1];
    switch (r[0] % 6) {
    case 0: i8042_data_io(k, 0, &v, 1, true); break;
    case 1: i8042_data_io(k, 0, &v, 1, false); break;
    case 2: i8042_command_io(k, 0, &v, 1, true); break;
    case 3:
        i8042_command_io(k, 0, &v, 1, false);
        if ((v & 0x20) && !(v & 0x01))
            abort(); /* mouse data flagged in an empty buffer */
        break;
    case 4: i8042_key(k, (uint16_t)(r[1] | (r[2] & 1) << 8), r[3] & 1); break;
    default:
        i8042_mouse_move(k, (int8_t)r[1] * 8, (int8_t)r[2] * 8,
                         (int8_t)r[3] >> 6, r[3] & 7u);
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct i8042 *k = malloc(sizeof(*k));
    if (!k)
        abort();
    i8042_init(k, fuzz_irq, fuzz_reset, NULL);
    for (size_t i = 0; i + 4 <= size; i += 4)
        fuzz_record(k, data + i);
    pthread_mutex_destroy(&k->lock);
    free(k);
    return 0;
}
