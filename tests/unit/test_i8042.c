/* i8042: controller commands, reset line, the keyboard's scan code sets
 * and translation, its commands and queue, the PS/2 mouse on the AUX
 * port, Ctrl-Alt-Del. */
#include "check.h"
#include "../../hypervisor/vmm/i8042.h"
#include "../../hypervisor/vmm/input.h"

struct plat { int level[13], edges[13], resets, logs; };

static void p_irq(void *ctx, unsigned irq, int level)
{
    struct plat *p = ctx;
    if (irq > 12)
        return;
    if (level && !p->level[irq])
        p->edges[irq]++;
    p->level[irq] = level;
}

static void p_reset(void *ctx)
{
    ((struct plat *)ctx)->resets++;
}

static void p_log(void *ctx, const char *msg)
{
    (void)msg;
    ((struct plat *)ctx)->logs++;
}

static void cmd(struct i8042 *k, uint8_t c) { i8042_command_io(k, 0, &c, 1, true); }
static void data_w(struct i8042 *k, uint8_t v) { i8042_data_io(k, 0, &v, 1, true); }
static uint8_t data_r(struct i8042 *k) { uint8_t v; i8042_data_io(k, 0, &v, 1, false); return v; }
static uint8_t status(struct i8042 *k) { uint8_t v; i8042_command_io(k, 0, &v, 1, false); return v; }

static void setup(struct i8042 *k, struct plat *p)
{
    *p = (struct plat){ 0 };
    i8042_init(k, p_irq, p_reset, p);
    k->log = p_log;
}

/* Everything the guest can read now, into out; returns the count. */
static size_t drain(struct i8042 *k, uint8_t *out, size_t max)
{
    size_t n = 0;
    while ((status(k) & 1) && n < max)
        out[n++] = data_r(k);
    return n;
}

static void set_ctr(struct i8042 *k, uint8_t ctr)
{
    cmd(k, 0x60);
    data_w(k, ctr);
}

#define EXPECT_BYTES(k, ...)                                            \
    do {                                                                \
        static const uint8_t want_[] = { __VA_ARGS__ };                 \
        uint8_t got_[64];                                               \
        size_t n_ = drain(k, got_, sizeof(got_));                       \
        CHECK_EQ_INT(n_, sizeof(want_));                                \
        for (size_t i_ = 0; i_ < n_ && i_ < sizeof(want_); i_++)        \
            CHECK_EQ_INT(got_[i_], want_[i_]);                          \
    } while (0)

static void test_controller_commands(void)
{
    struct plat p;
    struct i8042 k;
    setup(&k, &p);
    CHECK_EQ_INT(status(&k) & 1, 0);
    cmd(&k, 0xaa);
    CHECK_EQ_INT(status(&k) & 1, 1);
    CHECK_EQ_INT(data_r(&k), 0x55);
    cmd(&k, 0x20);
    uint8_t ctr = data_r(&k);
    CHECK(ctr & 0x40); /* translation on */
    CHECK(ctr & 0x20); /* mouse off until the guest wants it */
    set_ctr(&k, 0x00); /* interrupts off */
    cmd(&k, 0x20);
    CHECK_EQ_INT(data_r(&k), 0x00);
    cmd(&k, 0xa7);
    cmd(&k, 0x20);
    CHECK_EQ_INT(data_r(&k), 0x20);
    cmd(&k, 0xa8);
    cmd(&k, 0x20);
    CHECK_EQ_INT(data_r(&k), 0x00);
    cmd(&k, 0xd3); /* AUX loop: the byte comes back as the mouse's */
    data_w(&k, 0x5a);
    CHECK_EQ_INT(status(&k) & 0x21, 0x21);
    CHECK_EQ_INT(data_r(&k), 0x5a);
    CHECK_EQ_INT(status(&k) & 0x21, 0);
    cmd(&k, 0xa9); /* AUX interface test: passed */
    CHECK_EQ_INT(data_r(&k), 0x00);
    cmd(&k, 0xab);
    CHECK_EQ_INT(data_r(&k), 0x00);
    CHECK_EQ_INT(p.resets, 0);
}

