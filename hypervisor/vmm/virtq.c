/* virtq: device side of a virtio 1.x split virtqueue (see virtq.h).
 *
 * Ring layout (virtio 1.x, 2.7): the descriptor table is size entries of
 * {le64 addr, le32 len, le16 flags, le16 next}; the available ring is
 * {le16 flags, le16 idx, le16 ring[size], le16 used_event}; the used ring
 * is {le16 flags, le16 idx, {le32 id, le32 len} ring[size], le16
 * avail_event}.  The host is x86-64, so little endian needs no swapping. */
#include "virtq.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
               "virtq reads little-endian rings in place");

#define VIRTQ_DESC_SIZE 16
#define VIRTQ_AVAIL_IDX_OFF 2
#define VIRTQ_AVAIL_RING_OFF 4
#define VIRTQ_USED_IDX_OFF 2
#define VIRTQ_USED_RING_OFF 4
#define VIRTQ_USED_ELEM_SIZE 8

/* Our private copy of one descriptor: validated and used only as a copy. */
struct virtq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

/* Where the walk is: the main table or one indirect table. */
struct virtq_walk {
    const uint8_t *table;
    uint32_t count;    /* entries in table */
    uint32_t visited;  /* descriptors read from this table */
    bool in_indirect;
    bool seen_writable;
    uint64_t total;    /* bytes in the chain so far */
};

static uint64_t virtq_desc_table_bytes(uint16_t size)
{
    return (uint64_t)VIRTQ_DESC_SIZE * size;
}

static uint64_t virtq_avail_bytes(uint16_t size)
{
    return VIRTQ_AVAIL_RING_OFF + 2ULL * size + 2; /* + used_event */
}

static uint64_t virtq_used_bytes(uint16_t size)
{
    return VIRTQ_USED_RING_OFF + (uint64_t)VIRTQ_USED_ELEM_SIZE * size + 2;
}

static uint16_t *virtq_avail_idx(const struct virtq *vq)
{
    return (uint16_t *)(vq->avail_ring + VIRTQ_AVAIL_IDX_OFF);
}

static uint16_t *virtq_used_idx(const struct virtq *vq)
{
    return (uint16_t *)(vq->used_ring + VIRTQ_USED_IDX_OFF);
}

/* used_event sits after the available ring, avail_event after the used. */
static uint16_t *virtq_used_event(const struct virtq *vq)
{
    return (uint16_t *)(vq->avail_ring + VIRTQ_AVAIL_RING_OFF + 2u * vq->size);
}

static uint16_t *virtq_avail_event(const struct virtq *vq)
{
    return (uint16_t *)(vq->used_ring + VIRTQ_USED_RING_OFF +
                        VIRTQ_USED_ELEM_SIZE * (uint32_t)vq->size);
}

static uint16_t virtq_load16(const uint16_t *p)
{
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}

void virtq_reset(struct virtq *vq)
{
    memset(vq, 0, sizeof(*vq));
}

static bool virtq_size_ok(uint16_t size)
{
    return size != 0 && size <= VIRTQ_MAX_SIZE && (size & (size - 1)) == 0;
}

static bool virtq_layout_aligned(const struct virtq_layout *l)
{
    return l->desc_gpa % 16 == 0 && l->avail_gpa % 2 == 0 &&
           l->used_gpa % 4 == 0;
}

int virtq_start(struct virtq *vq, const struct guest_mem *mem,
                const struct virtq_layout *layout, uint64_t features)
{
    virtq_reset(vq);
    if (!virtq_size_ok(layout->size) || !virtq_layout_aligned(layout))
        return -EINVAL;
    uint16_t size = layout->size;
    vq->desc_table = guest_mem_ptr(mem, layout->desc_gpa,
                                   virtq_desc_table_bytes(size));
    vq->avail_ring = guest_mem_ptr(mem, layout->avail_gpa,
                                   virtq_avail_bytes(size));
    vq->used_ring = guest_mem_ptr(mem, layout->used_gpa,
                                  virtq_used_bytes(size));
    if (!vq->desc_table || !vq->avail_ring || !vq->used_ring) {
        virtq_reset(vq);
        return -EFAULT;
    }
    vq->mem = mem;
    vq->size = size;
    vq->indirect = features & (1ULL << VIRTIO_F_INDIRECT_DESC);
    vq->event_idx = features & (1ULL << VIRTIO_F_RING_EVENT_IDX);
    /* Both rings start at index 0 (2.7.6, 2.7.8): whatever else the
     * guest left in its memory is not our starting point. */
    vq->ready = true;
    return 0;
}

static void virtq_read_desc(const uint8_t *table, uint32_t index,
                            struct virtq_desc *d)
{
    const uint8_t *p = table + (size_t)index * VIRTQ_DESC_SIZE;
    memcpy(&d->addr, p, 8);
    memcpy(&d->len, p + 8, 4);
    memcpy(&d->flags, p + 12, 2);
    memcpy(&d->next, p + 14, 2);
}

