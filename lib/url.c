/* url: URL and reply-head parsing (see url.h). */
#include "url.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool url_printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x21 || (unsigned char)*s > 0x7e)
            return false;
    return true;
}

static bool url_port_valid(const char *p, size_t len)
{
    if (len == 0 || len > 5)
        return false;
    long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)p[i]))
            return false;
        v = v * 10 + (p[i] - '0');
    }
    return v >= 1 && v <= 65535;
}

/* host (and port) from the authority, which is between "//" and the path */
static int url_authority(const char *a, size_t len, struct url_parts *out)
{
    const char *host = a, *end = a + len, *colon;
    size_t host_len;
    if (len == 0 || len >= sizeof(out->host_header) || memchr(a, '@', len))
        return -EINVAL;
    if (a[0] == '[') { /* [IPv6]:PORT */
        const char *close = memchr(a, ']', len);
        if (!close || close == a + 1)
            return -EINVAL;
        host = a + 1;
        host_len = (size_t)(close - host);
        if (strspn(host, "0123456789abcdefABCDEF:.") < host_len)
            return -EINVAL;
        colon = close + 1 < end ? close + 1 : NULL;
        if (colon && *colon != ':')
            return -EINVAL;
    } else {
        colon = memchr(a, ':', len);
        host_len = colon ? (size_t)(colon - a) : len;
        for (size_t i = 0; i < host_len; i++)
            if (!isalnum((unsigned char)a[i]) && a[i] != '-' && a[i] != '.')
                return -EINVAL;
    }
    if (host_len == 0 || host_len >= sizeof(out->host))
        return -EINVAL;
    if (colon && !url_port_valid(colon + 1, (size_t)(end - colon - 1)))
        return -EINVAL;
    memcpy(out->host, host, host_len);
    out->host[host_len] = '\0';
    if (colon)
        snprintf(out->port, sizeof(out->port), "%.*s", (int)(end - colon - 1), colon + 1);
    memcpy(out->host_header, a, len);
    out->host_header[len] = '\0';
    return 0;
}

int url_parse(const char *url, struct url_parts *out)
{
    memset(out, 0, sizeof(*out));
    const char *rest;
    if (!strncmp(url, "http://", 7))
        rest = url + 7;
    else if (!strncmp(url, "https://", 8))
        rest = url + 8, out->https = true;
    else
        return -EINVAL;
    if (!url_printable(url))
        return -EINVAL;
    snprintf(out->port, sizeof(out->port), "%s", out->https ? "443" : "80");
    const char *path = strchr(rest, '/');
    size_t auth_len = path ? (size_t)(path - rest) : strlen(rest);
    if (url_authority(rest, auth_len, out) < 0)
        return -EINVAL;
    if (!path)
        path = "/";
    if (strlen(path) >= sizeof(out->path))
        return -EINVAL;
    snprintf(out->path, sizeof(out->path), "%s", path);
    return 0;
}

int url_reply_head(const char *head, int *status, long long *length)
{
    int code = 0, used = 0;
    *length = -1;
    if (sscanf(head, "HTTP/%*1[0-9].%*1[0-9] %3d%n", &code, &used) != 1 || used != 12 ||
        code < 100 || (head[used] != ' ' && head[used] != '\r' && head[used] != '\0'))
        return -EPROTO;
    *status = code;
    for (const char *line = strstr(head, "\r\n"); line; line = strstr(line + 2, "\r\n")) {
        if (strncasecmp(line + 2, "Content-Length:", 15))
            continue;
        const char *v = line + 17;
        v += strspn(v, " \t");
        char *end;
        errno = 0;
        long long n = strtoll(v, &end, 10);
        if (!isdigit((unsigned char)*v) || errno || (*end != '\r' && *end != ' ' &&
                                                     *end != '\t' && *end != '\0'))
            return -EPROTO;
        *length = n;
    }
    return 0;
}
