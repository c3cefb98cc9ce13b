/* virtio_blk: virtio block device on a raw image (see virtio_blk.h). */
#include "virtio_blk.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block_image.h"
#include "devices.h"

#define VIRTIO_BLK_HEADER_BYTES 16
#define VIRTIO_BLK_RANGE_BYTES 16
#define VIRTIO_BLK_CONFIG_BYTES 0x3C

/* The request header the driver puts first (5.2.6). */
struct virtio_blk_header {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;
};

/* Device configuration up to the fields we offer (5.2.4). */
struct virtio_blk_config_regs {
    uint64_t capacity;
    uint32_t size_max;
    uint32_t seg_max;
    uint16_t cylinders;
    uint8_t heads, sectors;
    uint32_t blk_size;
    uint8_t physical_block_exp, alignment_offset;
    uint16_t min_io_size;
    uint32_t opt_io_size;
    uint8_t writeback, unused0[3];
    uint32_t max_discard_sectors;
    uint32_t max_discard_seg;
    uint32_t discard_sector_alignment;
    uint32_t max_write_zeroes_sectors;
    uint32_t max_write_zeroes_seg;
    uint8_t write_zeroes_may_unmap, unused1[3];
};
/* The struct may have tail padding; the guest sees only the fields. */
_Static_assert(offsetof(struct virtio_blk_config_regs, unused1) + 3 ==
                   VIRTIO_BLK_CONFIG_BYTES,
               "virtio-blk configuration layout");

_Static_assert(VIRTQ_MAX_SIZE <= BLOCK_IMAGE_MAX_IOV,
               "a chain's data fits one block_image_transfer");

/* One range of a discard or write-zeroes request (5.2.6). */
struct virtio_blk_range {
    uint64_t sector;
    uint32_t num_sectors;
    uint32_t flags;
};

static struct virtio_blk *virtio_blk_of(struct virtio_pci_dev *vdev)
{
    return vdev->cfg.opaque;
}

/* --- requests ---------------------------------------------------------- */

/* sectors starting at sector, all inside the disk (no overflow). */
static bool virtio_blk_range_ok(const struct virtio_blk *blk, uint64_t sector,
                                uint64_t sectors)
{
    return sector <= blk->capacity && sectors <= blk->capacity - sector;
}

/* Data of len bytes at sector: whole sectors, bounded, inside the disk. */
static bool virtio_blk_data_ok(const struct virtio_blk *blk, uint64_t sector,
                               uint64_t len)
{
    return len % VIRTIO_BLK_SECTOR_SIZE == 0 &&
           len <= (uint64_t)VIRTIO_BLK_SEG_MAX * VIRTIO_BLK_SIZE_MAX &&
           virtio_blk_range_ok(blk, sector, len / VIRTIO_BLK_SECTOR_SIZE);
}

/* IN or OUT: the data is the writable bytes before the status byte, or
 * the readable bytes after the header. */
static uint8_t virtio_blk_read_write(struct virtio_blk *blk,
                                     const struct virtq_chain *c,
                                     const struct virtio_blk_header *h,
                                     uint32_t *written)
{
    bool is_write = h->type == VIRTIO_BLK_T_OUT;
    const struct iovec *segs = is_write ? c->seg : c->seg + c->n_readable;
    unsigned nsegs = is_write ? c->n_readable : c->n_writable;
    size_t skip = is_write ? VIRTIO_BLK_HEADER_BYTES : 0;
    size_t len = is_write ? c->readable_len - VIRTIO_BLK_HEADER_BYTES
                          : c->writable_len - 1u;

    if (is_write && blk->readonly)
        return VIRTIO_BLK_S_IOERR;
    if (!virtio_blk_data_ok(blk, h->sector, len))
        return VIRTIO_BLK_S_IOERR;
    int n = virtq_iov_slice(segs, nsegs, skip, len, blk->data, VIRTQ_MAX_SIZE);
    if (n < 0)
        return VIRTIO_BLK_S_IOERR;
    if (block_image_transfer(blk->fd, blk->data, n,
                            h->sector * VIRTIO_BLK_SECTOR_SIZE, is_write) < 0)
        return VIRTIO_BLK_S_IOERR;
    if (!is_write)
        *written += (uint32_t)len;
    return VIRTIO_BLK_S_OK;
}

