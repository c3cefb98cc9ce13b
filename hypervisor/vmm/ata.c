/* ata: the ATA command set of a SATA disk (see ata.h). */
#include "ata.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "block_image.h"
#include "virtq.h"

/* LBA28 commands address 2^28 sectors; IDENTIFY reports at most that. */
#define ATA_LBA28_MAX 0x0FFFFFFFULL
/* DATA SET MANAGEMENT: 512-byte blocks of ranges we take per command
 * (IDENTIFY word 105), and what one 8-byte range entry holds. */
#define ATA_DSM_MAX_BLOCKS 8
#define ATA_DSM_ENTRY_BYTES 8
#define ATA_DSM_TRIM 0x01
/* READ LOG EXT: the log directory and the NCQ command error log. */
#define ATA_LOG_DIRECTORY 0x00
#define ATA_LOG_NCQ_ERROR 0x10
#define ATA_LOG_NCQ_NONQUEUED 0x80
/* SET FEATURES subcommands that change something here. */
#define ATA_FEATURE_WC_ON 0x02
#define ATA_FEATURE_WC_OFF 0x82

/* --- results ------------------------------------------------------------ */

void ata_ok(struct ata_result *r)
{
    r->status = ATA_STATUS_DRDY | ATA_STATUS_DSC;
    r->error = 0;
}

void ata_abort(struct ata_result *r, uint8_t error)
{
    r->status = ATA_STATUS_DRDY | ATA_STATUS_ERR;
    r->error = error;
    r->bytes = 0;
}

void ata_reply(const struct ata_sg *sg, const void *src, size_t len,
               struct ata_result *r)
{
    r->bytes = (uint32_t)virtq_iov_write(sg->iov, sg->n, 0, src, len);
    r->data_in = true;
    ata_ok(r);
}

int ata_sg_transfer(int fd, const struct ata_sg *sg, uint64_t len,
                    uint64_t offset, bool is_write)
{
    struct iovec iov[BLOCK_IMAGE_MAX_IOV];
    int n = sg->len < len ? -1
                          : virtq_iov_slice(sg->iov, sg->n, 0, len, iov,
                                            BLOCK_IMAGE_MAX_IOV);
    if (n < 0)
        return -EINVAL;
    return block_image_transfer(fd, iov, n, offset, is_write) < 0 ? -EIO : 0;
}

/* --- identification ------------------------------------------------------ */

static void ata_pad_copy(char *dst, size_t len, const char *src)
{
    size_t n = strlen(src);
    memset(dst, ' ', len);
    memcpy(dst, src, n < len ? n : len);
}

/* FNV-1a: a stable, well-spread hash, so the serial (and the guest's
 * /dev/disk/by-id name) stays the same while the image path does. */
static uint64_t ata_path_hash(const char *path)
{
    uint64_t h = 0xCBF29CE484222325ULL;
    for (const unsigned char *p = (const unsigned char *)path; *p; p++)
        h = (h ^ *p) * 0x100000001B3ULL;
    return h;
}

void ata_ident_init(struct ata_ident *id, const char *model, const char *path)
{
    char serial[ATA_SERIAL_LEN + 1];
    snprintf(serial, sizeof(serial), "CRL%017llx",
             (unsigned long long)ata_path_hash(path));
    ata_pad_copy(id->serial, sizeof(id->serial), serial);
    ata_pad_copy(id->firmware, sizeof(id->firmware), CORRAL_VERSION);
    ata_pad_copy(id->model, sizeof(id->model), model);
}

/* ATA strings put the first character of each pair in the high byte. */
static void ata_put_string(uint16_t *words, const char *s, size_t len)
{
    for (size_t i = 0; i + 1 < len; i += 2)
        words[i / 2] = (uint16_t)((uint8_t)s[i] << 8 | (uint8_t)s[i + 1]);
}

void ata_identify_strings(uint16_t *words, const struct ata_ident *id)
{
    ata_put_string(words + 10, id->serial, ATA_SERIAL_LEN);
    ata_put_string(words + 23, id->firmware, ATA_FIRMWARE_LEN);
    ata_put_string(words + 27, id->model, ATA_MODEL_LEN);
}

