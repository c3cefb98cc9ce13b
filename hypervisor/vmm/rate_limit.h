/* rate_limit: a device's rate limit - bytes per second and operations
 * (requests, packets) per second, each a token bucket (token_bucket.h:
 * burst = one second's worth) - and the timer that says when a request
 * held back may go.
 *
 * A device asks rate_limit_admit() before it serves a request.  When the
 * answer is no, the device keeps the request (it has already taken it off
 * its queue, so order is kept), stops taking more, and returns; the
 * timerfd is armed for when the request may pass.  The I/O thread watches
 * the timerfd and calls the device back, which serves the held request and
 * goes on.  Nothing sleeps or spins, on a vCPU thread or the I/O thread.
 *
 * The clock is a function so tests can drive time; NULL is
 * CLOCK_MONOTONIC. */
#ifndef CORRAL_RATE_LIMIT_H
#define CORRAL_RATE_LIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "token_bucket.h"

typedef uint64_t (*rate_limit_clock_fn)(void);

struct rate_limit {
    struct token_bucket bytes, ops;
    rate_limit_clock_fn now_ns;
    int timer_fd;        /* -1 when unlimited */
    uint64_t throttled;  /* times a request was held back (tests, -v) */
};

/* 0 = unlimited for either.  Returns 0 or -errno (timerfd_create). */
int rate_limit_init(struct rate_limit *rl, uint64_t bytes_per_s,
                    uint64_t ops_per_s, rate_limit_clock_fn now_ns);
void rate_limit_destroy(struct rate_limit *rl);

/* The timerfd for the I/O thread to watch (EPOLLIN), -1 when unlimited. */
int rate_limit_fd(const struct rate_limit *rl);

/* May a request of ops operations and bytes bytes go now?  true: its
 * tokens are taken.  false: nothing is taken and the timer is armed for
 * when it may go. */
bool rate_limit_admit(struct rate_limit *rl, uint64_t ops, uint64_t bytes);

/* The I/O thread saw the timer fire: consume the expiry. */
void rate_limit_timer_ack(struct rate_limit *rl);
/* Disarm the timer (the device was reset and holds nothing). */
void rate_limit_cancel(struct rate_limit *rl);

#endif
