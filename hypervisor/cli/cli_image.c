/* cli_image: `corral image import PATH|URL [--sha256 SUM] [--name NAME]` -
 * copies a kernel, initrd or disk image into STATE/images, hashing it on
 * the way (SHA-256, checked against --sha256 when given) with a progress
 * bar on a terminal.  http:// is fetched here; https:// through BusyBox's
 * wget, whose TLS does not verify the server's certificate - so an https
 * import must name the SHA-256 it expects.  The file appears only once
 * complete and verified. */
#include "cli.h"

#include "fdio.h"
#include "image_name.h"
#include "sha256.h"

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
#include <sys/wait.h>
#include <unistd.h>

struct cli_source {
    int fd;
    pid_t fetcher; /* wget for https, reaped by cli_source_finish; 0: none */
    long long size; /* -1 when unknown */
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

/* Reads the response head byte by byte (it is small) up to the blank line;
 * checks for status 200 and takes Content-Length. */
static int cli_http_head(struct cli_source *src, const char *url, char *why,
                         size_t why_len)
{
    char head[8192];
    size_t n = 0;
    while (n < sizeof(head) - 1 && read(src->fd, head + n, 1) == 1) {
        n++;
        if (n >= 4 && !memcmp(head + n - 4, "\r\n\r\n", 4))
            break;
    }
    head[n] = '\0';
    int status = 0;
    if (sscanf(head, "HTTP/%*d.%*d %d", &status) != 1 || status != 200) {
        if (status)
            snprintf(why, why_len, "%s: HTTP status %d", url, status);
        else
            snprintf(why, why_len, "%s: not an HTTP reply", url);
        return -EPROTO;
    }
    for (char *line = strstr(head, "\r\n"); line; line = strstr(line + 2, "\r\n"))
        if (!strncasecmp(line + 2, "Content-Length:", 15))
            src->size = atoll(line + 17);
    return 0;
}

/* https: BusyBox's wget writes the body to a pipe.  Its TLS cannot check
 * who answered, so only a --sha256 makes the result trustworthy. */
static int cli_open_https(const char *url, const char *sha256,
                          struct cli_source *src, char *why, size_t why_len)
{
    int p[2];
    if (!sha256) {
        snprintf(why, why_len, "%s: an https import needs --sha256 SUM: the control "
                 "domain cannot verify the server's certificate, so the checksum is "
                 "what proves the file is the one you meant", url);
        return -EINVAL;
    }
    if (pipe2(p, O_CLOEXEC) < 0 || (src->fetcher = fork()) < 0) {
        snprintf(why, why_len, "%s: %s", url, strerror(errno));
        return -EIO;
    }
    if (src->fetcher == 0) {
        dup2(p[1], STDOUT_FILENO);
        execlp("wget", "wget", "-q", "-T", "30", "-O", "-", url, (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    src->fd = p[0];
    src->size = -1;
    cli_base_name(strchr(url + 8, '/') ? strchr(url + 8, '/') : "", src->name,
                  sizeof(src->name));
    return 0;
}

/* A fetcher that failed (wget's message is on stderr) spoils the copy. */
static int cli_source_finish(struct cli_source *src, char *why, size_t why_len)
{
    int status;
    if (src->fetcher <= 0)
        return 0;
    close(src->fd); /* an early end: wget gets EPIPE instead of blocking */
    src->fd = -1;
    while (waitpid(src->fetcher, &status, 0) < 0 && errno == EINTR)
        ;
    src->fetcher = 0;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    snprintf(why, why_len, "the https download failed (wget %s %d); nothing was imported",
             WIFEXITED(status) ? "exit status" : "signal",
             WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    return -EIO;
}

static int cli_open_url(const char *url, const char *sha256, struct cli_source *src,
                        char *why, size_t why_len)
{
    char host[256], port[8] = "80";
    if (!strncmp(url, "https://", 8))
        return cli_open_https(url, sha256, src, why, why_len);
    const char *rest = url + 7, *path = strchr(rest, '/');
    size_t host_len = path ? (size_t)(path - rest) : strlen(rest);
    if (host_len == 0 || host_len >= sizeof(host)) {
        snprintf(why, why_len, "%s: not an http://HOST/PATH URL", url);
        return -EINVAL;
    }
    snprintf(host, sizeof(host), "%.*s", (int)host_len, rest);
    char *colon = strchr(host, ':');
    if (colon) {
        snprintf(port, sizeof(port), "%s", colon + 1);
        *colon = '\0';
    }
    src->fd = cli_http_connect(host, port, why, why_len);
    if (src->fd < 0)
        return src->fd;
    char request[2048];
    int len = snprintf(request, sizeof(request),
                       "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: corral/%s\r\n\r\n",
                       path ? path : "/", host, CORRAL_VERSION);
    if (len >= (int)sizeof(request) || fdio_write_all(src->fd, request, (size_t)len) < 0) {
        snprintf(why, why_len, "%s: cannot send the request", url);
        return -EIO;
    }
    src->size = -1;
    cli_base_name(path ? path : "", src->name, sizeof(src->name));
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
        ssize_t n = read(src->fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
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
    const char *from, *sha256, *name;
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
    int fetched = cli_source_finish(src, why, sizeof(why));
    if (rc == 0)
        rc = fetched;
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
                     const char *name)
{
    struct cli_import imp = { from, sha256, name };
    struct cli_source src = { .fd = -1, .size = -1 };
    char dir[PATH_MAX / 2], why[PATH_MAX + 128]; /* dir + name fit PATH_MAX */
    if (imp.sha256 && (strlen(imp.sha256) != 64 ||
                       strspn(imp.sha256, "0123456789abcdefABCDEF") != 64))
        return cli_fail(cli, PROTO_E_INVALID, "--sha256: 64 hex digits");
    int rc = strncmp(imp.from, "http://", 7) && strncmp(imp.from, "https://", 8)
                 ? cli_open_file(imp.from, &src, why, sizeof(why))
                 : cli_open_url(imp.from, imp.sha256, &src, why, sizeof(why));
    if (rc < 0) {
        if (src.fd >= 0)
            close(src.fd);
        return cli_fail(cli, rc == -EINVAL ? PROTO_E_INVALID : PROTO_E_IO, "%s", why);
    }
    snprintf(dir, sizeof(dir), "%s/images", cli->state_dir);
    fdio_mkdir_p(dir, 0700); /* a failure shows when the file is made */
    int status = cli_import_into(cli, &imp, &src, dir);
    cli_source_finish(&src, why, sizeof(why)); /* when refused before the copy */
    if (src.fd >= 0)
        close(src.fd);
    return status;
}
