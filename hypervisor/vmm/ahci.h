/* ahci: an AHCI 1.3 SATA host bus adapter (Intel ICH9 class: PCI
 * 8086:2922, class 01.06.01, registers in BAR5 "ABAR") with up to six
 * ports, each holding a disk (ata.h) or an ATAPI CD-ROM drive (atapi.h).
 *
 * The guest's driver keeps, per port, a command list (32 command headers)
 * and a received-FIS area in its RAM, and issues a command by setting its
 * slot's bit in PxCI.  We then read the header, the command table (the
 * host-to-device register FIS, the ATAPI packet, the PRDT), run the
 * command against the image, write the byte count back into the header,
 * post the device-to-host FISes (D2H register, PIO Setup for PIO
 * commands, Set Device Bits for NCQ) and raise the port's interrupt.
 *
 * Where commands run: synchronously on the vCPU thread that wrote PxCI
 * (as bhyve does for small requests).  The guest's own drivers keep many
 * slots in flight, so they lose little, and there is no second thread
 * touching the command list, hence no ordering to get wrong; the price is
 * that a vCPU waits for its own disk I/O - except for queued (NCQ) reads
 * and writes on a disk, which go in flight through the port's io_uring
 * (block_ring.h) while the vCPU goes back to the guest, and complete, in
 * any order, on the controller's own I/O thread (never the one serving the
 * NICs): SDB FIS, SActive and PxCI bits, interrupt.  A request the rate
 * limit holds back is resumed there too, by the limit's timer.  Where
 * io_uring is unavailable every command runs synchronously.  Disk images
 * are opened O_DIRECT where the file system allows it (block_image.h).
 *
 * Every guest-written structure is checked like a virtqueue: the command
 * header, the table and each PRD's buffer must lie inside guest RAM, a
 * PRDT may have at most AHCI_PRDT_MAX entries of at most 4 MiB and an
 * even byte count, the FIS must be a host-to-device register FIS of a
 * sane length, and the PRDT must hold the whole transfer.  A command
 * that breaks a rule fails: task-file error (PxIS.TFES, ABRT in PxTFD),
 * and the port stops taking commands until the driver restarts it
 * (PxCMD.ST off and on), exactly as for a device error.  The VMM never
 * trusts a length it did not check.
 *
 * Interrupts: INTx (the level follows GHC.IE and every port's PxIS &
 * PxIE).  No MSI capability: Linux, Windows and SeaBIOS all drive an
 * AHCI controller without one.
 *
 * Registers are 32-bit; narrower writes are ignored (drivers never make
 * them), narrower reads and 64-bit accesses work.
 *
 * Locking: one lock per controller, taken by register accesses (vCPU
 * threads), the rate-limit timers (I/O thread) and media changes (the
 * control socket). */
#ifndef CORRAL_AHCI_H
#define CORRAL_AHCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "ata.h"
#include "atapi.h"
#include "block_image.h"
#include "block_merge.h"
#include "block_ring.h"
#include "iothread.h"
#include "obj_cache.h"
#include "pci.h"
#include "rate_limit.h"

#define AHCI_VENDOR_ID 0x8086
#define AHCI_DEVICE_ID 0x2922
#define AHCI_CLASS 0x010601
#define AHCI_BAR 5
#define AHCI_BAR_SIZE 0x800
#define AHCI_MAX_PORTS 6
#define AHCI_SLOTS 32
/* PRDT limits: entries per command, bytes per entry (the 22-bit count). */
#define AHCI_PRDT_MAX BLOCK_IMAGE_MAX_IOV
#define AHCI_PRD_MAX_BYTES (4u << 20)

/* HBA registers. */
#define AHCI_CAP 0x00
#define AHCI_GHC 0x04
#define AHCI_IS 0x08
#define AHCI_PI 0x0C
#define AHCI_VS 0x10
#define AHCI_CAP2 0x24
#define AHCI_GHC_HR 0x00000001u
#define AHCI_GHC_IE 0x00000002u
#define AHCI_GHC_AE 0x80000000u

