/* ahci: the AHCI SATA controller (see ahci.h). */
#include "ahci.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "devices.h"

#define AHCI_VERSION 0x00010300u /* 1.3 */
/* CAP: 64-bit addressing, NCQ, command list override, 6 Gb/s, AHCI only,
 * 32 command slots; the port count is added. */
#define AHCI_CAP_BITS (1u << 31 | 1u << 30 | 1u << 24 | 3u << 20 | 1u << 18 | \
                       (AHCI_SLOTS - 1u) << 8)
/* SStatus of a port with a device: present and communicating, Gen 1, active. */
#define AHCI_SSTS_UP 0x113u
#define AHCI_SCTL_DET_MASK 0xFu
#define AHCI_SCTL_DET_RESET 1u
/* The PxCMD bits the driver controls; the others are ours. */
#define AHCI_PxCMD_WRITABLE (AHCI_PxCMD_ST | AHCI_PxCMD_FRE | AHCI_PxCMD_ATAPI | \
                             0x02000000u /* DLAE */ | 0x04000000u /* ALPE */ | \
                             0x08000000u /* ASP */)
#define AHCI_PxIE_WRITABLE 0xFDC000FFu
#define AHCI_FIS_INTERRUPT 0x40
#define AHCI_PIO_DATA_IN 0x20
/* PCI config: Intel's port control and status, which Linux's quirk for
 * Intel controllers reads to see the ports enabled. */
#define AHCI_PCI_PCS 0x92

static uint32_t le32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, sizeof(v));
}

/* A host pointer for [base + offset, + len) of guest RAM, NULL when any
 * of it is not RAM (also when base + offset wraps). */
static void *ahci_guest(const struct ahci *a, uint64_t base, uint64_t offset,
                        uint64_t len)
{
    if (base > UINT64_MAX - offset)
        return NULL;
    return guest_mem_ptr(a->mem, base + offset, len);
}

/* --- interrupts ------------------------------------------------------------ */

static uint32_t ahci_hba_is(const struct ahci *a)
{
    uint32_t is = 0;
    for (unsigned i = 0; i < a->nports; i++)
        if (a->ports[i].is & a->ports[i].ie)
            is |= 1u << i;
    return is;
}

static void ahci_irq_update(struct ahci *a)
{
    pci_device_set_intx(&a->pci, (a->ghc & AHCI_GHC_IE) && ahci_hba_is(a));
}

/* --- FISes to the host ------------------------------------------------------- */

/* Write a FIS into the port's received-FIS area, if the driver turned FIS
 * receive on and the area is RAM (if not, the FIS is lost, the registers
 * still tell). */
static void ahci_post_fis(struct ahci *a, struct ahci_port *p, unsigned offset,
                          const uint8_t *fis, size_t len)
{
    if (!(p->cmd & AHCI_PxCMD_FRE))
        return;
    uint8_t *dst = ahci_guest(a, p->fb, offset, len);
    if (dst)
        memcpy(dst, fis, len);
}

/* The register part D2H and PIO Setup FISes share: status, error,
 * LBA, device, count. */
static void ahci_fis_registers(uint8_t *fis, uint8_t status, uint8_t error,
                               uint64_t lba, uint16_t count)
{
    fis[1] = AHCI_FIS_INTERRUPT;
    fis[2] = status;
    fis[3] = error;
    fis[4] = (uint8_t)lba;
    fis[5] = (uint8_t)(lba >> 8);
    fis[6] = (uint8_t)(lba >> 16);
    fis[8] = (uint8_t)(lba >> 24);
    fis[9] = (uint8_t)(lba >> 32);
    fis[10] = (uint8_t)(lba >> 40);
    fis[12] = (uint8_t)count;
    fis[13] = (uint8_t)(count >> 8);
}

static void ahci_post_d2h(struct ahci *a, struct ahci_port *p, uint8_t status,
                          uint8_t error, uint64_t lba, uint16_t count)
{
    uint8_t fis[20] = { AHCI_FIS_D2H };
    ahci_fis_registers(fis, status, error, lba, count);
    ahci_post_fis(a, p, AHCI_RFIS_D2H, fis, sizeof(fis));
    p->is |= AHCI_PxIS_DHRS;
}

static void ahci_post_pio_setup(struct ahci *a, struct ahci_port *p,
                                const struct ata_result *r)
{
    uint8_t fis[20] = { AHCI_FIS_PIO_SETUP };
    ahci_fis_registers(fis, ATA_STATUS_DRDY | ATA_STATUS_DRQ, r->error, r->lba,
                       r->count);
    fis[1] |= r->data_in ? AHCI_PIO_DATA_IN : 0;
    fis[15] = r->status; /* the status once the data moved */
    fis[16] = (uint8_t)r->bytes;
    fis[17] = (uint8_t)(r->bytes >> 8);
    ahci_post_fis(a, p, AHCI_RFIS_PIO, fis, sizeof(fis));
    p->is |= AHCI_PxIS_PSS;
}

