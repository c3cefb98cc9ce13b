/* Unit tests for the AHCI controller with a SATA disk and a CD-ROM on
 * temporary images, driven through its registers with command lists,
 * tables and PRDTs in a fake guest RAM, as a driver would: reset and
 * signatures, IDENTIFY, DMA and NCQ reads and writes landing in the image,
 * TRIM, flush, read-only disks, ATAPI through the PACKET command, and
 * hostile command lists, tables, PRDs and FISes failing only their
 * command. */
#include "check.h"
#include "../../hypervisor/vmm/ahci.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define RAM_SIZE (1u << 20)
#define DISK_SECTORS 128
#define ISO_BLOCKS 16
#define CLB 0x1000
#define FB 0x2000
#define TABLE 0x3000
#define DATA 0x10000
#define PORT_DISK 0
#define PORT_CD 1

static char disk_image[] = "/tmp/corral-test-ahci-XXXXXX";
static char iso_image[] = "/tmp/corral-test-ahci-iso-XXXXXX";
static uint8_t *ram;
static struct guest_mem mem;
static struct bus bus;
static struct pci_bus pci;
static struct ahci *hba;
static int irq_level;

static void record_irq(void *ctx, uint32_t gsi, int level) { (void)ctx; (void)gsi; irq_level = level; }

static void fill_image(char *path, unsigned units, unsigned unit_size)
{
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    uint8_t *buf = malloc(unit_size);
    for (unsigned i = 0; i < units; i++) {
        memset(buf, (int)(i + 1), unit_size);
        CHECK_EQ_INT(write(fd, buf, unit_size), unit_size);
    }
    free(buf);
    close(fd);
}

static bool synchronous; /* the tests' pass without io_uring */

static int open_hba(bool readonly, const char *iso)
{
    static const struct pci_platform platform = {
        .mem = &mem, .irq_line = record_irq, .intx_gsi = { 5, 9, 10, 11 },
    };
    memset(ram, 0, RAM_SIZE);
    guest_mem_layout(&mem, ram, RAM_SIZE);
    bus_init(&bus);
    pci_bus_create(&pci, &bus, &platform);
    struct ahci_port_options ports[2] = {
        { .kind = AHCI_PORT_DISK, .path = disk_image, .readonly = readonly,
          .synchronous = synchronous },
        { .kind = AHCI_PORT_CDROM, .path = iso },
    };
    int failed;
    return ahci_create(&hba, &pci, ports, 2, &failed);
}

static void close_hba(void)
{
    pci_bus_destroy(&pci);
    ahci_destroy(hba);
    hba = NULL;
    bus_destroy(&bus);
}

static uint32_t port_reg(unsigned port, uint32_t reg)
{
    return ahci_read(hba, AHCI_PORT_BASE + port * AHCI_PORT_SIZE + reg);
}

static void set_port_reg(unsigned port, uint32_t reg, uint32_t v)
{
    ahci_write(hba, AHCI_PORT_BASE + port * AHCI_PORT_SIZE + reg, v);
}

/* What Linux does before issuing commands: lists, FIS receive, start. */
static void start_port(unsigned port)
{
    ahci_write(hba, AHCI_GHC, AHCI_GHC_AE | AHCI_GHC_IE);
    set_port_reg(port, AHCI_PxCLB, CLB);
    set_port_reg(port, AHCI_PxFB, FB);
    set_port_reg(port, AHCI_PxIE, 0xFFFFFFFF);
    set_port_reg(port, AHCI_PxCMD, AHCI_PxCMD_FRE);
    set_port_reg(port, AHCI_PxCMD, AHCI_PxCMD_FRE | AHCI_PxCMD_ST);
}

static void put32(uint32_t gpa, uint32_t v) { memcpy(ram + gpa, &v, 4); }
static uint32_t get32(uint32_t gpa) { uint32_t v; memcpy(&v, ram + gpa, 4); return v; }

/* A command in slot: header -> TABLE + slot * 0x100, H2D FIS, one PRD
 * per entry of lens (consecutive buffers from DATA). */
