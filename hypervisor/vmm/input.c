/* input: routes the remote console's keys and pointer (see input.h). */
#include "input.h"

#include <string.h>

void input_init(struct input *in)
{
    memset(in, 0, sizeof(*in));
    pthread_mutex_init(&in->lock, NULL);
}

void input_destroy(struct input *in)
{
    pthread_mutex_destroy(&in->lock);
}

void input_set_keyboard(struct input *in, const struct input_keyboard *k)
{
    pthread_mutex_lock(&in->lock);
    in->kbd = *k;
    in->has_kbd = true;
    pthread_mutex_unlock(&in->lock);
}

void input_set_mouse(struct input *in, const struct input_mouse *m)
{
    pthread_mutex_lock(&in->lock);
    in->mouse = *m;
    in->has_mouse = true;
    pthread_mutex_unlock(&in->lock);
}

void input_set_tablet(struct input *in, const struct input_tablet *t)
{
    pthread_mutex_lock(&in->lock);
    in->tablet = *t;
    in->has_tablet = true;
    pthread_mutex_unlock(&in->lock);
}

void input_key(struct input *in, uint16_t qnum, bool down)
{
    pthread_mutex_lock(&in->lock);
    struct input_keyboard k = in->kbd;
    bool has = in->has_kbd;
    pthread_mutex_unlock(&in->lock);
    if (has && qnum != 0 && qnum <= 0xFF)
        k.key(k.ctx, qnum, down);
}

/* The wheel is a press in RFB (a bit that comes and goes); as motion it is
 * one step per press. */
static int input_wheel_steps(uint32_t buttons)
{
    return (buttons & INPUT_WHEEL_DOWN ? 1 : 0) - (buttons & INPUT_WHEEL_UP ? 1 : 0);
}

static uint32_t input_scale(uint32_t pos, uint32_t size)
{
    if (size <= 1)
        return 0;
    if (pos >= size)
        pos = size - 1;
    return (uint32_t)((uint64_t)pos * INPUT_ABS_MAX / (size - 1));
}

void input_pointer(struct input *in, uint32_t x, uint32_t y, uint32_t width,
                   uint32_t height, uint32_t buttons)
{
    pthread_mutex_lock(&in->lock);
    struct input_tablet t = in->tablet;
    struct input_mouse m = in->mouse;
    bool has_tablet = in->has_tablet, has_mouse = in->has_mouse;
    int dx = in->have_last ? (int)x - (int)in->last_x : 0;
    int dy = in->have_last ? (int)y - (int)in->last_y : 0;
    in->last_x = x;
    in->last_y = y;
    in->have_last = true;
    pthread_mutex_unlock(&in->lock);

    int dz = input_wheel_steps(buttons);
    uint32_t held = buttons & (INPUT_BUTTON_LEFT | INPUT_BUTTON_MIDDLE |
                               INPUT_BUTTON_RIGHT);
    if (has_tablet && t.ready(t.ctx))
        t.move(t.ctx, input_scale(x, width), input_scale(y, height), dz, held);
    else if (has_mouse)
        m.move(m.ctx, dx, dy, dz, held);
}