/* Zeros written the slow way, for files whose file system cannot
 * allocate zeroed ranges. */
static int virtio_blk_write_zeros(int fd, uint64_t offset, uint64_t len)
{
    /* Not const: a const array of zeros goes into .rodata and adds 64 KiB
     * to the binary; in .bss it costs nothing until used.  Never written. */
    static uint8_t zeros[64 * 1024] __attribute__((aligned(BLOCK_IMAGE_BOUNCE_ALIGN)));
    while (len > 0) {
        size_t chunk = len < sizeof(zeros) ? (size_t)len : sizeof(zeros);
        struct iovec iov = { zeros, chunk };
        int rc = block_image_transfer(fd, &iov, 1, offset, true);
        if (rc < 0)
            return rc;
        offset += chunk;
        len -= chunk;
    }
    return 0;
}

/* Discard punches a hole (a hint: failure loses nothing); write-zeroes
 * must leave zeros, by a hole when the driver allows unmapping. */
static uint8_t virtio_blk_apply_range(struct virtio_blk *blk,
                                      const struct virtio_blk_range *r,
                                      uint32_t type)
{
    bool unmap = r->flags & VIRTIO_BLK_RANGE_F_UNMAP;
    if ((r->flags & ~VIRTIO_BLK_RANGE_F_UNMAP) ||
        (type == VIRTIO_BLK_T_DISCARD && unmap))
        return VIRTIO_BLK_S_UNSUPP;
    if (r->num_sectors > VIRTIO_BLK_RANGE_SECTORS_MAX ||
        !virtio_blk_range_ok(blk, r->sector, r->num_sectors))
        return VIRTIO_BLK_S_IOERR;
    off_t offset = (off_t)(r->sector * VIRTIO_BLK_SECTOR_SIZE);
    off_t len = (off_t)r->num_sectors * VIRTIO_BLK_SECTOR_SIZE;
    if (len == 0)
        return VIRTIO_BLK_S_OK;
    int punch = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
    if (type == VIRTIO_BLK_T_DISCARD) {
        fallocate(blk->fd, punch, offset, len);
        return VIRTIO_BLK_S_OK;
    }
    int mode = unmap ? punch : FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;
    if (fallocate(blk->fd, mode, offset, len) == 0 ||
        virtio_blk_write_zeros(blk->fd, (uint64_t)offset, (uint64_t)len) == 0)
        return VIRTIO_BLK_S_OK;
    return VIRTIO_BLK_S_IOERR;
}

/* The ranges are the readable bytes after the header. */
static uint8_t virtio_blk_discard_write_zeroes(struct virtio_blk *blk,
                                               const struct virtq_chain *c,
                                               uint32_t type)
{
    uint32_t bytes = c->readable_len - VIRTIO_BLK_HEADER_BYTES;
    uint32_t max = type == VIRTIO_BLK_T_DISCARD ? VIRTIO_BLK_DISCARD_SEG_MAX : 1;
    if (blk->readonly)
        return VIRTIO_BLK_S_IOERR;
    if (bytes == 0 || bytes % VIRTIO_BLK_RANGE_BYTES ||
        bytes / VIRTIO_BLK_RANGE_BYTES > max)
        return VIRTIO_BLK_S_IOERR;
    for (uint32_t i = 0; i < bytes / VIRTIO_BLK_RANGE_BYTES; i++) {
        struct virtio_blk_range r;
        virtq_iov_read(c->seg, c->n_readable,
                       VIRTIO_BLK_HEADER_BYTES + (size_t)i * VIRTIO_BLK_RANGE_BYTES,
                       &r, sizeof(r));
        uint8_t status = virtio_blk_apply_range(blk, &r, type);
        if (status != VIRTIO_BLK_S_OK)
            return status;
    }
    return VIRTIO_BLK_S_OK;
}