/* Word 255: signature A5h and the checksum that makes all bytes sum to 0. */
static void ata_identify_checksum(uint16_t *words)
{
    uint8_t sum = 0xA5;
    for (unsigned i = 0; i < 255; i++)
        sum = (uint8_t)(sum + (words[i] & 0xFF) + (words[i] >> 8));
    words[255] = (uint16_t)((uint8_t)-sum << 8 | 0xA5);
}

void ata_identify_reply(uint16_t *words, const struct ata_sg *sg,
                        struct ata_result *r)
{
    uint8_t bytes[ATA_SECTOR_SIZE];
    ata_identify_checksum(words);
    for (unsigned i = 0; i < 256; i++) {
        bytes[2 * i] = (uint8_t)words[i];
        bytes[2 * i + 1] = (uint8_t)(words[i] >> 8);
    }
    r->pio = true;
    ata_reply(sg, bytes, sizeof(bytes), r);
}

static void ata_put_u32(uint16_t *words, uint32_t v)
{
    words[0] = (uint16_t)v;
    words[1] = (uint16_t)(v >> 16);
}

static void ata_disk_identify_words(const struct ata_disk *d, uint16_t *w)
{
    memset(w, 0, 256 * sizeof(*w));
    w[0] = 0x0040;                        /* fixed, not removable */
    w[1] = 16383, w[3] = 16, w[6] = 63;   /* legacy geometry */
    ata_identify_strings(w, &d->ident);
    w[47] = 0x8010;                       /* 16 sectors per DRQ block */
    w[49] = 0x0300;                       /* LBA, DMA */
    w[53] = 0x0006;                       /* words 64-70 and 88 valid */
    ata_put_u32(w + 60, (uint32_t)(d->sectors < ATA_LBA28_MAX ? d->sectors
                                                              : ATA_LBA28_MAX));
    w[63] = 0x0007;                       /* multiword DMA 0-2 */
    w[64] = 0x0003;                       /* PIO 3-4 */
    w[65] = w[66] = w[67] = w[68] = 120;
    w[69] = 0x4020;                       /* trimmed sectors read as zeros */
    w[75] = ATA_NCQ_DEPTH - 1;
    w[76] = 0x010E;                       /* NCQ, 1.5/3/6 Gb/s */
    w[80] = 0x01F0;                       /* ATA/ATAPI-4 to ACS-2 */
    w[82] = 0x0028;                       /* write cache, power management */
    w[83] = 0x7400;                       /* FLUSH EXT, FLUSH, LBA48 */
    w[84] = 0x4020;                       /* general purpose logging */
    w[85] = (uint16_t)(0x0008 | (d->write_cache ? 0x0020 : 0));
    w[86] = 0x3400;
    w[87] = 0x4020;
    w[88] = 0x203F;                       /* UDMA 0-5, mode 5 selected */
    ata_put_u32(w + 100, (uint32_t)d->sectors);
    ata_put_u32(w + 102, (uint32_t)(d->sectors >> 32));
    w[105] = ATA_DSM_MAX_BLOCKS;
    w[106] = 0x4000;                      /* 512-byte sectors */
    w[169] = d->readonly ? 0 : 0x0001;    /* TRIM */
    w[217] = 1;                           /* non-rotating */
    w[222] = 0x101F;                      /* SATA */
}

/* --- commands ------------------------------------------------------------- */

bool ata_cmd_is_ncq(const struct ata_cmd *c)
{
    return c->command == ATA_CMD_READ_FPDMA || c->command == ATA_CMD_WRITE_FPDMA;
}

unsigned ata_ncq_tag(const struct ata_cmd *c)
{
    return (c->count >> 3) & (ATA_NCQ_DEPTH - 1);
}

static bool ata_is_lba48(uint8_t command)
{
    switch (command) {
    case ATA_CMD_READ_SECTORS_EXT: case ATA_CMD_READ_DMA_EXT:
    case ATA_CMD_WRITE_SECTORS_EXT: case ATA_CMD_WRITE_DMA_EXT:
    case ATA_CMD_READ_VERIFY_EXT: case ATA_CMD_READ_FPDMA:
    case ATA_CMD_WRITE_FPDMA:
        return true;
    default:
        return false;
    }
}

