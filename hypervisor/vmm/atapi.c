/* atapi: an ATAPI CD-ROM drive (see atapi.h). */
#include "atapi.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "virtq.h"

/* Big enough for the longest reply built in memory (MODE SENSE of every
 * page, GET CONFIGURATION of every feature). */
#define ATAPI_REPLY_MAX 128
/* Additional sense codes. */
#define ASC_INVALID_OPCODE 0x20
#define ASC_LBA_OUT_OF_RANGE 0x21
#define ASC_INVALID_FIELD 0x24
#define ASC_MEDIUM_CHANGED 0x28
#define ASC_MEDIUM_NOT_PRESENT 0x3A
#define ASC_READ_ERROR 0x11
#define ASC_REMOVAL_PREVENTED 0x53
/* MMC profile and the CD's addresses: 75 frames a second, and the
 * 2-second pregap MSF addresses count. */
#define ATAPI_PROFILE_CDROM 0x0008
#define ATAPI_FRAMES_PER_S 75
#define ATAPI_MSF_OFFSET 150
#define ATAPI_LEADOUT_TRACK 0xAA
#define ATAPI_TRACK_CONTROL 0x14 /* ADR 1 (Q sub-channel), data track */

/* A reply built in memory, cut to the allocation length on the way out. */
struct atapi_reply {
    uint8_t data[ATAPI_REPLY_MAX];
    size_t len;
};

static void put_be16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    put_be16(p, v >> 16);
    put_be16(p + 2, v);
}

