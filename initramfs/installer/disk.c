/* disk: candidate disks and the rules that pick or refuse one (disk.h). */
#include "disk.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* Copies the value of NAME="..." found in line into out ("" if absent). */
static void blkid_field(const char *line, const char *name, char *out, size_t len)
{
    char pattern[32];
    snprintf(pattern, sizeof(pattern), " %s=\"", name);
    out[0] = '\0';
    const char *p = strstr(line, pattern);
    if (!p)
        return;
    p += strlen(pattern);
    const char *end = strchr(p, '"');
    if (!end)
        return;
    size_t n = (size_t)(end - p);
    if (n >= len)
        n = len - 1;
    memcpy(out, p, n);
    out[n] = '\0';
}

int blkid_parse_line(const char *line, struct blkid_entry *out)
{
    memset(out, 0, sizeof(*out));
    if (strncmp(line, "/dev/", 5) != 0)
        return -EINVAL;
    const char *name = line + 5;
    const char *colon = strchr(name, ':');
    if (!colon || colon == name || (size_t)(colon - name) >= sizeof(out->device))
        return -EINVAL;
    memcpy(out->device, name, (size_t)(colon - name));
    blkid_field(colon, "LABEL", out->label, sizeof(out->label));
    blkid_field(colon, "TYPE", out->type, sizeof(out->type));
    return 0;
}

int is_answer_label(const char *label)
{
    return strcmp(label, ANSWER_LABEL) == 0 || strcmp(label, ANSWER_LABEL_FAT) == 0;
}

int disk_name_is_candidate(const char *name)
{
    static const char *const skipped[] = {"loop", "ram", "zram", "sr", "fd", "dm-", "md", "nbd"};
    for (size_t i = 0; i < sizeof(skipped) / sizeof(skipped[0]); i++)
        if (strncmp(name, skipped[i], strlen(skipped[i])) == 0)
            return 0;
    return name[0] != '\0';
}

void disk_transport_from_path(const char *path, char *out, size_t len)
{
    /* Order matters: a USB stick's path also contains "/host", an NVMe
     * disk's also "/pci". */
    static const struct { const char *marker, *transport; } rules[] = {
        {"/usb", "usb"},   {"/nvme", "nvme"}, {"/virtio", "virtio"},
        {"/ata", "sata"},  {"/mmc", "mmc"},   {"/host", "scsi"},
    };
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
        if (strstr(path, rules[i].marker)) {
            snprintf(out, len, "%s", rules[i].transport);
            return;
        }
    }
    snprintf(out, len, "other");
}

int disk_owns_device(const struct disk *d, const char *dev)
{
    if (strcmp(d->name, dev) == 0)
        return 1;
    for (size_t i = 0; i < d->partition_count; i++)
        if (strcmp(d->partitions[i], dev) == 0)
            return 1;
    return 0;
}

static void append_label(struct disk *d, const struct blkid_entry *e)
{
    size_t used = strlen(d->labels);
    const char *sep = used ? ", " : "";
    if (e->label[0])
        snprintf(d->labels + used, sizeof(d->labels) - used, "%s%s (%s)", sep,
                 e->label, e->type[0] ? e->type : "?");
    else if (e->type[0])
        snprintf(d->labels + used, sizeof(d->labels) - used, "%s%s", sep, e->type);
}

void disk_apply_blkid(struct disk *disks, size_t n, const struct blkid_entry *e,
                      size_t ne)
{
    for (size_t i = 0; i < ne; i++) {
        for (size_t k = 0; k < n; k++) {
            if (!disk_owns_device(&disks[k], e[i].device))
                continue;
            append_label(&disks[k], &e[i]);
            if (strcmp(e[i].label, MEDIUM_LABEL) == 0 && strcmp(e[i].type, "iso9660") == 0)
                disks[k].holds_medium = 1;
            if (is_answer_label(e[i].label))
                disks[k].holds_answer = 1;
        }
    }
}

/* One /proc/mounts line: "SOURCE TARGET TYPE ...".  The first mounted
 * device of a disk is the one reported. */
static void apply_mount_line(struct disk *disks, size_t n, const char *line)
{
    char source[128], target[128];
    if (sscanf(line, "%127s %127s", source, target) != 2 || strncmp(source, "/dev/", 5) != 0)
        return;
    for (size_t k = 0; k < n; k++) {
        if (disks[k].in_use[0] || !disk_owns_device(&disks[k], source + 5))
            continue;
        snprintf(disks[k].in_use, sizeof(disks[k].in_use), "%.60s is mounted at %.80s",
                 source, target);
    }
}

void disk_apply_mounts(struct disk *disks, size_t n, const char *mounts)
{
    const char *line = mounts;
    while (line && *line) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        char buf[512];
        if (len < sizeof(buf)) {
            memcpy(buf, line, len);
            buf[len] = '\0';
            apply_mount_line(disks, n, buf);
        }
        line = end ? end + 1 : NULL;
    }
}