static void test_aux_loop_irq_and_disabled_port(void)
{
    struct plat p;
    struct i8042 k;
    setup(&k, &p);
    set_ctr(&k, 0x47 | 0x20); /* AUXINT on but the port disabled */
    cmd(&k, 0xd3); /* the controller writes its own buffer all the same */
    data_w(&k, 0xa5);
    CHECK_EQ_INT(p.level[12], 1);
    CHECK_EQ_INT(p.level[1], 0);
    CHECK_EQ_INT(data_r(&k), 0xa5);
    CHECK_EQ_INT(p.level[12], 0);
    /* the mouse's own bytes wait while the port is disabled */
    cmd(&k, 0xd4);
    data_w(&k, 0xf2);
    CHECK_EQ_INT(status(&k) & 1, 0);
    cmd(&k, 0xa8);
    CHECK_EQ_INT(p.level[12], 1);
    EXPECT_BYTES(&k, 0xfa, 0x00);
    CHECK_EQ_INT(p.edges[12], 3); /* one edge per byte */
}

static void test_reset_line(void)
{
    struct plat p;
    struct i8042 k;
    setup(&k, &p);
    cmd(&k, 0xfe);
    CHECK_EQ_INT(p.resets, 1);
    cmd(&k, 0xd1);
    data_w(&k, 0x03); /* bit 0 high: no reset */
    CHECK_EQ_INT(p.resets, 1);
    cmd(&k, 0xd1);
    data_w(&k, 0x02);
    CHECK_EQ_INT(p.resets, 2);
}

static void test_keyboard_and_ctrl_alt_del(void)
{
    struct plat p;
    struct i8042 k;
    setup(&k, &p);
    data_w(&k, 0xff); /* keyboard reset */
    EXPECT_BYTES(&k, 0xfa, 0xaa);
    data_w(&k, 0xf2); /* identify: 83 translates to 41 */
    EXPECT_BYTES(&k, 0xfa, 0xab, 0x41);
    data_w(&k, 0xed); /* LEDs + parameter: two ACKs */
    data_w(&k, 0x07);
    EXPECT_BYTES(&k, 0xfa, 0xfa);
    CHECK_EQ_INT(k.kbd.leds, 7);
    int edges = p.edges[1];
    i8042_ctrl_alt_del(&k);
    static const uint8_t seq[] = { 0x1d, 0x38, 0xe0, 0x53, 0xe0, 0xd3, 0xb8, 0x9d };
    for (size_t i = 0; i < sizeof(seq); i++) {
        CHECK_EQ_INT(p.level[1], 1);
        CHECK_EQ_INT(data_r(&k), seq[i]);
    }
    CHECK_EQ_INT(p.level[1], 0);
    CHECK_EQ_INT(p.edges[1] - edges, (int)sizeof(seq));
}

/* The controller's translation of a whole set 2 sequence. */
static size_t translate_seq(const uint8_t *in, size_t n, uint8_t *out)
{
    size_t m = 0;
    bool brk = false;
    for (size_t i = 0; i < n; i++) {
        if (in[i] == 0xf0) {
            brk = true;
            continue;
        }
        out[m++] = (uint8_t)(ps2_translate(in[i]) | (brk ? 0x80 : 0));
        brk = false;
    }
    return m;
}

/* The set 2 table and the controller's translation agree on every key:
 * translated set 2 is exactly set 1, press and release. */
