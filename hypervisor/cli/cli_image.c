/* cli_image: `corral image import PATH|URL [--sha256 SUM] [--name NAME]
 * [--ca FILE]` - copies a kernel, initrd or disk image into STATE/images,
 * hashing it on the way (SHA-256, checked against --sha256 when given) with
 * a progress bar on a terminal.  http:// and https:// are fetched here;
 * https through tls_client.c, which verifies the server's certificate
 * chain (Debian's ca-certificates, plus --ca FILE) and its name.  A URL
 * import must still name the SHA-256 it expects: TLS proves who sent the
 * file, not that it is the one meant.  The file appears only once complete
 * and verified. */
#include "cli.h"

#include "fdio.h"
#include "image_name.h"
#include "url.h"
#include "sha256.h"
#include "tls_client.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

struct cli_source {
    int fd;                 /* a file, or http's socket; -1 under tls */
    struct tls_client *tls; /* https: the verified connection; NULL: none */
    const struct tls_client_ops *ops; /* tls's functions */
    long long size;         /* -1 when unknown */
    char name[256]; /* the file name it suggests */
};

/* ---- sources ------------------------------------------------------------- */

static void cli_base_name(const char *path, char *out, size_t len)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    snprintf(out, len, "%.*s", (int)strcspn(base, "?#"), base);
}

static int cli_open_file(const char *path, struct cli_source *src, char *why,
                         size_t why_len)
{
    struct stat st;
    src->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (src->fd < 0 || fstat(src->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        snprintf(why, why_len, "%s: %s", path, src->fd < 0 ? strerror(errno) : "not a file");
        return -EINVAL;
    }
    src->size = st.st_size;
    cli_base_name(path, src->name, sizeof(src->name));
    return 0;
}

static int cli_http_connect(const char *host, const char *port, char *why,
                            size_t why_len)
{
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        snprintf(why, why_len, "%s: %s", host, gai_strerror(rc));
        return -EHOSTUNREACH;
    }
    int fd = -1;
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) < 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0)
        snprintf(why, why_len, "%s port %s: %s", host, port, strerror(errno));
    return fd < 0 ? -ECONNREFUSED : fd;
}

static ssize_t cli_source_read(struct cli_source *src, void *buf, size_t len)
{
    return src->tls ? src->ops->read(src->tls, buf, len) : read(src->fd, buf, len);
}

static void cli_source_close(struct cli_source *src)
{
    if (src->tls)
        src->ops->close(src->tls); /* it owns the socket */
    src->tls = NULL;
    if (src->fd >= 0)
        close(src->fd);
    src->fd = -1;
}

/* Reads the response head byte by byte (it is small) up to the blank line;
 * checks for status 200 and takes Content-Length. */
static int cli_http_head(struct cli_source *src, const char *url, char *why,
                         size_t why_len)
{
    char head[8192];
    size_t n = 0;
    while (n < sizeof(head) - 1 && cli_source_read(src, head + n, 1) == 1) {
        n++;
        if (n >= 4 && !memcmp(head + n - 4, "\r\n\r\n", 4))
            break;
    }
    head[n] = '\0';
    int status = 0;
    if (url_reply_head(head, &status, &src->size) < 0 || status != 200) {
        if (status)
            snprintf(why, why_len, "%s: HTTP status %d", url, status);
        else
            snprintf(why, why_len, "%s: not an HTTP reply", url);
        return -EPROTO;
    }
    return 0;
}

/* Nothing is installed without proof: plain http can be changed by anyone
 * on the way, and https proves who sent the file but not that it is the
 * one meant, so a download needs --sha256.  https must also prove who
 * answered (tls_client.h). */
static int cli_open_url(const struct cli *cli, const char *url, const char *sha256,
                        const char *ca_file, struct cli_source *src, char *why,
                        size_t why_len)
{
    struct url_parts u;
    if (!sha256) {
        snprintf(why, why_len, "%s: a download needs --sha256 SUM: the checksum is what "
                 "proves it is the file you meant", url);
        return -EINVAL;
    }
    if (url_parse(url, &u) < 0) {
        snprintf(why, why_len, "%s: not an http[s]://HOST[:PORT]/PATH URL", url);
        return -EINVAL;
    }
    if (u.https && !cli->tls) {
        snprintf(why, why_len, "%s: this build of corral has no TLS", url);
        return -ENOTSUP;
    }
    int fd = cli_http_connect(u.host, u.port, why, why_len);
    if (fd < 0)
        return fd;
    /* a server that stops answering ends the import, not hangs it */
    struct timeval limit = { .tv_sec = CLI_URL_TIMEOUT_S };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof(limit));
    if (!u.https)
        src->fd = fd;
    else {
        src->ops = cli->tls;
        int rc = src->ops->open(fd, u.host, ca_file, &src->tls, why, why_len);
        if (rc < 0)
            return rc;
    }
    char request[URL_PATH_MAX + 400];
    int len = snprintf(request, sizeof(request),
                       "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: corral/%s\r\n\r\n",
                       u.path, u.host_header, CORRAL_VERSION);
    int sent = len >= (int)sizeof(request) ? -ENOSPC
               : src->tls ? src->ops->write_all(src->tls, request, (size_t)len)
                          : fdio_write_all(src->fd, request, (size_t)len);
    if (sent < 0) {
        snprintf(why, why_len, "%s: cannot send the request", url);
        return -EIO;
    }
    src->size = -1;
    cli_base_name(u.path, src->name, sizeof(src->name));
    return cli_http_head(src, url, why, why_len);
}

/* ---- copying ------------------------------------------------------------- */

