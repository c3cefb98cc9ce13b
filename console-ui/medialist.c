/* medialist: partitions and image files to import from (medialist.h). */
#include "medialist.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* File systems with nothing to copy from: swap, RAID and LVM members, and
 * an ISO written to a stick (its files are not images). */
static const char *const skipped_types[] = {
    "swap", "linux_raid_member", "LVM2_member", "iso9660", "squashfs",
};

static bool skipped_type(const char *type)
{
    for (size_t i = 0; i < sizeof(skipped_types) / sizeof(skipped_types[0]); i++)
        if (strcmp(type, skipped_types[i]) == 0)
            return true;
    return !type[0];
}

/* Whether device is the first field of a line of mounts. */
static bool is_mounted(const char *mounts, const char *device)
{
    size_t n = strlen(device);

    for (const char *line = mounts; line && *line;) {
        if (strncmp(line, device, n) == 0 && line[n] == ' ')
            return true;
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    return false;
}

static const char *const blkid_keys[] = {" LABEL=\"", " UUID=\"", " TYPE=\""};

/* Whether a value's closing quote is at p: the line ends or the next
 * KEY=" follows (a label may itself hold a quote). */
static bool closes_value(const char *p, const char *end)
{
    if (*p != '"')
        return false;
    if (p + 1 == end)
        return true;
    for (size_t i = 0; i < sizeof(blkid_keys) / sizeof(blkid_keys[0]); i++) {
        size_t n = strlen(blkid_keys[i]);
        if ((size_t)(end - p - 1) >= n && strncmp(p + 1, blkid_keys[i], n) == 0)
            return true;
    }
    return false;
}

/* The value of KEY="..." in one blkid line (up to end) into out; "" when
 * absent or unterminated. */
static void line_value(const char *line, const char *end, const char *key, char *out,
                       size_t len)
{
    size_t klen = strlen(key), n;

    out[0] = '\0';
    for (const char *v = line; v + klen + 3 <= end; v++) {
        if (v[0] != ' ' || strncmp(v + 1, key, klen) != 0 || v[klen + 1] != '='
            || v[klen + 2] != '"')
            continue;
        v += klen + 3;
        for (const char *p = v; p < end; p++)
            if (closes_value(p, end)) {
                n = (size_t)(p - v) < len ? (size_t)(p - v) : len - 1;
                memcpy(out, v, n);
                out[n] = '\0';
                return;
            }
        return;
    }
}

/* One blkid line into p; false when it is not `/dev/NAME: ...`. */
static bool parse_line(const char *line, const char *end, struct media_part *p)
{
    const char *colon = memchr(line, ':', (size_t)(end - line));
    size_t n;

    if (!colon || strncmp(line, "/dev/", 5) != 0)
        return false;
    n = (size_t)(colon - line);
    if (n <= 5 || n >= sizeof(p->device) || memchr(line, ' ', n))
        return false;
    memcpy(p->device, line, n);
    p->device[n] = '\0';
    line_value(colon, end, "LABEL", p->label, sizeof(p->label));
    line_value(colon, end, "TYPE", p->type, sizeof(p->type));
    for (char *c = p->label; *c; c++)
        if ((unsigned char)*c < ' ' || *c == 0x7f)
            *c = '?'; /* shown on a terminal */
    return true;
}

size_t medialist_parse(const char *blkid, const char *mounts, struct media_part *out,
                       size_t max)
{
    size_t count = 0;

    for (const char *line = blkid; line && *line && count < max;) {
        const char *end = strchr(line, '\n');
        if (!end)
            end = line + strlen(line);
        if (parse_line(line, end, &out[count]) && !skipped_type(out[count].type)
            && !is_mounted(mounts, out[count].device))
            count++;
        line = *end ? end + 1 : end;
    }
    return count;
}

bool medialist_is_image(const char *name)
{
    static const char *const suffixes[] = {".iso", ".img", ".raw"};
    size_t n = strlen(name);

    if (name[0] == '.')
        return false;
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
        if (n > 4 && strcasecmp(name + n - 4, suffixes[i]) == 0)
            return true;
    return false;
}

void medialist_size(uint64_t bytes, char *out, size_t len)
{
    static const char units[] = "KMGT";
    double v = (double)bytes / 1024;
    int u = 0;

    while (v >= 1024 && u < 3) {
        v /= 1024;
        u++;
    }
    snprintf(out, len, v < 10 ? "%.1f%c" : "%.0f%c", v, units[u]);
}

void medialist_describe(const struct media_part *p, uint64_t size_bytes, char *out, size_t len)
{
    char size[16] = "?";
    const char *name = strncmp(p->device, "/dev/", 5) == 0 ? p->device + 5 : p->device;

    if (size_bytes)
        medialist_size(size_bytes, size, sizeof(size));
    snprintf(out, len, "%s %s %s%s%s", name, size, p->type, p->label[0] ? " " : "", p->label);
}
