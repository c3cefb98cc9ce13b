/* rfb: the RFB server's sockets, timer, display and input (see rfb.h). */
#include "rfb.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "clock.h"
#include "fdio.h"
#include "keymap.h"

static void rfb_disconnect(struct rfb_client *c)
{
    iothread_remove(c->server->io, c->fd);
    close(c->fd);
    rfb_session_destroy(&c->s);
    c->fd = -1;
}

/* A client that broke the protocol or the limits: always said (not only
 * with -v), as a line in the VM's log. */
static void rfb_drop(struct rfb_client *c, const char *why)
{
    fprintf(stderr, "corral-vmm: vnc: client dropped: %s\n", why);
    rfb_disconnect(c);
}

/* ---- the frame timer: runs only while an update is wanted ---------------- */

unsigned rfb_next_frame_ms(unsigned now_ms, bool changed)
{
    if (changed || now_ms < RFB_FRAME_MS)
        return RFB_FRAME_MS;
    return now_ms + RFB_FRAME_MS > RFB_IDLE_FRAME_MS ? RFB_IDLE_FRAME_MS
                                                     : now_ms + RFB_FRAME_MS;
}

static void rfb_set_timer(struct rfb_server *r, bool on)
{
    if (on == r->timer_armed && (!on || r->armed_ms == r->frame_ms))
        return;
    struct itimerspec its = {0};
    if (on) {
        its.it_value.tv_sec = r->frame_ms / 1000;
        its.it_value.tv_nsec = (long)(r->frame_ms % 1000) * 1000000L;
        its.it_interval = its.it_value;
    }
    timerfd_settime(r->timer_fd, 0, &its, NULL);
    r->timer_armed = on;
    r->armed_ms = on ? r->frame_ms : 0;
}

/* The viewer is busy (input, a full request): frames at full pace. */
static void rfb_hurry(struct rfb_server *r)
{
    r->frame_ms = RFB_FRAME_MS;
    rfb_set_timer(r, true);
}

/* After a refresh: did the picture change since the last look? */
static bool rfb_screen_changed(struct rfb_server *r)
{
    display_lock(r->display);
    uint64_t gen = r->display->generation;
    display_unlock(r->display);
    bool changed = gen != r->seen_gen;
    r->seen_gen = gen;
    return changed;
}

static bool rfb_any_waiting(const struct rfb_server *r)
{
    for (int i = 0; i < RFB_MAX_CLIENTS; i++)
        if (r->clients[i].fd >= 0 &&
            (r->clients[i].update_wanted || r->clients[i].s.out.len))
            return true;
    return false;
}

/* ---- output ------------------------------------------------------------------ */

/* Sends what the socket takes now; watches for room when some is left.
 * 0, or -1 when the client was dropped. */
static int rfb_flush(struct rfb_client *c)
{
    struct rfb_buf *out = &c->s.out;
    while (out->len) {
        ssize_t n = send(c->fd, out->data, out->len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0) {
            rfb_drop(c, "connection lost while sending");
            return -1;
        }
        rfb_buf_consume(out, (size_t)n);
        c->stalled_since_ms = 0;
    }
    if (out->len && !c->stalled_since_ms)
        c->stalled_since_ms = (uint64_t)clock_monotonic_ms();
    iothread_modify(c->server->io, c->fd, EPOLLIN | (out->len ? EPOLLOUT : 0));
    return 0;
}

/* ---- updates ------------------------------------------------------------------- */

/* Which tiles to send: all of them for a full update or a new size, else
 * those newer than what the client has.  Returns whether any is. */
static bool rfb_mark_dirty(struct rfb_server *r, struct rfb_client *c,
                           uint32_t tiles_x, uint32_t tiles_y, bool all)
{
    bool any = false;
    for (uint32_t ty = 0; ty < tiles_y; ty++)
        for (uint32_t tx = 0; tx < tiles_x; tx++) {
            bool d = all || display_tile_newer(r->display, tx, ty, c->sent_gen);
            r->dirty[ty * tiles_x + tx] = d;
            any |= d;
        }
    return any;
}

/* With the display locked: the update the client waits for, if there is
 * anything to send.  0, or -errno when its output is full. */