/* A queued command finished: its tag's bit in SActive. */
static void ahci_post_sdb(struct ahci *a, struct ahci_port *p, unsigned tag,
                          uint8_t status)
{
    uint8_t fis[8] = { AHCI_FIS_SDB, AHCI_FIS_INTERRUPT, (uint8_t)(status & 0x77) };
    put_le32(fis + 4, 1u << tag);
    ahci_post_fis(a, p, AHCI_RFIS_SDB, fis, sizeof(fis));
    p->sact &= ~(1u << tag);
    p->is |= AHCI_PxIS_SDBS;
}

/* --- port state ------------------------------------------------------------------- */

static void ahci_post_signature(struct ahci *a, struct ahci_port *p)
{
    ahci_post_d2h(a, p, (uint8_t)p->tfd, 0x01, p->sig >> 8, (uint16_t)(p->sig & 0xFF));
    p->signature_pending = false;
}

/* The device was reset (power-on, COMRESET, SRST): it is ready and says
 * what it is, in PxSIG and in a D2H FIS once FIS receive is on. */
static void ahci_port_device_reset(struct ahci *a, struct ahci_port *p)
{
    bool atapi = p->kind == AHCI_PORT_CDROM;
    p->sig = atapi ? ATA_SIGNATURE_ATAPI : ATA_SIGNATURE_DISK;
    p->tfd = atapi ? 0 : ATA_STATUS_DRDY | ATA_STATUS_DSC;
    p->ssts = AHCI_SSTS_UP;
    p->signature_pending = true;
    if (p->cmd & AHCI_PxCMD_FRE)
        ahci_post_signature(a, p);
}

/* Commands in flight are the driver's no more (list stopped, port reset):
 * their completions will be dropped. */
static void ahci_forget_in_flight(struct ahci_port *p)
{
    p->in_flight = 0;
    p->generation++;
}

static void ahci_port_reset(struct ahci *a, struct ahci_port *p)
{
    p->clb = p->fb = 0;
    p->is = p->ie = p->sctl = p->serr = p->sact = p->ci = 0;
    p->cmd = AHCI_PxCMD_SUD | AHCI_PxCMD_POD;
    p->stopped = false;
    ahci_forget_in_flight(p);
    rate_limit_cancel(&p->limit);
    ahci_port_device_reset(a, p);
}

static void ahci_reset(struct ahci *a)
{
    a->ghc = AHCI_GHC_AE;
    for (unsigned i = 0; i < a->nports; i++)
        ahci_port_reset(a, &a->ports[i]);
}

/* --- commands --------------------------------------------------------------- */

/* One command as the guest wrote it, checked. */
struct ahci_command {
    uint8_t *header;
    const uint8_t *table;
    bool control;        /* a device-control FIS, not a command */
    uint8_t control_byte;
    struct ata_cmd ata;
    struct ata_sg sg;
};

static void ahci_decode_fis(const uint8_t *f, struct ahci_command *c)
{
    c->control = !(f[1] & AHCI_H2D_COMMAND);
    c->control_byte = f[15];
    c->ata.command = f[2];
    c->ata.features = (uint16_t)(f[3] | f[11] << 8);
    c->ata.lba = (uint64_t)f[4] | (uint64_t)f[5] << 8 | (uint64_t)f[6] << 16 |
                 (uint64_t)f[8] << 24 | (uint64_t)f[9] << 32 | (uint64_t)f[10] << 40;
    c->ata.device = f[7];
    c->ata.count = (uint16_t)(f[12] | f[13] << 8);
}

/* The PRDT as host buffers: each entry inside RAM, an even byte count. */
static int ahci_load_prdt(struct ahci *a, const uint8_t *prdt, unsigned n,
                          struct ahci_command *c)
{
    uint64_t total = 0;
    for (unsigned i = 0; i < n; i++) {
        const uint8_t *prd = prdt + (size_t)i * AHCI_PRD_SIZE;
        uint64_t dba = le32(prd) | (uint64_t)le32(prd + 4) << 32;
        uint32_t dbc = (le32(prd + 12) & (AHCI_PRD_MAX_BYTES - 1)) + 1;
        void *buf = (dbc & 1) ? NULL : ahci_guest(a, dba, 0, dbc);
        if (!buf)
            return -EFAULT;
        a->iov[i] = (struct iovec){ buf, dbc };
        total += dbc;
    }
    c->sg = (struct ata_sg){ .iov = a->iov, .n = n, .len = total };
    return 0;
}

static int ahci_load_command(struct ahci *a, struct ahci_port *p, unsigned slot,
                             struct ahci_command *c)
{
    c->header = ahci_guest(a, p->clb, (uint64_t)slot * AHCI_CMD_HEADER_SIZE,
                           AHCI_CMD_HEADER_SIZE);
    if (!c->header)
        return -EFAULT;
    uint32_t dw0 = le32(c->header);
    unsigned fis_dwords = dw0 & 0x1F, prdtl = dw0 >> 16;
    /* The table is 128-byte aligned: the low bits are reserved. */
    uint64_t ctba = (le32(c->header + 8) & ~0x7Fu) |
                    (uint64_t)le32(c->header + 12) << 32;
    if (fis_dwords < 5 || fis_dwords > 16 || prdtl > AHCI_PRDT_MAX)
        return -EINVAL;
    c->table = ahci_guest(a, ctba, 0,
                          AHCI_CMD_TABLE_PRDT + (uint64_t)prdtl * AHCI_PRD_SIZE);
    if (!c->table)
        return -EFAULT;
    if (c->table[0] != AHCI_FIS_H2D)
        return -EINVAL;
    ahci_decode_fis(c->table, c);
    return ahci_load_prdt(a, c->table + AHCI_CMD_TABLE_PRDT, prdtl, c);
}