static void build(unsigned slot, uint8_t command, uint64_t lba, uint16_t count,
                  uint16_t features, const uint32_t *lens, unsigned nprd)
{
    uint32_t table = TABLE + slot * 0x100;
    put32(CLB + slot * 32, 5u | (uint32_t)nprd << 16);
    put32(CLB + slot * 32 + 4, 0xDEAD);
    put32(CLB + slot * 32 + 8, table);
    put32(CLB + slot * 32 + 12, 0);
    uint8_t *f = ram + table;
    memset(f, 0, 0x80);
    f[0] = AHCI_FIS_H2D;
    f[1] = 0x80;
    f[2] = command;
    f[3] = (uint8_t)features;
    f[11] = (uint8_t)(features >> 8);
    f[4] = (uint8_t)lba, f[5] = (uint8_t)(lba >> 8), f[6] = (uint8_t)(lba >> 16);
    f[7] = 0x40;
    f[8] = (uint8_t)(lba >> 24), f[9] = (uint8_t)(lba >> 32), f[10] = (uint8_t)(lba >> 40);
    f[12] = (uint8_t)count, f[13] = (uint8_t)(count >> 8);
    uint32_t addr = DATA;
    for (unsigned i = 0; i < nprd; i++) {
        uint32_t prd = table + AHCI_CMD_TABLE_PRDT + i * 16;
        put32(prd, addr);
        put32(prd + 4, 0);
        put32(prd + 12, lens[i] - 1);
        addr += lens[i];
    }
}

static void issue(unsigned port, unsigned slot)
{
    set_port_reg(port, AHCI_PxCI, 1u << slot);
}

static uint32_t prdbc(unsigned slot) { return get32(CLB + slot * 32 + 4); }

/* Everything in flight completed, as the controller's I/O thread sees it. */
static void settle(unsigned port)
{
    while (hba->ports[port].ring_active && hba->ports[port].ring.in_flight > 0)
        ahci_requests_done(hba, port, true);
}

static uint8_t image_byte(const char *path, uint64_t offset)
{
    uint8_t b = 0;
    FILE *f = fopen(path, "rb");
    fseek(f, (long)offset, SEEK_SET);
    CHECK_EQ_INT(fread(&b, 1, 1, f), 1);
    fclose(f);
    return b;
}

/* The port failed its command: TFES, ERR in the task file, stopped. */
static void check_failed(unsigned port, unsigned slot)
{
    CHECK(port_reg(port, AHCI_PxIS) & AHCI_PxIS_TFES);
    CHECK(port_reg(port, AHCI_PxTFD) & ATA_STATUS_ERR);
    CHECK(port_reg(port, AHCI_PxCI) & (1u << slot));
}

/* The driver's recovery: stop the port (taking the commands back), clear
 * the interrupt, start again. */
static void recover(unsigned port)
{
    set_port_reg(port, AHCI_PxCMD, AHCI_PxCMD_FRE);
    set_port_reg(port, AHCI_PxIS, 0xFFFFFFFF);
    set_port_reg(port, AHCI_PxCMD, AHCI_PxCMD_FRE | AHCI_PxCMD_ST);
}

static void test_hba_registers(void)
{
    CHECK_EQ_INT(open_hba(false, iso_image), 0);
    uint32_t cap = ahci_read(hba, AHCI_CAP);
    CHECK_EQ_INT(cap & 0x1F, 1);              /* two ports */
    CHECK_EQ_INT((cap >> 8) & 0x1F, 31);      /* 32 slots */
    CHECK(cap & 1u << 30);                    /* NCQ */
    CHECK(cap & 1u << 31);                    /* 64-bit */
    CHECK_EQ_INT(ahci_read(hba, AHCI_PI), 3);
    CHECK_EQ_INT(ahci_read(hba, AHCI_VS), 0x00010300);
    CHECK(ahci_read(hba, AHCI_GHC) & AHCI_GHC_AE);
    ahci_write(hba, AHCI_CAP, 0); /* read-only: ignored */
    CHECK_EQ_INT(ahci_read(hba, AHCI_CAP), cap);
    CHECK_EQ_INT(pci_config_read(&hba->pci, PCI_VENDOR_ID, 2), 0x8086);
    CHECK_EQ_INT(pci_config_read(&hba->pci, PCI_DEVICE_ID, 2), 0x2922);
    CHECK_EQ_INT(pci_config_read(&hba->pci, PCI_CLASS_PROG, 3), 0x010601);
    CHECK_EQ_INT(hba->pci.bars[AHCI_BAR].size, AHCI_BAR_SIZE);
    CHECK_EQ_INT(port_reg(PORT_DISK, AHCI_PxSIG), ATA_SIGNATURE_DISK);
    CHECK_EQ_INT(port_reg(PORT_CD, AHCI_PxSIG), ATA_SIGNATURE_ATAPI);
    CHECK_EQ_INT(port_reg(PORT_DISK, AHCI_PxSSTS) & 0xF, 3);
    /* A register of a port not implemented reads 0. */
    CHECK_EQ_INT(ahci_read(hba, AHCI_PORT_BASE + 5 * AHCI_PORT_SIZE + AHCI_PxSIG), 0);
    close_hba();
}