/* Port registers, at 0x100 + port * 0x80. */
#define AHCI_PORT_BASE 0x100
#define AHCI_PORT_SIZE 0x80
#define AHCI_PxCLB 0x00
#define AHCI_PxCLBU 0x04
#define AHCI_PxFB 0x08
#define AHCI_PxFBU 0x0C
#define AHCI_PxIS 0x10
#define AHCI_PxIE 0x14
#define AHCI_PxCMD 0x18
#define AHCI_PxTFD 0x20
#define AHCI_PxSIG 0x24
#define AHCI_PxSSTS 0x28
#define AHCI_PxSCTL 0x2C
#define AHCI_PxSERR 0x30
#define AHCI_PxSACT 0x34
#define AHCI_PxCI 0x38

#define AHCI_PxCMD_ST 0x0001u
#define AHCI_PxCMD_SUD 0x0002u
#define AHCI_PxCMD_POD 0x0004u
#define AHCI_PxCMD_CLO 0x0008u
#define AHCI_PxCMD_FRE 0x0010u
#define AHCI_PxCMD_FR 0x4000u
#define AHCI_PxCMD_CR 0x8000u
#define AHCI_PxCMD_ATAPI 0x01000000u

#define AHCI_PxIS_DHRS 0x00000001u /* D2H register FIS */
#define AHCI_PxIS_PSS 0x00000002u  /* PIO Setup FIS */
#define AHCI_PxIS_SDBS 0x00000008u /* Set Device Bits FIS */
#define AHCI_PxIS_TFES 0x40000000u /* task-file error */

/* Command header and table layout. */
#define AHCI_CMD_HEADER_SIZE 32
#define AHCI_CMD_TABLE_ACMD 0x40
#define AHCI_CMD_TABLE_PRDT 0x80
#define AHCI_PRD_SIZE 16
/* The received-FIS area and where each FIS goes in it. */
#define AHCI_RFIS_SIZE 256
#define AHCI_RFIS_PIO 0x20
#define AHCI_RFIS_D2H 0x40
#define AHCI_RFIS_SDB 0x58
/* FIS types. */
#define AHCI_FIS_H2D 0x27
#define AHCI_FIS_D2H 0x34
#define AHCI_FIS_SDB 0xA1
#define AHCI_FIS_PIO_SETUP 0x5F
#define AHCI_H2D_COMMAND 0x80  /* H2D byte 1: a command, not device control */
#define AHCI_CONTROL_SRST 0x04 /* H2D byte 15, device control: software reset */

enum ahci_port_kind { AHCI_PORT_DISK, AHCI_PORT_CDROM };

struct ahci_port_options {
    enum ahci_port_kind kind;
    const char *path; /* the image; NULL: a CD-ROM drive with no medium */
    bool readonly;    /* disks (a CD-ROM is always read-only) */
    bool writeback;   /* disks: through the host's page cache, not O_DIRECT */
    uint64_t bps, iops;           /* disks' rate limits; 0: none */
    bool synchronous;             /* disks: no io_uring even where there is one (tests) */
    rate_limit_clock_fn clock_ns; /* NULL: CLOCK_MONOTONIC (tests set it) */
};

struct ahci;

/* What a disk port did: printed at the end with -v
 * (ahci_port_stats_format).  Under the controller's lock. */
struct ahci_port_stats {
    uint64_t commands; /* commands run (reads, writes, flushes, IDENTIFY...) */
    uint64_t queued;   /* of which went in flight through io_uring (NCQ) */
    uint64_t joined;   /* of those, went with the one before them (block_merge.h) */
    uint64_t redone;   /* queued commands run again synchronously (the ring
                        * did not finish them whole) */
    uint64_t failed;   /* commands that ended in an error or could not be
                        * read from guest memory (the port stopped) */
};