/* The command failed (a device error or a malformed command): the error
 * in the task file and a D2H FIS, TFES, and the port stops until the
 * driver restarts it.  The slot stays issued, as the driver expects. */
static void ahci_fail(struct ahci *a, struct ahci_port *p, uint8_t status,
                      uint8_t error, uint64_t lba)
{
    p->tfd = (uint32_t)error << 8 | status;
    ahci_post_d2h(a, p, status, error, lba, 0);
    p->is |= AHCI_PxIS_TFES;
    p->stopped = true;
    p->stats.failed++;
}

static void ahci_complete(struct ahci *a, struct ahci_port *p, unsigned slot,
                          const struct ahci_command *c, const struct ata_result *r)
{
    p->tfd = (uint32_t)r->error << 8 | r->status;
    if (r->pio)
        ahci_post_pio_setup(a, p, r);
    if (ata_cmd_is_ncq(&c->ata))
        ahci_post_sdb(a, p, ata_ncq_tag(&c->ata), r->status);
    else
        ahci_post_d2h(a, p, r->status, r->error, r->lba, r->count);
    p->ci &= ~(1u << slot);
}

/* Device control: SRST set is the first half of a software reset, SRST
 * clear the second, after which the device gives its signature again. */
static void ahci_control(struct ahci *a, struct ahci_port *p, unsigned slot,
                         const struct ahci_command *c)
{
    if (!(c->control_byte & AHCI_CONTROL_SRST))
        ahci_port_device_reset(a, p);
    p->ci &= ~(1u << slot);
}

static void ahci_execute(struct ahci_port *p, const struct ahci_command *c,
                         struct ata_result *r)
{
    /* A copy: the guest's other vCPUs may rewrite the table meanwhile, and
     * the packet is looked at more than once. */
    uint8_t packet[ATAPI_PACKET_LEN];
    if (p->kind == AHCI_PORT_DISK) {
        ata_disk_execute(&p->disk, &c->ata, &c->sg, r);
        return;
    }
    memcpy(packet, c->table + AHCI_CMD_TABLE_ACMD, sizeof(packet));
    atapi_cd_execute(&p->cd, &c->ata, packet, &c->sg, r);
}

/* The command's end: PRDBC, then an error (the port stops) or the FISes.
 * Returns 1, or -1 when it failed. */
static int ahci_finish(struct ahci *a, struct ahci_port *p, unsigned slot,
                       const struct ahci_command *c, const struct ata_result *r)
{
    put_le32(c->header + 4, r->bytes); /* PRDBC: bytes transferred */
    if (r->status & ATA_STATUS_ERR) {
        ahci_fail(a, p, r->status, r->error, r->lba);
        return -1;
    }
    ahci_complete(a, p, slot, c, r);
    return 1;
}

/* Commands of up to this many segments come from the port's small cache
 * of requests (a 4 KiB command has one), the rest from its full one. */
#define AHCI_REQ_SMALL_IOV 4u

/* A queued read or write in the port's ring; back to the port's cache when
 * it completes.
 * Reads (or writes) of adjacent ranges go as one submission, the first's
 * (block_merge.h); the ring's tag is m. */
struct ahci_req {
    unsigned slot;
    uint32_t generation;
    uint64_t len;
    struct ahci_command c; /* sg.iov points at iov below */
    struct block_merge_req m;
    struct iovec iov[];
};

static struct ahci_req *ahci_req_of(struct block_merge_req *m)
{
    return (struct ahci_req *)((char *)m - offsetof(struct ahci_req, m));
}

static void ahci_submission_done(struct ahci *a, struct ahci_port *p,
                                 struct block_merge_req *first, int32_t res);

/* The run taken so far goes on the ring as one request.  Where the ring
 * refuses it (no room, no memory), its commands run synchronously now. */
static void ahci_run_queue(struct ahci *a, struct ahci_port *p)
{
    int rc;
    struct block_merge_req *first = block_merge_queue(&p->run, &p->ring, &rc, &p->stats.joined);
    if (first && rc < 0)
        ahci_submission_done(a, p, first, rc);
}

/* Put a queued read or write in flight: it joins the run being taken when
 * it continues it, else the run goes on the ring and it starts the next.
 * Returns true when it is in flight (or will be at the end of the pass);
 * false when it must run synchronously (not one, or it would fail, or no
 * room). */
