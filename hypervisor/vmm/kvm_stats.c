/* kvm_stats: KVM's own exit counters for a vCPU (see kvm_stats.h). */
#include "kvm_stats.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

#define DESC_HEADER 16            /* flags, exponent, size, offset, bucket_size */
#define MAX_DESC_BYTES (1u << 20) /* KVM's block is a few KiB */

const char *const kvm_stat_names[KVM_STAT_COUNT] = {
    [KVM_STAT_EXITS] = "exits",       [KVM_STAT_IO] = "io_exits",
    [KVM_STAT_MMIO] = "mmio_exits",   [KVM_STAT_HALT] = "halt_exits",
    [KVM_STAT_IRQ] = "irq_exits",     [KVM_STAT_PF_TAKEN] = "pf_taken",
    [KVM_STAT_PF_FIXED] = "pf_fixed", [KVM_STAT_BLOCKING] = "blocking",
};

static uint32_t get_u32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

int kvm_stats_locate(const uint8_t *descs, size_t len, uint32_t num_desc,
                     uint32_t name_size, uint32_t data_offset,
                     int64_t pos[KVM_STAT_COUNT])
{
    for (int k = 0; k < KVM_STAT_COUNT; k++)
        pos[k] = -1;
    size_t step = DESC_HEADER + (size_t)name_size;
    int found = 0;
    if (name_size == 0)
        return 0;
    for (uint32_t i = 0; i < num_desc && (size_t)(i + 1) * step <= len; i++) {
        const uint8_t *d = descs + (size_t)i * step;
        const char *name = (const char *)d + DESC_HEADER;
        if (!memchr(name, '\0', name_size))
            continue;
        for (int k = 0; k < KVM_STAT_COUNT; k++) {
            if (pos[k] < 0 && !strcmp(name, kvm_stat_names[k])) {
                pos[k] = (int64_t)data_offset + get_u32(d + 8);
                found++;
            }
        }
    }
    return found;
}

void kvm_stats_open(struct kvm_stats *s, int vcpu_fd)
{
    struct kvm_stats_header h;
    for (int k = 0; k < KVM_STAT_COUNT; k++)
        s->pos[k] = -1;
    s->fd = ioctl(vcpu_fd, KVM_GET_STATS_FD, NULL);
    if (s->fd < 0)
        return;
    size_t len = 0;
    uint8_t *descs = NULL;
    if (pread(s->fd, &h, sizeof(h), 0) == (ssize_t)sizeof(h)) {
        len = (size_t)h.num_desc * (DESC_HEADER + (size_t)h.name_size);
        descs = len && len <= MAX_DESC_BYTES ? malloc(len) : NULL;
    }
    if (!descs || pread(s->fd, descs, len, h.desc_offset) != (ssize_t)len ||
        kvm_stats_locate(descs, len, h.num_desc, h.name_size, h.data_offset, s->pos) == 0)
        kvm_stats_close(s);
    free(descs);
}

void kvm_stats_read(const struct kvm_stats *s, uint64_t out[KVM_STAT_COUNT])
{
    for (int k = 0; k < KVM_STAT_COUNT; k++) {
        out[k] = 0;
        if (s->fd >= 0 && s->pos[k] >= 0 &&
            pread(s->fd, &out[k], sizeof(out[k]), s->pos[k]) != (ssize_t)sizeof(out[k]))
            out[k] = 0;
    }
}

bool kvm_stats_blocking(const struct kvm_stats *s)
{
    uint64_t v = 0;
    if (s->fd < 0 || s->pos[KVM_STAT_BLOCKING] < 0 ||
        pread(s->fd, &v, sizeof(v), s->pos[KVM_STAT_BLOCKING]) != (ssize_t)sizeof(v))
        return false;
    return v != 0;
}

bool guest_vcpus_all_halted(const struct guest_vcpus *g)
{
    for (unsigned i = 0; i < g->n; i++)
        if (!kvm_stats_blocking(g->stats[i]))
            return false;
    return g->n > 0;
}

void kvm_stats_close(struct kvm_stats *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
}
