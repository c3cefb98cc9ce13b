/* console_fanout: the guest's console output shared by several readers
 * (clients of --serial unix:PATH and of the control socket's "console").
 *
 * Nothing is lost for a reader that keeps up: each has its own buffer
 * (CONSOLE_READER_BUF bytes).  A byte is written straight to a reader
 * whose buffer is empty; what its socket does not take waits in the
 * buffer and goes out when the socket is writable again (the main loop
 * polls for POLLOUT; wake_fd tells it a reader has something pending).
 * While any reader's buffer is above its high-water mark
 * (CONSOLE_READER_BUF - CONSOLE_READER_HEADROOM), console_fanout_has_room()
 * is false and the UART holds THRE clear, so the guest waits instead of
 * outrunning the reader; the headroom takes the bytes a guest writes
 * without looking at THRE.  A reader that stays above the mark for
 * CONSOLE_STUCK_MS is dropped (with a line on stderr), so one stuck
 * reader cannot stall the guest for long.  Bytes beyond the buffer are
 * counted as lost for that reader only.
 *
 * With console_fanout_keep_early(), what the guest writes before any
 * reader has attached is kept too (the last CONSOLE_READER_BUF bytes) and
 * becomes the first reader's pending output: corrald connects to a VMM's
 * console socket only once the VMM has made it, and by then SeaBIOS may
 * have printed its banner.
 *
 * Called from vCPU threads (push, has_room) and the main loop (the rest);
 * one mutex.  Times are CLOCK_MONOTONIC milliseconds passed in, so that
 * tests can play with time. */
#ifndef CORRAL_CONSOLE_FANOUT_H
#define CORRAL_CONSOLE_FANOUT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONSOLE_MAX_READERS 8
#define CONSOLE_READER_BUF (64 * 1024)
#define CONSOLE_READER_HEADROOM 4096
#define CONSOLE_STUCK_MS 5000

struct console_reader {
    int fd;             /* -1: free slot */
    uint8_t *buf;       /* ring of CONSOLE_READER_BUF bytes */
    size_t head, len;
    long long full_since; /* ms it went above the high-water mark; 0: not */
    unsigned long long lost;
};

struct console_fanout {
    pthread_mutex_t lock;
    struct console_reader r[CONSOLE_MAX_READERS];
    int wake_fd; /* eventfd: output became pending */
    /* Output from before the first reader (keep_early): a ring of
     * CONSOLE_READER_BUF bytes, NULL once a reader took it or when not
     * kept. */
    uint8_t *early;
    size_t early_head, early_len;
    unsigned long long early_lost;
};

int console_fanout_init(struct console_fanout *f);
/* Keep the output written before the first reader attaches, for it;
 * -ENOMEM. */
int console_fanout_keep_early(struct console_fanout *f);
/* Closes every reader. */
void console_fanout_destroy(struct console_fanout *f);
/* Takes over fd (made non-blocking); -EBUSY when CONSOLE_MAX_READERS
 * readers are attached, -ENOMEM.  The caller closes fd on failure. */
int console_fanout_add(struct console_fanout *f, int fd);
/* Detaches and closes fd. */
void console_fanout_remove(struct console_fanout *f, int fd);
unsigned console_fanout_count(struct console_fanout *f);
/* The guest's output: to every reader. */
void console_fanout_push(struct console_fanout *f, const uint8_t *p, size_t n,
                         long long now_ms);
/* False while some reader is above its high-water mark. */
bool console_fanout_has_room(struct console_fanout *f);
/* Writes what fd has pending; 0, or -errno when the reader is gone (the
 * caller removes it). */
int console_fanout_flush(struct console_fanout *f, int fd, long long now_ms);
/* The readers' fds (up to max) and whether each has output pending. */
int console_fanout_fds(struct console_fanout *f, int *fds, bool *pending,
                       int max);
/* Drops the readers stuck above the mark for CONSOLE_STUCK_MS; returns
 * how many. */
unsigned console_fanout_drop_stuck(struct console_fanout *f, long long now_ms);

#endif