static void test_reset_and_signature_fis(void)
{
    CHECK_EQ_INT(open_hba(false, iso_image), 0);
    set_port_reg(PORT_CD, AHCI_PxFB, FB);
    set_port_reg(PORT_CD, AHCI_PxCMD, AHCI_PxCMD_FRE);
    CHECK(port_reg(PORT_CD, AHCI_PxCMD) & AHCI_PxCMD_FR);
    CHECK_EQ_INT(ram[FB + AHCI_RFIS_D2H], AHCI_FIS_D2H);
    CHECK_EQ_INT(ram[FB + AHCI_RFIS_D2H + 5], 0x14); /* ATAPI signature */
    CHECK_EQ_INT(ram[FB + AHCI_RFIS_D2H + 6], 0xEB);
    /* COMRESET: the link drops, then the device is back and says so again. */
    memset(ram + FB, 0, 256);
    set_port_reg(PORT_CD, AHCI_PxSCTL, 1);
    CHECK_EQ_INT(port_reg(PORT_CD, AHCI_PxSSTS) & 0xF, 0);
    set_port_reg(PORT_CD, AHCI_PxSCTL, 0);
    CHECK_EQ_INT(port_reg(PORT_CD, AHCI_PxSSTS) & 0xF, 3);
    CHECK_EQ_INT(ram[FB + AHCI_RFIS_D2H + 6], 0xEB);
    /* HBA reset clears the port registers. */
    ahci_write(hba, AHCI_GHC, AHCI_GHC_HR);
    CHECK_EQ_INT(port_reg(PORT_CD, AHCI_PxFB), 0);
    CHECK_EQ_INT(ahci_read(hba, AHCI_GHC) & AHCI_GHC_HR, 0);
    close_hba();
}

static void test_identify(void)
{
    CHECK_EQ_INT(open_hba(false, iso_image), 0);
    start_port(PORT_DISK);
    uint32_t len = 512;
    build(0, ATA_CMD_IDENTIFY, 0, 0, 0, &len, 1);
    issue(PORT_DISK, 0);
    CHECK_EQ_INT(port_reg(PORT_DISK, AHCI_PxCI), 0);
    CHECK_EQ_INT(prdbc(0), 512);
    uint32_t is = port_reg(PORT_DISK, AHCI_PxIS);
    CHECK(is & AHCI_PxIS_PSS);
    CHECK(is & AHCI_PxIS_DHRS);
    CHECK_EQ_INT(irq_level, 1);
    CHECK_EQ_INT(ahci_read(hba, AHCI_IS), 1u << PORT_DISK);
    CHECK_EQ_INT(ram[FB + AHCI_RFIS_PIO], AHCI_FIS_PIO_SETUP);
    CHECK_EQ_INT(ram[FB + AHCI_RFIS_PIO + 15], ATA_STATUS_DRDY | ATA_STATUS_DSC);
    const uint8_t *id = ram + DATA;
    uint16_t w[256];
    memcpy(w, id, 512);
    CHECK_EQ_STR(memcmp(id + 54, "oCrrlaS TA", 10) == 0 ? "model" : "bad", "model");
    CHECK_EQ_INT(w[100] | (uint32_t)w[101] << 16, DISK_SECTORS);
    CHECK_EQ_INT(w[60], DISK_SECTORS);
    CHECK(w[83] & 1u << 10);  /* LBA48 */
    CHECK(w[76] & 1u << 8);   /* NCQ */
    CHECK_EQ_INT(w[75], 31);
    CHECK(w[169] & 1);        /* TRIM */
    CHECK(w[85] & 1u << 5);   /* write cache on */
    uint8_t sum = 0;
    for (unsigned i = 0; i < 512; i++)
        sum = (uint8_t)(sum + id[i]);
    CHECK_EQ_INT(sum, 0);
    CHECK(memcmp(id + 20, "RC", 2) == 0 && id[23] == 'L'); /* serial "CRL...", swapped */
    /* The interrupt goes when the driver acknowledges it. */
    set_port_reg(PORT_DISK, AHCI_PxIS, is);
    CHECK_EQ_INT(irq_level, 0);
    close_hba();
}

static void test_write_read_dma(void)
{
    CHECK_EQ_INT(open_hba(false, iso_image), 0);
    start_port(PORT_DISK);
    uint32_t lens[2] = { 512, 1024 }; /* three sectors over two PRDs */
    for (unsigned i = 0; i < 1536; i++)
        ram[DATA + i] = (uint8_t)(i * 7);
    build(3, ATA_CMD_WRITE_DMA_EXT, 10, 3, 0, lens, 2);
    issue(PORT_DISK, 3);
    CHECK_EQ_INT(port_reg(PORT_DISK, AHCI_PxCI), 0);
    CHECK_EQ_INT(prdbc(3), 1536);
    CHECK_EQ_INT(image_byte(disk_image, 10 * 512 + 5), 35);
    CHECK_EQ_INT(image_byte(disk_image, 12 * 512 + 511), (uint8_t)(1535 * 7));
    CHECK_EQ_INT(image_byte(disk_image, 13 * 512), 14); /* untouched */

    memset(ram + DATA, 0, 4096);
    build(4, ATA_CMD_READ_DMA, 11, 1, 0, lens, 1);
    issue(PORT_DISK, 4);
    CHECK_EQ_INT(prdbc(4), 512);
    CHECK_EQ_INT(ram[DATA + 1], (uint8_t)(513 * 7));
    CHECK(port_reg(PORT_DISK, AHCI_PxIS) & AHCI_PxIS_DHRS);
    CHECK_EQ_INT(ram[FB + AHCI_RFIS_D2H + 2], ATA_STATUS_DRDY | ATA_STATUS_DSC);

    build(5, ATA_CMD_FLUSH_EXT, 0, 0, 0, NULL, 0);
    issue(PORT_DISK, 5);
    CHECK_EQ_INT(port_reg(PORT_DISK, AHCI_PxCI), 0);
    close_hba();
}

