/* Unit tests for the ATAPI CD-ROM drive on a temporary ISO-sized image:
 * the packet commands, what they answer, the sense codes of their
 * failures, media changes (unit attention and media events), the tray
 * lock, and the ATA commands a packet device answers. */
#include "check.h"
#include "../../hypervisor/vmm/atapi.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#define BLOCKS 300

static char iso[] = "/tmp/corral-test-atapi-XXXXXX";
static struct atapi_cd cd;
static uint8_t buf[8192];
static struct iovec iov = { buf, sizeof(buf) };
static struct ata_result res;

static void make_iso(void)
{
    int fd = mkstemp(iso);
    CHECK(fd >= 0);
    uint8_t block[ATAPI_BLOCK_SIZE];
    for (unsigned b = 0; b < BLOCKS; b++) {
        memset(block, (int)(b & 0xFF), sizeof(block));
        CHECK_EQ_INT(write(fd, block, sizeof(block)), sizeof(block));
    }
    close(fd);
}

static void insert(void)
{
    int fd = open(iso, O_RDONLY);
    CHECK_EQ_INT(atapi_cd_insert(&cd, fd, (uint64_t)BLOCKS * ATAPI_BLOCK_SIZE), 0);
}

/* A drive with the medium in and its unit attention consumed. */
static void ready_drive(void)
{
    atapi_cd_init(&cd, "cdrom0");
    insert();
    cd.unit_attention = false;
    cd.media_event = ATAPI_EVENT_NONE;
}

static void send_len(const uint8_t *cdb, size_t len)
{
    struct ata_cmd c = { .command = ATA_CMD_PACKET, .features = 1 };
    struct ata_sg sg = { &iov, 1, len };
    iov.iov_len = len;
    memset(buf, 0xEE, sizeof(buf));
    atapi_cd_execute(&cd, &c, cdb, &sg, &res);
}

static void send(const uint8_t *cdb)
{
    send_len(cdb, sizeof(buf));
}

static bool good(void)
{
    return !(res.status & ATA_STATUS_ERR);
}

/* The last command failed with this sense, and REQUEST SENSE says so. */
static void check_sense(uint8_t key, uint8_t asc, uint8_t ascq)
{
    CHECK(res.status & ATA_STATUS_ERR);
    CHECK_EQ_INT(res.error >> 4, key);
    const uint8_t rs[12] = { ATAPI_REQUEST_SENSE, 0, 0, 0, 18 };
    send(rs);
    CHECK(good());
    CHECK_EQ_INT(res.bytes, 18);
    CHECK_EQ_INT(buf[0], 0x70);
    CHECK_EQ_INT(buf[2], key);
    CHECK_EQ_INT(buf[12], asc);
    CHECK_EQ_INT(buf[13], ascq);
}

static void test_identify(void)
{
    ready_drive();
    struct ata_cmd c = { .command = ATA_CMD_IDENTIFY_PACKET };
    struct ata_sg sg = { &iov, 1, 512 };
    iov.iov_len = 512;
    atapi_cd_execute(&cd, &c, NULL, &sg, &res);
    CHECK(good());
    CHECK(res.pio);
    CHECK_EQ_INT(buf[0] | buf[1] << 8, 0x85C0);
    uint8_t sum = 0;
    for (unsigned i = 0; i < 512; i++)
        sum = (uint8_t)(sum + buf[i]);
    CHECK_EQ_INT(sum, 0);
    c.command = ATA_CMD_IDENTIFY;
    atapi_cd_execute(&cd, &c, NULL, &sg, &res);
    CHECK(res.status & ATA_STATUS_ERR);
    CHECK_EQ_INT(res.lba, 0xEB1401); /* the packet signature */
    c.command = 0x25; /* READ DMA EXT: not for a packet device */
    atapi_cd_execute(&cd, &c, NULL, &sg, &res);
    CHECK_EQ_INT(res.error, ATA_ERROR_ABRT);
    atapi_cd_destroy(&cd);
}

static void test_inquiry_and_capacity(void)
{
    ready_drive();
    const uint8_t inq[12] = { ATAPI_INQUIRY, 0, 0, 0, 36 };
    send(inq);
    CHECK(good());
    CHECK_EQ_INT(res.bytes, 36);
    CHECK_EQ_INT(buf[0], 0x05);
    CHECK_EQ_INT(buf[1], 0x80);
    CHECK(memcmp(buf + 8, "CORRAL", 6) == 0);
    const uint8_t inq_short[12] = { ATAPI_INQUIRY, 0, 0, 0, 5 };
    send(inq_short);
    CHECK_EQ_INT(res.bytes, 5); /* the allocation length cuts */
    const uint8_t vpd[12] = { ATAPI_INQUIRY, 1, 0x80, 0, 36 };
    send(vpd);
    check_sense(ATAPI_SENSE_ILLEGAL_REQUEST, 0x24, 0);

    const uint8_t cap[12] = { ATAPI_READ_CAPACITY };
    send(cap);
    CHECK(good());
    CHECK_EQ_INT(res.bytes, 8);
    CHECK_EQ_INT(buf[2] << 8 | buf[3], BLOCKS - 1);
    CHECK_EQ_INT(buf[6] << 8 | buf[7], 2048);
    atapi_cd_destroy(&cd);
}

