/* web_ratelimit: login attempts per client address.
 *
 * WEB_RATE_FREE_FAILURES failed logins from one address are free; each
 * further one makes that address wait, WEB_RATE_BASE_S seconds doubling up
 * to WEB_RATE_MAX_S, before the next attempt is even checked.  A success
 * forgets the address; an address quiet for WEB_RATE_FORGET_S is forgotten
 * too.  The table is bounded: when it is full, the entry seen least
 * recently is reused (so a flood from many addresses can free a blocked
 * one early, but each of those addresses gets its own few free tries only).
 */
#ifndef CORRAL_WEB_RATELIMIT_H
#define CORRAL_WEB_RATELIMIT_H

#include <pthread.h>
#include <time.h>

#define WEB_RATE_ENTRIES 256
#define WEB_RATE_FREE_FAILURES 5
#define WEB_RATE_BASE_S 5
#define WEB_RATE_MAX_S 300
#define WEB_RATE_FORGET_S 3600
#define WEB_ADDR_MAX 48 /* an IPv6 address as text, NUL included */

struct web_rate_entry {
    char addr[WEB_ADDR_MAX];
    unsigned failures;
    time_t last, blocked_until;
};

struct web_ratelimit {
    pthread_mutex_t lock;
    struct web_rate_entry entries[WEB_RATE_ENTRIES];
};

void web_ratelimit_init(struct web_ratelimit *rl);
/* 0 when addr may try to log in now, else the seconds it must wait. */
long web_ratelimit_wait(struct web_ratelimit *rl, const char *addr, time_t now);
/* A failed attempt: returns the seconds the next attempt must wait. */
long web_ratelimit_failed(struct web_ratelimit *rl, const char *addr, time_t now);
void web_ratelimit_succeeded(struct web_ratelimit *rl, const char *addr);

#endif