static int rfb_build_update(struct rfb_server *r, struct rfb_client *c)
{
    struct display *d = r->display;
    uint32_t w = d->width, h = d->height;
    bool resized = d->size_generation > c->sent_size_gen || w != c->width ||
                   h != c->height;
    if (resized && !c->s.enc_desktop_size) {
        /* A viewer that cannot be told a new size keeps its old one: it
         * gets what fits in it, never a rectangle outside. */
        w = w < c->width ? w : c->width;
        h = h < c->height ? h : c->height;
    }
    uint32_t tiles_x = (w + DISPLAY_TILE - 1) / DISPLAY_TILE;
    uint32_t tiles_y = (h + DISPLAY_TILE - 1) / DISPLAY_TILE;
    bool any = rfb_mark_dirty(r, c, tiles_x, tiles_y, c->full_wanted || resized);
    if (!any && !resized && !c->full_wanted)
        return 0; /* nothing new: the request stays pending */
    size_t n = rfb_dirty_rects(r->dirty, tiles_x, tiles_y, DISPLAY_TILE, w, h,
                               r->rects, RFB_MAX_RECTS);
    int rc = rfb_put_update(&c->s, d->pixels, d->width, r->rects, n, resized, w, h);
    if (rc < 0)
        return rc;
    c->sent_gen = d->generation;
    c->sent_size_gen = d->size_generation;
    if (c->s.enc_desktop_size) {
        c->width = w;
        c->height = h;
    }
    c->update_wanted = c->full_wanted = false;
    return 0;
}

static void rfb_serve_update(struct rfb_server *r, struct rfb_client *c)
{
    display_lock(r->display);
    int rc = rfb_build_update(r, c);
    display_unlock(r->display);
    if (rc < 0) {
        char why[96];
        snprintf(why, sizeof(why), "update does not fit its output queue (%s)",
                 strerror(-rc));
        rfb_drop(c, why);
        return;
    }
    rfb_flush(c);
}

