/* console_fanout: console output shared by several readers (see
 * console_fanout.h). */
#include "console_fanout.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define CONSOLE_HIGH_WATER (CONSOLE_READER_BUF - CONSOLE_READER_HEADROOM)

int console_fanout_init(struct console_fanout *f)
{
    pthread_mutex_init(&f->lock, NULL);
    f->early = NULL;
    f->early_head = f->early_len = 0;
    f->early_lost = 0;
    for (unsigned i = 0; i < CONSOLE_MAX_READERS; i++)
        f->r[i] = (struct console_reader){ .fd = -1 };
    f->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    return f->wake_fd < 0 ? -errno : 0;
}

static void console_reader_free(struct console_reader *r)
{
    close(r->fd);
    free(r->buf);
    *r = (struct console_reader){ .fd = -1 };
}

int console_fanout_keep_early(struct console_fanout *f)
{
    f->early = malloc(CONSOLE_READER_BUF);
    return f->early ? 0 : -ENOMEM;
}

/* Caller holds the lock.  The ring keeps the newest bytes. */
static void console_early_append(struct console_fanout *f, const uint8_t *p,
                                 size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (f->early_len == CONSOLE_READER_BUF) {
            f->early_head = (f->early_head + 1) % CONSOLE_READER_BUF;
            f->early_len--;
            f->early_lost++;
        }
        f->early[(f->early_head + f->early_len++) % CONSOLE_READER_BUF] = p[i];
    }
}

/* Caller holds the lock.  The early output becomes r's pending output. */
static void console_early_hand_over(struct console_fanout *f,
                                    struct console_reader *r)
{
    for (size_t i = 0; i < f->early_len; i++)
        r->buf[i] = f->early[(f->early_head + i) % CONSOLE_READER_BUF];
    r->len = f->early_len;
    if (f->early_lost)
        fprintf(stderr, "corral-vmm: %llu bytes of console output from before "
                "the first reader did not fit in %d KiB and were dropped\n",
                f->early_lost, CONSOLE_READER_BUF / 1024);
    free(f->early);
    f->early = NULL;
    f->early_len = 0;
}

void console_fanout_destroy(struct console_fanout *f)
{
    free(f->early);
    f->early = NULL;
    for (unsigned i = 0; i < CONSOLE_MAX_READERS; i++)
        if (f->r[i].fd >= 0)
            console_reader_free(&f->r[i]);
    if (f->wake_fd >= 0)
        close(f->wake_fd);
    f->wake_fd = -1;
}

int console_fanout_add(struct console_fanout *f, int fd)
{
    int rc = -EBUSY;
    pthread_mutex_lock(&f->lock);
    for (unsigned i = 0; i < CONSOLE_MAX_READERS; i++) {
        if (f->r[i].fd >= 0)
            continue;
        uint8_t *buf = malloc(CONSOLE_READER_BUF);
        rc = buf ? 0 : -ENOMEM;
        if (buf) {
            fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
            f->r[i] = (struct console_reader){ .fd = fd, .buf = buf };
            if (f->early)
                console_early_hand_over(f, &f->r[i]);
        }
        break;
    }
    pthread_mutex_unlock(&f->lock);
    return rc;
}

static struct console_reader *console_reader_of(struct console_fanout *f, int fd)
{
    for (unsigned i = 0; i < CONSOLE_MAX_READERS; i++)
        if (f->r[i].fd == fd && fd >= 0)
            return &f->r[i];
    return NULL;
}

void console_fanout_remove(struct console_fanout *f, int fd)
{
    pthread_mutex_lock(&f->lock);
    struct console_reader *r = console_reader_of(f, fd);
    if (r)
        console_reader_free(r);
    pthread_mutex_unlock(&f->lock);
}

unsigned console_fanout_count(struct console_fanout *f)
{
    unsigned n = 0;
    pthread_mutex_lock(&f->lock);
    for (unsigned i = 0; i < CONSOLE_MAX_READERS; i++)
        n += f->r[i].fd >= 0;
    pthread_mutex_unlock(&f->lock);
    return n;
}

