/* i8042: controller commands, reset line, keyboard replies, Ctrl-Alt-Del. */
#include "check.h"
#include "../../hypervisor/vmm/i8042.h"

struct plat { int level, edges, resets; };

static void p_irq(void *ctx, int level)
{
    struct plat *p = ctx;
    if (level && !p->level)
        p->edges++;
    p->level = level;
}

static void p_reset(void *ctx)
{
    ((struct plat *)ctx)->resets++;
}

static void cmd(struct i8042 *k, uint8_t c) { i8042_command_io(k, 0, &c, 1, true); }
static void data_w(struct i8042 *k, uint8_t v) { i8042_data_io(k, 0, &v, 1, true); }
static uint8_t data_r(struct i8042 *k) { uint8_t v; i8042_data_io(k, 0, &v, 1, false); return v; }
static uint8_t status(struct i8042 *k) { uint8_t v; i8042_command_io(k, 0, &v, 1, false); return v; }

static void test_controller_commands(void)
{
    struct plat p = { 0 };
    struct i8042 k;
    i8042_init(&k, p_irq, p_reset, &p);
    CHECK_EQ_INT(status(&k) & 1, 0);
    cmd(&k, 0xaa);
    CHECK_EQ_INT(status(&k) & 1, 1);
    CHECK_EQ_INT(data_r(&k), 0x55);
    cmd(&k, 0x20);
    uint8_t ctr = data_r(&k);
    CHECK(ctr & 0x40); /* translation on */
    cmd(&k, 0x60);
    data_w(&k, 0x00); /* interrupts off */
    cmd(&k, 0x20);
    CHECK_EQ_INT(data_r(&k), 0x00);
    cmd(&k, 0xd3); /* AUX loop: answered as keyboard data = no mouse */
    data_w(&k, 0x5a);
    CHECK_EQ_INT(status(&k) & 0x21, 0x01);
    CHECK_EQ_INT(data_r(&k), 0x5a);
    cmd(&k, 0xa9);
    CHECK(data_r(&k) != 0);
    CHECK_EQ_INT(p.resets, 0);
}

static void test_reset_line(void)
{
    struct plat p = { 0 };
    struct i8042 k;
    i8042_init(&k, p_irq, p_reset, &p);
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
    struct plat p = { 0 };
    struct i8042 k;
    i8042_init(&k, p_irq, p_reset, &p);
    data_w(&k, 0xff); /* keyboard reset */
    CHECK_EQ_INT(data_r(&k), 0xfa);
    CHECK_EQ_INT(data_r(&k), 0xaa);
    data_w(&k, 0xf2); /* identify */
    CHECK_EQ_INT(data_r(&k), 0xfa);
    CHECK_EQ_INT(data_r(&k), 0xab);
    CHECK_EQ_INT(data_r(&k), 0x83);
    data_w(&k, 0xed); /* LEDs + parameter: two ACKs */
    data_w(&k, 0x00);
    CHECK_EQ_INT(data_r(&k), 0xfa);
    CHECK_EQ_INT(data_r(&k), 0xfa);
    int edges = p.edges;
    i8042_ctrl_alt_del(&k);
    static const uint8_t seq[] = { 0x1d, 0x38, 0xe0, 0x53, 0xe0, 0xd3, 0xb8, 0x9d };
    for (size_t i = 0; i < sizeof(seq); i++) {
        CHECK_EQ_INT(p.level, 1);
        CHECK_EQ_INT(data_r(&k), seq[i]);
    }
    CHECK_EQ_INT(p.level, 0);
    CHECK_EQ_INT(p.edges - edges, (int)sizeof(seq)); /* one edge per byte */
}

int main(void)
{
    RUN(test_controller_commands);
    RUN(test_reset_line);
    RUN(test_keyboard_and_ctrl_alt_del);
    return check_summary("i8042");
}