static void test_set2_translates_to_set1_for_every_key(void)
{
    int keys = 0;
    for (unsigned q = 1; q <= 0xff; q++) {
        for (int down = 0; down <= 1; down++) {
            uint8_t s1[PS2_SCANCODE_MAX], s2[PS2_SCANCODE_MAX], t[PS2_SCANCODE_MAX];
            size_t n1 = ps2_scancode((uint16_t)q, down, 1, s1);
            size_t n2 = ps2_scancode((uint16_t)q, down, 2, s2);
            CHECK_EQ_INT(n1 == 0, n2 == 0);
            size_t nt = translate_seq(s2, n2, t);
            CHECK_EQ_INT(nt, n1);
            if (nt != n1 || memcmp(t, s1, n1)) {
                fprintf(stderr, "qnum 0x%02x %s differs\n", q, down ? "down" : "up");
                CHECK(0);
            }
            keys += down && n1;
        }
    }
    CHECK(keys >= 104 + 30); /* a full 105-key board and the extras */
    uint8_t b[PS2_SCANCODE_MAX];
    CHECK_EQ_INT(ps2_scancode(0x1e, true, 1, b), 1); /* A */
    CHECK_EQ_INT(b[0], 0x1e);
    CHECK_EQ_INT(ps2_scancode(0x1e, false, 2, b), 2);
    CHECK(b[0] == 0xf0 && b[1] == 0x1c);
    CHECK_EQ_INT(ps2_scancode(0xc8, false, 2, b), 3); /* Up */
    CHECK(b[0] == 0xe0 && b[1] == 0xf0 && b[2] == 0x75);
    CHECK_EQ_INT(ps2_scancode(0xb7, true, 2, b), 4); /* Print Screen */
    CHECK(b[0] == 0xe0 && b[1] == 0x12 && b[2] == 0xe0 && b[3] == 0x7c);
    CHECK_EQ_INT(ps2_scancode(0xc6, true, 2, b), 8); /* Pause */
    CHECK_EQ_INT(b[0], 0xe1);
    CHECK_EQ_INT(ps2_scancode(0xc6, false, 2, b), 0);
    CHECK_EQ_INT(ps2_scancode(0x55, true, 2, b), 0); /* no such key */
    CHECK_EQ_INT(ps2_scancode(0x1e, true, 3, b), 0);
}

static void test_scan_sets_through_the_controller(void)
{
    struct plat p;
    struct i8042 k;
    setup(&k, &p);
    data_w(&k, 0xf0); /* which set? 2, translated to 41 */
    data_w(&k, 0x00);
    EXPECT_BYTES(&k, 0xfa, 0xfa, 0x41);
    i8042_key(&k, 0xb7, true); /* Print Screen, translated */
    i8042_key(&k, 0xb7, false);
    EXPECT_BYTES(&k, 0xe0, 0x2a, 0xe0, 0x37, 0xe0, 0xb7, 0xe0, 0xaa);
    i8042_key(&k, 0xc6, true); /* Pause, translated */
    EXPECT_BYTES(&k, 0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5);

    set_ctr(&k, 0x07); /* translation off: raw set 2 */
    data_w(&k, 0xf2);
    EXPECT_BYTES(&k, 0xfa, 0xab, 0x83);
    i8042_key(&k, 0x9d, false); /* right Ctrl up */
    EXPECT_BYTES(&k, 0xe0, 0xf0, 0x14);

    data_w(&k, 0xf0); /* set 1, no translation (as some guests ask) */
    data_w(&k, 0x01);
    EXPECT_BYTES(&k, 0xfa, 0xfa);
    i8042_key(&k, 0x1e, true);
    i8042_key(&k, 0x1e, false);
    EXPECT_BYTES(&k, 0x1e, 0x9e);
    data_w(&k, 0xf0);
    data_w(&k, 0x00);
    EXPECT_BYTES(&k, 0xfa, 0xfa, 0x01);
    data_w(&k, 0xf0); /* set 3 is refused */
    data_w(&k, 0x03);
    EXPECT_BYTES(&k, 0xfa, 0xfe);
    CHECK_EQ_INT(k.kbd.scan_set, 1);
    data_w(&k, 0xff); /* reset: back to set 2 */
    EXPECT_BYTES(&k, 0xfa, 0xaa);
    i8042_key(&k, 0x1e, false);
    EXPECT_BYTES(&k, 0xf0, 0x1c);
}

static void test_keyboard_commands(void)
{
    struct plat p;
    struct i8042 k;
    setup(&k, &p);
    data_w(&k, 0xee);
    EXPECT_BYTES(&k, 0xee);
    data_w(&k, 0xf3);
    data_w(&k, 0x20);
    EXPECT_BYTES(&k, 0xfa, 0xfa);
    CHECK_EQ_INT(k.kbd.typematic, 0x20);
    data_w(&k, 0xfe); /* resend: the last byte again */
    EXPECT_BYTES(&k, 0xfa);
    data_w(&k, 0x42); /* no such command */
    EXPECT_BYTES(&k, 0xfe);
    data_w(&k, 0xf5); /* disabled: keys are not reported */
    EXPECT_BYTES(&k, 0xfa);
    i8042_key(&k, 0x1e, true);
    CHECK_EQ_INT(status(&k) & 1, 0);
    data_w(&k, 0xf4);
    EXPECT_BYTES(&k, 0xfa);
    i8042_key(&k, 0x1e, true);
    EXPECT_BYTES(&k, 0x1e);
    data_w(&k, 0xed); /* a command where the parameter was due */
    data_w(&k, 0xf2);
    EXPECT_BYTES(&k, 0xfa, 0xfa, 0xab, 0x41);
    cmd(&k, 0xad); /* keyboard disabled at the controller: keys wait */
    i8042_key(&k, 0x1f, true);
    CHECK_EQ_INT(status(&k) & 1, 0);
    cmd(&k, 0xae);
    EXPECT_BYTES(&k, 0x1f);
    cmd(&k, 0xd2); /* written by the controller, as keyboard data */
    data_w(&k, 0x99);
    EXPECT_BYTES(&k, 0x99);
}

