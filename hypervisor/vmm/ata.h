/* ata: the ATA command set of a SATA disk on a raw image, independent of
 * the AHCI transport (ahci.c hands in the registers of the host-to-device
 * FIS and the guest's data buffers; this file never touches guest memory
 * by address, only the host buffers the transport validated).
 *
 * Commands: IDENTIFY DEVICE (model "Corral SATA disk", a serial hashed
 * from the image path, LBA48, NCQ with 32 tags, TRIM, a write cache);
 * READ/WRITE DMA (EXT), READ/WRITE SECTORS (EXT) (the PIO forms, same
 * data path), READ/WRITE FPDMA QUEUED (NCQ); FLUSH CACHE (EXT) as
 * fdatasync; DATA SET MANAGEMENT with TRIM as a punched hole (a hint: a
 * file system that cannot punch loses nothing); READ VERIFY (EXT) (range
 * check only); SET FEATURES (write cache on/off - off makes each write
 * durable before it completes - transfer mode and the other harmless
 * ones); READ LOG EXT (the log directory and the NCQ error log 10h, which
 * Linux reads after a failed queued command); EXECUTE DEVICE DIAGNOSTIC,
 * IDLE, STANDBY, CHECK POWER MODE, SET MULTIPLE MODE as the no-ops they
 * are for an image.  Anything else aborts.
 *
 * Errors: a range outside the disk is IDNF, a failed host read or write
 * UNC, a write to a read-only disk or an unknown command ABRT, a data
 * buffer smaller than the transfer ABRT (the guest gave too short a PRDT).
 * Every count is checked before it is multiplied. */
#ifndef CORRAL_ATA_H
#define CORRAL_ATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define ATA_SECTOR_SIZE 512
#define ATA_SERIAL_LEN 20
#define ATA_FIRMWARE_LEN 8
#define ATA_MODEL_LEN 40
#define ATA_NCQ_DEPTH 32

/* Status register. */
#define ATA_STATUS_ERR 0x01
#define ATA_STATUS_DRQ 0x08
#define ATA_STATUS_DSC 0x10
#define ATA_STATUS_DRDY 0x40
#define ATA_STATUS_BSY 0x80
/* Error register. */
#define ATA_ERROR_ABRT 0x04
#define ATA_ERROR_IDNF 0x10
#define ATA_ERROR_UNC 0x40

/* Commands. */
#define ATA_CMD_DSM 0x06
#define ATA_CMD_READ_SECTORS 0x20
#define ATA_CMD_READ_SECTORS_EXT 0x24
#define ATA_CMD_READ_DMA_EXT 0x25
#define ATA_CMD_READ_LOG_EXT 0x2F
#define ATA_CMD_WRITE_SECTORS 0x30
#define ATA_CMD_WRITE_SECTORS_EXT 0x34
#define ATA_CMD_WRITE_DMA_EXT 0x35
#define ATA_CMD_READ_VERIFY 0x40
#define ATA_CMD_READ_VERIFY_EXT 0x42
#define ATA_CMD_READ_FPDMA 0x60
#define ATA_CMD_WRITE_FPDMA 0x61
#define ATA_CMD_DIAGNOSE 0x90
#define ATA_CMD_INIT_PARAMS 0x91
#define ATA_CMD_PACKET 0xA0
#define ATA_CMD_IDENTIFY_PACKET 0xA1
#define ATA_CMD_SET_MULTIPLE 0xC6
#define ATA_CMD_READ_DMA 0xC8
#define ATA_CMD_WRITE_DMA 0xCA
#define ATA_CMD_STANDBY_NOW 0xE0
#define ATA_CMD_IDLE_NOW 0xE1
#define ATA_CMD_STANDBY 0xE2
#define ATA_CMD_IDLE 0xE3
#define ATA_CMD_CHECK_POWER 0xE5
#define ATA_CMD_FLUSH 0xE7
#define ATA_CMD_FLUSH_EXT 0xEA
#define ATA_CMD_IDENTIFY 0xEC
#define ATA_CMD_SET_FEATURES 0xEF

/* The signatures a device leaves in its registers after a reset
 * (count, LBA low, mid, high): how the host tells a disk from ATAPI. */
#define ATA_SIGNATURE_DISK 0x00000101u
#define ATA_SIGNATURE_ATAPI 0xEB140101u