static bool ahci_submit(struct ahci *a, struct ahci_port *p, unsigned slot,
                        const struct ahci_command *c)
{
    uint64_t offset, len;
    bool is_write;
    if (!p->ring_active ||
        !ata_disk_queued_rw(&p->disk, &c->ata, &c->sg, &offset, &len, &is_write))
        return false;
    struct iovec iov[AHCI_PRDT_MAX];
    int n = virtq_iov_slice(c->sg.iov, c->sg.n, 0, len, iov, AHCI_PRDT_MAX);
    struct ahci_req *r = n < 0 ? NULL : obj_caches_get(&p->reqs, (unsigned)n);
    if (!r)
        return false;
    *r = (struct ahci_req){ .slot = slot, .generation = p->generation, .len = len, .c = *c };
    memcpy(r->iov, iov, (size_t)n * sizeof(iov[0]));
    r->c.sg = (struct ata_sg){ .iov = r->iov, .n = (unsigned)n, .len = len };
    r->m = (struct block_merge_req){ .is_write = is_write, .offset = offset, .len = len,
                                     .iov = r->iov, .n_iov = (unsigned)n };
    if (!block_merge_joins(&p->run, &r->m)) {
        if (block_ring_room(&p->ring) < block_merge_room_needed(&p->run)) {
            obj_caches_put(&p->reqs, r, (unsigned)n);
            return false;
        }
        ahci_run_queue(a, p);
    }
    block_merge_add(&p->run, &r->m);
    p->in_flight |= 1u << slot;
    return true;
}

/* Run the command in slot.  Returns 1 when done or in flight, 0 when the
 * rate limit holds it back, -1 when it failed (the port stopped). */
static int ahci_run_slot(struct ahci *a, struct ahci_port *p, unsigned slot)
{
    struct ahci_command c;
    struct ata_result r;
    if (ahci_load_command(a, p, slot, &c) < 0) {
        ahci_fail(a, p, ATA_STATUS_DRDY | ATA_STATUS_ERR, ATA_ERROR_ABRT, 0);
        return -1;
    }
    if (c.control) {
        ahci_run_queue(a, p); /* what came before it goes first */
        ahci_control(a, p, slot, &c);
        return 1;
    }
    if (!rate_limit_admit(&p->limit, 1, c.sg.len))
        return 0;
    p->stats.commands++;
    if (p->kind == AHCI_PORT_DISK && ahci_submit(a, p, slot, &c)) {
        p->stats.queued++;
        return 1;
    }
    ahci_run_queue(a, p);
    ahci_execute(p, &c, &r);
    return ahci_finish(a, p, slot, &c, &r);
}

/* Run the issued commands not yet in flight, lowest slot first, while the
 * port runs; then hand what went in flight to the kernel at once. */
static void ahci_port_run(struct ahci *a, struct ahci_port *p)
{
    uint32_t todo;
    while ((p->cmd & AHCI_PxCMD_ST) && !p->stopped && (todo = p->ci & ~p->in_flight)) {
        unsigned slot = (unsigned)__builtin_ctz(todo);
        if (ahci_run_slot(a, p, slot) <= 0)
            break;
    }
    if (p->ring_active) {
        ahci_run_queue(a, p);
        block_ring_submit(&p->ring);
    }
}

/* A queued command came back from the ring with res.  One the ring did
 * not finish whole (O_DIRECT refusing the guest's buffers, a short
 * transfer, an error) runs again synchronously, which handles those cases
 * and reports a real error as ata_disk_execute does (NCQ error log). */
static void ahci_req_done(struct ahci *a, struct ahci_port *p, struct ahci_req *r,
                          int32_t res)
{
    if (r->generation == p->generation) {
        struct ata_result result;
        p->in_flight &= ~(1u << r->slot);
        if (res >= 0 && (uint64_t)res == r->len) {
            ata_disk_queued_done(&r->c.ata, &result);
        } else {
            ata_disk_execute(&p->disk, &r->c.ata, &r->c.sg, &result);
            p->stats.redone++;
        }
        if (!p->stopped)
            ahci_finish(a, p, r->slot, &r->c, &result);
    }
    obj_caches_put(&p->reqs, r, r->c.sg.n);
}

/* A submission came back with res: each of its commands ends with its
 * own result (block_merge.h). */
static void ahci_submission_done(struct ahci *a, struct ahci_port *p,
                                 struct block_merge_req *first, int32_t res)
{
    struct block_merge_outcome o = block_merge_came_back(first, res);
    for (struct block_merge_req *m = first, *next; m; m = next) {
        next = m->next;
        ahci_req_done(a, p, ahci_req_of(m), block_merge_result(&o, m));
    }
}

static void ahci_reap(struct ahci *a, struct ahci_port *p, bool wait)
{
    struct block_ring_done done[ATA_NCQ_DEPTH];
    unsigned n = block_ring_reap(&p->ring, done, ATA_NCQ_DEPTH, wait);
    for (unsigned i = 0; i < n; i++)
        ahci_submission_done(a, p, done[i].tag, done[i].res);
}

void ahci_requests_done(struct ahci *a, unsigned port, bool wait)
{
    struct ahci_port *p = &a->ports[port];
    if (!p->ring_active)
        return;
    pthread_mutex_lock(&a->lock);
    ahci_reap(a, p, wait);
    ahci_port_run(a, p); /* what waited for room in the ring */
    ahci_irq_update(a);
    pthread_mutex_unlock(&a->lock);
}