static void test_ncq(void)
{
    CHECK_EQ_INT(open_hba(false, iso_image), 0);
    start_port(PORT_DISK);
    uint32_t len = 1024;
    memset(ram + DATA, 0xAB, 1024);
    /* WRITE FPDMA QUEUED: count in features, tag in count 7:3. */
    build(7, ATA_CMD_WRITE_FPDMA, 20, 7 << 3, 2, &len, 1);
    set_port_reg(PORT_DISK, AHCI_PxSACT, 1u << 7);
    issue(PORT_DISK, 7);
    settle(PORT_DISK);
    CHECK_EQ_INT(prdbc(7), 1024);
    CHECK_EQ_INT(port_reg(PORT_DISK, AHCI_PxCI), 0);
    CHECK_EQ_INT(port_reg(PORT_DISK, AHCI_PxSACT), 0);
    CHECK(port_reg(PORT_DISK, AHCI_PxIS) & AHCI_PxIS_SDBS);
    CHECK_EQ_INT(ram[FB + AHCI_RFIS_SDB], AHCI_FIS_SDB);
    CHECK_EQ_INT(get32(FB + AHCI_RFIS_SDB + 4), 1u << 7);
    CHECK_EQ_INT(image_byte(disk_image, 21 * 512 + 100), 0xAB);
    CHECK_EQ_INT(image_byte(disk_image, 22 * 512), 23);

    /* A queued read past the end fails; the NCQ error log names its tag. */
    build(9, ATA_CMD_READ_FPDMA, DISK_SECTORS - 1, 9 << 3, 2, &len, 1);
    set_port_reg(PORT_DISK, AHCI_PxSACT, 1u << 9);
    issue(PORT_DISK, 9);
    check_failed(PORT_DISK, 9);
    CHECK_EQ_INT(port_reg(PORT_DISK, AHCI_PxTFD) >> 8, ATA_ERROR_IDNF);
    recover(PORT_DISK);
    CHECK_EQ_INT(port_reg(PORT_DISK, AHCI_PxSACT), 0);
    uint32_t page = 512;
    build(0, ATA_CMD_READ_LOG_EXT, 0x10, 1, 0, &page, 1);
    issue(PORT_DISK, 0);
    CHECK_EQ_INT(port_reg(PORT_DISK, AHCI_PxCI), 0);
    CHECK_EQ_INT(ram[DATA], 9);
    CHECK_EQ_INT(ram[DATA + 3], ATA_ERROR_IDNF);
    close_hba();
}

static void test_trim(void)
{
    CHECK_EQ_INT(open_hba(false, iso_image), 0);
    start_port(PORT_DISK);
    uint32_t len = 512;
    memset(ram + DATA, 0, 512);
    uint64_t entry = 40 | (uint64_t)8 << 48; /* sectors 40..47 */
    memcpy(ram + DATA, &entry, 8);
    build(1, ATA_CMD_DSM, 0, 1, 1, &len, 1);
    issue(PORT_DISK, 1);
    CHECK_EQ_INT(port_reg(PORT_DISK, AHCI_PxCI), 0);
    CHECK_EQ_INT(image_byte(disk_image, 40 * 512), 0);
    CHECK_EQ_INT(image_byte(disk_image, 47 * 512 + 511), 0);
    CHECK_EQ_INT(image_byte(disk_image, 48 * 512), 49);
    struct stat st;
    CHECK_EQ_INT(stat(disk_image, &st), 0);
    CHECK_EQ_INT(st.st_size, DISK_SECTORS * 512); /* size kept */
    /* A range past the end fails the command. */
    entry = (DISK_SECTORS - 2) | (uint64_t)4 << 48;
    memcpy(ram + DATA, &entry, 8);
    issue(PORT_DISK, 1);
    check_failed(PORT_DISK, 1);
    close_hba();
}