/* The registers of a command (from the host-to-device FIS). */
struct ata_cmd {
    uint8_t command;
    uint8_t device;
    uint16_t features;
    uint16_t count;
    uint64_t lba; /* 48 bits */
};

/* The guest's data buffers for one command (already validated host
 * memory), len bytes in all. */
struct ata_sg {
    const struct iovec *iov;
    unsigned n;
    uint64_t len;
};

/* How a command ended: the registers the device-to-host FIS carries. */
struct ata_result {
    uint8_t status, error;
    uint16_t count;
    uint64_t lba;
    uint32_t bytes;  /* moved to or from the buffers */
    bool pio;        /* a PIO-protocol command: the host wants a PIO Setup FIS */
    bool data_in;    /* bytes went to the host */
};

/* What identifies a device to the guest (ASCII, space padded). */
struct ata_ident {
    char serial[ATA_SERIAL_LEN];
    char firmware[ATA_FIRMWARE_LEN];
    char model[ATA_MODEL_LEN];
};

struct ata_disk {
    int fd;
    uint64_t sectors;
    bool readonly;
    bool write_cache; /* on: writes complete before they are durable */
    struct ata_ident ident;
    /* The last failed queued command, for the NCQ error log (10h). */
    bool ncq_error;
    uint8_t ncq_error_tag, ncq_error_status, ncq_error_error;
};

/* A disk on an open image of bytes bytes (a partial last sector is left
 * alone); the serial is a hash of path. */
void ata_disk_init(struct ata_disk *d, int fd, uint64_t bytes, bool readonly,
                   const char *path);

/* Run one command; always fills *r. */
void ata_disk_execute(struct ata_disk *d, const struct ata_cmd *c,
                      const struct ata_sg *sg, struct ata_result *r);

/* Is this a queued (NCQ) command, and which tag does it name? */
bool ata_cmd_is_ncq(const struct ata_cmd *c);
unsigned ata_ncq_tag(const struct ata_cmd *c);

/* A queued read or write (READ/WRITE FPDMA QUEUED) the controller may put
 * in flight instead of ata_disk_execute(): its byte offset and length in
 * the image, checked as ata_disk_execute() would check them.  False for
 * any other command, one that would fail (ata_disk_execute() then reports
 * the error), and writes while the write cache is off (they must be
 * durable before they complete). */
bool ata_disk_queued_rw(const struct ata_disk *d, const struct ata_cmd *c,
                        const struct ata_sg *sg, uint64_t *offset, uint64_t *len,
                        bool *is_write);
/* The result of such a command that moved all its bytes. */
void ata_disk_queued_done(const struct ata_cmd *c, struct ata_result *r);

/* --- shared with atapi.c ------------------------------------------------- */

/* ident from model and path: serial "CRL" + 17 hex digits of a hash of
 * the path, firmware the Corral version. */
void ata_ident_init(struct ata_ident *id, const char *model, const char *path);
/* Store the identification strings into IDENTIFY words (byte-swapped
 * pairs, as ATA strings are). */
void ata_identify_strings(uint16_t *words, const struct ata_ident *id);
/* Send 256 IDENTIFY words (PIO data-in), word 255 made the checksum
 * that makes all bytes sum to 0. */
void ata_identify_reply(uint16_t *words, const struct ata_sg *sg,
                        struct ata_result *r);
/* Copy len bytes of src to the buffers (as much as fits) and finish r as
 * a successful data-in command. */
void ata_reply(const struct ata_sg *sg, const void *src, size_t len,
               struct ata_result *r);
void ata_ok(struct ata_result *r);
/* Move len bytes between the first len bytes of the buffers and the
 * image at offset.  0, -EINVAL when the buffers are shorter than len, or
 * -EIO when the image failed. */
int ata_sg_transfer(int fd, const struct ata_sg *sg, uint64_t len,
                    uint64_t offset, bool is_write);
void ata_abort(struct ata_result *r, uint8_t error);
/* The commands both kinds of device answer alike (SET FEATURES, the power
 * no-ops, DIAGNOSE...).  Returns false when c is not one of them. */
bool ata_common_command(const struct ata_cmd *c, uint32_t signature,
                        struct ata_result *r);

#endif