/* Caller holds the lock. */
static void console_reader_append(struct console_reader *r, const uint8_t *p,
                                  size_t n, long long now_ms)
{
    for (size_t i = 0; i < n; i++) {
        if (r->len == CONSOLE_READER_BUF) {
            r->lost += n - i;
            break;
        }
        r->buf[(r->head + r->len++) % CONSOLE_READER_BUF] = p[i];
    }
    if (r->len >= CONSOLE_HIGH_WATER && !r->full_since)
        r->full_since = now_ms ? now_ms : 1;
}

static void console_fanout_wake(struct console_fanout *f)
{
    uint64_t one = 1;
    if (write(f->wake_fd, &one, sizeof(one)) < 0) {
        /* already signalled (counter full) is as good */
    }
}

void console_fanout_push(struct console_fanout *f, const uint8_t *p, size_t n,
                         long long now_ms)
{
    bool wake = false;
    pthread_mutex_lock(&f->lock);
    if (f->early) /* no reader has attached yet */
        console_early_append(f, p, n);
    for (unsigned i = 0; i < CONSOLE_MAX_READERS; i++) {
        struct console_reader *r = &f->r[i];
        if (r->fd < 0)
            continue;
        size_t done = 0;
        if (r->len == 0) { /* nothing queued: straight out, in order */
            ssize_t w = write(r->fd, p, n);
            done = w > 0 ? (size_t)w : 0;
        }
        if (done < n) {
            wake |= r->len == 0;
            console_reader_append(r, p + done, n - done, now_ms);
        }
    }
    pthread_mutex_unlock(&f->lock);
    if (wake)
        console_fanout_wake(f);
}

bool console_fanout_has_room(struct console_fanout *f)
{
    bool room = true;
    pthread_mutex_lock(&f->lock);
    for (unsigned i = 0; i < CONSOLE_MAX_READERS; i++)
        if (f->r[i].fd >= 0 && f->r[i].len >= CONSOLE_HIGH_WATER)
            room = false;
    pthread_mutex_unlock(&f->lock);
    return room;
}

/* Caller holds the lock.  Writes the ring's two pieces in turn. */
static int console_reader_flush(struct console_reader *r)
{
    while (r->len > 0) {
        size_t chunk = CONSOLE_READER_BUF - r->head;
        if (chunk > r->len)
            chunk = r->len;
        ssize_t w = write(r->fd, r->buf + r->head, chunk);
        if (w < 0)
            return errno == EAGAIN || errno == EINTR ? 0 : -errno;
        r->head = (r->head + (size_t)w) % CONSOLE_READER_BUF;
        r->len -= (size_t)w;
    }
    r->head = 0;
    return 0;
}

int console_fanout_flush(struct console_fanout *f, int fd, long long now_ms)
{
    (void)now_ms;
    int rc = -ENOENT;
    pthread_mutex_lock(&f->lock);
    struct console_reader *r = console_reader_of(f, fd);
    if (r) {
        rc = console_reader_flush(r);
        if (r->len < CONSOLE_HIGH_WATER)
            r->full_since = 0;
    }
    pthread_mutex_unlock(&f->lock);
    return rc;
}

int console_fanout_fds(struct console_fanout *f, int *fds, bool *pending,
                       int max)
{
    int n = 0;
    pthread_mutex_lock(&f->lock);
    for (unsigned i = 0; i < CONSOLE_MAX_READERS && n < max; i++) {
        if (f->r[i].fd < 0)
            continue;
        fds[n] = f->r[i].fd;
        pending[n++] = f->r[i].len > 0;
    }
    pthread_mutex_unlock(&f->lock);
    return n;
}

unsigned console_fanout_drop_stuck(struct console_fanout *f, long long now_ms)
{
    unsigned dropped = 0;
    pthread_mutex_lock(&f->lock);
    for (unsigned i = 0; i < CONSOLE_MAX_READERS; i++) {
        struct console_reader *r = &f->r[i];
        if (r->fd < 0 || !r->full_since || now_ms - r->full_since < CONSOLE_STUCK_MS)
            continue;
        fprintf(stderr, "corral-vmm: console reader dropped: it read nothing "
                "for %d s while the guest waited (%llu bytes lost)\n",
                CONSOLE_STUCK_MS / 1000, r->lost);
        console_reader_free(r);
        dropped++;
    }
    pthread_mutex_unlock(&f->lock);
    return dropped;
}
