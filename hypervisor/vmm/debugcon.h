/* debugcon: the firmware's log port (QEMU's "debugcon", port 0x402).
 *
 * SeaBIOS built for QEMU writes its debug log there, one byte per out,
 * after checking that reading the port gives 0xe9.  The log is not the
 * guest's console: it is how the VMM learns what the firmware is doing -
 * with -v it is printed, and a line such as "No bootable device." lets the
 * VMM end the VM with a status that says so.  Bytes are gathered into
 * lines (bounded; a longer line is cut), and each complete line goes to a
 * callback, without the newline and with non-printable bytes replaced. */
#ifndef CORRAL_DEBUGCON_H
#define CORRAL_DEBUGCON_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define DEBUGCON_PORT 0x402
#define DEBUGCON_READBACK 0xe9
#define DEBUGCON_LINE_MAX 160

typedef void (*debugcon_line_fn)(void *ctx, const char *line);

struct debugcon {
    pthread_mutex_t lock;
    char line[DEBUGCON_LINE_MAX + 1];
    unsigned len;
    debugcon_line_fn on_line;
    void *ctx;
};

void debugcon_init(struct debugcon *d, debugcon_line_fn on_line, void *ctx);
/* bus handler for port 0x402 */
void debugcon_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
                 bool is_write);

/* The firmware log on the board (firmware boot only), for the device table
 * (devices.h). */
struct device_desc;
extern const struct device_desc debugcon_device;

#endif