static void cli_progress(long long done, long long total)
{
    char have[16], all[16];
    cli_format_mib(done >> 20, have, sizeof(have));
    if (total <= 0) {
        fprintf(stderr, "\r%s", have);
        return;
    }
    int width = 30, filled = (int)(done * width / total);
    cli_format_mib(total >> 20, all, sizeof(all));
    fprintf(stderr, "\r[%.*s%.*s] %3d%% %s/%s", filled,
            "##############################", width - filled,
            "------------------------------", (int)(done * 100 / total), have, all);
}

static int cli_copy(struct cli_source *src, int out, bool progress, char hex[65],
                    long long *copied, char *why, size_t why_len)
{
    static char buf[1 << 16];
    struct sha256 h;
    uint8_t digest[32];
    long long done = 0, shown = -1;
    sha256_init(&h);
    for (;;) {
        ssize_t n = cli_source_read(src, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            snprintf(why, why_len, "the server sent nothing for %d s", CLI_URL_TIMEOUT_S);
            return -EIO;
        }
        if (n < 0) {
            snprintf(why, why_len, "reading: %s", strerror(errno));
            return -EIO;
        }
        if (n == 0)
            break;
        sha256_update(&h, buf, (size_t)n);
        if (fdio_write_all(out, buf, (size_t)n) < 0) {
            snprintf(why, why_len, "writing: %s", strerror(errno));
            return -EIO;
        }
        done += n;
        if (progress && done - shown >= (1 << 20)) {
            cli_progress(done, src->size);
            shown = done;
        }
    }
    if (progress) {
        cli_progress(done, src->size);
        fputc('\n', stderr);
    }
    if (src->size >= 0 && done != src->size) {
        snprintf(why, why_len, "got %lld bytes of %lld: the transfer was cut short",
                 done, src->size);
        return -EIO;
    }
    sha256_final(&h, digest);
    sha256_hex(digest, hex);
    *copied = done;
    return 0;
}

struct cli_import {
    const char *from, *sha256, *name, *ca_file;
};

static int cli_import_into(const struct cli *cli, const struct cli_import *imp,
                           struct cli_source *src, const char *dir)
{
    char dest[PATH_MAX], tmp[PATH_MAX + 16], hex[65], why[PATH_MAX + 128];
    long long size = 0;
    const char *name = imp->name ? imp->name : src->name;
    if (!image_name_valid(name))
        return cli_fail(cli, PROTO_E_INVALID, "'%s' is not an image name (letters, "
                        "digits, . _ - +; give one with --name)", name);
    snprintf(dest, sizeof(dest), "%s/%s", dir, name);
    if (access(dest, F_OK) == 0)
        return cli_fail(cli, PROTO_E_EXISTS, "%s exists already", dest);
    snprintf(tmp, sizeof(tmp), "%s.part.XXXXXX", dest);
    int out = mkostemp(tmp, O_CLOEXEC);
    if (out < 0)
        return cli_fail(cli, PROTO_E_IO, "%s: %s", dir, strerror(errno));
    int rc = cli_copy(src, out, !cli->json && isatty(2), hex, &size, why, sizeof(why));
    if (rc == 0 && imp->sha256 && strcasecmp(imp->sha256, hex) != 0) {
        snprintf(why, sizeof(why), "SHA-256 mismatch: the data has %s, "
                 "--sha256 says %s; nothing was imported", hex, imp->sha256);
        rc = -EBADMSG;
    }
    if (rc == 0 && (fsync(out) < 0 || rename(tmp, dest) < 0)) {
        snprintf(why, sizeof(why), "%s: %s", dest, strerror(errno));
        rc = -EIO;
    }
    close(out);
    if (rc < 0) {
        unlink(tmp);
        return cli_fail(cli, rc == -EBADMSG ? PROTO_E_INVALID : PROTO_E_IO, "%s", why);
    }
    if (!cli->json) {
        printf("%s: %lld bytes, sha256 %s\n", dest, size, hex);
        return 0;
    }
    struct json_writer w;
    json_writer_init(&w, 2 * PATH_MAX);
    json_begin_object(&w);
    json_kv_string(&w, "name", name);
    json_kv_string(&w, "path", dest);
    json_kv_int(&w, "size_bytes", size);
    json_kv_string(&w, "sha256", hex);
    json_end_object(&w);
    puts(json_writer_text(&w));
    json_writer_free(&w);
    return 0;
}

int cli_image_import(const struct cli *cli, const char *from, const char *sha256,
                     const char *name, const char *ca_file)
{
    struct cli_import imp = { from, sha256, name, ca_file };
    struct cli_source src = { .fd = -1, .size = -1 };
    char dir[PATH_MAX / 2], why[PATH_MAX + 128]; /* dir + name fit PATH_MAX */
    if (imp.sha256 && (strlen(imp.sha256) != 64 ||
                       strspn(imp.sha256, "0123456789abcdefABCDEF") != 64))
        return cli_fail(cli, PROTO_E_INVALID, "--sha256: 64 hex digits");
    int rc = strncmp(imp.from, "http://", 7) && strncmp(imp.from, "https://", 8)
                 ? cli_open_file(imp.from, &src, why, sizeof(why))
                 : cli_open_url(cli, imp.from, imp.sha256, imp.ca_file, &src, why,
                                sizeof(why));
    if (rc < 0) {
        cli_source_close(&src);
        return cli_fail(cli, rc == -EINVAL ? PROTO_E_INVALID : PROTO_E_IO, "%s", why);
    }
    snprintf(dir, sizeof(dir), "%s/images", cli->state_dir);
    fdio_mkdir_p(dir, 0700); /* a failure shows when the file is made */
    int status = cli_import_into(cli, &imp, &src, dir);
    cli_source_close(&src);
    return status;
}