/* The start sector: LBA28 commands keep bits 24-27 in the device register. */
static uint64_t ata_cmd_lba(const struct ata_cmd *c)
{
    if (ata_is_lba48(c->command))
        return c->lba & 0xFFFFFFFFFFFFULL;
    return (c->lba & 0xFFFFFF) | (uint64_t)(c->device & 0x0F) << 24;
}

/* The sector count; 0 means the most the command can say. */
static uint64_t ata_cmd_sectors(const struct ata_cmd *c)
{
    if (ata_cmd_is_ncq(c))
        return c->features ? c->features : 65536;
    if (ata_is_lba48(c->command))
        return c->count ? c->count : 65536;
    return (c->count & 0xFF) ? (c->count & 0xFF) : 256;
}

static bool ata_range_ok(const struct ata_disk *d, uint64_t lba, uint64_t sectors)
{
    return lba <= d->sectors && sectors <= d->sectors - lba;
}

static void ata_disk_read_write(struct ata_disk *d, const struct ata_cmd *c,
                                const struct ata_sg *sg, bool is_write,
                                struct ata_result *r)
{
    uint64_t lba = ata_cmd_lba(c), sectors = ata_cmd_sectors(c);
    uint64_t len = sectors * ATA_SECTOR_SIZE;
    r->lba = lba;
    if (is_write && d->readonly) {
        ata_abort(r, ATA_ERROR_ABRT);
        return;
    }
    if (!ata_range_ok(d, lba, sectors)) {
        ata_abort(r, ATA_ERROR_IDNF);
        return;
    }
    int rc = ata_sg_transfer(d->fd, sg, len, lba * ATA_SECTOR_SIZE, is_write);
    if (rc == 0 && is_write && !d->write_cache && fdatasync(d->fd) < 0)
        rc = -EIO;
    if (rc < 0) {
        /* A read the image failed is an uncorrectable sector. */
        ata_abort(r, rc == -EIO && !is_write ? ATA_ERROR_UNC : ATA_ERROR_ABRT);
        return;
    }
    r->bytes = (uint32_t)len;
    r->data_in = !is_write;
    ata_ok(r);
}

bool ata_disk_queued_rw(const struct ata_disk *d, const struct ata_cmd *c,
                        const struct ata_sg *sg, uint64_t *offset, uint64_t *len,
                        bool *is_write)
{
    if (c->command != ATA_CMD_READ_FPDMA && c->command != ATA_CMD_WRITE_FPDMA)
        return false;
    uint64_t lba = ata_cmd_lba(c), sectors = ata_cmd_sectors(c);
    *is_write = c->command == ATA_CMD_WRITE_FPDMA;
    *offset = lba * ATA_SECTOR_SIZE;
    *len = sectors * ATA_SECTOR_SIZE;
    if (*is_write && (d->readonly || !d->write_cache))
        return false;
    return ata_range_ok(d, lba, sectors) && sg->len >= *len;
}

void ata_disk_queued_done(const struct ata_cmd *c, struct ata_result *r)
{
    memset(r, 0, sizeof(*r));
    r->lba = ata_cmd_lba(c);
    r->bytes = (uint32_t)(ata_cmd_sectors(c) * ATA_SECTOR_SIZE);
    r->data_in = c->command == ATA_CMD_READ_FPDMA;
    ata_ok(r);
}

static void ata_disk_verify(struct ata_disk *d, const struct ata_cmd *c,
                            struct ata_result *r)
{
    r->lba = ata_cmd_lba(c);
    if (!ata_range_ok(d, r->lba, ata_cmd_sectors(c))) {
        ata_abort(r, ATA_ERROR_IDNF);
        return;
    }
    ata_ok(r);
}

static void ata_disk_flush(struct ata_disk *d, struct ata_result *r)
{
    if (!d->readonly && fdatasync(d->fd) < 0) {
        ata_abort(r, ATA_ERROR_ABRT);
        return;
    }
    ata_ok(r);
}