/* The serial, zero-padded, as much as fits before the status byte. */
static uint8_t virtio_blk_get_id(struct virtio_blk *blk,
                                 const struct virtq_chain *c, uint32_t *written)
{
    size_t room = c->writable_len - 1u;
    size_t n = room < VIRTIO_BLK_ID_BYTES ? room : VIRTIO_BLK_ID_BYTES;
    *written += (uint32_t)virtq_iov_write(c->seg + c->n_readable, c->n_writable,
                                          0, blk->serial, n);
    return VIRTIO_BLK_S_OK;
}

static uint8_t virtio_blk_flush(struct virtio_blk *blk)
{
    if (blk->readonly)
        return VIRTIO_BLK_S_OK; /* nothing of ours to make durable */
    return fdatasync(blk->fd) == 0 ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
}

static uint8_t virtio_blk_dispatch(struct virtio_blk *blk,
                                   const struct virtq_chain *c,
                                   const struct virtio_blk_header *h,
                                   uint32_t *written)
{
    switch (h->type) {
    case VIRTIO_BLK_T_IN:
    case VIRTIO_BLK_T_OUT:
        return virtio_blk_read_write(blk, c, h, written);
    case VIRTIO_BLK_T_FLUSH:
        return virtio_blk_flush(blk);
    case VIRTIO_BLK_T_GET_ID:
        return virtio_blk_get_id(blk, c, written);
    case VIRTIO_BLK_T_DISCARD:
    case VIRTIO_BLK_T_WRITE_ZEROES:
        return virtio_blk_discard_write_zeroes(blk, c, h->type);
    default:
        return VIRTIO_BLK_S_UNSUPP;
    }
}

int virtio_blk_handle_request(struct virtio_blk *blk,
                              const struct virtq_chain *chain,
                              uint32_t *written)
{
    struct virtio_blk_header h;
    if (chain->readable_len < VIRTIO_BLK_HEADER_BYTES || chain->writable_len < 1)
        return -EPROTO;
    virtq_iov_read(chain->seg, chain->n_readable, 0, &h, sizeof(h));
    *written = 0;
    uint8_t status = virtio_blk_dispatch(blk, chain, &h, written);
    /* The status byte is the chain's last writable byte. */
    virtq_iov_write(chain->seg + chain->n_readable, chain->n_writable,
                    chain->writable_len - 1u, &status, 1);
    *written += 1;
    return 0;
}

/* --- transport hooks ------------------------------------------------------ */

/* What a request costs against the rate limit: one operation, and the
 * bytes it moves for reads and writes (a chain too short for a header
 * costs no bytes; it fails anyway). */
static uint64_t virtio_blk_request_bytes(const struct virtq_chain *c)
{
    struct virtio_blk_header h = { .type = UINT32_MAX };
    if (c->readable_len >= VIRTIO_BLK_HEADER_BYTES)
        virtq_iov_read(c->seg, c->n_readable, 0, &h, sizeof(h));
    if (h.type == VIRTIO_BLK_T_OUT)
        return c->readable_len - VIRTIO_BLK_HEADER_BYTES;
    if (h.type == VIRTIO_BLK_T_IN && c->writable_len > 0)
        return c->writable_len - 1u;
    return 0;
}

/* The next request to serve: the one the rate limit held back, else a
 * new one.  Returns 1 when it may be served now, 0 when there is none or
 * it must wait (it is then held, the limit's timer armed), <0 broken. */
static int virtio_blk_next(struct virtio_blk *blk, struct virtq *vq)
{
    if (!blk->held) {
        int rc = virtq_pop(vq, &blk->chain);
        if (rc <= 0)
            return rc;
        blk->held = true;
    }
    if (!rate_limit_admit(&blk->limit, 1, virtio_blk_request_bytes(&blk->chain)))
        return 0;
    blk->held = false;
    return 1;
}

/* Drain the queue, re-checking after telling the driver where we stopped
 * so that a request made meanwhile is not left waiting.  A request the
 * rate limit holds back stops the draining until its timer fires (kicks
 * meanwhile change nothing: order is kept). */
