/* i8042: the PC keyboard controller at ports 0x60/0x64, for two things a
 * guest without ACPI needs: a reset line (command 0xFE, or output port bit 0
 * cleared through 0xD1) that ends the VM with the "rebooted" status, and a
 * keyboard on IRQ 1 through which the VMM can press Ctrl-Alt-Del (SIGTERM
 * presses the ACPI power button instead, see acpi_pm.h).  The keyboard answers the commands Linux's
 * atkbd sends at probe time; there is no mouse (the AUX port fails its
 * tests, so Linux skips it without waiting for a timeout). */
#ifndef CORRAL_I8042_H
#define CORRAL_I8042_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define I8042_DATA_PORT    0x60
#define I8042_COMMAND_PORT 0x64
#define I8042_KBD_IRQ      1
#define I8042_QUEUE        16

struct i8042 {
    pthread_mutex_t lock;
    uint8_t ctr;          /* controller configuration ("command byte") */
    uint8_t pending_cmd;  /* controller command waiting for its data byte */
    uint8_t pending_kbd;  /* keyboard command waiting for its parameter */
    uint8_t queue[I8042_QUEUE]; /* bytes for the guest to read at 0x60 */
    size_t q_head, q_count;
    int irq_level;
    void (*irq)(void *ctx, int level);
    void (*reset)(void *ctx); /* the guest pulled the reset line */
    void *ctx;
};

void i8042_init(struct i8042 *k, void (*irq)(void *, int),
                void (*reset)(void *), void *ctx);
/* bus handlers: port 0x60 (data) and port 0x64 (status/command) */
void i8042_data_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
                   bool is_write);
void i8042_command_io(void *opaque, uint64_t offset, uint8_t *data,
                      uint32_t len, bool is_write);
/* Press and release Ctrl-Alt-Del (scan code set 1, as translated). */
void i8042_ctrl_alt_del(struct i8042 *k);
/* The status register as the guest reads it (for tests). */
uint8_t i8042_status(struct i8042 *k);

/* The i8042 wired to the board, for the device table (devices.h). */
struct device_desc;
extern const struct device_desc i8042_device;

#endif