const char *disk_refusal(const struct disk *d, char *buf, size_t len)
{
    char size[32], min[32];
    if (d->holds_medium)
        snprintf(buf, len, "it holds the Corral medium the system booted from");
    else if (d->holds_answer)
        snprintf(buf, len, "it holds the answer file partition (%s)", ANSWER_LABEL);
    else if (d->in_use[0])
        snprintf(buf, len, "it is in use: %s", d->in_use);
    else if (d->read_only)
        snprintf(buf, len, "it is read-only");
    else if (d->size_bytes < DISK_MIN_BYTES) {
        format_size(d->size_bytes, size, sizeof(size));
        format_size(DISK_MIN_BYTES, min, sizeof(min));
        snprintf(buf, len, "it is too small (%s; Corral needs at least %s)", size, min);
    } else
        return NULL;
    return buf;
}

static int pick_by_name(const struct disk *disks, size_t n, const char *rule,
                        char *why, size_t why_len)
{
    const char *name = strncmp(rule, "/dev/", 5) == 0 ? rule + 5 : rule;
    char reason[256];
    for (size_t i = 0; i < n; i++) {
        if (strcmp(disks[i].name, name) != 0)
            continue;
        if (disk_refusal(&disks[i], reason, sizeof(reason))) {
            snprintf(why, why_len, "cannot install to %s: %s", name, reason);
            return -1;
        }
        return (int)i;
    }
    snprintf(why, why_len, "no disk named %s (see corral-install --list)", name);
    return -1;
}

static int pick_by_size(const struct disk *disks, size_t n, int largest, char *why,
                        size_t why_len)
{
    int best = -1;
    char reason[256];
    for (size_t i = 0; i < n; i++) {
        if (disk_refusal(&disks[i], reason, sizeof(reason)))
            continue;
        if (best < 0 || (largest ? disks[i].size_bytes > disks[best].size_bytes
                                 : disks[i].size_bytes < disks[best].size_bytes))
            best = (int)i;
    }
    if (best < 0)
        snprintf(why, why_len, "no disk can be installed to (see corral-install --list)");
    return best;
}

int disk_pick(const struct disk *disks, size_t n, const char *rule, char *why,
              size_t why_len)
{
    if (strcmp(rule, "largest") == 0)
        return pick_by_size(disks, n, 1, why, why_len);
    if (strcmp(rule, "smallest") == 0)
        return pick_by_size(disks, n, 0, why, why_len);
    return pick_by_name(disks, n, rule, why, why_len);
}

static void disk_json(const struct disk *d, struct json_writer *w)
{
    char size[32], reason[256];
    const char *refused = disk_refusal(d, reason, sizeof(reason));
    format_size(d->size_bytes, size, sizeof(size));
    json_begin_object(w);
    json_kv_string(w, "name", d->name);
    json_kv_int(w, "size_bytes", (int64_t)d->size_bytes);
    json_kv_string(w, "size", size);
    json_kv_string(w, "transport", d->transport);
    json_kv_string(w, "model", d->model);
    json_kv_string(w, "serial", d->serial);
    json_kv_bool(w, "removable", d->removable);
    json_kv_int(w, "partitions", (int64_t)d->partition_count);
    json_kv_string(w, "labels", d->labels);
    json_kv_bool(w, "usable", refused == NULL);
    json_key(w, "refusal");
    if (refused)
        json_string(w, refused);
    else
        json_null(w);
    json_end_object(w);
}

void disk_list_json(const struct disk *disks, size_t n, struct json_writer *w)
{
    json_begin_object(w);
    json_kv_int(w, "min_bytes", (int64_t)DISK_MIN_BYTES);
    json_key(w, "disks");
    json_begin_array(w);
    for (size_t i = 0; i < n; i++)
        disk_json(&disks[i], w);
    json_end_array(w);
    json_end_object(w);
}

void partition_name(const char *disk, int number, char *out, size_t len)
{
    size_t n = strlen(disk);
    int ends_in_digit = n > 0 && disk[n - 1] >= '0' && disk[n - 1] <= '9';
    snprintf(out, len, "%s%s%d", disk, ends_in_digit ? "p" : "", number);
}

void format_size(uint64_t bytes, char *out, size_t len)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    double value = (double)bytes;
    size_t u = 0;
    while (value >= 1024.0 && u + 1 < sizeof(units) / sizeof(units[0])) {
        value /= 1024.0;
        u++;
    }
    if (u >= 3)
        snprintf(out, len, "%.1f %s", value, units[u]);
    else
        snprintf(out, len, "%.0f %s", value, units[u]);
}