/* --- port registers ---------------------------------------------------------- */

static void ahci_write_cmd(struct ahci *a, struct ahci_port *p, uint32_t value)
{
    uint32_t old = p->cmd;
    p->cmd = (old & ~AHCI_PxCMD_WRITABLE) | (value & AHCI_PxCMD_WRITABLE);
    if (value & AHCI_PxCMD_CLO) /* command list override: clear BSY and DRQ */
        p->tfd &= ~(uint32_t)(ATA_STATUS_BSY | ATA_STATUS_DRQ);
    if (!(p->cmd & AHCI_PxCMD_ST)) {
        /* Stopping the list takes back every issued command. */
        p->ci = p->sact = 0;
        p->stopped = false;
        ahci_forget_in_flight(p);
        rate_limit_cancel(&p->limit);
    }
    if ((p->cmd & AHCI_PxCMD_FRE) && !(old & AHCI_PxCMD_FRE) && p->signature_pending)
        ahci_post_signature(a, p);
}

static uint32_t ahci_cmd_value(const struct ahci_port *p)
{
    uint32_t v = p->cmd & ~(AHCI_PxCMD_FR | AHCI_PxCMD_CR);
    if (p->cmd & AHCI_PxCMD_FRE)
        v |= AHCI_PxCMD_FR;
    if (p->cmd & AHCI_PxCMD_ST)
        v |= AHCI_PxCMD_CR;
    return v;
}

/* SControl DET = 1 holds the link in COMRESET; back to 0 brings it up
 * and resets the device. */
static void ahci_write_sctl(struct ahci *a, struct ahci_port *p, uint32_t value)
{
    uint32_t old_det = p->sctl & AHCI_SCTL_DET_MASK;
    p->sctl = value & 0xFFF;
    if ((p->sctl & AHCI_SCTL_DET_MASK) == AHCI_SCTL_DET_RESET)
        p->ssts = 0;
    else if (old_det == AHCI_SCTL_DET_RESET)
        ahci_port_device_reset(a, p);
}

static void ahci_port_write(struct ahci *a, struct ahci_port *p, uint32_t reg,
                            uint32_t value)
{
    switch (reg) {
    case AHCI_PxCLB: p->clb = (p->clb & ~0xFFFFFFFFULL) | (value & ~0x3FFu); break;
    case AHCI_PxCLBU: p->clb = (p->clb & 0xFFFFFFFFULL) | (uint64_t)value << 32; break;
    case AHCI_PxFB: p->fb = (p->fb & ~0xFFFFFFFFULL) | (value & ~0xFFu); break;
    case AHCI_PxFBU: p->fb = (p->fb & 0xFFFFFFFFULL) | (uint64_t)value << 32; break;
    case AHCI_PxIS: p->is &= ~value; break;
    case AHCI_PxIE: p->ie = value & AHCI_PxIE_WRITABLE; break;
    case AHCI_PxCMD: ahci_write_cmd(a, p, value); break;
    case AHCI_PxSCTL: ahci_write_sctl(a, p, value); break;
    case AHCI_PxSERR: p->serr &= ~value; break;
    case AHCI_PxSACT:
        if (p->cmd & AHCI_PxCMD_ST)
            p->sact |= value;
        break;
    case AHCI_PxCI:
        if (p->cmd & AHCI_PxCMD_ST)
            p->ci |= value;
        break;
    default: break; /* read-only or reserved */
    }
    ahci_port_run(a, p);
}

static uint32_t ahci_port_read(const struct ahci_port *p, uint32_t reg)
{
    switch (reg) {
    case AHCI_PxCLB: return (uint32_t)p->clb;
    case AHCI_PxCLBU: return (uint32_t)(p->clb >> 32);
    case AHCI_PxFB: return (uint32_t)p->fb;
    case AHCI_PxFBU: return (uint32_t)(p->fb >> 32);
    case AHCI_PxIS: return p->is;
    case AHCI_PxIE: return p->ie;
    case AHCI_PxCMD: return ahci_cmd_value(p);
    case AHCI_PxTFD: return p->tfd;
    case AHCI_PxSIG: return p->sig;
    case AHCI_PxSSTS: return p->ssts;
    case AHCI_PxSCTL: return p->sctl;
    case AHCI_PxSERR: return p->serr;
    case AHCI_PxSACT: return p->sact;
    case AHCI_PxCI: return p->ci;
    default: return 0;
    }
}

/* --- HBA registers ----------------------------------------------------------- */

static struct ahci_port *ahci_port_at(struct ahci *a, uint32_t offset)
{
    if (offset < AHCI_PORT_BASE)
        return NULL;
    uint32_t index = (offset - AHCI_PORT_BASE) / AHCI_PORT_SIZE;
    return index < a->nports ? &a->ports[index] : NULL;
}

static uint32_t ahci_hba_read(const struct ahci *a, uint32_t offset)
{
    switch (offset) {
    case AHCI_CAP: return AHCI_CAP_BITS | (a->nports - 1u);
    case AHCI_GHC: return a->ghc;
    case AHCI_IS: return ahci_hba_is(a);
    case AHCI_PI: return (1u << a->nports) - 1u;
    case AHCI_VS: return AHCI_VERSION;
    default: return 0;
    }
}

