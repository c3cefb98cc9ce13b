/* input: the router between the remote console and the input devices. */
#include "check.h"
#include "../../hypervisor/vmm/input.h"

struct sink {
    int keys, last_qnum, last_down;
    int moves, dx, dy, dz;
    uint32_t ax, ay, buttons;
    bool ready;
};

static void on_key(void *ctx, uint16_t qnum, bool down)
{
    struct sink *s = ctx;
    s->keys++;
    s->last_qnum = qnum;
    s->last_down = down;
}

static void on_rel(void *ctx, int dx, int dy, int dz, uint32_t buttons)
{
    struct sink *s = ctx;
    s->moves++;
    s->dx = dx;
    s->dy = dy;
    s->dz = dz;
    s->buttons = buttons;
}

static bool tablet_ready(void *ctx)
{
    return ((struct sink *)ctx)->ready;
}

static void on_abs(void *ctx, uint32_t x, uint32_t y, int dz, uint32_t buttons)
{
    struct sink *s = ctx;
    s->moves++;
    s->ax = x;
    s->ay = y;
    s->dz = dz;
    s->buttons = buttons;
}

static void test_keys_reach_the_keyboard(void)
{
    struct input in;
    struct sink s = { 0 };
    input_init(&in);
    input_key(&in, 0x1C, true); /* no keyboard yet: dropped */
    input_set_keyboard(&in, &(struct input_keyboard){ &s, on_key });
    input_key(&in, 0x9D, true);
    CHECK_EQ_INT(s.keys, 1);
    CHECK_EQ_INT(s.last_qnum, 0x9D);
    CHECK_EQ_INT(s.last_down, 1);
    input_key(&in, 0, true);     /* no such key */
    input_key(&in, 0x1FF, true);
    CHECK_EQ_INT(s.keys, 1);
    input_destroy(&in);
}

static void test_mouse_gets_deltas(void)
{
    struct input in;
    struct sink s = { 0 };
    input_init(&in);
    input_set_mouse(&in, &(struct input_mouse){ &s, on_rel });
    input_pointer(&in, 100, 100, 640, 480, 0);
    CHECK_EQ_INT(s.dx, 0); /* the first position is where we start */
    input_pointer(&in, 90, 130, 640, 480, INPUT_BUTTON_LEFT | INPUT_WHEEL_DOWN);
    CHECK_EQ_INT(s.dx, -10);
    CHECK_EQ_INT(s.dy, 30);
    CHECK_EQ_INT(s.dz, 1);
    CHECK_EQ_INT(s.buttons, INPUT_BUTTON_LEFT);
    input_pointer(&in, 90, 130, 640, 480, INPUT_WHEEL_UP);
    CHECK_EQ_INT(s.dz, -1);
    CHECK_EQ_INT(s.moves, 3);
    input_destroy(&in);
}

static void test_ready_tablet_gets_scaled_positions(void)
{
    struct input in;
    struct sink mouse = { 0 }, tab = { 0 };
    input_init(&in);
    input_set_mouse(&in, &(struct input_mouse){ &mouse, on_rel });
    input_set_tablet(&in, &(struct input_tablet){ &tab, tablet_ready, on_abs });
    input_pointer(&in, 10, 10, 640, 480, 0); /* driver not ready: the mouse */
    CHECK_EQ_INT(mouse.moves, 1);
    CHECK_EQ_INT(tab.moves, 0);
    tab.ready = true;
    input_pointer(&in, 639, 0, 640, 480, INPUT_BUTTON_RIGHT);
    CHECK_EQ_INT(tab.moves, 1);
    CHECK_EQ_INT(tab.ax, INPUT_ABS_MAX);
    CHECK_EQ_INT(tab.ay, 0);
    CHECK_EQ_INT(tab.buttons, INPUT_BUTTON_RIGHT);
    input_pointer(&in, 5000, 5000, 640, 480, 0); /* off the screen: clamped */
    CHECK_EQ_INT(tab.ax, INPUT_ABS_MAX);
    CHECK_EQ_INT(tab.ay, INPUT_ABS_MAX);
    input_pointer(&in, 3, 3, 0, 0, 0);           /* no screen: no divide */
    CHECK_EQ_INT(tab.ax, 0);
    CHECK_EQ_INT(mouse.moves, 1);
    input_destroy(&in);
}

int main(void)
{
    RUN(test_keys_reach_the_keyboard);
    RUN(test_mouse_gets_deltas);
    RUN(test_ready_tablet_gets_scaled_positions);
    return check_summary("input");
}