static int virtio_blk_queue_notify(struct virtio_pci_dev *vdev, uint16_t q)
{
    struct virtio_blk *blk = virtio_blk_of(vdev);
    struct virtq *vq = virtio_pci_queue_ring(vdev, q);
    int rc;
    do {
        while ((rc = virtio_blk_next(blk, vq)) > 0) {
            uint32_t written;
            if (virtio_blk_handle_request(blk, &blk->chain, &written) < 0)
                return -EPROTO;
            virtq_push(vq, blk->chain.head, written);
        }
        if (rc < 0)
            return rc;
    } while (!blk->held && virtq_enable_notify(vq));
    virtio_pci_queue_interrupt(vdev, q);
    return 0;
}

/* A reset takes back every request, the held one too. */
static void virtio_blk_reset(struct virtio_pci_dev *vdev)
{
    struct virtio_blk *blk = virtio_blk_of(vdev);
    blk->held = false;
    rate_limit_cancel(&blk->limit);
}

void virtio_blk_limit_expired(struct virtio_blk *blk)
{
    rate_limit_timer_ack(&blk->limit);
    virtio_pci_notify_queue(&blk->vdev, 0);
}

static void virtio_blk_config_read(struct virtio_pci_dev *vdev, uint32_t offset,
                                   uint8_t *data, uint32_t len)
{
    const struct virtio_blk *blk = virtio_blk_of(vdev);
    struct virtio_blk_config_regs regs = {
        .capacity = blk->capacity,
        .size_max = VIRTIO_BLK_SIZE_MAX,
        .seg_max = VIRTIO_BLK_SEG_MAX,
        .blk_size = VIRTIO_BLK_SECTOR_SIZE,
        .max_discard_sectors = VIRTIO_BLK_RANGE_SECTORS_MAX,
        .max_discard_seg = VIRTIO_BLK_DISCARD_SEG_MAX,
        .discard_sector_alignment = VIRTIO_BLK_DISCARD_ALIGNMENT,
        .max_write_zeroes_sectors = VIRTIO_BLK_RANGE_SECTORS_MAX,
        .max_write_zeroes_seg = 1,
        .write_zeroes_may_unmap = 1,
    };
    memcpy(data, (const uint8_t *)&regs + offset, len);
}

static const struct virtio_device_ops virtio_blk_ops = {
    .queue_notify = virtio_blk_queue_notify,
    .config_read = virtio_blk_config_read,
    .reset = virtio_blk_reset,
};

/* --- setup ------------------------------------------------------------- */

static int virtio_blk_open(struct virtio_blk *blk,
                           const struct virtio_blk_options *opts)
{
    uint64_t bytes;
    blk->fd = block_image_open(opts->path, opts->readonly, &bytes);
    if (blk->fd < 0)
        return blk->fd;
    blk->direct = block_image_use_direct(blk->fd);
    /* A partial last sector cannot be addressed; it is left alone. */
    blk->capacity = bytes / VIRTIO_BLK_SECTOR_SIZE;
    return 0;
}

static void virtio_blk_set_serial(struct virtio_blk *blk,
                                  const struct virtio_blk_options *opts)
{
    const char *serial = opts->serial;
    if (!serial) {
        const char *slash = strrchr(opts->path, '/');
        serial = slash ? slash + 1 : opts->path;
    }
    size_t n = strlen(serial);
    memcpy(blk->serial, serial, n < VIRTIO_BLK_ID_BYTES ? n : VIRTIO_BLK_ID_BYTES);
}

static uint64_t virtio_blk_features(bool readonly)
{
    uint64_t f = 1ULL << VIRTIO_F_RING_EVENT_IDX | 1ULL << VIRTIO_F_INDIRECT_DESC |
                 1ULL << VIRTIO_BLK_F_SIZE_MAX | 1ULL << VIRTIO_BLK_F_SEG_MAX |
                 1ULL << VIRTIO_BLK_F_BLK_SIZE | 1ULL << VIRTIO_BLK_F_FLUSH;
    if (readonly)
        return f | 1ULL << VIRTIO_BLK_F_RO;
    return f | 1ULL << VIRTIO_BLK_F_DISCARD | 1ULL << VIRTIO_BLK_F_WRITE_ZEROES;
}

