/* rate_limit: bytes/s and ops/s limits with a wake-up timer (see rate_limit.h). */
#include "rate_limit.h"
#include "clock.h"

#include <errno.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

int rate_limit_init(struct rate_limit *rl, uint64_t bytes_per_s,
                    uint64_t ops_per_s, rate_limit_clock_fn now_ns)
{
    rl->now_ns = now_ns ? now_ns : clock_monotonic_ns;
    rl->throttled = 0;
    rl->timer_fd = -1;
    uint64_t now = rl->now_ns();
    token_bucket_init(&rl->bytes, bytes_per_s, now);
    token_bucket_init(&rl->ops, ops_per_s, now);
    if (bytes_per_s == 0 && ops_per_s == 0)
        return 0;
    rl->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    return rl->timer_fd < 0 ? -errno : 0;
}

void rate_limit_destroy(struct rate_limit *rl)
{
    if (rl->timer_fd >= 0)
        close(rl->timer_fd);
    rl->timer_fd = -1;
}

int rate_limit_fd(const struct rate_limit *rl)
{
    return rl->timer_fd;
}

static void rate_limit_arm(struct rate_limit *rl, uint64_t ns)
{
    /* Past a day is as good as never: the timer takes seconds in time_t. */
    const uint64_t day = 86400 * TOKEN_BUCKET_NS_PER_S;
    if (ns > day)
        ns = day;
    struct itimerspec its = {
        .it_value = { .tv_sec = (time_t)(ns / TOKEN_BUCKET_NS_PER_S),
                      .tv_nsec = (long)(ns % TOKEN_BUCKET_NS_PER_S) },
    };
    timerfd_settime(rl->timer_fd, 0, &its, NULL);
}

bool rate_limit_admit(struct rate_limit *rl, uint64_t ops, uint64_t bytes)
{
    if (rl->timer_fd < 0)
        return true;
    uint64_t now = rl->now_ns();
    uint64_t wait_bytes = token_bucket_wait_ns(&rl->bytes, bytes, now);
    uint64_t wait_ops = token_bucket_wait_ns(&rl->ops, ops, now);
    uint64_t wait = wait_bytes > wait_ops ? wait_bytes : wait_ops;
    if (wait > 0) {
        rl->throttled++;
        rate_limit_arm(rl, wait);
        return false;
    }
    token_bucket_take(&rl->bytes, bytes);
    token_bucket_take(&rl->ops, ops);
    return true;
}

void rate_limit_timer_ack(struct rate_limit *rl)
{
    uint64_t expirations;
    if (rl->timer_fd >= 0 &&
        read(rl->timer_fd, &expirations, sizeof(expirations)) < 0) {
        /* EAGAIN: another wake-up consumed it; nothing to do */
    }
}

void rate_limit_cancel(struct rate_limit *rl)
{
    struct itimerspec off = { 0 };
    if (rl->timer_fd >= 0)
        timerfd_settime(rl->timer_fd, 0, &off, NULL);
}
