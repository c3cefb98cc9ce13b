/* sysinfo: machine facts for the home screen (see sysinfo.h). */
#include "sysinfo.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The number after "key:" on the line that starts with key, in *out. */
static int field_number(const char *text, const char *key, uint64_t *out)
{
    size_t key_len = strlen(key);

    for (const char *line = text; line && *line;) {
        if (strncmp(line, key, key_len) == 0 && line[key_len] == ':') {
            char *end;
            unsigned long long v = strtoull(line + key_len + 1, &end, 10);
            if (end == line + key_len + 1)
                return -EINVAL;
            *out = v;
            return 0;
        }
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    return -EINVAL;
}

int meminfo_parse(const char *text, uint64_t *total_kib, uint64_t *available_kib)
{
    uint64_t total, available;

    if (field_number(text, "MemTotal", &total) || field_number(text, "MemAvailable", &available))
        return -EINVAL;
    if (available > total)
        available = total;
    *total_kib = total;
    *available_kib = available;
    return 0;
}

void cpuinfo_parse(const char *text, unsigned *count, char *model, size_t len)
{
    *count = 0;
    if (len)
        model[0] = '\0';
    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t n = end ? (size_t)(end - line) : strlen(line);
        if (strncmp(line, "processor", 9) == 0)
            (*count)++;
        if (strncmp(line, "model name", 10) == 0 && len && !model[0]) {
            const char *colon = memchr(line, ':', n);
            if (colon) {
                const char *v = colon + 1;
                size_t vn;
                while (*v == ' ' || *v == '\t')
                    v++;
                vn = n - (size_t)(v - line);
                if (vn >= len)
                    vn = len - 1;
                memcpy(model, v, vn);
                model[vn] = '\0';
            }
        }
        line = end ? end + 1 : NULL;
    }
}

void release_value(const char *text, const char *key, char *out, size_t len)
{
    size_t key_len = strlen(key);

    if (len)
        out[0] = '\0';
    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t n = end ? (size_t)(end - line) : strlen(line);
        if (n > key_len && strncmp(line, key, key_len) == 0 && line[key_len] == '=' && len) {
            size_t vn = n - key_len - 1;
            if (vn >= len)
                vn = len - 1;
            memcpy(out, line + key_len + 1, vn);
            out[vn] = '\0';
        }
        line = end ? end + 1 : NULL;
    }
}

long read_small_file(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    size_t used = 0;

    if (len == 0)
        return -EINVAL;
    buf[0] = '\0';
    if (fd < 0)
        return -errno;
    while (used < len - 1) {
        ssize_t n = read(fd, buf + used, len - 1 - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int err = errno;
            close(fd);
            return -err;
        }
        if (n == 0)
            break;
        used += (size_t)n;
    }
    close(fd);
    while (used > 0 && buf[used - 1] == '\n')
        used--;
    buf[used] = '\0';
    return (long)used;
}

const char *root_path(const char *absolute, char *buf, size_t len)
{
    const char *root = getenv("CORRAL_SETUP_ROOT");

    snprintf(buf, len, "%s%s", root ? root : "", absolute);
    return buf;
}

void status_read(const char *name, char *out, size_t len, const char *fallback)
{
    char rel[128], path[512];

    snprintf(rel, sizeof(rel), "/run/corral/status/%s", name);
    if (read_small_file(root_path(rel, path, sizeof(path)), out, len) <= 0)
        snprintf(out, len, "%s", fallback);
}
