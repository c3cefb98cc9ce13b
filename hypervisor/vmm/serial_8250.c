/* serial_8250: 16550A UART registers (see serial_8250.h). */
#include "serial_8250.h"

#include <stdlib.h>
#include <string.h>

#include "devices.h"

enum { UART_RBR_THR, UART_IER, UART_IIR_FCR, UART_LCR, UART_MCR, UART_LSR,
       UART_MSR, UART_SCR };

#define IER_RDI        0x01 /* received data available */
#define IER_THRI       0x02 /* transmitter holding register empty */
#define IER_MSI        0x08 /* modem status */
#define IIR_NONE       0x01
#define IIR_MSI        0x00
#define IIR_THRI       0x02
#define IIR_RDI        0x04
#define IIR_FIFO_ON    0xc0
#define FCR_FIFO_EN    0x01
#define FCR_CLEAR_RX   0x02
#define LCR_DLAB       0x80
#define MCR_LOOP       0x10
#define LSR_DR         0x01
#define LSR_THRE       0x20
#define LSR_TEMT       0x40
#define MSR_CTS_DSR_DCD 0xb0 /* a cable with the other end present */

void serial_8250_init(struct serial_8250 *s, void (*tx)(void *, uint8_t),
                      void (*irq)(void *, int), void *ctx)
{
    memset(s, 0, sizeof(*s));
    pthread_mutex_init(&s->lock, NULL);
    s->lsr = LSR_THRE | LSR_TEMT;
    s->msr = MSR_CTS_DSR_DCD;
    s->mcr = 0x08; /* OUT2 */
    s->tx = tx;
    s->irq = irq;
    s->ctx = ctx;
}

/* Highest-priority pending interrupt, as IIR reports it. */
static uint8_t serial_pending(const struct serial_8250 *s)
{
    if ((s->ier & IER_RDI) && s->rx_count)
        return IIR_RDI;
    if ((s->ier & IER_THRI) && s->thre_pending)
        return IIR_THRI;
    return IIR_NONE;
}

/* Caller holds the lock; the callback only does an ioctl. */
static void serial_update_irq(struct serial_8250 *s)
{
    int level = serial_pending(s) != IIR_NONE;
    if (level != s->irq_level) {
        s->irq_level = level;
        if (s->irq)
            s->irq(s->ctx, level);
    }
}

/* In loopback mode MSR reflects MCR: DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD. */
static uint8_t serial_msr(const struct serial_8250 *s)
{
    if (!(s->mcr & MCR_LOOP))
        return s->msr;
    return (uint8_t)(((s->mcr & 0x01) << 5) | ((s->mcr & 0x02) << 3) |
                     ((s->mcr & 0x04) << 4) | ((s->mcr & 0x08) << 4));
}

static void serial_push_rx(struct serial_8250 *s, uint8_t byte)
{
    if (s->rx_count == SERIAL_RX_FIFO)
        return; /* overrun: the byte is lost, as on hardware */
    s->rx[(s->rx_head + s->rx_count) % SERIAL_RX_FIFO] = byte;
    s->rx_count++;
    s->lsr |= LSR_DR;
}

static uint8_t serial_pop_rx(struct serial_8250 *s)
{
    if (!s->rx_count)
        return 0;
    uint8_t byte = s->rx[s->rx_head];
    s->rx_head = (s->rx_head + 1) % SERIAL_RX_FIFO;
    if (--s->rx_count == 0)
        s->lsr &= (uint8_t)~LSR_DR;
    return byte;
}

/* Caller holds the lock. */
static void serial_unblock_tx(struct serial_8250 *s)
{
    if (!s->tx_blocked || (s->tx_ready && !s->tx_ready(s->ctx)))
        return;
    s->tx_blocked = false;
    s->lsr |= LSR_THRE | LSR_TEMT;
    s->thre_pending = true;
}

static void serial_transmit(struct serial_8250 *s, uint8_t byte)
{
    if (s->mcr & MCR_LOOP)
        serial_push_rx(s, byte);
    else if (s->tx)
        s->tx(s->ctx, byte);
    if (!(s->mcr & MCR_LOOP) && s->tx_ready && !s->tx_ready(s->ctx)) {
        /* the backend is full: THR "still busy" until it drains */
        s->tx_blocked = true;
        s->lsr &= (uint8_t)~(LSR_THRE | LSR_TEMT);
        s->thre_pending = false;
        return;
    }
    s->thre_pending = true;
}

