/* atapi: an ATAPI CD-ROM drive (the MMC packet commands a guest's CD
 * driver and SeaBIOS's El Torito boot use) on an ISO image, independent
 * of the AHCI transport: ahci.c hands in the command registers, the
 * 12-byte packet and the guest's data buffers.
 *
 * ATA level: PACKET, IDENTIFY PACKET DEVICE, IDENTIFY DEVICE aborted with
 * the packet signature (how a host finds out it talks to ATAPI), and the
 * common no-ops of ata.h.  Packets: TEST UNIT READY, REQUEST SENSE,
 * INQUIRY, READ CAPACITY, READ(10), READ(12), READ TOC (formats 0 and 1,
 * LBA or MSF), GET CONFIGURATION, GET EVENT STATUS NOTIFICATION (media
 * class), MODE SENSE(10) (pages 01h, 2Ah, 3Fh), START STOP UNIT (eject),
 * PREVENT ALLOW MEDIUM REMOVAL, MECHANISM STATUS, READ DISC INFORMATION,
 * SET CD SPEED and SEEK(10).  Anything else is ILLEGAL REQUEST / invalid
 * opcode.
 *
 * Sense: a failed packet ends with CHECK CONDITION (status ERR, the
 * sense key in the error register's high nibble) and REQUEST SENSE
 * tells why: 02/3A/00 no medium, 06/28/00 once after the medium changed
 * (unit attention; INQUIRY, REQUEST SENSE, GET CONFIGURATION and GET
 * EVENT STATUS NOTIFICATION do not report it), 05/20/00 unknown opcode,
 * 05/24/00 invalid field, 05/21/00 a block beyond the medium, 05/53/02
 * eject while the guest locked the tray, 03/11/00 a host read error.
 *
 * The drive owns the image's fd while a medium is in: eject closes it,
 * insert takes a new one. */
#ifndef CORRAL_ATAPI_H
#define CORRAL_ATAPI_H

#include <stdbool.h>
#include <stdint.h>

#include "ata.h"

#define ATAPI_BLOCK_SIZE 2048
#define ATAPI_PACKET_LEN 12

/* Packet opcodes. */
#define ATAPI_TEST_UNIT_READY 0x00
#define ATAPI_REQUEST_SENSE 0x03
#define ATAPI_INQUIRY 0x12
#define ATAPI_START_STOP_UNIT 0x1B
#define ATAPI_PREVENT_ALLOW 0x1E
#define ATAPI_READ_CAPACITY 0x25
#define ATAPI_READ_10 0x28
#define ATAPI_SEEK_10 0x2B
#define ATAPI_READ_TOC 0x43
#define ATAPI_GET_CONFIGURATION 0x46
#define ATAPI_GET_EVENT_STATUS 0x4A
#define ATAPI_READ_DISC_INFO 0x51
#define ATAPI_MODE_SENSE_10 0x5A
#define ATAPI_READ_12 0xA8
#define ATAPI_SET_CD_SPEED 0xBB
#define ATAPI_MECHANISM_STATUS 0xBD

/* Sense keys. */
#define ATAPI_SENSE_NONE 0x00
#define ATAPI_SENSE_NOT_READY 0x02
#define ATAPI_SENSE_MEDIUM_ERROR 0x03
#define ATAPI_SENSE_ILLEGAL_REQUEST 0x05
#define ATAPI_SENSE_UNIT_ATTENTION 0x06

/* GET EVENT STATUS NOTIFICATION media event codes. */
#define ATAPI_EVENT_NONE 0
#define ATAPI_EVENT_NEW_MEDIA 2
#define ATAPI_EVENT_MEDIA_REMOVAL 3

struct atapi_cd {
    int fd;            /* -1: no medium */
    uint64_t blocks;   /* 2048-byte blocks of the medium */
    bool locked;       /* PREVENT MEDIUM REMOVAL */
    bool unit_attention;
    uint8_t media_event;
    uint8_t sense_key, asc, ascq;
    struct ata_ident ident;
};

/* An empty drive; the serial is a hash of name (the drive's place in
 * the definition, so it does not change with the medium). */
void atapi_cd_init(struct atapi_cd *cd, const char *name);
/* Put in the medium fd (bytes long, at least one block; -EINVAL
 * otherwise, fd untouched), replacing and closing any medium inside.
 * The guest sees a unit attention and a new-media event. */
int atapi_cd_insert(struct atapi_cd *cd, int fd, uint64_t bytes);
/* Take the medium out (closing its fd).  -EBUSY when the guest locked the
 * tray, -ENOENT when the drive is empty. */
int atapi_cd_eject(struct atapi_cd *cd);
/* Close the medium for good (the VM stopped). */
void atapi_cd_destroy(struct atapi_cd *cd);

/* Run an ATA command addressed to the drive; packet is the 12-byte
 * command packet (used by PACKET).  Always fills *r. */
void atapi_cd_execute(struct atapi_cd *cd, const struct ata_cmd *c,
                      const uint8_t *packet, const struct ata_sg *sg,
                      struct ata_result *r);

#endif