static void test_read(void)
{
    ready_drive();
    const uint8_t r10[12] = { ATAPI_READ_10, 0, 0, 0, 0, 7, 0, 0, 2 };
    send(r10);
    CHECK(good());
    CHECK_EQ_INT(res.bytes, 4096);
    CHECK_EQ_INT(buf[0], 7);
    CHECK_EQ_INT(buf[4095], 8);
    const uint8_t r12[12] = { ATAPI_READ_12, 0, 0, 0, 1, 0x20, 0, 0, 0, 1 };
    send(r12);
    CHECK(good());
    CHECK_EQ_INT(buf[0], 0x20); /* block 288 */
    /* The last block reads, one more does not. */
    const uint8_t last[12] = { ATAPI_READ_10, 0, 0, 0, 0x01, 0x2B, 0, 0, 1 };
    send(last);
    CHECK(good());
    const uint8_t past[12] = { ATAPI_READ_10, 0, 0, 0, 0x01, 0x2B, 0, 0, 2 };
    send(past);
    check_sense(ATAPI_SENSE_ILLEGAL_REQUEST, 0x21, 0);
    const uint8_t huge[12] = { ATAPI_READ_12, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
    send(huge);
    check_sense(ATAPI_SENSE_ILLEGAL_REQUEST, 0x21, 0);
    /* Buffers too small for the transfer. */
    send_len(r10, 2048);
    check_sense(ATAPI_SENSE_ILLEGAL_REQUEST, 0x24, 0);
    atapi_cd_destroy(&cd);
}

static void test_toc(void)
{
    ready_drive();
    const uint8_t toc[12] = { ATAPI_READ_TOC, 0, 0, 0, 0, 0, 1, 0, 100 };
    send(toc);
    CHECK(good());
    CHECK_EQ_INT(res.bytes, 20);
    CHECK_EQ_INT(buf[0] << 8 | buf[1], 18);
    CHECK_EQ_INT(buf[6], 1);                    /* track 1 */
    CHECK_EQ_INT(buf[14], 0xAA);                /* lead-out */
    CHECK_EQ_INT(buf[18] << 8 | buf[19], BLOCKS);
    const uint8_t msf[12] = { ATAPI_READ_TOC, 2, 0, 0, 0, 0, 1, 0, 100 };
    send(msf);
    CHECK(good());
    CHECK_EQ_INT(buf[9], 0);  /* track 1 at 00:02:00 */
    CHECK_EQ_INT(buf[10], 2);
    CHECK_EQ_INT(buf[11], 0);
    CHECK_EQ_INT(buf[17], (BLOCKS + 150) / 75 / 60);
    CHECK_EQ_INT(buf[18], (BLOCKS + 150) / 75 % 60);
    CHECK_EQ_INT(buf[19], (BLOCKS + 150) % 75);
    const uint8_t session[12] = { ATAPI_READ_TOC, 0, 1, 0, 0, 0, 0, 0, 12 };
    send(session);
    CHECK(good());
    CHECK_EQ_INT(res.bytes, 12);
    CHECK_EQ_INT(buf[1], 10);
    const uint8_t leadout_only[12] = { ATAPI_READ_TOC, 0, 0, 0, 0, 0, 0xAA, 0, 100 };
    send(leadout_only);
    CHECK_EQ_INT(res.bytes, 12);
    const uint8_t bad_track[12] = { ATAPI_READ_TOC, 0, 0, 0, 0, 0, 5, 0, 100 };
    send(bad_track);
    check_sense(ATAPI_SENSE_ILLEGAL_REQUEST, 0x24, 0);
    const uint8_t bad_format[12] = { ATAPI_READ_TOC, 0, 4, 0, 0, 0, 0, 0, 100 };
    send(bad_format);
    check_sense(ATAPI_SENSE_ILLEGAL_REQUEST, 0x24, 0);
    atapi_cd_destroy(&cd);
}

static void test_configuration_and_modes(void)
{
    ready_drive();
    const uint8_t conf[12] = { ATAPI_GET_CONFIGURATION, 0, 0, 0, 0, 0, 0, 0x01, 0 };
    send(conf);
    CHECK(good());
    CHECK_EQ_INT(buf[6] << 8 | buf[7], 0x0008);  /* CD-ROM profile current */
    CHECK_EQ_INT(buf[8] << 8 | buf[9], 0x0000);  /* profile list first */
    CHECK_EQ_INT(buf[12] << 8 | buf[13], 0x0008);
    CHECK_EQ_INT(buf[14] & 1, 1);
    uint32_t len = (uint32_t)buf[2] << 8 | buf[3];
    CHECK_EQ_INT(len + 4, res.bytes);
    const uint8_t one[12] = { ATAPI_GET_CONFIGURATION, 2, 0, 0x1E, 0, 0, 0, 0x01, 0 };
    send(one);
    CHECK_EQ_INT(res.bytes, 16);
    CHECK_EQ_INT(buf[8] << 8 | buf[9], 0x001E);

    const uint8_t caps[12] = { ATAPI_MODE_SENSE_10, 0, 0x2A, 0, 0, 0, 0, 0, 100 };
    send(caps);
    CHECK(good());
    CHECK_EQ_INT(res.bytes, 28);
    CHECK_EQ_INT(buf[8], 0x2A);
    const uint8_t all[12] = { ATAPI_MODE_SENSE_10, 0, 0x3F, 0, 0, 0, 0, 0, 100 };
    send(all);
    CHECK_EQ_INT(res.bytes, 36);
    const uint8_t bad[12] = { ATAPI_MODE_SENSE_10, 0, 0x05, 0, 0, 0, 0, 0, 100 };
    send(bad);
    check_sense(ATAPI_SENSE_ILLEGAL_REQUEST, 0x24, 0);

    const uint8_t disc[12] = { ATAPI_READ_DISC_INFO, 0, 0, 0, 0, 0, 0, 0, 34 };
    send(disc);
    CHECK(good());
    CHECK_EQ_INT(res.bytes, 34);
    CHECK_EQ_INT(buf[2], 0x0E);
    const uint8_t mech[12] = { ATAPI_MECHANISM_STATUS, 0, 0, 0, 0, 0, 0, 0, 0, 8 };
    send(mech);
    CHECK_EQ_INT(res.bytes, 8);
    const uint8_t unknown[12] = { 0xFF };
    send(unknown);
    check_sense(ATAPI_SENSE_ILLEGAL_REQUEST, 0x20, 0);
    atapi_cd_destroy(&cd);
}

static void test_media_change(void)
{
    atapi_cd_init(&cd, "cdrom0");
    const uint8_t tur[12] = { ATAPI_TEST_UNIT_READY };
    send(tur);
    check_sense(ATAPI_SENSE_NOT_READY, 0x3A, 0);
    const uint8_t toc[12] = { ATAPI_READ_TOC, 0, 0, 0, 0, 0, 1, 0, 100 };
    send(toc);
    check_sense(ATAPI_SENSE_NOT_READY, 0x3A, 0);
    const uint8_t conf[12] = { ATAPI_GET_CONFIGURATION, 0, 0, 0, 0, 0, 0, 0x01, 0 };
    send(conf);
    CHECK(good());
    CHECK_EQ_INT(buf[6] << 8 | buf[7], 0); /* no current profile */

    insert();
    /* The event is reported once, to the polled media class... */
    const uint8_t gesn[12] = { ATAPI_GET_EVENT_STATUS, 1, 0, 0, 0x10, 0, 0, 0, 8 };
    send(gesn);
    CHECK(good());
    CHECK_EQ_INT(buf[2], 0x04);
    CHECK_EQ_INT(buf[4], ATAPI_EVENT_NEW_MEDIA);
    CHECK_EQ_INT(buf[5], 0x02);
    send(gesn);
    CHECK_EQ_INT(buf[4], ATAPI_EVENT_NONE);
    const uint8_t async[12] = { ATAPI_GET_EVENT_STATUS, 0, 0, 0, 0x10, 0, 0, 0, 8 };
    send(async);
    check_sense(ATAPI_SENSE_ILLEGAL_REQUEST, 0x24, 0);
    /* ...and the unit attention once, by the first other command. */
    send(tur);
    check_sense(ATAPI_SENSE_UNIT_ATTENTION, 0x28, 0);
    send(tur);
    CHECK(good());

    /* The guest locks the tray: neither it nor the host can eject. */
    const uint8_t lock[12] = { ATAPI_PREVENT_ALLOW, 0, 0, 0, 1 };
    const uint8_t unlock[12] = { ATAPI_PREVENT_ALLOW, 0, 0, 0, 0 };
    const uint8_t eject[12] = { ATAPI_START_STOP_UNIT, 0, 0, 0, 0x02 };
    send(lock);
    CHECK(good());
    send(eject);
    check_sense(ATAPI_SENSE_ILLEGAL_REQUEST, 0x53, 0x02);
    CHECK_EQ_INT(atapi_cd_eject(&cd), -EBUSY);
    send(unlock);
    send(eject);
    CHECK(good());
    CHECK_EQ_INT(cd.fd, -1);
    send(tur);
    check_sense(ATAPI_SENSE_NOT_READY, 0x3A, 0);
    send(gesn);
    CHECK_EQ_INT(buf[4], ATAPI_EVENT_MEDIA_REMOVAL);
    CHECK_EQ_INT(buf[5], 0);
    CHECK_EQ_INT(atapi_cd_eject(&cd), -ENOENT);
    /* A medium smaller than one block is refused. */
    int fd = open(iso, O_RDONLY);
    CHECK_EQ_INT(atapi_cd_insert(&cd, fd, 100), -EINVAL);
    close(fd);
    atapi_cd_destroy(&cd);
}

int main(void)
{
    make_iso();
    RUN(test_identify);
    RUN(test_inquiry_and_capacity);
    RUN(test_read);
    RUN(test_toc);
    RUN(test_configuration_and_modes);
    RUN(test_media_change);
    unlink(iso);
    return check_summary("atapi");
}
