/* web_session: corral-web's login sessions, in memory.
 *
 * A session is a random 256-bit id (the corral_session cookie) with its own
 * random 256-bit CSRF token, both as 64 lower-case hex digits.  It ends
 * after WEB_SESSION_IDLE_S without a request or WEB_SESSION_MAX_S after
 * login, at logout, or when corral-web restarts.  The table is bounded: a
 * login with the table full evicts the least recently used session.
 * Thread-safe (civetweb serves requests from several threads). */
#ifndef CORRAL_WEB_SESSION_H
#define CORRAL_WEB_SESSION_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define WEB_TOKEN_HEX 64 /* 32 random bytes as hex */
#define WEB_SESSIONS_MAX 64
#define WEB_SESSION_IDLE_S (30 * 60)
#define WEB_SESSION_MAX_S (12 * 60 * 60)

/* Fills buf with n random bytes: 0 or -errno. */
typedef int (*web_random_fn)(void *buf, size_t n);

struct web_session {
    bool used;
    char id[WEB_TOKEN_HEX + 1];
    char csrf[WEB_TOKEN_HEX + 1];
    time_t created, last_used;
};

struct web_sessions {
    pthread_mutex_t lock;
    web_random_fn random;
    struct web_session slots[WEB_SESSIONS_MAX];
};

void web_sessions_init(struct web_sessions *s, web_random_fn random);
/* A new session: its id and CSRF token copied out (WEB_TOKEN_HEX + 1
 * bytes each).  0, or -errno when no random bytes could be had. */
int web_sessions_create(struct web_sessions *s, time_t now, char *id, char *csrf);
/* Whether id names a live session; if so its use is recorded and, when csrf
 * is not NULL, its token copied out.  Any string is safe here. */
bool web_sessions_check(struct web_sessions *s, const char *id, time_t now, char *csrf);
/* Ends the session id names (if any). */
void web_sessions_destroy(struct web_sessions *s, const char *id);
/* Sessions alive at now (for tests and the log). */
size_t web_sessions_count(struct web_sessions *s, time_t now);

/* Whether a and b are the same token, in time that does not depend on where
 * they differ.  NULL or a string of another length is never equal. */
bool web_token_equal(const char *a, const char *b);
/* Whether the n bytes at a and b are equal, in time independent of where
 * they differ (password hashes). */
bool web_bytes_equal(const char *a, const char *b, size_t n);
/* Whether s is exactly WEB_TOKEN_HEX lower-case hex digits. */
bool web_token_valid(const char *s);
/* getrandom(2) as a web_random_fn. */
int web_random_bytes(void *buf, size_t n);

#endif
