/* serial_8250: a 16550A UART (COM1 at 0x3f8, IRQ 4), the guest's console.
 *
 * Device logic only: bytes the guest transmits go to a tx callback (the
 * console backend in console.c), bytes typed by the user come in through
 * serial_8250_receive().  Interrupts (received data, THR empty, modem
 * status) are reported as a line level through irq(); the IOAPIC pin is
 * edge-triggered for ISA, so every rise is an interrupt.  Transmission is
 * instantaneous - THR is empty again by the time the guest looks - unless
 * the backend says it cannot take more (tx_ready, see
 * serial_8250_set_tx_ready): then THRE stays clear, so the guest waits,
 * until the backend calls serial_8250_tx_resume() or a read of LSR finds
 * it ready again. */
#ifndef CORRAL_SERIAL_8250_H
#define CORRAL_SERIAL_8250_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SERIAL_COM1_PORT 0x3f8
#define SERIAL_COM1_IRQ  4
#define SERIAL_PORTS     8
#define SERIAL_RX_FIFO   64

struct serial_8250 {
    pthread_mutex_t lock;
    uint8_t ier, lcr, mcr, lsr, msr, scr, dll, dlm, fcr;
    bool thre_pending;       /* THR-empty interrupt not yet acknowledged */
    bool tx_blocked;         /* the backend was full: THRE held clear */
    uint8_t rx[SERIAL_RX_FIFO];
    size_t rx_head, rx_count;
    int irq_level;
    void (*tx)(void *ctx, uint8_t byte);
    void (*irq)(void *ctx, int level);
    bool (*tx_ready)(void *ctx); /* NULL: always ready */
    void *ctx;
};

void serial_8250_init(struct serial_8250 *s, void (*tx)(void *, uint8_t),
                      void (*irq)(void *, int), void *ctx);
/* bus handler for the 8 registers */
void serial_8250_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
                    bool is_write);
/* Queue input bytes; returns how many fit in the receive FIFO. */
size_t serial_8250_receive(struct serial_8250 *s, const uint8_t *buf, size_t len);
size_t serial_8250_rx_space(struct serial_8250 *s);
/* Backpressure from the backend: tx_ready(ctx) is asked (under the UART's
 * lock) after each byte the guest sends. */
void serial_8250_set_tx_ready(struct serial_8250 *s, bool (*tx_ready)(void *));
/* The backend has room again: THRE comes back (with its interrupt). */
void serial_8250_tx_resume(struct serial_8250 *s);

/* COM1 wired to the console, for the device table (devices.h). */
struct device_desc;
extern const struct device_desc serial_8250_device;

#endif