static void test_readonly_disk(void)
{
    CHECK_EQ_INT(open_hba(true, iso_image), 0);
    start_port(PORT_DISK);
    uint32_t len = 512;
    memset(ram + DATA, 0x55, 512);
    build(0, ATA_CMD_WRITE_DMA_EXT, 1, 1, 0, &len, 1);
    issue(PORT_DISK, 0);
    check_failed(PORT_DISK, 0);
    CHECK_EQ_INT(port_reg(PORT_DISK, AHCI_PxTFD) >> 8, ATA_ERROR_ABRT);
    CHECK_EQ_INT(image_byte(disk_image, 512), 2);
    /* Nothing runs until the driver restarts the port... */
    build(1, ATA_CMD_READ_DMA_EXT, 1, 1, 0, &len, 1);
    issue(PORT_DISK, 1);
    CHECK(port_reg(PORT_DISK, AHCI_PxCI) & 2);
    /* ...which takes the commands back; then reads work. */
    recover(PORT_DISK);
    CHECK_EQ_INT(port_reg(PORT_DISK, AHCI_PxCI), 0);
    issue(PORT_DISK, 1);
    CHECK_EQ_INT(port_reg(PORT_DISK, AHCI_PxCI), 0);
    CHECK_EQ_INT(ram[DATA], 2);
    close_hba();
}

static void check_rejected(const char *what)
{
    issue(PORT_DISK, 0);
    if (!(port_reg(PORT_DISK, AHCI_PxIS) & AHCI_PxIS_TFES))
        fprintf(stderr, "not rejected: %s\n", what);
    check_failed(PORT_DISK, 0);
    recover(PORT_DISK);
}

static void test_hostile_commands(void)
{
    CHECK_EQ_INT(open_hba(false, iso_image), 0);
    start_port(PORT_DISK);
    uint32_t len = 512, two[2] = { 512, 512 };

    build(0, ATA_CMD_READ_DMA_EXT, 0, 1, 0, &len, 1);
    put32(TABLE + AHCI_CMD_TABLE_PRDT, RAM_SIZE - 256); /* buffer leaves RAM */
    check_rejected("PRD beyond RAM");

    build(0, ATA_CMD_READ_DMA_EXT, 0, 1, 0, &len, 1);
    put32(TABLE + AHCI_CMD_TABLE_PRDT + 4, 0xFFFFFFFF); /* 64-bit nonsense */
    check_rejected("PRD high address");

    build(0, ATA_CMD_READ_DMA_EXT, 0, 1, 0, &len, 1);
    put32(TABLE + AHCI_CMD_TABLE_PRDT + 12, 510); /* 511 bytes: odd */
    check_rejected("odd PRD byte count");

    build(0, ATA_CMD_READ_DMA_EXT, 0, 2, 0, &len, 1); /* 1 KiB into 512 */
    check_rejected("PRDT too short");

    build(0, ATA_CMD_READ_DMA_EXT, 0, 1, 0, two, 2);
    put32(CLB, 5u | (uint32_t)(AHCI_PRDT_MAX + 1) << 16);
    check_rejected("PRDT too long");

    build(0, ATA_CMD_READ_DMA_EXT, 0, 1, 0, &len, 1);
    put32(CLB + 8, RAM_SIZE - 64); /* table leaves RAM */
    check_rejected("table beyond RAM");

    build(0, ATA_CMD_READ_DMA_EXT, 0, 1, 0, &len, 1);
    ram[TABLE] = AHCI_FIS_D2H; /* not a host-to-device FIS */
    check_rejected("FIS type");

    build(0, ATA_CMD_READ_DMA_EXT, 0, 1, 0, &len, 1);
    put32(CLB, 1u | 1u << 16); /* FIS length 1 dword */
    check_rejected("FIS length");

    build(0, 0xFF, 0, 0, 0, NULL, 0);
    check_rejected("unknown command");

    build(0, ATA_CMD_READ_DMA_EXT, DISK_SECTORS, 1, 0, &len, 1);
    check_rejected("beyond the disk");

    /* A command list outside RAM. */
    set_port_reg(PORT_DISK, AHCI_PxCMD, AHCI_PxCMD_FRE);
    set_port_reg(PORT_DISK, AHCI_PxCLB, 0xFFFFFC00);
    set_port_reg(PORT_DISK, AHCI_PxCLBU, 0xFFFFFFFF);
    set_port_reg(PORT_DISK, AHCI_PxCMD, AHCI_PxCMD_FRE | AHCI_PxCMD_ST);
    set_port_reg(PORT_DISK, AHCI_PxCI, 1u << 31);
    CHECK(port_reg(PORT_DISK, AHCI_PxIS) & AHCI_PxIS_TFES);
    /* Every one of the eleven counted as failed (-v's line). */
    CHECK_EQ_INT(hba->ports[PORT_DISK].stats.failed, 11);

    /* Commands are not taken while the port is stopped. */
    set_port_reg(PORT_DISK, AHCI_PxCMD, 0);
    set_port_reg(PORT_DISK, AHCI_PxCI, 1);
    CHECK_EQ_INT(port_reg(PORT_DISK, AHCI_PxCI), 0);
    close_hba();
}