/* A guest that does not read loses the newest keys, whole, with one log
 * line per run of losses; what it reads later still parses. */
static void test_full_queue_drops_whole_keys(void)
{
    struct plat p;
    struct i8042 k;
    setup(&k, &p);
    set_ctr(&k, 0x07); /* raw set 2: a break is 3 bytes for E0 keys */
    for (int i = 0; i < 200; i++) {
        i8042_key(&k, 0xc8, true);
        i8042_key(&k, 0xc8, false);
    }
    CHECK_EQ_INT(p.logs, 1);
    uint8_t got[PS2_QUEUE_SIZE + 8];
    size_t n = drain(&k, got, sizeof(got));
    CHECK(n > 200 && n <= PS2_QUEUE_SIZE + 1);
    size_t i = 0;
    while (i < n) { /* E0 75 or E0 F0 75, never cut */
        CHECK_EQ_INT(got[i], 0xe0);
        if (i + 1 < n && got[i + 1] == 0xf0)
            i++;
        CHECK(i + 1 < n && got[i + 1] == 0x75);
        i += 2;
    }
    i8042_key(&k, 0x1e, true); /* room again: delivered, no new log */
    EXPECT_BYTES(&k, 0x1c);
    CHECK_EQ_INT(p.logs, 1);
}

static void aux(struct i8042 *k, uint8_t byte)
{
    cmd(k, 0xd4);
    data_w(k, byte);
}

/* Linux's psmouse: reset, the IntelliMouse knock, ID 3, then 4-byte
 * packets with y upwards and the wheel. */
static void test_mouse_intellimouse_and_packets(void)
{
    struct plat p;
    struct i8042 k;
    setup(&k, &p);
    set_ctr(&k, 0x47); /* both interrupts, both ports on, translation */
    aux(&k, 0xff);
    CHECK_EQ_INT(status(&k) & 0x21, 0x21);
    CHECK_EQ_INT(p.level[12], 1);
    CHECK_EQ_INT(p.level[1], 0);
    EXPECT_BYTES(&k, 0xfa, 0xaa, 0x00);
    aux(&k, 0xf2);
    EXPECT_BYTES(&k, 0xfa, 0x00);
    static const uint8_t knock[] = { 200, 100, 80 };
    for (int i = 0; i < 3; i++) {
        aux(&k, 0xf3);
        aux(&k, knock[i]);
        EXPECT_BYTES(&k, 0xfa, 0xfa);
    }
    aux(&k, 0xf2);
    EXPECT_BYTES(&k, 0xfa, 0x03);
    i8042_mouse_move(&k, 5, 5, 0, 0); /* not reporting yet: nothing */
    CHECK_EQ_INT(status(&k) & 1, 0);
    aux(&k, 0xf4);
    EXPECT_BYTES(&k, 0xfa);
    i8042_mouse_move(&k, 3, 4, 1, INPUT_BUTTON_LEFT | INPUT_BUTTON_MIDDLE);
    /* left 1 + middle 4, always-1 bit, y sign (4 down is -4) */
    EXPECT_BYTES(&k, 0x08 | 0x05 | 0x20, 3, 0xfc, 1);
    i8042_mouse_move(&k, 600, 0, 0, INPUT_BUTTON_RIGHT); /* split in 3 */
    EXPECT_BYTES(&k, 0x0a, 255, 0, 0, 0x0a, 255, 0, 0, 0x0a, 90, 0, 0);
    i8042_mouse_move(&k, -300, 0, -1, 0);
    EXPECT_BYTES(&k, 0x18, 0x00, 0, 0xff, 0x18, 0xd4, 0, 0);
    i8042_mouse_move(&k, 0, 0, 0, 0); /* nothing changed: no packet */
    CHECK_EQ_INT(status(&k) & 1, 0);
    /* keyboard and mouse data interleave with the right status bits */
    i8042_key(&k, 0x1e, true);
    i8042_mouse_move(&k, 1, 0, 0, 0);
    CHECK_EQ_INT(status(&k) & 0x21, 0x01);
    CHECK_EQ_INT(data_r(&k), 0x1e);
    CHECK_EQ_INT(status(&k) & 0x21, 0x21);
    EXPECT_BYTES(&k, 0x08, 1, 0, 0);
}