static void ahci_hba_write(struct ahci *a, uint32_t offset, uint32_t value)
{
    if (offset != AHCI_GHC)
        return; /* IS is the ports' summary; the rest is read-only */
    if (value & AHCI_GHC_HR)
        ahci_reset(a);
    else
        a->ghc = AHCI_GHC_AE | (value & AHCI_GHC_IE);
}

uint32_t ahci_read(struct ahci *a, uint32_t offset)
{
    offset &= ~3u;
    pthread_mutex_lock(&a->lock);
    struct ahci_port *p = ahci_port_at(a, offset);
    uint32_t v = p ? ahci_port_read(p, (offset - AHCI_PORT_BASE) % AHCI_PORT_SIZE)
                   : offset < AHCI_PORT_BASE ? ahci_hba_read(a, offset) : 0;
    pthread_mutex_unlock(&a->lock);
    return v;
}

void ahci_write(struct ahci *a, uint32_t offset, uint32_t value)
{
    offset &= ~3u;
    pthread_mutex_lock(&a->lock);
    struct ahci_port *p = ahci_port_at(a, offset);
    if (p)
        ahci_port_write(a, p, (offset - AHCI_PORT_BASE) % AHCI_PORT_SIZE, value);
    else if (offset < AHCI_PORT_BASE)
        ahci_hba_write(a, offset, value);
    ahci_irq_update(a);
    pthread_mutex_unlock(&a->lock);
}

static void ahci_bar_access(void *opaque, uint64_t offset, uint8_t *data,
                            uint32_t len, bool is_write)
{
    struct ahci *a = opaque;
    uint32_t off = (uint32_t)offset;
    if (len == 8 && !(off & 7)) { /* two registers at once */
        ahci_bar_access(a, off, data, 4, is_write);
        ahci_bar_access(a, off + 4, data + 4, 4, is_write);
    } else if (is_write) {
        if (len == 4 && !(off & 3))
            ahci_write(a, off, le32(data));
    } else {
        uint32_t v = ahci_read(a, off) >> (off & 3) * 8;
        memset(data, 0, len);
        memcpy(data, &v, len <= 4 - (off & 3) ? len : 4 - (off & 3));
    }
}

/* --- media ------------------------------------------------------------------------ */

void ahci_limit_expired(struct ahci *a, unsigned port)
{
    pthread_mutex_lock(&a->lock);
    struct ahci_port *p = &a->ports[port];
    rate_limit_timer_ack(&p->limit);
    ahci_port_run(a, p);
    ahci_irq_update(a);
    pthread_mutex_unlock(&a->lock);
}

/* CD-ROM drive number drive (counting only drives, in port order). */
static struct atapi_cd *ahci_cd(struct ahci *a, unsigned drive)
{
    for (unsigned i = 0; i < a->nports; i++)
        if (a->ports[i].kind == AHCI_PORT_CDROM && drive-- == 0)
            return &a->ports[i].cd;
    return NULL;
}

int ahci_cdrom_eject(struct ahci *a, unsigned drive)
{
    pthread_mutex_lock(&a->lock);
    struct atapi_cd *cd = ahci_cd(a, drive);
    int rc = cd ? atapi_cd_eject(cd) : -ENODEV;
    pthread_mutex_unlock(&a->lock);
    return rc;
}

/* A medium's image: read-only, lock shared; given (passed_fd >= 0) or
 * opened here. */
static int ahci_open_medium(struct atapi_cd *cd, const char *path, int passed_fd)
{
    uint64_t bytes;
    int fd = passed_fd >= 0 ? block_image_adopt(passed_fd, true, &bytes)
                            : block_image_open(path, true, &bytes);
    if (fd < 0)
        return fd;
    int rc = atapi_cd_insert(cd, fd, bytes);
    if (rc < 0 && passed_fd < 0)
        close(fd);
    return rc;
}

int ahci_cdrom_insert(struct ahci *a, unsigned drive, const char *path, int fd)
{
    pthread_mutex_lock(&a->lock);
    struct atapi_cd *cd = ahci_cd(a, drive);
    int rc = -ENODEV;
    if (cd && cd->fd >= 0 && cd->locked)
        rc = -EBUSY;
    else if (cd)
        rc = ahci_open_medium(cd, path, fd);
    pthread_mutex_unlock(&a->lock);
    return rc;
}

/* --- setup ---------------------------------------------------------------------- */

static int ahci_open_port(struct ahci_port *p, const struct ahci_port_options *o,
                          unsigned index)
{
    char name[32];
    p->kind = o->kind;
    if (o->kind == AHCI_PORT_CDROM) {
        snprintf(name, sizeof(name), "cdrom%u", index);
        atapi_cd_init(&p->cd, name);
        return o->path ? ahci_open_medium(&p->cd, o->path, -1) : 0;
    }
    uint64_t bytes;
    int fd = block_image_open(o->path, o->readonly, &bytes);
    if (fd < 0)
        return fd;
    p->writeback = o->writeback;
    if (!o->writeback)
        block_image_use_direct(fd);
    ata_disk_init(&p->disk, fd, bytes, o->readonly, o->path);
    /* No io_uring here (ENOSYS, EPERM): every command synchronously. */
    if (!o->synchronous)
        p->ring_active = block_ring_init(&p->ring, fd, ATA_NCQ_DEPTH) == 0;
    return 0;
}