/* Switch the walk to the indirect table d describes. */
static int virtq_enter_indirect(const struct virtq *vq, struct virtq_walk *w,
                                const struct virtq_desc *d)
{
    /* Nested tables, NEXT beside INDIRECT and tables the driver did not
     * negotiate are all forbidden (2.7.5.3.1). */
    if (w->in_indirect || !vq->indirect || (d->flags & VIRTQ_DESC_F_NEXT))
        return -EPROTO;
    if (d->len == 0 || d->len % VIRTQ_DESC_SIZE != 0 ||
        d->len / VIRTQ_DESC_SIZE > VIRTQ_MAX_SIZE)
        return -EPROTO;
    const uint8_t *table = guest_mem_ptr(vq->mem, d->addr, d->len);
    if (!table)
        return -EPROTO;
    w->table = table;
    w->count = d->len / VIRTQ_DESC_SIZE;
    w->visited = 0;
    w->in_indirect = true;
    return 0;
}

/* Add one buffer descriptor to the chain after checking it. */
static int virtq_add_segment(const struct virtq *vq, struct virtq_walk *w,
                             const struct virtq_desc *d,
                             struct virtq_chain *c)
{
    bool writable = d->flags & VIRTQ_DESC_F_WRITE;
    if (w->seen_writable && !writable)
        return -EPROTO; /* readable after writable (2.7.4.2) */
    w->seen_writable |= writable;
    w->total += d->len;
    if (w->total > UINT32_MAX)
        return -EPROTO;
    if (d->len == 0)
        return 0; /* nothing to transfer; the address is never used */
    void *host = guest_mem_ptr(vq->mem, d->addr, d->len);
    unsigned n = c->n_readable + c->n_writable;
    if (!host || n == VIRTQ_MAX_SIZE)
        return -EPROTO;
    c->seg[n] = (struct iovec){ .iov_base = host, .iov_len = d->len };
    if (writable) {
        c->n_writable++;
        c->writable_len += d->len;
    } else {
        c->n_readable++;
        c->readable_len += d->len;
    }
    return 0;
}

/* Follow a chain from head; every index, length and address checked. */
static int virtq_walk_chain(const struct virtq *vq, uint16_t head,
                            struct virtq_chain *c)
{
    struct virtq_walk w = { .table = vq->desc_table, .count = vq->size };
    uint32_t index = head;

    memset(c, 0, offsetof(struct virtq_chain, seg));
    c->head = head;
    for (;;) {
        struct virtq_desc d;
        /* A chain visits each entry of a table at most once; more means a
         * loop (2.7.5.3.1: no chain is longer than its table). */
        if (++w.visited > w.count)
            return -EPROTO;
        virtq_read_desc(w.table, index, &d);
        if (d.flags & VIRTQ_DESC_F_INDIRECT) {
            int rc = virtq_enter_indirect(vq, &w, &d);
            if (rc < 0)
                return rc;
            index = 0;
            continue;
        }
        int rc = virtq_add_segment(vq, &w, &d, c);
        if (rc < 0)
            return rc;
        if (!(d.flags & VIRTQ_DESC_F_NEXT))
            return 0;
        if (d.next >= w.count)
            return -EPROTO;
        index = d.next;
    }
}

static int virtq_fail(struct virtq *vq)
{
    vq->broken = true;
    return -EPROTO;
}

int virtq_pop(struct virtq *vq, struct virtq_chain *chain)
{
    if (vq->broken)
        return -EPROTO;
    if (!vq->ready)
        return 0;
    /* Acquire: the ring entry and descriptors were written before idx. */
    uint16_t avail_idx = __atomic_load_n(virtq_avail_idx(vq), __ATOMIC_ACQUIRE);
    uint16_t pending = (uint16_t)(avail_idx - vq->last_avail_idx);
    if (pending == 0)
        return 0;
    if (pending > vq->size)
        return virtq_fail(vq); /* the driver cannot have made that many */
    const uint16_t *ring =
        (const uint16_t *)(vq->avail_ring + VIRTQ_AVAIL_RING_OFF);
    uint16_t head = virtq_load16(&ring[vq->last_avail_idx % vq->size]);
    if (head >= vq->size || virtq_walk_chain(vq, head, chain) < 0)
        return virtq_fail(vq);
    vq->last_avail_idx++;
    return 1;
}

int virtq_push(struct virtq *vq, uint16_t head, uint32_t written)
{
    if (!vq->ready || head >= vq->size)
        return -EINVAL;
    uint8_t *elem = vq->used_ring + VIRTQ_USED_RING_OFF +
                    (size_t)VIRTQ_USED_ELEM_SIZE * (vq->used_idx % vq->size);
    uint32_t id = head;
    memcpy(elem, &id, 4);
    memcpy(elem + 4, &written, 4);
    vq->used_idx++;
    /* Release: the element (and the data) are visible before the index. */
    __atomic_store_n(virtq_used_idx(vq), vq->used_idx, __ATOMIC_RELEASE);
    return 0;
}