static uint32_t get_be16(const uint8_t *p)
{
    return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t get_be32(const uint8_t *p)
{
    return get_be16(p) << 16 | get_be16(p + 2);
}

/* --- sense ------------------------------------------------------------- */

static void atapi_check_condition(struct atapi_cd *cd, struct ata_result *r,
                                  uint8_t key, uint8_t asc, uint8_t ascq)
{
    cd->sense_key = key;
    cd->asc = asc;
    cd->ascq = ascq;
    r->status = ATA_STATUS_DRDY | ATA_STATUS_ERR;
    r->error = (uint8_t)(key << 4);
    r->bytes = 0;
}

static void atapi_invalid_field(struct atapi_cd *cd, struct ata_result *r)
{
    atapi_check_condition(cd, r, ATAPI_SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
}

static void atapi_good(struct atapi_cd *cd, struct ata_result *r)
{
    cd->sense_key = cd->asc = cd->ascq = 0;
    ata_ok(r);
}

/* Send reply, at most alloc bytes of it. */
static void atapi_send(struct atapi_cd *cd, const struct ata_sg *sg,
                       const struct atapi_reply *rep, size_t alloc,
                       struct ata_result *r)
{
    ata_reply(sg, rep->data, rep->len < alloc ? rep->len : alloc, r);
    cd->sense_key = cd->asc = cd->ascq = 0;
}

/* --- the medium ---------------------------------------------------------- */

static void atapi_medium_changed(struct atapi_cd *cd, uint8_t event)
{
    cd->unit_attention = true;
    cd->media_event = event;
}

int atapi_cd_insert(struct atapi_cd *cd, int fd, uint64_t bytes)
{
    if (bytes < ATAPI_BLOCK_SIZE)
        return -EINVAL;
    if (cd->fd >= 0)
        close(cd->fd);
    cd->fd = fd;
    cd->blocks = bytes / ATAPI_BLOCK_SIZE;
    atapi_medium_changed(cd, ATAPI_EVENT_NEW_MEDIA);
    return 0;
}

int atapi_cd_eject(struct atapi_cd *cd)
{
    if (cd->fd < 0)
        return -ENOENT;
    if (cd->locked)
        return -EBUSY;
    close(cd->fd);
    cd->fd = -1;
    cd->blocks = 0;
    atapi_medium_changed(cd, ATAPI_EVENT_MEDIA_REMOVAL);
    return 0;
}

void atapi_cd_destroy(struct atapi_cd *cd)
{
    if (cd->fd >= 0)
        close(cd->fd);
    cd->fd = -1;
}

void atapi_cd_init(struct atapi_cd *cd, const char *name)
{
    memset(cd, 0, sizeof(*cd));
    cd->fd = -1;
    ata_ident_init(&cd->ident, "Corral SATA CD-ROM", name);
}

/* --- packets: state and identification --------------------------------- */

static void atapi_request_sense(struct atapi_cd *cd, const uint8_t *p,
                                const struct ata_sg *sg, struct ata_result *r)
{
    struct atapi_reply rep = { .len = 18 };
    rep.data[0] = 0x70; /* current error, fixed format */
    rep.data[2] = cd->sense_key;
    rep.data[7] = 10;   /* additional length */
    rep.data[12] = cd->asc;
    rep.data[13] = cd->ascq;
    atapi_send(cd, sg, &rep, p[4], r);
}

static void atapi_inquiry(struct atapi_cd *cd, const uint8_t *p,
                          const struct ata_sg *sg, struct ata_result *r)
{
    struct atapi_reply rep = { .len = 36 };
    if (p[1] & 0x01) { /* vital product data pages: none */
        atapi_invalid_field(cd, r);
        return;
    }
    rep.data[0] = 0x05; /* CD/DVD device */
    rep.data[1] = 0x80; /* removable */
    rep.data[2] = 0x05; /* SPC-3 */
    rep.data[3] = 0x32; /* response format 2, ATAPI version 3 */
    rep.data[4] = 31;   /* additional length */
    memcpy(rep.data + 8, "CORRAL  ", 8);
    memcpy(rep.data + 16, "SATA CD-ROM     ", 16);
    memcpy(rep.data + 32, cd->ident.firmware, 4);
    atapi_send(cd, sg, &rep, get_be16(p + 3), r);
}

static void atapi_read_capacity(struct atapi_cd *cd, const struct ata_sg *sg,
                                struct ata_result *r)
{
    struct atapi_reply rep = { .len = 8 };
    uint64_t last = cd->blocks - 1;
    put_be32(rep.data, last > UINT32_MAX ? UINT32_MAX : (uint32_t)last);
    put_be32(rep.data + 4, ATAPI_BLOCK_SIZE);
    atapi_send(cd, sg, &rep, sizeof(rep.data), r);
}

static void atapi_start_stop(struct atapi_cd *cd, const uint8_t *p,
                             struct ata_result *r)
{
    bool load_eject = p[4] & 0x02, start = p[4] & 0x01;
    if (load_eject && !start && cd->fd >= 0 && atapi_cd_eject(cd) == -EBUSY) {
        atapi_check_condition(cd, r, ATAPI_SENSE_ILLEGAL_REQUEST,
                              ASC_REMOVAL_PREVENTED, 0x02);
        return;
    }
    /* The guest ejected it itself: it needs no unit attention for that. */
    if (load_eject && !start)
        cd->unit_attention = false;
    atapi_good(cd, r);
}

static void atapi_mechanism_status(struct atapi_cd *cd, const uint8_t *p,
                                   const struct ata_sg *sg, struct ata_result *r)
{
    struct atapi_reply rep = { .len = 8 }; /* idle, no changer slots */
    atapi_send(cd, sg, &rep, get_be16(p + 8), r);
}

/* --- packets: data --------------------------------------------------------- */

static void atapi_read(struct atapi_cd *cd, uint64_t lba, uint64_t blocks,
                       const struct ata_sg *sg, struct ata_result *r)
{
    uint64_t len = blocks * ATAPI_BLOCK_SIZE;
    if (lba > cd->blocks || blocks > cd->blocks - lba) {
        atapi_check_condition(cd, r, ATAPI_SENSE_ILLEGAL_REQUEST,
                              ASC_LBA_OUT_OF_RANGE, 0);
        return;
    }
    int rc = ata_sg_transfer(cd->fd, sg, len, lba * ATAPI_BLOCK_SIZE, false);
    if (rc == -EINVAL) {
        atapi_invalid_field(cd, r);
        return;
    }
    if (rc < 0) {
        atapi_check_condition(cd, r, ATAPI_SENSE_MEDIUM_ERROR, ASC_READ_ERROR, 0);
        return;
    }
    atapi_good(cd, r);
    r->bytes = (uint32_t)len;
    r->data_in = true;
}

/* A TOC address: a block number, or minute/second/frame counting the
 * 2-second pregap. */
static void atapi_put_address(uint8_t *p, uint64_t lba, bool msf)
{
    if (!msf) {
        put_be32(p, (uint32_t)lba);
        return;
    }
    uint64_t f = lba + ATAPI_MSF_OFFSET;
    p[0] = 0;
    p[1] = (uint8_t)(f / (ATAPI_FRAMES_PER_S * 60));
    p[2] = (uint8_t)(f / ATAPI_FRAMES_PER_S % 60);
    p[3] = (uint8_t)(f % ATAPI_FRAMES_PER_S);
}

static void atapi_put_track(struct atapi_reply *rep, uint8_t track, uint64_t lba,
                            bool msf)
{
    uint8_t *d = rep->data + rep->len;
    d[1] = ATAPI_TRACK_CONTROL;
    d[2] = track;
    atapi_put_address(d + 4, lba, msf);
    rep->len += 8;
}

/* Format 0: one data track and the lead-out, from track start on. */
static bool atapi_toc_tracks(const struct atapi_cd *cd, uint8_t start, bool msf,
                             struct atapi_reply *rep)
{
    if (start > 1 && start != ATAPI_LEADOUT_TRACK)
        return false;
    rep->data[2] = rep->data[3] = 1;
    rep->len = 4;
    if (start <= 1)
        atapi_put_track(rep, 1, 0, msf);
    atapi_put_track(rep, ATAPI_LEADOUT_TRACK, cd->blocks, msf);
    put_be16(rep->data, (uint32_t)rep->len - 2);
    return true;
}

/* Format 1: the one session and where its first track starts. */
static void atapi_toc_session(bool msf, struct atapi_reply *rep)
{
    rep->data[2] = rep->data[3] = 1;
    rep->len = 4;
    atapi_put_track(rep, 1, 0, msf);
    put_be16(rep->data, (uint32_t)rep->len - 2);
}

static void atapi_read_toc(struct atapi_cd *cd, const uint8_t *p,
                           const struct ata_sg *sg, struct ata_result *r)
{
    struct atapi_reply rep = { .len = 0 };
    bool msf = p[1] & 0x02;
    /* Old drivers put the format in the control byte's vendor bits. */
    uint8_t format = (p[2] & 0x0F) ? (p[2] & 0x0F) : (uint8_t)(p[9] >> 6);
    bool ok = true;
    if (format == 0)
        ok = atapi_toc_tracks(cd, p[6], msf, &rep);
    else if (format == 1)
        atapi_toc_session(msf, &rep);
    else
        ok = false;
    if (!ok) {
        atapi_invalid_field(cd, r);
        return;
    }
    atapi_send(cd, sg, &rep, get_be16(p + 7), r);
}

static void atapi_read_disc_info(struct atapi_cd *cd, const uint8_t *p,
                                 const struct ata_sg *sg, struct ata_result *r)
{
    struct atapi_reply rep = { .len = 34 };
    if (p[1] & 0x07) { /* only the standard disc information */
        atapi_invalid_field(cd, r);
        return;
    }
    put_be16(rep.data, 32);
    rep.data[2] = 0x0E; /* last session complete, disc finalized */
    rep.data[3] = 1;    /* first track */
    rep.data[4] = 1;    /* sessions */
    rep.data[5] = 1;    /* first and last track of the last session */
    rep.data[6] = 1;
    rep.data[7] = 0x20; /* unrestricted use */
    atapi_send(cd, sg, &rep, get_be16(p + 7), r);
}

/* --- packets: configuration, events, modes ------------------------------- */

struct atapi_feature {
    uint16_t code;
    uint8_t version_flags; /* version << 2 | persistent | current (when a medium is in) */
    bool needs_medium;     /* current only with a medium */
    uint8_t len;
    uint8_t data[8];
};

static const struct atapi_feature atapi_features[] = {
    { 0x0000, 0x03, false, 4, { 0x00, 0x08, 0x00, 0x00 } },          /* profile list */
    { 0x0001, 0x0B, false, 8, { 0, 0, 0, 2, 0x01, 0, 0, 0 } },        /* core: ATAPI */
    { 0x0003, 0x03, false, 4, { 0x29, 0, 0, 0 } },                    /* removable: tray, eject, lock */
    { 0x0010, 0x01, true, 8, { 0, 0, 0x08, 0x00, 0, 1, 0, 0 } },      /* random readable */
    { 0x001E, 0x09, true, 4, { 0, 0, 0, 0 } },                        /* CD read */
};

static bool atapi_feature_wanted(const struct atapi_feature *f, bool current,
                                 uint8_t rt, uint16_t start)
{
    if (rt == 2)
        return f->code == start;
    return f->code >= start && (rt == 0 || current);
}

static void atapi_get_configuration(struct atapi_cd *cd, const uint8_t *p,
                                    const struct ata_sg *sg, struct ata_result *r)
{
    struct atapi_reply rep = { .len = 8 };
    uint8_t rt = p[1] & 0x03;
    uint16_t start = (uint16_t)get_be16(p + 2);
    bool medium = cd->fd >= 0;
    if (rt == 3) {
        atapi_invalid_field(cd, r);
        return;
    }
    for (size_t i = 0; i < sizeof(atapi_features) / sizeof(atapi_features[0]); i++) {
        const struct atapi_feature *f = &atapi_features[i];
        bool current = !f->needs_medium || medium;
        if (!atapi_feature_wanted(f, current, rt, start))
            continue;
        uint8_t *d = rep.data + rep.len;
        put_be16(d, f->code);
        d[2] = (uint8_t)(f->version_flags & (current ? 0xFF : 0xFE));
        d[3] = f->len;
        memcpy(d + 4, f->data, f->len);
        if (f->code == 0x0000 && medium)
            d[6] = 0x01; /* the CD-ROM profile is the current one */
        rep.len += 4u + f->len;
    }
    put_be32(rep.data, (uint32_t)rep.len - 4);
    put_be16(rep.data + 6, medium ? ATAPI_PROFILE_CDROM : 0);
    atapi_send(cd, sg, &rep, get_be16(p + 7), r);
}

/* Only polled requests, and only the media class: the event is reported
 * once. */
static void atapi_get_event_status(struct atapi_cd *cd, const uint8_t *p,
                                   const struct ata_sg *sg, struct ata_result *r)
{
    struct atapi_reply rep = { .len = 4 };
    if (!(p[1] & 0x01)) {
        atapi_invalid_field(cd, r);
        return;
    }
    rep.data[3] = 0x10; /* supported: media */
    if (p[4] & 0x10) {
        rep.data[2] = 0x04; /* media class */
        rep.data[4] = cd->media_event;
        rep.data[5] = cd->fd >= 0 ? 0x02 : 0x00; /* medium present */
        rep.len = 8;
        cd->media_event = ATAPI_EVENT_NONE;
    } else {
        rep.data[2] = 0x80; /* no event available */
    }
    put_be16(rep.data, (uint32_t)rep.len - 2);
    atapi_send(cd, sg, &rep, get_be16(p + 7), r);
}

static void atapi_mode_page_error_recovery(struct atapi_reply *rep)
{
    uint8_t *d = rep->data + rep->len;
    d[0] = 0x01;
    d[1] = 0x06;
    rep->len += 8;
}

static void atapi_mode_page_capabilities(const struct atapi_cd *cd,
                                         struct atapi_reply *rep)
{
    uint8_t *d = rep->data + rep->len;
    d[0] = 0x2A;
    d[1] = 0x12;
    d[4] = 0x71;                        /* multi-session, mode 2 forms */
    d[5] = 0x60;                        /* reads CD-DA... */
    d[6] = (uint8_t)(0x29 | (cd->locked ? 0x02 : 0)); /* tray, eject, lock */
    put_be16(d + 8, 706);               /* max read speed, kB/s */
    put_be16(d + 10, 2);                /* volume levels */
    put_be16(d + 12, 512);              /* buffer size, KiB */
    put_be16(d + 14, 706);              /* current read speed */
    rep->len += 20;
}

static void atapi_mode_sense(struct atapi_cd *cd, const uint8_t *p,
                             const struct ata_sg *sg, struct ata_result *r)
{
    struct atapi_reply rep = { .len = 8 };
    uint8_t page = p[2] & 0x3F;
    if (page != 0x01 && page != 0x2A && page != 0x3F) {
        atapi_invalid_field(cd, r);
        return;
    }
    if (page == 0x01 || page == 0x3F)
        atapi_mode_page_error_recovery(&rep);
    if (page == 0x2A || page == 0x3F)
        atapi_mode_page_capabilities(cd, &rep);
    put_be16(rep.data, (uint32_t)rep.len - 2);
    atapi_send(cd, sg, &rep, get_be16(p + 7), r);
}

/* --- packet dispatch --------------------------------------------------------- */

static bool atapi_needs_medium(uint8_t op)
{
    switch (op) {
    case ATAPI_TEST_UNIT_READY: case ATAPI_READ_CAPACITY: case ATAPI_READ_10:
    case ATAPI_READ_12: case ATAPI_READ_TOC: case ATAPI_READ_DISC_INFO:
    case ATAPI_SEEK_10:
        return true;
    default:
        return false;
    }
}

/* The commands a pending unit attention does not fail (MMC). */
static bool atapi_reports_unit_attention(uint8_t op)
{
    return op != ATAPI_INQUIRY && op != ATAPI_REQUEST_SENSE &&
           op != ATAPI_GET_CONFIGURATION && op != ATAPI_GET_EVENT_STATUS;
}

static void atapi_dispatch(struct atapi_cd *cd, const uint8_t *p,
                           const struct ata_sg *sg, struct ata_result *r)
{
    switch (p[0]) {
    case ATAPI_TEST_UNIT_READY: case ATAPI_SET_CD_SPEED: case ATAPI_SEEK_10:
        atapi_good(cd, r);
        break;
    case ATAPI_REQUEST_SENSE:
        atapi_request_sense(cd, p, sg, r);
        break;
    case ATAPI_INQUIRY:
        atapi_inquiry(cd, p, sg, r);
        break;
    case ATAPI_READ_CAPACITY:
        atapi_read_capacity(cd, sg, r);
        break;
    case ATAPI_READ_10:
        atapi_read(cd, get_be32(p + 2), get_be16(p + 7), sg, r);
        break;
    case ATAPI_READ_12:
        atapi_read(cd, get_be32(p + 2), get_be32(p + 6), sg, r);
        break;
    case ATAPI_READ_TOC:
        atapi_read_toc(cd, p, sg, r);
        break;
    case ATAPI_READ_DISC_INFO:
        atapi_read_disc_info(cd, p, sg, r);
        break;
    case ATAPI_GET_CONFIGURATION:
        atapi_get_configuration(cd, p, sg, r);
        break;
    case ATAPI_GET_EVENT_STATUS:
        atapi_get_event_status(cd, p, sg, r);
        break;
    case ATAPI_MODE_SENSE_10:
        atapi_mode_sense(cd, p, sg, r);
        break;
    case ATAPI_START_STOP_UNIT:
        atapi_start_stop(cd, p, r);
        break;
    case ATAPI_PREVENT_ALLOW:
        cd->locked = p[4] & 0x01;
        atapi_good(cd, r);
        break;
    case ATAPI_MECHANISM_STATUS:
        atapi_mechanism_status(cd, p, sg, r);
        break;
    default:
        atapi_check_condition(cd, r, ATAPI_SENSE_ILLEGAL_REQUEST, ASC_INVALID_OPCODE, 0);
    }
}

static void atapi_packet(struct atapi_cd *cd, const uint8_t *p,
                         const struct ata_sg *sg, struct ata_result *r)
{
    if (cd->unit_attention && atapi_reports_unit_attention(p[0])) {
        cd->unit_attention = false;
        atapi_check_condition(cd, r, ATAPI_SENSE_UNIT_ATTENTION, ASC_MEDIUM_CHANGED, 0);
    } else if (cd->fd < 0 && atapi_needs_medium(p[0])) {
        atapi_check_condition(cd, r, ATAPI_SENSE_NOT_READY, ASC_MEDIUM_NOT_PRESENT, 0);
    } else {
        atapi_dispatch(cd, p, sg, r);
    }
    /* The interrupt reason: command done, towards the host. */
    r->count = 0x03;
}

/* --- ATA level ------------------------------------------------------------------ */

static void atapi_identify_packet(const struct atapi_cd *cd,
                                  const struct ata_sg *sg, struct ata_result *r)
{
    uint16_t w[256] = { 0 };
    w[0] = 0x85C0;       /* ATAPI, CD-ROM, removable, 12-byte packets */
    ata_identify_strings(w, &cd->ident);
    w[49] = 0x0300;      /* LBA, DMA */
    w[53] = 0x0006;
    w[63] = 0x0007;
    w[64] = 0x0003;
    w[65] = w[66] = w[67] = w[68] = 120;
    w[71] = w[72] = 30;
    w[76] = 0x000E;      /* 1.5/3/6 Gb/s */
    w[80] = 0x01F0;
    w[82] = 0x0010;      /* PACKET */
    w[83] = w[84] = w[87] = 0x4000;
    w[85] = 0x0010;
    w[88] = 0x203F;
    w[222] = 0x101F;
    ata_identify_reply(w, sg, r);
}

void atapi_cd_execute(struct atapi_cd *cd, const struct ata_cmd *c,
                      const uint8_t *packet, const struct ata_sg *sg,
                      struct ata_result *r)
{
    memset(r, 0, sizeof(*r));
    switch (c->command) {
    case ATA_CMD_PACKET:
        r->pio = !(c->features & 0x01); /* DMA bit clear: PIO protocol */
        atapi_packet(cd, packet, sg, r);
        break;
    case ATA_CMD_IDENTIFY_PACKET:
        atapi_identify_packet(cd, sg, r);
        break;
    case ATA_CMD_IDENTIFY:
        /* Abort with the packet signature: the host then knows. */
        ata_abort(r, ATA_ERROR_ABRT);
        r->count = (uint16_t)(ATA_SIGNATURE_ATAPI & 0xFF);
        r->lba = ATA_SIGNATURE_ATAPI >> 8;
        break;
    default:
        if (!ata_common_command(c, ATA_SIGNATURE_ATAPI, r))
            ata_abort(r, ATA_ERROR_ABRT);
    }
}