/* Guest RAM and the requests must outlive what is in flight. */
static void ahci_drain_ring(struct ahci *a, struct ahci_port *p)
{
    if (!p->ring_active)
        return;
    while (p->ring.in_flight > 0)
        ahci_reap(a, p, true);
    block_ring_destroy(&p->ring);
    p->ring_active = false;
}

static void ahci_close_port(struct ahci *a, struct ahci_port *p)
{
    ahci_drain_ring(a, p);
    obj_caches_drain(&p->reqs);
    block_merge_run_destroy(&p->run);
    if (p->kind == AHCI_PORT_CDROM)
        atapi_cd_destroy(&p->cd);
    else
        block_image_close(p->disk.fd);
    rate_limit_destroy(&p->limit);
}

static int ahci_open_ports(struct ahci *a, const struct ahci_port_options *ports,
                           unsigned nports, int *port_failed)
{
    for (unsigned i = 0; i < nports; i++) {
        struct ahci_port *p = &a->ports[i];
        p->hba = a;
        p->index = i;
        p->disk.fd = p->cd.fd = -1;
        block_merge_run_init(&p->run);
        obj_caches_init(&p->reqs, sizeof(struct ahci_req), sizeof(struct iovec),
                        AHCI_REQ_SMALL_IOV, AHCI_PRDT_MAX, AHCI_SLOTS);
        int rc = rate_limit_init(&p->limit, ports[i].bps, ports[i].iops,
                                 ports[i].clock_ns);
        a->nports = i + 1; /* from here on it has something to release */
        if (rc == 0)
            rc = ahci_open_port(p, &ports[i], i);
        if (rc < 0) {
            *port_failed = (int)i;
            return rc;
        }
    }
    return 0;
}

static void ahci_pci_init(struct ahci *a)
{
    pci_device_init(&a->pci, AHCI_VENDOR_ID, AHCI_DEVICE_ID, AHCI_CLASS, 2, NULL);
    pci_config_write(&a->pci, AHCI_PCI_PCS, 1, (1u << a->nports) - 1u);
}

int ahci_create(struct ahci **out, struct pci_bus *pci,
                const struct ahci_port_options *ports, unsigned nports,
                int *port_failed)
{
    *port_failed = -1;
    if (nports == 0 || nports > AHCI_MAX_PORTS)
        return -EINVAL;
    struct ahci *a = calloc(1, sizeof(*a));
    if (!a)
        return -ENOMEM;
    pthread_mutex_init(&a->lock, NULL);
    a->mem = pci->platform.mem;
    int rc = ahci_open_ports(a, ports, nports, port_failed);
    ahci_pci_init(a);
    if (rc == 0)
        rc = pci_device_add_bar(&a->pci, AHCI_BAR, PCI_BAR_MEM32, AHCI_BAR_SIZE,
                                ahci_bar_access, a, "ahci");
    ahci_reset(a);
    if (rc == 0)
        rc = pci_bus_add_device(pci, &a->pci);
    if (rc < 0) {
        ahci_destroy(a);
        return rc;
    }
    *out = a;
    return 0;
}

int ahci_port_stats_format(const struct ahci_port *p, char *buf, size_t len)
{
    const struct ahci_port_stats *s = &p->stats;
    return snprintf(buf, len, "commands %llu, queued %llu (joined %llu), synchronous %llu, "
                    "redone %llu, failed %llu", (unsigned long long)s->commands,
                    (unsigned long long)s->queued, (unsigned long long)s->joined,
                    (unsigned long long)(s->commands - s->queued),
                    (unsigned long long)s->redone, (unsigned long long)s->failed);
}

/* With -v, each disk port's counts once its last command is done. */
static void ahci_print_stats(const struct ahci *a, const struct ahci_port *p)
{
    char line[256];
    if (!a->verbose || p->kind != AHCI_PORT_DISK)
        return;
    ahci_port_stats_format(p, line, sizeof(line));
    fprintf(stderr, "corral-vmm: ahci port %u: %s\n", p->index, line);
}

void ahci_destroy(struct ahci *a)
{
    if (!a)
        return;
    for (unsigned i = 0; i < a->nports; i++) {
        ahci_close_port(a, &a->ports[i]);
        ahci_print_stats(a, &a->ports[i]);
    }
    pci_device_destroy(&a->pci);
    if (a->io_created)
        iothread_destroy(&a->io);
    pthread_mutex_destroy(&a->lock);
    free(a);
}

/* ---- on the board (devices.h) ---------------------------------------------- */

/* One controller when any disk is on SATA or any CD-ROM drive is defined. */
static size_t ahci_board_count(const struct vmdef *def)
{
    return vmdef_disks_on_bus(def, VMDEF_BUS_SATA) + def->cdrom_count > 0;
}

