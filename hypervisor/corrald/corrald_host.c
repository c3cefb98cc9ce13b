/* corrald_host: host memory accounting (see the .h). */
#include "corrald_host.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The kB value of "Field:   N kB" in text, in MiB. */
static bool corrald_meminfo_field(const char *text, size_t len, const char *field,
                                  uint64_t *mib)
{
    size_t flen = strlen(field);
    for (size_t pos = 0; pos < len;) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t line_len = nl ? (size_t)(nl - line) : len - pos;
        if (line_len > flen && memcmp(line, field, flen) == 0 && line[flen] == ':') {
            char num[32];
            size_t i = flen + 1, n = 0;
            while (i < line_len && line[i] == ' ')
                i++;
            while (i < line_len && n < sizeof(num) - 1 && line[i] >= '0' &&
                   line[i] <= '9')
                num[n++] = line[i++];
            num[n] = '\0';
            if (n == 0)
                return false;
            *mib = strtoull(num, NULL, 10) / 1024;
            return true;
        }
        pos += line_len + 1;
    }
    return false;
}

int corrald_meminfo_parse(const char *text, size_t len, struct corrald_meminfo *out)
{
    if (!corrald_meminfo_field(text, len, "MemTotal", &out->total_mib))
        return -EINVAL;
    if (!corrald_meminfo_field(text, len, "MemAvailable", &out->available_mib))
        out->available_mib = 0;
    return 0;
}

int corrald_meminfo_read(const char *path, struct corrald_meminfo *out)
{
    char buf[8192];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = read(fd, buf, sizeof(buf));
    int rc = n < 0 ? -errno : 0;
    close(fd);
    return rc < 0 ? rc : corrald_meminfo_parse(buf, (size_t)n, out);
}

uint64_t corrald_memory_free_for_vms(uint64_t total_mib, uint64_t reserve_mib,
                                     uint64_t committed_mib)
{
    uint64_t used = reserve_mib + committed_mib;
    return total_mib > used ? total_mib - used : 0;
}