int virtio_blk_create(struct virtio_blk **out, struct pci_bus *pci,
                      const struct virtio_blk_options *opts)
{
    struct virtio_blk *blk = calloc(1, sizeof(*blk));
    if (!blk)
        return -ENOMEM;
    blk->readonly = opts->readonly;
    blk->fd = -1;
    int rc = rate_limit_init(&blk->limit, opts->bps, opts->iops, opts->clock_ns);
    if (rc == 0)
        rc = virtio_blk_open(blk, opts);
    virtio_blk_set_serial(blk, opts);
    const struct virtio_pci_config cfg = {
        .device_id = VIRTIO_BLK_DEVICE_ID,
        .class_code = 0x018000, /* mass storage, other */
        .features = virtio_blk_features(opts->readonly),
        .num_queues = 1,
        .queue_max_size = VIRTIO_BLK_QUEUE_SIZE,
        .config_size = VIRTIO_BLK_CONFIG_BYTES,
        .ops = &virtio_blk_ops,
        .opaque = blk,
        .name = "virtio-blk",
    };
    if (rc == 0)
        rc = virtio_pci_init(&blk->vdev, pci, &cfg);
    if (rc < 0) {
        if (blk->fd >= 0)
            close(blk->fd);
        rate_limit_destroy(&blk->limit);
        free(blk);
        return rc;
    }
    *out = blk;
    return 0;
}

void virtio_blk_destroy(struct virtio_blk *blk)
{
    if (!blk)
        return;
    virtio_pci_destroy(&blk->vdev);
    if (blk->io_created)
        iothread_destroy(&blk->io);
    close(blk->fd);
    rate_limit_destroy(&blk->limit);
    free(blk);
}

/* ---- on the board (devices.h) ---------------------------------------------- */

static size_t blk_count(const struct vmdef *def)
{
    return vmdef_disks_on_bus(def, VMDEF_BUS_VIRTIO);
}

static void blk_limit_expired(void *ctx, uint32_t events)
{
    virtio_blk_limit_expired(ctx);
}

/* One virtio-blk per disk on the virtio bus, in definition order:
 * /dev/vda, /dev/vdb... */
static int blk_add(struct board *b, const struct vmdef *def, size_t index,
                   void **dev)
{
    const struct vmdef_disk *d = vmdef_disk_on_bus(def, VMDEF_BUS_VIRTIO, index);
    struct virtio_blk_options o = { .path = d->path, .readonly = d->readonly,
                                    .bps = d->bps, .iops = d->iops };
    struct virtio_blk *blk;
    int rc = virtio_blk_create(&blk, &b->pci, &o);
    if (rc < 0)
        return vm_error("disk %s: %s", d->path,
                        rc == -EBUSY ? "in use by another VM" : strerror(-rc));
    *dev = blk;
    rc = iothread_init(&blk->io);
    blk->io_created = true;
    if (rc < 0)
        return vm_error("disk %s: I/O thread: %s", d->path, strerror(-rc));
    if (board_add_disk_thread(b, &blk->io))
        return VM_EXIT_ERROR;
    board_add_virtio_on(b, &blk->vdev, &blk->io);
    board_add_boot_disk(b, blk->vdev.pci.slot, blk->fd);
    vm_log(&b->vm, "disk %s: virtio-blk%s, %s, limits %llu bytes/s %llu ops/s "
           "(0: none)", d->path, d->readonly ? ", read-only" : "",
           blk->direct ? "O_DIRECT" : "buffered (no O_DIRECT here)",
           (unsigned long long)d->bps, (unsigned long long)d->iops);
    return board_watch_limit_on(b, &blk->io, &blk->limit, blk_limit_expired, blk);
}

static void blk_destroy(void *dev)
{
    virtio_blk_destroy(dev);
}

const struct device_desc virtio_blk_device = {
    .name = "virtio-blk",
    .count = blk_count,
    .add = blk_add,
    .destroy = blk_destroy,
};
