/* web_ratelimit: login attempts per client address (see web_ratelimit.h). */
#include "web_ratelimit.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

void web_ratelimit_init(struct web_ratelimit *rl)
{
    memset(rl, 0, sizeof(*rl));
    pthread_mutex_init(&rl->lock, NULL);
}

static bool web_rate_stale(const struct web_rate_entry *e, time_t now)
{
    return !e->addr[0] || now - e->last >= WEB_RATE_FORGET_S;
}

/* addr's entry (the caller holds the lock), or with create a fresh one.
 * Addresses are compared as stored: cut to WEB_ADDR_MAX - 1 bytes. */
static struct web_rate_entry *web_rate_find(struct web_ratelimit *rl, const char *full,
                                            time_t now, bool create)
{
    char addr[WEB_ADDR_MAX];
    snprintf(addr, sizeof(addr), "%s", full);
    struct web_rate_entry *spare = NULL;
    for (size_t i = 0; i < WEB_RATE_ENTRIES; i++) {
        struct web_rate_entry *e = &rl->entries[i];
        if (e->addr[0] && strncmp(e->addr, addr, WEB_ADDR_MAX) == 0)
            return web_rate_stale(e, now) && !create ? NULL : e;
        if (!spare || (!web_rate_stale(spare, now) &&
                       (web_rate_stale(e, now) || e->last < spare->last)))
            spare = e;
    }
    if (!create)
        return NULL;
    memset(spare, 0, sizeof(*spare));
    memcpy(spare->addr, addr, sizeof(addr));
    return spare;
}

long web_ratelimit_wait(struct web_ratelimit *rl, const char *addr, time_t now)
{
    pthread_mutex_lock(&rl->lock);
    struct web_rate_entry *e = web_rate_find(rl, addr, now, false);
    long wait = e && e->blocked_until > now ? (long)(e->blocked_until - now) : 0;
    pthread_mutex_unlock(&rl->lock);
    return wait;
}

long web_ratelimit_failed(struct web_ratelimit *rl, const char *addr, time_t now)
{
    pthread_mutex_lock(&rl->lock);
    struct web_rate_entry *e = web_rate_find(rl, addr, now, true);
    if (web_rate_stale(e, now))
        e->failures = 0;
    e->failures++;
    e->last = now;
    long wait = 0;
    if (e->failures >= WEB_RATE_FREE_FAILURES) {
        unsigned extra = e->failures - WEB_RATE_FREE_FAILURES;
        wait = WEB_RATE_BASE_S;
        while (extra-- > 0 && wait < WEB_RATE_MAX_S)
            wait *= 2;
        if (wait > WEB_RATE_MAX_S)
            wait = WEB_RATE_MAX_S;
        e->blocked_until = now + wait;
    }
    pthread_mutex_unlock(&rl->lock);
    return wait;
}

void web_ratelimit_succeeded(struct web_ratelimit *rl, const char *addr)
{
    pthread_mutex_lock(&rl->lock);
    /* now = 0: an entry is never stale then, so any entry is found */
    struct web_rate_entry *e = web_rate_find(rl, addr, 0, false);
    if (e)
        memset(e, 0, sizeof(*e));
    pthread_mutex_unlock(&rl->lock);
}
