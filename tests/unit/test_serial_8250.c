/* serial_8250: transmit, receive FIFO, interrupt levels, DLAB, loopback. */
#include "check.h"
#include "../../hypervisor/vmm/serial_8250.h"

struct sink { uint8_t out[64]; size_t n; int level; int edges; };

static void sink_tx(void *ctx, uint8_t b)
{
    struct sink *s = ctx;
    if (s->n < sizeof(s->out))
        s->out[s->n++] = b;
}

static void sink_irq(void *ctx, int level)
{
    struct sink *s = ctx;
    if (level && !s->level)
        s->edges++;
    s->level = level;
}

static uint8_t rd(struct serial_8250 *u, unsigned reg)
{
    uint8_t b = 0;
    serial_8250_io(u, reg, &b, 1, false);
    return b;
}

static void wr(struct serial_8250 *u, unsigned reg, uint8_t v)
{
    serial_8250_io(u, reg, &v, 1, true);
}

static void test_transmit_and_thre_interrupt(void)
{
    struct sink s = { 0 };
    struct serial_8250 u;
    serial_8250_init(&u, sink_tx, sink_irq, &s);
    CHECK_EQ_INT(rd(&u, 5) & 0x60, 0x60); /* THRE | TEMT */
    CHECK_EQ_INT(rd(&u, 2) & 0x0f, 0x01); /* no interrupt */
    wr(&u, 0, 'h');
    wr(&u, 0, 'i');
    CHECK_EQ_INT(s.n, 2);
    CHECK_EQ_INT(s.out[1], 'i');
    CHECK_EQ_INT(s.level, 0);             /* THRI not enabled */
    wr(&u, 1, 0x02);                      /* enable THRI: fires at once */
    CHECK_EQ_INT(s.level, 1);
    CHECK_EQ_INT(rd(&u, 2) & 0x0f, 0x02); /* IIR says THRE, acknowledges */
    CHECK_EQ_INT(s.level, 0);
    CHECK_EQ_INT(rd(&u, 2) & 0x0f, 0x01);
    wr(&u, 0, '!');                       /* next byte: next interrupt */
    CHECK_EQ_INT(s.level, 1);
    CHECK_EQ_INT(s.edges, 2);
}

static void test_receive(void)
{
    struct sink s = { 0 };
    struct serial_8250 u;
    uint8_t in[100];
    for (int i = 0; i < 100; i++)
        in[i] = (uint8_t)i;
    serial_8250_init(&u, sink_tx, sink_irq, &s);
    wr(&u, 1, 0x01); /* RDI */
    CHECK_EQ_INT(serial_8250_receive(&u, in, 100), SERIAL_RX_FIFO);
    CHECK_EQ_INT(serial_8250_rx_space(&u), 0);
    CHECK_EQ_INT(s.level, 1);
    CHECK_EQ_INT(rd(&u, 2) & 0x0f, 0x04);
    CHECK_EQ_INT(rd(&u, 5) & 1, 1);
    for (int i = 0; i < SERIAL_RX_FIFO; i++)
        CHECK_EQ_INT(rd(&u, 0), i);
    CHECK_EQ_INT(rd(&u, 5) & 1, 0);
    CHECK_EQ_INT(s.level, 0);
    CHECK_EQ_INT(rd(&u, 0), 0); /* empty FIFO reads 0 */
    serial_8250_receive(&u, in, 3);
    wr(&u, 2, 0x03); /* FIFO enable + clear RX */
    CHECK_EQ_INT(rd(&u, 5) & 1, 0);
    CHECK_EQ_INT(rd(&u, 2) & 0xc0, 0xc0); /* FIFOs on: a 16550A */
}

static void test_dlab_scratch_loopback(void)
{
    struct sink s = { 0 };
    struct serial_8250 u;
    serial_8250_init(&u, sink_tx, sink_irq, &s);
    wr(&u, 3, 0x80); /* DLAB */
    wr(&u, 0, 0x01);
    wr(&u, 1, 0x00);
    CHECK_EQ_INT(rd(&u, 0), 0x01);
    CHECK_EQ_INT(s.n, 0); /* divisor writes are not data */
    wr(&u, 3, 0x03);
    CHECK_EQ_INT(rd(&u, 1), 0); /* IER untouched */
    wr(&u, 7, 0xa5);
    CHECK_EQ_INT(rd(&u, 7), 0xa5);
    wr(&u, 4, 0x10 | 0x0a); /* loopback, RTS, OUT2: Linux's probe */
    CHECK_EQ_INT(rd(&u, 6) & 0xf0, 0x90);
    wr(&u, 0, 'x'); /* looped back into RX */
    CHECK_EQ_INT(s.n, 0);
    CHECK_EQ_INT(rd(&u, 0), 'x');
    wr(&u, 4, 0x08);
    CHECK_EQ_INT(rd(&u, 6), 0xb0);
}

/* THRE clear while the backend has no room; a read of LSR or a resume
 * brings it back with its interrupt. */
struct uart_sink { bool room; int sent; int level; };
static void u_tx(void *ctx, uint8_t b) { (void)b; ((struct uart_sink *)ctx)->sent++; }
static void u_irq(void *ctx, int level) { ((struct uart_sink *)ctx)->level = level; }
static bool u_ready(void *ctx) { return ((struct uart_sink *)ctx)->room; }

static void test_uart_backpressure(void)
{
    struct uart_sink s = { .room = true };
    struct serial_8250 u;
    serial_8250_init(&u, u_tx, u_irq, &s);
    serial_8250_set_tx_ready(&u, u_ready);
    wr(&u, 1, 0x02); /* THRI */
    rd(&u, 2);       /* acknowledge the first THRE interrupt */
    wr(&u, 0, 'a');
    CHECK_EQ_INT(rd(&u, 5) & 0x60, 0x60);
    rd(&u, 2);
    s.room = false;
    wr(&u, 0, 'b');
    CHECK_EQ_INT(s.sent, 2);
    CHECK_EQ_INT(rd(&u, 5) & 0x60, 0); /* THR busy: the guest waits */
    CHECK_EQ_INT(s.level, 0);          /* and gets no THRE interrupt */
    serial_8250_tx_resume(&u);         /* still no room: nothing changes */
    CHECK_EQ_INT(s.level, 0);
    s.room = true;
    serial_8250_tx_resume(&u);
    CHECK_EQ_INT(s.level, 1);
    CHECK_EQ_INT(rd(&u, 5) & 0x60, 0x60);
    CHECK_EQ_INT(rd(&u, 2) & 0x0f, 0x02); /* THRI pending */
    /* a polling guest (no interrupts) sees THRE come back on its own */
    s.room = false;
    wr(&u, 0, 'c');
    CHECK_EQ_INT(rd(&u, 5) & 0x20, 0);
    s.room = true;
    CHECK_EQ_INT(rd(&u, 5) & 0x20, 0x20);
}

int main(void)
{
    RUN(test_transmit_and_thre_interrupt);
    RUN(test_receive);
    RUN(test_dlab_scratch_loopback);
    RUN(test_uart_backpressure);
    return check_summary("serial_8250");
}
