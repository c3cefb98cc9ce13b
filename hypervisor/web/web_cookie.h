/* web_cookie: the session cookie, corral_session, read from a Cookie
 * header and written as a Set-Cookie value. */
#ifndef CORRAL_WEB_COOKIE_H
#define CORRAL_WEB_COOKIE_H

#include <stddef.h>

#define WEB_COOKIE_NAME "corral_session"

/* The value of cookie name in a Cookie header ("a=1; b=2"), copied into
 * out (NUL terminated).  0, -ENOENT when absent (or header is NULL),
 * -E2BIG when the value does not fit.  The first of repeated names wins. */
int web_cookie_get(const char *header, const char *name, char *out, size_t len);
/* The Set-Cookie value that sets the session (max_age_s > 0) or clears it
 * (id NULL): HttpOnly, Secure, SameSite=Strict, Path=/.  0 or -E2BIG. */
int web_cookie_set(char *out, size_t len, const char *id, long max_age_s);

#endif