static uint8_t serial_read_reg(struct serial_8250 *s, uint64_t reg)
{
    bool dlab = s->lcr & LCR_DLAB;
    switch (reg) {
    case UART_RBR_THR: return dlab ? s->dll : serial_pop_rx(s);
    case UART_IER:     return dlab ? s->dlm : s->ier;
    case UART_IIR_FCR: {
        uint8_t iir = serial_pending(s);
        if (iir == IIR_THRI) /* reading IIR acknowledges THR empty */
            s->thre_pending = false;
        return iir | ((s->fcr & FCR_FIFO_EN) ? IIR_FIFO_ON : 0);
    }
    case UART_LCR:     return s->lcr;
    case UART_MCR:     return s->mcr;
    case UART_LSR:     serial_unblock_tx(s); return s->lsr;
    case UART_MSR:     return serial_msr(s);
    default:           return s->scr;
    }
}

static void serial_write_reg(struct serial_8250 *s, uint64_t reg, uint8_t v)
{
    bool dlab = s->lcr & LCR_DLAB;
    switch (reg) {
    case UART_RBR_THR:
        if (dlab)
            s->dll = v;
        else
            serial_transmit(s, v);
        break;
    case UART_IER:
        if (dlab) {
            s->dlm = v;
        } else {
            /* enabling THRI while THR is empty raises the interrupt */
            if ((v & IER_THRI) && !(s->ier & IER_THRI) && (s->lsr & LSR_THRE))
                s->thre_pending = true;
            s->ier = v & 0x0f;
        }
        break;
    case UART_IIR_FCR:
        s->fcr = v & 0xc9;
        if (v & FCR_CLEAR_RX) {
            s->rx_count = 0;
            s->lsr &= (uint8_t)~LSR_DR;
        }
        break;
    case UART_LCR: s->lcr = v; break;
    case UART_MCR: s->mcr = v & 0x1f; break;
    case UART_LSR: break; /* read-only */
    case UART_MSR: break;
    default:       s->scr = v; break;
    }
}

void serial_8250_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
                    bool is_write)
{
    struct serial_8250 *s = opaque;
    pthread_mutex_lock(&s->lock);
    if (is_write)
        serial_write_reg(s, offset, data[0]);
    else
        data[0] = serial_read_reg(s, offset);
    for (uint32_t i = 1; i < len && !is_write; i++)
        data[i] = 0;
    serial_update_irq(s);
    pthread_mutex_unlock(&s->lock);
}

size_t serial_8250_receive(struct serial_8250 *s, const uint8_t *buf, size_t len)
{
    size_t n = 0;
    pthread_mutex_lock(&s->lock);
    while (n < len && s->rx_count < SERIAL_RX_FIFO)
        serial_push_rx(s, buf[n++]);
    serial_update_irq(s);
    pthread_mutex_unlock(&s->lock);
    return n;
}

size_t serial_8250_rx_space(struct serial_8250 *s)
{
    pthread_mutex_lock(&s->lock);
    size_t space = SERIAL_RX_FIFO - s->rx_count;
    pthread_mutex_unlock(&s->lock);
    return space;
}

void serial_8250_set_tx_ready(struct serial_8250 *s, bool (*tx_ready)(void *))
{
    pthread_mutex_lock(&s->lock);
    s->tx_ready = tx_ready;
    pthread_mutex_unlock(&s->lock);
}

void serial_8250_tx_resume(struct serial_8250 *s)
{
    pthread_mutex_lock(&s->lock);
    serial_unblock_tx(s);
    serial_update_irq(s);
    pthread_mutex_unlock(&s->lock);
}

/* ---- COM1 on the board (devices.h) ----------------------------------------- */

static void com1_tx(void *ctx, uint8_t byte)
{
    struct board *b = ctx;
    if (!b->console_started) { /* under the UART lock: no race */
        b->console_started = true;
        vm_log(&b->vm, "guest: first byte on the serial console");
    }
    console_tx(&b->console, byte);
}

static bool com1_tx_ready(void *ctx)
{
    struct board *b = ctx;
    return console_tx_ready(&b->console);
}

static void com1_irq(void *ctx, int level)
{
    struct board *b = ctx;
    vm_irq_line(&b->vm, SERIAL_COM1_IRQ, level);
}

/* The console backend is open already: the UART feeds it and it feeds
 * the UART. */
static int com1_add(struct board *b, const struct vmdef *def, size_t index,
                    void **dev)
{
    struct serial_8250 *s = board_alloc_device(dev, sizeof(*s), "COM1");
    if (!s)
        return VM_EXIT_ERROR;
    serial_8250_init(s, com1_tx, com1_irq, b);
    serial_8250_set_tx_ready(s, com1_tx_ready);
    b->console.uart = s;
    return 0;
}

const struct device_desc serial_8250_device = {
    .name = "COM1",
    .add = com1_add,
    .ranges = { { BUS_PIO, SERIAL_COM1_PORT, SERIAL_PORTS, serial_8250_io, "COM1" } },
    .destroy = free,
};
