/* ps2_mouse: the PS/2 mouse's protocol (see ps2_mouse.h). */
#include "ps2_mouse.h"

#include <string.h>

#include "input.h"
#include "ps2_kbd.h"

#define MOUSE_SET_SCALING_1TO1 0xE6
#define MOUSE_SET_SCALING_2TO1 0xE7
#define MOUSE_SET_RESOLUTION   0xE8
#define MOUSE_STATUS           0xE9
#define MOUSE_STREAM           0xEA
#define MOUSE_READ_DATA        0xEB
#define MOUSE_RESET_WRAP       0xEC
#define MOUSE_SET_WRAP         0xEE
#define MOUSE_REMOTE           0xF0
#define MOUSE_GET_ID           0xF2
#define MOUSE_SAMPLE_RATE      0xF3
#define MOUSE_ENABLE           0xF4
#define MOUSE_DISABLE          0xF5
#define MOUSE_DEFAULTS         0xF6
#define MOUSE_RESEND           0xFE
#define MOUSE_RESET            0xFF

#define PKT_ALWAYS_1   0x08
#define PKT_X_SIGN     0x10
#define PKT_Y_SIGN     0x20
#define PKT_BUTTONS    0x07
#define DELTA_MIN      (-256) /* 9-bit two's complement */
#define DELTA_MAX      255
#define WHEEL_MIN      (-8)   /* the IntelliMouse's 4-bit wheel */
#define WHEEL_MAX      7
#define PACKET_MAX     4
/* Motion beyond this (a pointer jumping across a huge screen) is cut:
 * a few dozen packets are all it is worth. */
#define MOTION_LIMIT   8192

static const uint8_t knock_wheel[3] = { 200, 100, 80 };

static void mouse_defaults(struct ps2_mouse *m)
{
    m->sample_rate = 100;
    m->resolution = 2;
    m->scaling_2to1 = false;
    m->reporting = false;
    m->remote = false;
    m->dx = m->dy = m->dz = 0;
}

void ps2_mouse_init(struct ps2_mouse *m)
{
    memset(m, 0, sizeof(*m));
    mouse_defaults(m);
}

static void mouse_reply(struct ps2_mouse *m, const uint8_t *bytes, size_t n)
{
    ps2_queue_put_reply(&m->out, bytes, n);
}

static void mouse_ack(struct ps2_mouse *m)
{
    mouse_reply(m, (const uint8_t[]){ PS2_ACK }, 1);
}

