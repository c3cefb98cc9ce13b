/* web_session: login sessions (see web_session.h). */
#include "web_session.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

void web_sessions_init(struct web_sessions *s, web_random_fn random)
{
    memset(s, 0, sizeof(*s));
    pthread_mutex_init(&s->lock, NULL);
    s->random = random;
}

static bool web_session_live(const struct web_session *e, time_t now)
{
    return e->used && now - e->last_used < WEB_SESSION_IDLE_S &&
           now - e->created < WEB_SESSION_MAX_S && now >= e->created;
}

static int web_random_hex(web_random_fn random, char *out)
{
    unsigned char raw[WEB_TOKEN_HEX / 2];
    static const char digits[] = "0123456789abcdef";
    int rc = random(raw, sizeof(raw));
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < sizeof(raw); i++) {
        out[2 * i] = digits[raw[i] >> 4];
        out[2 * i + 1] = digits[raw[i] & 15];
    }
    out[WEB_TOKEN_HEX] = '\0';
    return 0;
}

/* A free or expired slot, else the least recently used one. */
static struct web_session *web_session_slot(struct web_sessions *s, time_t now)
{
    struct web_session *oldest = &s->slots[0];
    for (size_t i = 0; i < WEB_SESSIONS_MAX; i++) {
        struct web_session *e = &s->slots[i];
        if (!web_session_live(e, now))
            return e;
        if (e->last_used < oldest->last_used)
            oldest = e;
    }
    return oldest;
}

int web_sessions_create(struct web_sessions *s, time_t now, char *id, char *csrf)
{
    struct web_session fresh = { .used = true, .created = now, .last_used = now };
    int rc = web_random_hex(s->random, fresh.id);
    if (rc == 0)
        rc = web_random_hex(s->random, fresh.csrf);
    if (rc < 0)
        return rc;
    pthread_mutex_lock(&s->lock);
    *web_session_slot(s, now) = fresh;
    pthread_mutex_unlock(&s->lock);
    memcpy(id, fresh.id, sizeof(fresh.id));
    memcpy(csrf, fresh.csrf, sizeof(fresh.csrf));
    return 0;
}

/* The live session called id; the caller holds the lock.  Every slot is
 * compared, in constant time, so the time taken says nothing about ids. */
static struct web_session *web_session_find(struct web_sessions *s, const char *id,
                                            time_t now)
{
    struct web_session *found = NULL;
    if (!web_token_valid(id))
        return NULL;
    for (size_t i = 0; i < WEB_SESSIONS_MAX; i++) {
        struct web_session *e = &s->slots[i];
        if (web_token_equal(e->id, id) && web_session_live(e, now))
            found = e;
    }
    return found;
}

bool web_sessions_check(struct web_sessions *s, const char *id, time_t now, char *csrf)
{
    pthread_mutex_lock(&s->lock);
    struct web_session *e = web_session_find(s, id, now);
    if (e) {
        e->last_used = now;
        if (csrf)
            memcpy(csrf, e->csrf, sizeof(e->csrf));
    }
    pthread_mutex_unlock(&s->lock);
    return e != NULL;
}

void web_sessions_destroy(struct web_sessions *s, const char *id)
{
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < WEB_SESSIONS_MAX; i++) {
        struct web_session *e = &s->slots[i];
        if (e->used && web_token_equal(e->id, id))
            memset(e, 0, sizeof(*e));
    }
    pthread_mutex_unlock(&s->lock);
}

size_t web_sessions_count(struct web_sessions *s, time_t now)
{
    size_t n = 0;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < WEB_SESSIONS_MAX; i++)
        n += web_session_live(&s->slots[i], now);
    pthread_mutex_unlock(&s->lock);
    return n;
}

bool web_token_equal(const char *a, const char *b)
{
    if (!a || !b || strlen(a) != WEB_TOKEN_HEX || strlen(b) != WEB_TOKEN_HEX)
        return false;
    return web_bytes_equal(a, b, WEB_TOKEN_HEX);
}

bool web_bytes_equal(const char *a, const char *b, size_t n)
{
    unsigned char diff = 0;
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned char)(a[i] ^ b[i]);
    return diff == 0;
}

bool web_token_valid(const char *s)
{
    if (!s)
        return false;
    for (size_t i = 0; i < WEB_TOKEN_HEX; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    }
    return s[WEB_TOKEN_HEX] == '\0';
}

int web_random_bytes(void *buf, size_t n)
{
    unsigned char *p = buf;
    while (n > 0) {
        ssize_t got = getrandom(p, n, 0);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += got;
        n -= (size_t)got;
    }
    return 0;
}