static void test_software_reset(void)
{
    CHECK_EQ_INT(open_hba(false, iso_image), 0);
    start_port(PORT_DISK);
    build(0, 0, 0, 0, 0, NULL, 0);
    ram[TABLE + 1] = 0;    /* device control, not a command */
    ram[TABLE + 15] = AHCI_CONTROL_SRST;
    issue(PORT_DISK, 0);
    CHECK_EQ_INT(port_reg(PORT_DISK, AHCI_PxCI), 0);
    memset(ram + FB, 0, 256);
    ram[TABLE + 15] = 0;
    issue(PORT_DISK, 0);
    CHECK_EQ_INT(port_reg(PORT_DISK, AHCI_PxCI), 0);
    CHECK_EQ_INT(ram[FB + AHCI_RFIS_D2H], AHCI_FIS_D2H);
    CHECK_EQ_INT(ram[FB + AHCI_RFIS_D2H + 12], 1); /* signature: count 1 */
    close_hba();
}

/* ATAPI through the controller: the packet sits in the table's ACMD. */
static void packet(const uint8_t *cdb, uint32_t len)
{
    build(2, ATA_CMD_PACKET, 0, 0, 1, &len, len ? 1 : 0);
    put32(CLB + 2 * 32, 5u | 1u << 5 | (uint32_t)(len ? 1 : 0) << 16);
    memcpy(ram + TABLE + 2 * 0x100 + AHCI_CMD_TABLE_ACMD, cdb, 12);
    issue(PORT_CD, 2);
}

static void test_atapi_through_hba(void)
{
    CHECK_EQ_INT(open_hba(false, iso_image), 0);
    start_port(PORT_CD);
    uint32_t len = 512;
    build(0, ATA_CMD_IDENTIFY, 0, 0, 0, &len, 1);
    issue(PORT_CD, 0);
    check_failed(PORT_CD, 0); /* a packet device aborts IDENTIFY DEVICE */
    recover(PORT_CD);
    build(0, ATA_CMD_IDENTIFY_PACKET, 0, 0, 0, &len, 1);
    issue(PORT_CD, 0);
    CHECK_EQ_INT(port_reg(PORT_CD, AHCI_PxCI), 0);
    CHECK_EQ_INT(ram[DATA + 1], 0x85); /* ATAPI CD-ROM, removable */

    /* The medium was inserted at start: the first TEST UNIT READY sees a
     * unit attention, the next is good. */
    const uint8_t tur[12] = { ATAPI_TEST_UNIT_READY };
    packet(tur, 0);
    check_failed(PORT_CD, 2);
    CHECK_EQ_INT(port_reg(PORT_CD, AHCI_PxTFD) >> 12, ATAPI_SENSE_UNIT_ATTENTION);
    recover(PORT_CD);
    packet(tur, 0);
    CHECK_EQ_INT(port_reg(PORT_CD, AHCI_PxCI), 0);

    const uint8_t read10[12] = { ATAPI_READ_10, 0, 0, 0, 0, 3, 0, 0, 2 };
    packet(read10, 4096);
    CHECK_EQ_INT(port_reg(PORT_CD, AHCI_PxCI), 0);
    CHECK_EQ_INT(prdbc(2), 4096);
    CHECK_EQ_INT(ram[DATA], 4);
    CHECK_EQ_INT(ram[DATA + 4095], 5);

    /* Eject from the host, then the guest sees the change and no medium. */
    CHECK_EQ_INT(ahci_cdrom_eject(hba, 0), 0); /* drive 0 is port 1 */
    CHECK_EQ_INT(ahci_cdrom_eject(hba, 0), -ENOENT);
    CHECK_EQ_INT(ahci_cdrom_eject(hba, 1), -ENODEV);
    packet(tur, 0);
    check_failed(PORT_CD, 2);
    recover(PORT_CD);
    packet(tur, 0);
    check_failed(PORT_CD, 2);
    CHECK_EQ_INT(port_reg(PORT_CD, AHCI_PxTFD) >> 12, ATAPI_SENSE_NOT_READY);
    recover(PORT_CD);
    CHECK_EQ_INT(ahci_cdrom_insert(hba, 0, "/nonexistent/x.iso", -1), -ENOENT);
    CHECK_EQ_INT(ahci_cdrom_insert(hba, 1, iso_image, -1), -ENODEV);
    CHECK_EQ_INT(ahci_cdrom_insert(hba, 0, iso_image, -1), 0);
    packet(tur, 0);
    check_failed(PORT_CD, 2); /* unit attention: medium changed */
    close_hba();
}