static void rfb_tick(void *ctx, uint32_t events)
{
    struct rfb_server *r = ctx;
    uint64_t expirations;
    if (read(r->timer_fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
        return;
    display_refresh(r->display);
    r->frame_ms = rfb_next_frame_ms(r->frame_ms, rfb_screen_changed(r));
    uint64_t now = (uint64_t)clock_monotonic_ms();
    for (int i = 0; i < RFB_MAX_CLIENTS; i++) {
        struct rfb_client *c = &r->clients[i];
        if (c->fd < 0)
            continue;
        if (c->stalled_since_ms && now - c->stalled_since_ms > RFB_STALL_MS) {
            rfb_drop(c, "not reading (its output waited too long)");
            continue;
        }
        if (c->update_wanted && c->s.out.len < RFB_OUT_LOW)
            rfb_serve_update(r, c);
    }
    rfb_set_timer(r, rfb_any_waiting(r));
}

/* ---- client messages ------------------------------------------------------------ */

static void rfb_server_init(struct rfb_server *r, struct rfb_client *c)
{
    display_refresh(r->display);
    display_lock(r->display);
    c->width = r->display->width;
    c->height = r->display->height;
    c->sent_size_gen = r->display->size_generation;
    display_unlock(r->display);
    rfb_put_server_init(&c->s, c->width, c->height, r->name);
    c->initialised = true;
}

static void rfb_pointer(struct rfb_server *r, const struct rfb_msg *m)
{
    display_lock(r->display);
    uint32_t w = r->display->width, h = r->display->height;
    display_unlock(r->display);
    if (w && h) /* nothing to point at on a blank screen */
        input_pointer(r->input, m->x, m->y, w, h, m->buttons);
}

static void rfb_handle(struct rfb_server *r, struct rfb_client *c,
                       const struct rfb_msg *m)
{
    switch (m->type) {
    case RFB_MSG_CLIENT_INIT:
        rfb_server_init(r, c);
        break;
    case RFB_MSG_PIXEL_FORMAT: /* what the client has is in another format */
        c->full_wanted = true;
        break;
    case RFB_MSG_UPDATE_REQUEST:
        c->update_wanted = true;
        c->full_wanted |= !m->incremental;
        if (m->incremental)
            rfb_set_timer(r, true);
        else
            rfb_hurry(r);
        break;
    case RFB_MSG_KEY: {
        uint16_t q = keymap_keysym_to_qnum(m->keysym);
        if (q)
            input_key(r->input, q, m->down);
        rfb_hurry(r); /* the guest is about to answer on the screen */
        break;
    }
    case RFB_MSG_EXT_KEY:
        if (m->qnum && m->qnum <= 0xFF)
            input_key(r->input, (uint16_t)m->qnum, m->down);
        rfb_hurry(r);
        break;
    case RFB_MSG_POINTER:
        rfb_pointer(r, m);
        rfb_hurry(r);
        break;
    case RFB_MSG_ENCODINGS:
    case RFB_MSG_NONE:
        break;
    }
}

/* Parses what has arrived; -1 when the client was dropped. */
static int rfb_parse_input(struct rfb_server *r, struct rfb_client *c)
{
    size_t off = 0;
    for (;;) {
        struct rfb_msg m;
        int n = rfb_parse(&c->s, c->in + off, c->in_len - off, &m);
        if (n < 0) {
            rfb_flush(c); /* the reason, where the protocol has a place for it */
            if (c->fd >= 0)
                rfb_drop(c, c->s.reason);
            return -1;
        }
        if (n == 0)
            break;
        off += (size_t)n;
        rfb_handle(r, c, &m);
    }
    memmove(c->in, c->in + off, c->in_len - off);
    c->in_len -= off;
    return 0;
}

static void rfb_client_event(void *ctx, uint32_t events)
{
    struct rfb_client *c = ctx;
    if (events & EPOLLOUT && rfb_flush(c) < 0)
        return;
    if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
        return;
    for (;;) {
        ssize_t n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len,
                         MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n == 0) {
            vm_log(c->server->vm, "vnc: client disconnected");
            rfb_disconnect(c);
            return;
        }
        if (n < 0) {
            rfb_drop(c, strerror(errno));
            return;
        }
        c->in_len += (size_t)n;
        if (rfb_parse_input(c->server, c) < 0)
            return;
    }
    rfb_flush(c);
}

static void rfb_accept(void *ctx, uint32_t events)
{
    struct rfb_server *r = ctx;
    int fd;
    while ((fd = accept4(r->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
        struct rfb_client *c = NULL;
        for (int i = 0; i < RFB_MAX_CLIENTS && !c; i++)
            if (r->clients[i].fd < 0)
                c = &r->clients[i];
        if (!c) {
            fprintf(stderr, "corral-vmm: vnc: refused a client: already %d\n",
                    RFB_MAX_CLIENTS);
            close(fd);
            continue;
        }
        memset(c, 0, sizeof(*c));
        c->server = r;
        c->fd = fd;
        rfb_session_init(&c->s, RFB_OUT_LIMIT);
        if (iothread_add(r->io, fd, EPOLLIN, rfb_client_event, c) < 0) {
            close(fd);
            rfb_session_destroy(&c->s);
            c->fd = -1;
            continue;
        }
        vm_log(r->vm, "vnc: client connected");
        rfb_flush(c);
    }
}

/* ---- setup ------------------------------------------------------------------------ */

int rfb_open(struct rfb_server *r, const char *path, const char *name,
             struct display *d, struct input *in, struct iothread *io,
             const struct vm *vm, char *err, size_t errlen)
{
    memset(r, 0, sizeof(*r));
    r->listen_fd = r->timer_fd = -1;
    r->frame_ms = RFB_FRAME_MS;
    for (int i = 0; i < RFB_MAX_CLIENTS; i++)
        r->clients[i].fd = -1;
    snprintf(r->path, sizeof(r->path), "%s", path);
    snprintf(r->name, sizeof(r->name), "%s", name);
    r->display = d;
    r->input = in;
    r->io = io;
    r->vm = vm;
    r->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (r->timer_fd < 0) {
        snprintf(err, errlen, "vnc: timer: %s", strerror(errno));
        return -1;
    }
    r->listen_fd = fdio_unix_listen(path, RFB_MAX_CLIENTS);
    if (r->listen_fd < 0) {
        snprintf(err, errlen, "vnc socket %s: %s", path, strerror(-r->listen_fd));
        r->listen_fd = -1;
        return -1;
    }
    int rc = iothread_add(io, r->timer_fd, EPOLLIN, rfb_tick, r);
    if (rc == 0)
        rc = iothread_add(io, r->listen_fd, EPOLLIN, rfb_accept, r);
    if (rc < 0) {
        snprintf(err, errlen, "vnc: I/O thread: %s", strerror(-rc));
        return -1;
    }
    return 0;
}

void rfb_close(struct rfb_server *r)
{
    for (int i = 0; i < RFB_MAX_CLIENTS; i++)
        if (r->clients[i].fd >= 0) {
            close(r->clients[i].fd);
            rfb_session_destroy(&r->clients[i].s);
            r->clients[i].fd = -1;
        }
    if (r->listen_fd >= 0) {
        close(r->listen_fd);
        unlink(r->path);
    }
    if (r->timer_fd >= 0)
        close(r->timer_fd);
    r->listen_fd = r->timer_fd = -1;
}