static void test_mouse_commands(void)
{
    struct plat p;
    struct i8042 k;
    setup(&k, &p);
    cmd(&k, 0xa8);
    aux(&k, 0xe8);
    aux(&k, 0x03);
    aux(&k, 0xe7);
    aux(&k, 0xf3);
    aux(&k, 40);
    EXPECT_BYTES(&k, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa);
    aux(&k, 0xe9); /* status: stream, disabled, 2:1, res 3, 40/s */
    EXPECT_BYTES(&k, 0xfa, 0x10, 0x03, 40);
    aux(&k, 0xe6);
    aux(&k, 0xf0); /* remote mode: motion waits for EB */
    aux(&k, 0xf4);
    EXPECT_BYTES(&k, 0xfa, 0xfa, 0xfa);
    i8042_mouse_move(&k, 10, -20, 0, INPUT_BUTTON_LEFT);
    CHECK_EQ_INT(status(&k) & 1, 0);
    aux(&k, 0xe9);
    EXPECT_BYTES(&k, 0xfa, 0x64, 0x03, 40); /* remote, enabled, left */
    aux(&k, 0xeb);
    EXPECT_BYTES(&k, 0xfa, 0x09, 10, 20);
    aux(&k, 0xeb); /* the motion was reported once */
    EXPECT_BYTES(&k, 0xfa, 0x09, 0, 0);
    aux(&k, 0xea);
    aux(&k, 0xee); /* wrap: echoes */
    aux(&k, 0x12);
    aux(&k, 0xf2);
    aux(&k, 0xec);
    EXPECT_BYTES(&k, 0xfa, 0xfa, 0x12, 0xf2, 0xfa);
    aux(&k, 0xfe); /* resend */
    EXPECT_BYTES(&k, 0xfa);
    aux(&k, 0x77);
    EXPECT_BYTES(&k, 0xfe);
    aux(&k, 0xf6); /* defaults: stream, disabled, 100/s, resolution 2 */
    aux(&k, 0xe9); /* (left still held) */
    EXPECT_BYTES(&k, 0xfa, 0xfa, 0x04, 0x02, 100);
}

static void test_mouse_queue_full_logged_once(void)
{
    struct plat p;
    struct i8042 k;
    setup(&k, &p);
    cmd(&k, 0xa8);
    aux(&k, 0xf4);
    EXPECT_BYTES(&k, 0xfa);
    for (int i = 0; i < 200; i++)
        i8042_mouse_move(&k, i % 2 ? 5 : -5, 0, 0, 0);
    CHECK_EQ_INT(p.logs, 1);
    uint8_t got[PS2_QUEUE_SIZE + 8];
    size_t n = drain(&k, got, sizeof(got));
    CHECK_EQ_INT(n % 3, 0); /* whole packets */
    for (size_t i = 0; i < n; i += 3)
        CHECK(got[i] & 0x08);
}

int main(void)
{
    RUN(test_controller_commands);
    RUN(test_aux_loop_irq_and_disabled_port);
    RUN(test_reset_line);
    RUN(test_keyboard_and_ctrl_alt_del);
    RUN(test_set2_translates_to_set1_for_every_key);
    RUN(test_scan_sets_through_the_controller);
    RUN(test_keyboard_commands);
    RUN(test_full_queue_drops_whole_keys);
    RUN(test_mouse_intellimouse_and_packets);
    RUN(test_mouse_commands);
    RUN(test_mouse_queue_full_logged_once);
    return check_summary("i8042");
}