static void test_empty_drive_and_bad_images(void)
{
    CHECK_EQ_INT(open_hba(false, NULL), 0);
    start_port(PORT_CD);
    const uint8_t cap[12] = { ATAPI_READ_CAPACITY };
    packet(cap, 8);
    check_failed(PORT_CD, 2);
    CHECK_EQ_INT(port_reg(PORT_CD, AHCI_PxTFD) >> 12, ATAPI_SENSE_NOT_READY);
    close_hba();

    struct ahci_port_options none = { .kind = AHCI_PORT_DISK, .path = "/nonexistent" };
    int failed;
    CHECK_EQ_INT(ahci_create(&hba, &pci, &none, 1, &failed), -ENOENT);
    CHECK_EQ_INT(failed, 0);
    CHECK_EQ_INT(ahci_create(&hba, &pci, &none, 0, &failed), -EINVAL);
}

static uint64_t fake_now = 5000000000ULL;
static uint64_t fake_clock(void) { return fake_now; }

/* Eight queued reads of adjacent sectors go in flight with one PxCI
 * write (the vCPU returns at once), as one read, then complete: SActive
 * and PxCI clear, data and PRDBC right. */
static void test_ncq_in_flight_together(void)
{
    CHECK_EQ_INT(open_hba(false, iso_image), 0);
    CHECK(hba->ports[PORT_DISK].ring_active);
    start_port(PORT_DISK);
    uint32_t len = 512;
    for (unsigned t = 0; t < 8; t++) {
        build(t, ATA_CMD_READ_FPDMA, 30 + t, (uint16_t)(t << 3), 1, &len, 1);
        put32(TABLE + t * 0x100 + AHCI_CMD_TABLE_PRDT, DATA + t * 0x1000);
    }
    set_port_reg(PORT_DISK, AHCI_PxSACT, 0xFF);
    set_port_reg(PORT_DISK, AHCI_PxCI, 0xFF);
    /* adjacent sectors: one read on the ring (block_merge.h) */
    CHECK_EQ_INT(hba->ports[PORT_DISK].ring.in_flight, 1);
    CHECK_EQ_INT(hba->ports[PORT_DISK].stats.joined, 7);
    CHECK_EQ_INT(port_reg(PORT_DISK, AHCI_PxCI), 0xFF);
    settle(PORT_DISK);
    CHECK_EQ_INT(port_reg(PORT_DISK, AHCI_PxCI), 0);
    CHECK_EQ_INT(port_reg(PORT_DISK, AHCI_PxSACT), 0);
    CHECK(port_reg(PORT_DISK, AHCI_PxIS) & AHCI_PxIS_SDBS);
    for (unsigned t = 0; t < 8; t++) {
        CHECK_EQ_INT(prdbc(t), 512);
        CHECK_EQ_INT(ram[DATA + t * 0x1000 + 511], image_byte(disk_image, (30 + t) * 512 + 511));
    }
    /* Stopping the list while commands are in flight takes them back:
     * their completions change nothing. */
    for (unsigned t = 0; t < 4; t++)
        ram[DATA + t * 0x1000] = 0xEE;
    set_port_reg(PORT_DISK, AHCI_PxSACT, 0x0F);
    set_port_reg(PORT_DISK, AHCI_PxCI, 0x0F);
    set_port_reg(PORT_DISK, AHCI_PxIS, 0xFFFFFFFF);
    set_port_reg(PORT_DISK, AHCI_PxCMD, AHCI_PxCMD_FRE);
    settle(PORT_DISK);
    CHECK_EQ_INT(port_reg(PORT_DISK, AHCI_PxCI), 0);
    CHECK_EQ_INT(port_reg(PORT_DISK, AHCI_PxIS) & AHCI_PxIS_SDBS, 0);
    close_hba();
}

/* Queued commands join only what they continue the same way: reads of
 * 50 and 51 go as one, the write to 52 and the read of 60 each start a
 * run; the read of 61, whose buffer O_DIRECT cannot take (an odd
 * address), joins 60's, and the joined read that the kernel refuses is
 * done again command by command.  Every command ends with its own data
 * and PRDBC. */
