/* url: the http:// and https:// URLs `corral image import` fetches, and the
 * head of the reply (pure; fuzzed by tests/fuzz/fuzz_url.c).
 *
 * A URL is http[s]://HOST[:PORT][/PATH]: HOST a DNS name or IPv4 address
 * (letters, digits, '-', '.') or an IPv6 address in brackets; no user
 * information ('@'), no byte below 0x21 or above 0x7e anywhere (a space
 * or CR LF in PATH would change the request). */
#ifndef CORRAL_URL_H
#define CORRAL_URL_H

#include <stdbool.h>
#include <stddef.h>

#define URL_PATH_MAX 2048

struct url_parts {
    bool https;
    char host[256];        /* what to connect to and check: no brackets */
    char host_header[272]; /* for Host:, as written (with [ ] and :PORT) */
    char port[6];          /* "80", "443" or as written */
    char path[URL_PATH_MAX]; /* "/" when none */
};

/* 0, or -EINVAL for anything but a well-formed http(s) URL. */
int url_parse(const char *url, struct url_parts *out);

/* The status code of an HTTP/1.x reply head (text up to its blank line)
 * and its Content-Length (-1 when absent); 0, or -EPROTO when the head is
 * not an HTTP reply or its length is not a number. */
int url_reply_head(const char *head, int *status, long long *length);

#endif