struct ahci_port {
    struct ahci *hba;      /* for the rate-limit timer's callback */
    unsigned index;
    enum ahci_port_kind kind;
    struct ata_disk disk;  /* AHCI_PORT_DISK */
    bool writeback;        /* disks: cache = writeback, buffered by choice */
    struct atapi_cd cd;    /* AHCI_PORT_CDROM */
    struct rate_limit limit;
    uint64_t clb, fb;
    uint32_t is, ie, cmd, tfd, sig, ssts, sctl, serr, sact, ci;
    bool signature_pending; /* the reset's D2H FIS waits for FIS receive on */
    bool stopped;           /* a command failed: nothing runs until ST cycles */
    /* Disks: queued (NCQ) reads and writes in flight through io_uring. */
    struct block_ring ring;
    bool ring_active;
    uint32_t in_flight;  /* slots whose command is in the ring */
    uint32_t generation; /* counts list stops and resets: older completions are dropped */
    /* Queued reads (or writes) of adjacent ranges taken in one pass over
     * the issued slots, on the ring as one at its end (block_merge.h);
     * empty outside a pass (a pass holds the lock). */
    struct block_merge_run run;
    /* The queued commands' requests, kept for the next when they complete
     * (obj_cache.h: musl would map and unmap them); under the lock. */
    struct obj_caches reqs;
    struct ahci_port_stats stats;
};

struct ahci {
    struct pci_device pci;
    const struct guest_mem *mem;
    pthread_mutex_t lock;
    uint32_t ghc;
    unsigned nports;
    struct ahci_port ports[AHCI_MAX_PORTS];
    struct iovec iov[AHCI_PRDT_MAX]; /* scratch, under the lock */
    struct iothread io; /* its own, for the rate limits' timers */
    bool io_created;
    bool verbose; /* print each disk port's statistics when destroyed */
};

/* Open the ports' images (disks locked like virtio-blk's, CD-ROMs
 * shared read-only) and put the controller on pci.  Returns 0 with *out
 * set, or -errno (-EBUSY: an image is in use by another VM; -EINVAL: no
 * ports or too many, or an empty medium).  On failure *port_failed says
 * which port's image was the problem (-1: none). */
int ahci_create(struct ahci **out, struct pci_bus *pci,
                const struct ahci_port_options *ports, unsigned nports,
                int *port_failed);
/* After pci_bus_destroy(). */
void ahci_destroy(struct ahci *a);

/* A disk port's counts as one line ("commands C, queued Q (joined J),
 * synchronous S, redone R, failed F"); returns what snprintf does. */
int ahci_port_stats_format(const struct ahci_port *p, char *buf, size_t len);

/* Register access (the BAR handler; exposed for tests and fuzzing). */
uint32_t ahci_read(struct ahci *a, uint32_t offset);
void ahci_write(struct ahci *a, uint32_t offset, uint32_t value);

/* The port's rate-limit timer fired: run what it held back. */
void ahci_limit_expired(struct ahci *a, unsigned port);
/* The port's ring (ports[port].ring.event_fd) has completions: finish
 * those commands; with wait, first wait for one (tests).  For the
 * controller's I/O thread. */
void ahci_requests_done(struct ahci *a, unsigned port, bool wait);

/* Media changes (the control socket) in CD-ROM drive number drive (0:
 * the first cdrom = of the definition): -ENODEV when there is no such
 * drive, -EBUSY when the guest locked the tray, -ENOENT when ejecting
 * an empty drive, -EINVAL for an image smaller than one block, or the
 * errno of opening the image.  Inserting replaces a medium already in. */
int ahci_cdrom_eject(struct ahci *a, unsigned drive);
/* fd >= 0: the image, already open (taken over on success, still the
 * caller's on failure); else path is opened. */
int ahci_cdrom_insert(struct ahci *a, unsigned drive, const char *path, int fd);

/* The controller on the board, for the device table (devices.h). */
struct device_desc;
extern const struct device_desc ahci_device;

#endif