static void test_ncq_only_adjacent_commands_join(void)
{
    CHECK_EQ_INT(open_hba(false, iso_image), 0);
    start_port(PORT_DISK);
    uint32_t len = 512;
    const struct { uint8_t command; uint64_t lba; uint32_t data; } cmds[] = {
        { ATA_CMD_READ_FPDMA, 50, DATA }, { ATA_CMD_READ_FPDMA, 51, DATA + 0x1000 },
        { ATA_CMD_WRITE_FPDMA, 52, DATA + 0x2000 }, { ATA_CMD_READ_FPDMA, 60, DATA + 0x3000 },
        { ATA_CMD_READ_FPDMA, 61, DATA + 0x4003 },
    };
    memset(ram + DATA + 0x2000, 0x5A, 512);
    for (unsigned t = 0; t < 5; t++) {
        build(t, cmds[t].command, cmds[t].lba, (uint16_t)(t << 3), 1, &len, 1);
        put32(TABLE + t * 0x100 + AHCI_CMD_TABLE_PRDT, cmds[t].data);
    }
    set_port_reg(PORT_DISK, AHCI_PxSACT, 0x1F);
    set_port_reg(PORT_DISK, AHCI_PxCI, 0x1F);
    CHECK_EQ_INT(hba->ports[PORT_DISK].ring.in_flight, 3); /* [50 51] [w52] [60 61] */
    CHECK_EQ_INT(hba->ports[PORT_DISK].stats.joined, 2);
    settle(PORT_DISK);
    char line[256];
    ahci_port_stats_format(&hba->ports[PORT_DISK], line, sizeof(line));
    CHECK_EQ_STR(line, "commands 5, queued 5 (joined 2), synchronous 0, redone 2, failed 0");
    CHECK_EQ_INT(port_reg(PORT_DISK, AHCI_PxCI), 0);
    CHECK_EQ_INT(port_reg(PORT_DISK, AHCI_PxSACT), 0);
    CHECK_EQ_INT(port_reg(PORT_DISK, AHCI_PxIS) & AHCI_PxIS_TFES, 0);
    for (unsigned t = 0; t < 5; t++)
        CHECK_EQ_INT(prdbc(t), 512);
    const unsigned reads[] = { 0, 1, 3, 4 };
    for (unsigned i = 0; i < 4; i++) {
        unsigned t = reads[i];
        uint64_t at = cmds[t].lba * 512;
        CHECK_EQ_INT(ram[cmds[t].data], image_byte(disk_image, at));
        CHECK_EQ_INT(ram[cmds[t].data + 511], image_byte(disk_image, at + 511));
    }
    CHECK(image_byte(disk_image, 60 * 512) != image_byte(disk_image, 61 * 512));
    CHECK_EQ_INT(image_byte(disk_image, 52 * 512), 0x5A);
    CHECK_EQ_INT(image_byte(disk_image, 52 * 512 + 511), 0x5A);
    close_hba();
}

static void test_rate_limit(void)
{
    static const struct pci_platform platform = {
        .mem = &mem, .irq_line = record_irq, .intx_gsi = { 5, 9, 10, 11 },
    };
    memset(ram, 0, RAM_SIZE);
    guest_mem_layout(&mem, ram, RAM_SIZE);
    bus_init(&bus);
    pci_bus_create(&pci, &bus, &platform);
    struct ahci_port_options o = { .kind = AHCI_PORT_DISK, .path = disk_image,
                                   .iops = 1, .clock_ns = fake_clock };
    int failed;
    CHECK_EQ_INT(ahci_create(&hba, &pci, &o, 1, &failed), 0);
    start_port(0);
    uint32_t len = 512;
    build(0, ATA_CMD_READ_DMA_EXT, 0, 1, 0, &len, 1);
    build(1, ATA_CMD_READ_DMA_EXT, 1, 1, 0, &len, 1);
    issue(0, 0);
    issue(0, 1);
    /* One operation a second: the second waits for the timer. */
    CHECK_EQ_INT(port_reg(0, AHCI_PxCI), 2);
    CHECK(hba->ports[0].limit.throttled > 0);
    fake_now += 1000000000ULL;
    ahci_limit_expired(hba, 0);
    CHECK_EQ_INT(port_reg(0, AHCI_PxCI), 0);
    close_hba();
}

int main(void)
{
    ram = aligned_alloc(4096, RAM_SIZE);
    fill_image(disk_image, DISK_SECTORS, 512);
    fill_image(iso_image, ISO_BLOCKS, 2048);
    RUN(test_hba_registers);
    RUN(test_reset_and_signature_fis);
    RUN(test_identify);
    RUN(test_write_read_dma);
    RUN(test_ncq);
    RUN(test_trim);
    RUN(test_readonly_disk);
    RUN(test_hostile_commands);
    RUN(test_software_reset);
    RUN(test_atapi_through_hba);
    RUN(test_empty_drive_and_bad_images);
    RUN(test_rate_limit);
    RUN(test_ncq_in_flight_together);
    RUN(test_ncq_only_adjacent_commands_join);
    synchronous = true; /* the queued commands again without io_uring */
    RUN(test_ncq);
    unlink(disk_image);
    unlink(iso_image);
    free(ram);
    return check_summary("ahci");
}