/* One TRIM range entry: 48 bits of LBA, 16 bits of length (0: unused). */
static bool ata_trim_entry(struct ata_disk *d, uint64_t entry)
{
    uint64_t lba = entry & 0xFFFFFFFFFFFFULL, sectors = entry >> 48;
    if (!ata_range_ok(d, lba, sectors))
        return false;
    if (sectors)
        fallocate(d->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                  (off_t)(lba * ATA_SECTOR_SIZE), (off_t)(sectors * ATA_SECTOR_SIZE));
    return true;
}

static void ata_disk_trim(struct ata_disk *d, const struct ata_cmd *c,
                          const struct ata_sg *sg, struct ata_result *r)
{
    uint64_t blocks = c->count;
    if (d->readonly || !(c->features & ATA_DSM_TRIM) || blocks == 0 ||
        blocks > ATA_DSM_MAX_BLOCKS || sg->len < blocks * ATA_SECTOR_SIZE) {
        ata_abort(r, ATA_ERROR_ABRT);
        return;
    }
    size_t entries = (size_t)blocks * ATA_SECTOR_SIZE / ATA_DSM_ENTRY_BYTES;
    for (size_t i = 0; i < entries; i++) {
        uint8_t raw[ATA_DSM_ENTRY_BYTES];
        virtq_iov_read(sg->iov, sg->n, i * ATA_DSM_ENTRY_BYTES, raw, sizeof(raw));
        uint64_t entry = 0;
        for (int b = ATA_DSM_ENTRY_BYTES - 1; b >= 0; b--)
            entry = entry << 8 | raw[b];
        if (!ata_trim_entry(d, entry)) {
        ata_abort(r, ATA_ERROR_IDNF);
        return;
    }
    }
    r->bytes = (uint32_t)(blocks * ATA_SECTOR_SIZE);
    ata_ok(r);
}

static void ata_log_checksum(uint8_t *page)
{
    uint8_t sum = 0;
    for (unsigned i = 0; i < ATA_SECTOR_SIZE - 1; i++)
        sum = (uint8_t)(sum + page[i]);
    page[ATA_SECTOR_SIZE - 1] = (uint8_t)-sum;
}

/* Reading the NCQ error log tells which queued command failed, and (as
 * on a real drive) clears that error. */
static void ata_ncq_error_log(struct ata_disk *d, uint8_t *page)
{
    if (!d->ncq_error) {
        page[0] = ATA_LOG_NCQ_NONQUEUED;
    } else {
        page[0] = d->ncq_error_tag;
        page[2] = d->ncq_error_status;
        page[3] = d->ncq_error_error;
    }
    d->ncq_error = false;
    ata_log_checksum(page);
}

static void ata_disk_read_log(struct ata_disk *d, const struct ata_cmd *c,
                              const struct ata_sg *sg, struct ata_result *r)
{
    uint8_t page[ATA_SECTOR_SIZE] = { 0 };
    uint8_t log = (uint8_t)c->lba;
    uint16_t page_no = (uint16_t)(c->lba >> 8);
    r->pio = true;
    if (c->count != 1 || page_no != 0) {
        ata_abort(r, ATA_ERROR_ABRT);
        return;
    }
    if (log == ATA_LOG_DIRECTORY) {
        page[0] = 1; /* version */
        page[ATA_LOG_NCQ_ERROR * 2] = 1;
    } else if (log == ATA_LOG_NCQ_ERROR) {
        ata_ncq_error_log(d, page);
    } else {
        ata_abort(r, ATA_ERROR_ABRT);
        return;
    }
    ata_reply(sg, page, sizeof(page), r);
}

static void ata_disk_identify(struct ata_disk *d, const struct ata_sg *sg,
                              struct ata_result *r)
{
    uint16_t words[256];
    ata_disk_identify_words(d, words);
    ata_identify_reply(words, sg, r);
}

static bool ata_disk_set_feature(struct ata_disk *d, const struct ata_cmd *c,
                                 struct ata_result *r)
{
    if (c->command != ATA_CMD_SET_FEATURES)
        return false;
    uint8_t sub = (uint8_t)c->features;
    if (sub != ATA_FEATURE_WC_ON && sub != ATA_FEATURE_WC_OFF)
        return false;
    d->write_cache = sub == ATA_FEATURE_WC_ON;
    ata_ok(r);
    return true;
}