static int clamp(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* One packet with as much of the pending motion as it can carry; the
 * rest stays pending.  Returns its length. */
static size_t mouse_packet(struct ps2_mouse *m, uint8_t *pkt)
{
    int x = clamp(m->dx, DELTA_MIN, DELTA_MAX);
    int y = clamp(m->dy, DELTA_MIN, DELTA_MAX);
    int z = clamp(m->dz, WHEEL_MIN, WHEEL_MAX);
    m->dx -= x;
    m->dy -= y;
    pkt[0] = (uint8_t)(PKT_ALWAYS_1 | (m->buttons & PKT_BUTTONS) |
                       (x < 0 ? PKT_X_SIGN : 0) | (y < 0 ? PKT_Y_SIGN : 0));
    pkt[1] = (uint8_t)x;
    pkt[2] = (uint8_t)y;
    if (m->id != PS2_MOUSE_ID_WHEEL)
        return 3;
    m->dz -= z;
    pkt[3] = (uint8_t)z;
    return 4;
}

static bool mouse_motion_pending(const struct ps2_mouse *m)
{
    return m->dx || m->dy || (m->id == PS2_MOUSE_ID_WHEEL && m->dz);
}

static uint8_t mouse_status_byte(const struct ps2_mouse *m)
{
    /* status: left is bit 2 and right bit 0, unlike in packets */
    uint8_t left = m->buttons & 1, right = (m->buttons >> 1) & 1,
            middle = (m->buttons >> 2) & 1;
    return (uint8_t)((m->remote ? 0x40 : 0) | (m->reporting ? 0x20 : 0) |
                     (m->scaling_2to1 ? 0x10 : 0) | left << 2 | middle << 1 | right);
}

static void mouse_sample_rate(struct ps2_mouse *m, uint8_t rate)
{
    m->sample_rate = rate;
    memmove(m->rates, m->rates + 1, 2);
    m->rates[2] = rate;
    if (!memcmp(m->rates, knock_wheel, 3))
        m->id = PS2_MOUSE_ID_WHEEL;
}

static void mouse_parameter(struct ps2_mouse *m, uint8_t cmd, uint8_t param)
{
    if (cmd == MOUSE_SAMPLE_RATE)
        mouse_sample_rate(m, param);
    else if (cmd == MOUSE_SET_RESOLUTION)
        m->resolution = param & 3;
    mouse_ack(m);
}

static void mouse_read_data(struct ps2_mouse *m)
{
    uint8_t pkt[1 + PACKET_MAX] = { PS2_ACK };
    size_t n = mouse_packet(m, pkt + 1);
    m->dx = m->dy = m->dz = 0; /* one poll reports what there was */
    mouse_reply(m, pkt, 1 + n);
}

static bool mouse_simple_command(struct ps2_mouse *m, uint8_t cmd)
{
    switch (cmd) {
    case MOUSE_SET_SCALING_1TO1: m->scaling_2to1 = false; break;
    case MOUSE_SET_SCALING_2TO1: m->scaling_2to1 = true; break;
    case MOUSE_STREAM: m->remote = false; break;
    case MOUSE_REMOTE: m->remote = true; break;
    case MOUSE_RESET_WRAP: m->wrap = false; break;
    case MOUSE_SET_WRAP: m->wrap = true; break;
    case MOUSE_ENABLE: /* counts from now on */
        m->reporting = true;
        m->dx = m->dy = m->dz = 0;
        break;
    case MOUSE_DISABLE:
        ps2_queue_clear(&m->out);
        m->reporting = false;
        m->dx = m->dy = m->dz = 0;
        break;
    case MOUSE_DEFAULTS:
        ps2_queue_clear(&m->out);
        mouse_defaults(m);
        break;
    case MOUSE_SAMPLE_RATE:
    case MOUSE_SET_RESOLUTION:
        m->pending = cmd;
        break;
    default:
        return false;
    }
    mouse_ack(m);
    return true;
}

static void mouse_command(struct ps2_mouse *m, uint8_t cmd)
{
    if (mouse_simple_command(m, cmd))
        return;
    switch (cmd) {
    case MOUSE_GET_ID:
        mouse_reply(m, (const uint8_t[]){ PS2_ACK, m->id }, 2);
        break;
    case MOUSE_STATUS:
        mouse_reply(m, (const uint8_t[]){ PS2_ACK, mouse_status_byte(m),
                                          m->resolution, m->sample_rate }, 4);
        break;
    case MOUSE_READ_DATA:
        mouse_read_data(m);
        break;
    case MOUSE_RESEND:
        mouse_reply(m, &m->last, 1);
        break;
    case MOUSE_RESET:
        ps2_mouse_init(m);
        mouse_reply(m, (const uint8_t[]){ PS2_ACK, PS2_BAT_OK, PS2_MOUSE_ID_PLAIN }, 3);
        break;
    default:
        mouse_reply(m, (const uint8_t[]){ PS2_RESEND }, 1);
        break;
    }
}

void ps2_mouse_write(struct ps2_mouse *m, uint8_t byte)
{
    uint8_t cmd = m->pending;
    m->pending = 0;
    if (m->wrap && byte != MOUSE_RESET_WRAP && byte != MOUSE_RESET)
        mouse_reply(m, &byte, 1);
    else if (cmd)
        mouse_parameter(m, cmd, byte);
    else
        mouse_command(m, byte);
}

static uint8_t mouse_buttons(uint32_t held)
{
    return (uint8_t)((held & INPUT_BUTTON_LEFT ? 1 : 0) |
                     (held & INPUT_BUTTON_RIGHT ? 2 : 0) |
                     (held & INPUT_BUTTON_MIDDLE ? 4 : 0));
}

bool ps2_mouse_move(struct ps2_mouse *m, int dx, int dy, int dz,
                    uint32_t buttons)
{
    uint8_t held = mouse_buttons(buttons);
    bool changed = held != m->buttons;
    m->buttons = held;
    /* packets count y upwards and the wheel towards the user as negative
     * (Linux's psmouse: REL_WHEEL = -z) */
    m->dx = clamp(m->dx + clamp(dx, -MOTION_LIMIT, MOTION_LIMIT), -MOTION_LIMIT, MOTION_LIMIT);
    m->dy = clamp(m->dy - clamp(dy, -MOTION_LIMIT, MOTION_LIMIT), -MOTION_LIMIT, MOTION_LIMIT);
    m->dz = clamp(m->dz + clamp(dz, -MOTION_LIMIT, MOTION_LIMIT), -MOTION_LIMIT, MOTION_LIMIT);
    if (!m->reporting || m->remote || m->wrap)
        return true; /* kept for EB (remote) or thrown away at enable */
    if (!changed && !mouse_motion_pending(m)) {
        m->dz = 0;
        return true;
    }
    bool all_queued = true;
    do {
        uint8_t pkt[PACKET_MAX];
        size_t n = mouse_packet(m, pkt);
        all_queued = ps2_queue_put(&m->out, pkt, n) && all_queued;
        changed = false;
    } while (mouse_motion_pending(m) || changed);
    m->dz = 0; /* a plain mouse has no wheel to report it with */
    return all_queued;
}

bool ps2_mouse_read(struct ps2_mouse *m, uint8_t *byte)
{
    if (!ps2_queue_get(&m->out, byte))
        return false;
    m->last = *byte;
    return true;
}
