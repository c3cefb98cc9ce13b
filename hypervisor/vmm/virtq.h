/* virtq: the device side of a virtio 1.x split virtqueue, independent of
 * the device and of the transport.
 *
 * Everything in the rings is written by the guest and is hostile.  The ring
 * addresses are checked once when the driver enables the queue (in guest
 * RAM, aligned, sizes from a power-of-two queue size); every descriptor is
 * copied out of guest memory once and only the copy is validated and used,
 * so a guest rewriting a descriptor under our feet cannot slip an unchecked
 * value past us.  A chain that breaks the rules (loops, indices out of
 * range, buffers outside RAM, readable after writable, nested or malformed
 * indirect tables, more than 2^32 bytes) makes virtq_pop() fail; the queue
 * is then "broken" and the transport marks the device DEVICE_NEEDS_RESET.
 * Such a chain is a driver bug or an attack, so the device stops using the
 * queue rather than guess, as the spec suggests (2.1.2, 2.7).
 *
 * Usage by a device, with the transport's lock held:
 *
 *     struct virtq_chain c;
 *     int rc;
 *     while ((rc = virtq_pop(vq, &c)) > 0) {
 *         ...read c.seg[0 .. c.n_readable), fill the writable segments...
 *         virtq_push(vq, c.head, bytes_written);
 *     }
 *     if (rc < 0) -> device error (needs reset)
 *     if (virtq_should_interrupt(vq)) -> interrupt the driver
 */
#ifndef CORRAL_VIRTQ_H
#define CORRAL_VIRTQ_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "guest_mem.h"

/* Largest queue size a device offers: a descriptor chain is never longer
 * than the queue size, so this also bounds the segments of one request. */
#define VIRTQ_MAX_SIZE 256

/* Descriptor flags (virtio 1.x, 2.7.5). */
#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4

#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY 1

/* Feature bits the ring itself depends on. */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_RING_EVENT_IDX 29

/* One request as the device sees it: the device-readable buffers first,
 * then the device-writable ones, as host iovecs ready for preadv/pwritev.
 * Zero-length descriptors are accepted and dropped. */
struct virtq_chain {
    uint16_t head;         /* what virtq_push() hands back to the driver */
    uint16_t n_readable;   /* seg[0 .. n_readable) */
    uint16_t n_writable;   /* seg[n_readable .. n_readable + n_writable) */
    uint32_t readable_len; /* total bytes of each kind; the whole chain */
    uint32_t writable_len; /* is below 2^32 bytes (spec 2.7.5) */
    struct iovec seg[VIRTQ_MAX_SIZE];
};

struct virtq {
    const struct guest_mem *mem;
    uint16_t size;     /* a power of two, 1..VIRTQ_MAX_SIZE */
    bool ready;        /* configured by virtq_start() */
    bool broken;       /* the guest broke the ring: no more processing */
    bool indirect;     /* VIRTIO_F_INDIRECT_DESC negotiated */
    bool event_idx;    /* VIRTIO_F_RING_EVENT_IDX negotiated */
    uint16_t last_avail_idx;   /* next available entry to consume */
    uint16_t used_idx;         /* our copy of used->idx */
    uint16_t used_at_last_irq; /* used_idx when we last interrupted */
    bool irq_pending_check;    /* pushed since virtq_should_interrupt() */
    /* Host views of the rings, set by virtq_start() after validation. */
    uint8_t *desc_table;
    uint8_t *avail_ring;
    uint8_t *used_ring;
};

/* Guest-physical layout of a queue, as the driver wrote it. */
struct virtq_layout {
    uint16_t size;
    uint64_t desc_gpa;  /* 16-byte aligned, 16 * size bytes */
    uint64_t avail_gpa; /* 2-byte aligned, 6 + 2 * size bytes */
    uint64_t used_gpa;  /* 4-byte aligned, 6 + 8 * size bytes */
};

/* Forget all state: the queue is not ready and not broken. */
void virtq_reset(struct virtq *vq);

/* Validate the layout against guest RAM and the negotiated features and
 * make the queue ready.  Returns 0, or -EINVAL (bad size or alignment) /
 * -EFAULT (a ring not inside RAM): the transport then refuses the queue. */
int virtq_start(struct virtq *vq, const struct guest_mem *mem,
                const struct virtq_layout *layout, uint64_t features);

/* Take the next available chain.  Returns 1 with *chain filled, 0 when the
 * driver has made nothing available, -EPROTO when the guest broke the ring
 * (the queue is then broken and stays so until virtq_reset()). */
int virtq_pop(struct virtq *vq, struct virtq_chain *chain);

/* Return a chain to the driver with the number of bytes written into its
 * writable buffers.  Returns 0, or -EINVAL for a head that is not ours. */
int virtq_push(struct virtq *vq, uint16_t head, uint32_t written);

/* After one or more pushes: does the driver want an interrupt for them?
 * Honours VIRTQ_AVAIL_F_NO_INTERRUPT, or used_event with EVENT_IDX. */
bool virtq_should_interrupt(struct virtq *vq);

/* Has the driver made chains available that we have not taken? */
bool virtq_has_avail(const struct virtq *vq);

/* Tell the driver which avail index to notify us at (EVENT_IDX) and
 * return true when more work arrived meanwhile, so that a device that
 * drained the queue does not miss a request made just before. */
bool virtq_enable_notify(struct virtq *vq);

/* Where the queue stands, as one line in buf (what snprintf returns), for
 * a guest whose I/O looks stuck (SIGUSR2): the driver's avail index
 * against the entries taken; our used index against the last one an
 * interrupt was decided on; with EVENT_IDX, where the driver asked to be
 * interrupted (used_event) and where we asked to be kicked (avail_event).
 * Taken behind avail with notifications off means a missed kick; used
 * ahead of a used_event the driver has not moved means a lost interrupt. */
int virtq_state_format(const struct virtq *vq, char *buf, size_t len);

/* iovec helpers for devices parsing requests out of a chain. */

/* Copy up to len bytes starting skip bytes into the segments. Returns the
 * number of bytes copied. */
size_t virtq_iov_read(const struct iovec *iov, unsigned n, size_t skip,
                      void *buf, size_t len);
size_t virtq_iov_write(const struct iovec *iov, unsigned n, size_t skip,
                       const void *buf, size_t len);
/* Describe bytes [skip, skip + len) of the segments in out (at most max
 * entries).  Returns the number of entries, or -1 when the range does not
 * fit in the segments or in out. */
int virtq_iov_slice(const struct iovec *iov, unsigned n, size_t skip,
                    size_t len, struct iovec *out, unsigned max);

#endif