/* SET FEATURES subcommands every device may accept as no-ops: transfer
 * mode, read look-ahead, reverting to defaults, the SATA features. */
static bool ata_harmless_feature(uint8_t sub)
{
    switch (sub) {
    case 0x03: case 0x10: case 0x55: case 0x66: case 0x90: case 0xAA: case 0xCC:
        return true;
    default:
        return false;
    }
}

bool ata_common_command(const struct ata_cmd *c, uint32_t signature,
                        struct ata_result *r)
{
    switch (c->command) {
    case ATA_CMD_SET_FEATURES:
        if (ata_harmless_feature((uint8_t)c->features))
            ata_ok(r);
        else
            ata_abort(r, ATA_ERROR_ABRT);
        return true;
    case ATA_CMD_DIAGNOSE:
        ata_ok(r);
        r->error = 0x01; /* device 0 passed */
        r->count = (uint16_t)(signature & 0xFF);
        r->lba = signature >> 8;
        return true;
    case ATA_CMD_CHECK_POWER:
        ata_ok(r);
        r->count = 0xFF; /* active or idle */
        return true;
    case ATA_CMD_IDLE: case ATA_CMD_IDLE_NOW: case ATA_CMD_STANDBY:
    case ATA_CMD_STANDBY_NOW: case ATA_CMD_SET_MULTIPLE: case ATA_CMD_INIT_PARAMS:
        ata_ok(r);
        return true;
    default:
        return false;
    }
}

static void ata_disk_dispatch(struct ata_disk *d, const struct ata_cmd *c,
                              const struct ata_sg *sg, struct ata_result *r)
{
    switch (c->command) {
    case ATA_CMD_IDENTIFY:
        ata_disk_identify(d, sg, r);
        break;
    case ATA_CMD_READ_SECTORS: case ATA_CMD_READ_SECTORS_EXT:
        r->pio = true;
        ata_disk_read_write(d, c, sg, false, r);
        break;
    case ATA_CMD_WRITE_SECTORS: case ATA_CMD_WRITE_SECTORS_EXT:
        r->pio = true;
        ata_disk_read_write(d, c, sg, true, r);
        break;
    case ATA_CMD_READ_DMA: case ATA_CMD_READ_DMA_EXT: case ATA_CMD_READ_FPDMA:
        ata_disk_read_write(d, c, sg, false, r);
        break;
    case ATA_CMD_WRITE_DMA: case ATA_CMD_WRITE_DMA_EXT: case ATA_CMD_WRITE_FPDMA:
        ata_disk_read_write(d, c, sg, true, r);
        break;
    case ATA_CMD_READ_VERIFY: case ATA_CMD_READ_VERIFY_EXT:
        ata_disk_verify(d, c, r);
        break;
    case ATA_CMD_FLUSH: case ATA_CMD_FLUSH_EXT:
        ata_disk_flush(d, r);
        break;
    case ATA_CMD_DSM:
        ata_disk_trim(d, c, sg, r);
        break;
    case ATA_CMD_READ_LOG_EXT:
        ata_disk_read_log(d, c, sg, r);
        break;
    default:
        if (!ata_disk_set_feature(d, c, r) &&
            !ata_common_command(c, ATA_SIGNATURE_DISK, r))
            ata_abort(r, ATA_ERROR_ABRT);
    }
}

void ata_disk_execute(struct ata_disk *d, const struct ata_cmd *c,
                      const struct ata_sg *sg, struct ata_result *r)
{
    memset(r, 0, sizeof(*r));
    ata_disk_dispatch(d, c, sg, r);
    if (ata_cmd_is_ncq(c) && (r->status & ATA_STATUS_ERR)) {
        d->ncq_error = true;
        d->ncq_error_tag = (uint8_t)ata_ncq_tag(c);
        d->ncq_error_status = r->status;
        d->ncq_error_error = r->error;
    }
}

void ata_disk_init(struct ata_disk *d, int fd, uint64_t bytes, bool readonly,
                   const char *path)
{
    memset(d, 0, sizeof(*d));
    d->fd = fd;
    d->sectors = bytes / ATA_SECTOR_SIZE;
    d->readonly = readonly;
    d->write_cache = true;
    ata_ident_init(&d->ident, "Corral SATA disk", path);
}