/* The ports: the SATA disks in definition order, then the CD-ROM drives
 * (so a guest's sda, sdb... are the disks whatever the drives). */
static unsigned ahci_board_ports(const struct vmdef *def,
                                 struct ahci_port_options *ports)
{
    unsigned n = 0;
    for (size_t i = 0; i < vmdef_disks_on_bus(def, VMDEF_BUS_SATA); i++) {
        const struct vmdef_disk *d = vmdef_disk_on_bus(def, VMDEF_BUS_SATA, i);
        ports[n++] = (struct ahci_port_options){
            .kind = AHCI_PORT_DISK, .path = d->path, .readonly = d->readonly,
            .writeback = d->cache == VMDEF_CACHE_WRITEBACK,
            .bps = d->bps, .iops = d->iops,
        };
    }
    for (size_t i = 0; i < def->cdrom_count; i++)
        ports[n++] = (struct ahci_port_options){
            .kind = AHCI_PORT_CDROM,
            .path = def->cdroms[i].path[0] ? def->cdroms[i].path : NULL,
        };
    return n;
}

static void ahci_board_limit_expired(void *ctx, uint32_t events)
{
    struct ahci_port *p = ctx;
    ahci_limit_expired(p->hba, p->index);
}

static void ahci_board_requests_done(void *ctx, uint32_t events)
{
    struct ahci_port *p = ctx;
    ahci_requests_done(p->hba, p->index, false);
}

static void ahci_board_log(struct board *b, const struct ahci_port_options *o,
                           const struct ahci_port *p, unsigned port)
{
    if (o->kind == AHCI_PORT_CDROM)
        vm_log(&b->vm, "ahci port %u: CD-ROM %s", port, o->path ? o->path : "(empty)");
    else
        vm_log(&b->vm, "ahci port %u: disk %s%s, %s, %s, limits %llu bytes/s %llu ops/s "
               "(0: none)", port, o->path, o->readonly ? ", read-only" : "",
               block_image_cache_mode(p->disk.fd, o->writeback),
               p->ring_active ? "NCQ through io_uring" : "synchronous (no io_uring here)",
               (unsigned long long)o->bps, (unsigned long long)o->iops);
}

/* For the control socket's "disk N" (from the main thread: a disk port's
 * fd and ring are its own until the controller is destroyed). */
static void ahci_board_disk_io(const void *disk, struct board_disk_io *out)
{
    const struct ahci_port *p = disk;
    *out = (struct board_disk_io){ .bus = "sata",
                                   .io = block_image_cache_mode(p->disk.fd, p->writeback),
                                   .engine = block_ring_engine(p->ring_active) };
}

static int ahci_board_add(struct board *b, const struct vmdef *def, size_t index,
                          void **dev)
{
    struct ahci_port_options ports[AHCI_MAX_PORTS];
    unsigned n = ahci_board_ports(def, ports);
    struct ahci *a;
    int failed;
    int rc = ahci_create(&a, &b->pci, ports, n, &failed);
    if (rc < 0 && failed >= 0)
        return vm_error("%s %s: %s", ports[failed].kind == AHCI_PORT_CDROM ? "cdrom" : "disk",
                        ports[failed].path, rc == -EBUSY ? "in use by another VM"
                                            : rc == -EINVAL ? "not an image (empty?)"
                                                            : strerror(-rc));
    if (rc < 0)
        return vm_error("ahci: %s", strerror(-rc));
    *dev = a;
    b->ahci = a;
    a->verbose = b->vm.verbose;
    rc = iothread_init(&a->io);
    a->io_created = true;
    if (rc < 0)
        return vm_error("ahci: I/O thread: %s", strerror(-rc));
    if (board_add_disk_thread(b, &a->io))
        return VM_EXIT_ERROR;
    for (unsigned i = 0; i < n; i++) {
        const struct ahci_port *p = &a->ports[i];
        bool cd = p->kind == AHCI_PORT_CDROM;
        ahci_board_log(b, &ports[i], p, i);
        if (!cd) /* the ports: the SATA disks first, in definition order */
            board_add_disk_io(b, def, vmdef_disk_on_bus(def, VMDEF_BUS_SATA, i),
                              ahci_board_disk_io, p);
        board_add_boot_drive(b, a->pci.slot, i, cd, cd ? p->cd.fd : p->disk.fd);
        rc = board_watch_limit_on(b, &a->io, &a->ports[i].limit,
                                  ahci_board_limit_expired, &a->ports[i]);
        if (rc)
            return rc;
        if (p->ring_active &&
            (rc = iothread_add(&a->io, p->ring.event_fd, EPOLLIN, ahci_board_requests_done,
                               &a->ports[i])) < 0)
            return vm_error("ahci: I/O thread: %s", strerror(-rc));
    }
    return 0;
}

static void ahci_board_destroy(void *dev)
{
    ahci_destroy(dev);
}

const struct device_desc ahci_device = {
    .name = "ahci",
    .count = ahci_board_count,
    .add = ahci_board_add,
    .destroy = ahci_board_destroy,
};