/* The virtio "vring_need_event": did new_idx pass event since old_idx? */
static bool virtq_need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
    return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

bool virtq_should_interrupt(struct virtq *vq)
{
    if (!vq->ready)
        return false;
    uint16_t old_idx = vq->used_at_last_irq, new_idx = vq->used_idx;
    if (old_idx == new_idx)
        return false;
    vq->used_at_last_irq = new_idx;
    /* Our used->idx store must be visible before we read the driver's
     * suppression state, or both sides may wait for each other. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (vq->event_idx)
        return virtq_need_event(virtq_load16(virtq_used_event(vq)), new_idx,
                                old_idx);
    return !(virtq_load16((const uint16_t *)vq->avail_ring) &
             VIRTQ_AVAIL_F_NO_INTERRUPT);
}

bool virtq_has_avail(const struct virtq *vq)
{
    return vq->ready && !vq->broken &&
           __atomic_load_n(virtq_avail_idx(vq), __ATOMIC_ACQUIRE) != vq->last_avail_idx;
}

bool virtq_enable_notify(struct virtq *vq)
{
    if (!vq->ready || vq->broken)
        return false;
    if (vq->event_idx)
        __atomic_store_n(virtq_avail_event(vq), vq->last_avail_idx,
                         __ATOMIC_RELAXED);
    /* Publish avail_event before looking at avail->idx once more. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return __atomic_load_n(virtq_avail_idx(vq), __ATOMIC_ACQUIRE) !=
           vq->last_avail_idx;
}

int virtq_state_format(const struct virtq *vq, char *buf, size_t len)
{
    if (!vq->ready)
        return snprintf(buf, len, "not ready");
    int n = snprintf(buf, len, "%savail %u, taken %u, used %u, decided at %u, "
                     "avail flags %#x", vq->broken ? "broken, " : "",
                     virtq_load16(virtq_avail_idx(vq)), vq->last_avail_idx, vq->used_idx,
                     vq->used_at_last_irq, virtq_load16((const uint16_t *)vq->avail_ring));
    if (!vq->event_idx || n < 0 || (size_t)n >= len)
        return n;
    int more = snprintf(buf + n, len - (size_t)n, ", used_event %u, avail_event %u",
                        virtq_load16(virtq_used_event(vq)),
                        virtq_load16(virtq_avail_event(vq)));
    return more < 0 ? more : n + more;
}

/* Find the segment holding byte skip; *within is the offset inside it. */
static unsigned virtq_iov_seek(const struct iovec *iov, unsigned n,
                               size_t skip, size_t *within)
{
    unsigned i = 0;
    while (i < n && skip >= iov[i].iov_len) {
        skip -= iov[i].iov_len;
        i++;
    }
    *within = skip;
    return i;
}

/* Copy between a flat buffer and bytes [skip, skip + len) of segments. */
static size_t virtq_iov_copy(const struct iovec *iov, unsigned n, size_t skip,
                             uint8_t *buf, size_t len, bool into_iov)
{
    size_t within, done = 0;
    for (unsigned i = virtq_iov_seek(iov, n, skip, &within);
         i < n && done < len; i++, within = 0) {
        size_t chunk = iov[i].iov_len - within;
        if (chunk > len - done)
            chunk = len - done;
        uint8_t *seg = (uint8_t *)iov[i].iov_base + within;
        if (into_iov)
            memcpy(seg, buf + done, chunk);
        else
            memcpy(buf + done, seg, chunk);
        done += chunk;
    }
    return done;
}

size_t virtq_iov_read(const struct iovec *iov, unsigned n, size_t skip,
                      void *buf, size_t len)
{
    return virtq_iov_copy(iov, n, skip, buf, len, false);
}

size_t virtq_iov_write(const struct iovec *iov, unsigned n, size_t skip,
                       const void *buf, size_t len)
{
    /* The buffer is only read from when copying into the segments. */
    return virtq_iov_copy(iov, n, skip, (uint8_t *)(uintptr_t)buf, len, true);
}

int virtq_iov_slice(const struct iovec *iov, unsigned n, size_t skip,
                    size_t len, struct iovec *out, unsigned max)
{
    size_t within, done = 0;
    unsigned count = 0;
    for (unsigned i = virtq_iov_seek(iov, n, skip, &within);
         i < n && done < len; i++, within = 0) {
        size_t chunk = iov[i].iov_len - within;
        if (chunk > len - done)
            chunk = len - done;
        if (count == max)
            return -1;
        out[count++] = (struct iovec){
            .iov_base = (uint8_t *)iov[i].iov_base + within,
            .iov_len = chunk,
        };
        done += chunk;
    }
    return done == len ? (int)count : -1;
}
