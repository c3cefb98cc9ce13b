/* e1000_ring: the 82540EM's transmit and receive rings over guest memory
 * (see e1000_ring.h). */
#include "e1000_ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "e1000_regs.h"

#define ETH_HLEN 14
#define ETH_P_IPV4 0x0800
#define ETH_P_8021Q 0x8100
#define IPV4_HLEN 20
#define IPV6_HLEN 40
#define TCP_HLEN 20
#define UDP_HLEN 8
#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_PSH 0x08
#define IPPROTO_TCP_NUM 6
#define IPPROTO_UDP_NUM 17

static uint16_t get_be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static void put_be16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static uint32_t get_be32(const uint8_t *p) { return (uint32_t)get_be16(p) << 16 | get_be16(p + 2); }
static void put_be32(uint8_t *p, uint32_t v) { put_be16(p, (uint16_t)(v >> 16)); put_be16(p + 2, (uint16_t)v); }
static uint16_t get_le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static void put_le16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static uint32_t get_le32(const uint8_t *p) { return (uint32_t)get_le16(p) | (uint32_t)get_le16(p + 2) << 16; }

bool e1000_ring_from_regs(const struct guest_mem *mem, uint32_t bal,
                          uint32_t bah, uint32_t len, struct e1000_ring *ring)
{
    /* The low 4 bits of the base are ignored by the hardware, the length's
     * low 7 bits must be 0, and the length register has 20 bits. */
    len &= 0xFFF80;
    uint64_t base = (uint64_t)bah << 32 | (bal & ~0xFu);
    if (len == 0 || !guest_mem_valid(mem, base, len))
        return false;
    ring->base = base;
    ring->count = len / E1000_DESC_SIZE;
    return true;
}

uint32_t e1000_ring_free(const struct e1000_ring *ring, uint32_t head, uint32_t tail)
{
    return (tail + ring->count - head) % ring->count;
}

static uint8_t *e1000_desc(const struct guest_mem *mem, const struct e1000_ring *ring,
                           uint32_t index)
{
    /* The ring was checked to be RAM as a whole when it was set up; the
     * check here keeps a descriptor from ever reaching past it. */
    return guest_mem_ptr(mem, ring->base + (uint64_t)index * E1000_DESC_SIZE,
                         E1000_DESC_SIZE);
}

/* --- checksums ------------------------------------------------------------------ */

uint32_t e1000_csum_add(uint32_t sum, const uint8_t *data, size_t len)
{
    uint64_t s = sum;
    size_t i = 0;
    for (; i + 1 < len; i += 2)
        s += get_be16(data + i);
    if (i < len)
        s += (uint32_t)data[i] << 8;
    while (s >> 16)
        s = (s & 0xFFFF) + (s >> 16);
    return (uint32_t)s;
}

uint16_t e1000_csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xFFFF) + (sum >> 16);
    return (uint16_t)~sum;
}

/* The checksum over frame[start..end] (end inclusive, 0: the frame's last
 * byte), plus extra, stored at offset.  false when the offsets do not lie
 * in the frame. */
static bool e1000_insert_csum(uint8_t *frame, size_t len, size_t start,
                              size_t end, size_t offset, uint32_t extra, bool udp)
{
    if (end == 0 || end >= len)
        end = len - 1;
    if (start > end || offset + 2 > len)
        return false;
    uint16_t c = e1000_csum_fold(e1000_csum_add(extra, frame + start, end - start + 1));
    if (udp && c == 0)
        c = 0xFFFF; /* RFC 768: 0 means "no checksum" */
    put_be16(frame + offset, c);
    return true;
}

/* --- transmit ------------------------------------------------------------------- */

int e1000_tx_init(struct e1000_tx *tx)
{
    memset(tx, 0, sizeof(*tx));
    tx->packet = malloc(E1000_TX_MAX_PACKET);
    tx->frame = malloc(E1000_MAX_FRAME + E1000_VLAN_TAG_LEN);
    if (!tx->packet || !tx->frame) {
        e1000_tx_free(tx);
        return -ENOMEM;
    }
    return 0;
}

void e1000_tx_free(struct e1000_tx *tx)
{
    free(tx->packet);
    free(tx->frame);
    tx->packet = tx->frame = NULL;
}

/* A transmit descriptor's fields. */
struct e1000_txd {
    uint64_t addr;
    uint32_t len;    /* data length (20 bits extended, 16 legacy) */
    uint8_t cmd;     /* byte 11 */
    bool context;    /* an extended context descriptor */
    bool data;       /* a legacy or extended data descriptor */
    const uint8_t *raw;
};

static struct e1000_txd e1000_txd_parse(const uint8_t *d)
{
    struct e1000_txd t = { .raw = d, .cmd = d[11] };
    memcpy(&t.addr, d, 8);
    if (!(t.cmd & E1000_TXD_CMD_DEXT)) {
        t.len = get_le16(d + 8);
        t.data = true;
        return t;
    }
    unsigned dtyp = (d[10] >> 4) & 0xF;
    t.context = dtyp == E1000_TXD_DTYP_CONTEXT;
    t.data = dtyp == E1000_TXD_DTYP_DATA;
    t.len = t.data ? get_le32(d + 8) & 0xFFFFF : 0;
    return t;
}

static void e1000_tx_apply_context(struct e1000_tx *tx, const uint8_t *d)
{
    struct e1000_tx_context *c = &tx->ctx;
    c->ipcss = d[0];
    c->ipcso = d[1];
    c->ipcse = get_le16(d + 2);
    c->tucss = d[4];
    c->tucso = d[5];
    c->tucse = get_le16(d + 6);
    c->paylen = get_le32(d + 8) & 0xFFFFF;
    c->tucmd = d[11];
    c->hdrlen = d[13];
    c->mss = get_le16(d + 14);
}

/* The descriptors of the packet starting at head: their number (up to
 * and with EOP), the bytes of its data and what the first and last data
 * descriptors ask for.  0 when the packet does not end before tail. */
static uint32_t e1000_tx_scan(const struct e1000_tx_io *io, const struct e1000_ring *ring,
                              uint32_t head, uint32_t tail, uint64_t *bytes,
                              struct e1000_tx_packet *p)
{
    uint32_t n = 0;
    bool first = true;
    *bytes = 0;
    memset(p, 0, sizeof(*p));
    for (uint32_t i = head; i != tail; i = (i + 1) % ring->count) {
        struct e1000_txd t = e1000_txd_parse(e1000_desc(io->mem, ring, i));
        n++;
        if (!t.data)
            continue;
        *bytes += t.len;
        if (first && (t.cmd & E1000_TXD_CMD_DEXT)) {
            p->tse = t.cmd & E1000_TXD_CMD_TSE;
            p->ip_csum = t.raw[13] & E1000_TXD_POPTS_IXSM;
            p->l4_csum = t.raw[13] & E1000_TXD_POPTS_TXSM;
        }
        first = false;
        if (t.cmd & E1000_TXD_CMD_EOP) {
            if (!(t.cmd & E1000_TXD_CMD_DEXT)) {
                p->legacy_csum = t.cmd & E1000_TXD_CMD_IC;
                p->cso = t.raw[10];
                p->css = t.raw[13];
            }
            p->vlan = (t.cmd & E1000_TXD_CMD_VLE) && io->vlan_enabled;
            p->vlan_tci = get_le16(t.raw + 14);
            return n;
        }
    }
    return 0;
}

/* Copy the packet's data into tx->packet, applying context descriptors on
 * the way.  false when a buffer is not RAM. */
static bool e1000_tx_gather(struct e1000_tx *tx, const struct e1000_tx_io *io,
                            const struct e1000_ring *ring, uint32_t head, uint32_t n)
{
    size_t off = 0;
    bool ok = true;
    for (uint32_t k = 0, i = head; k < n; k++, i = (i + 1) % ring->count) {
        struct e1000_txd t = e1000_txd_parse(e1000_desc(io->mem, ring, i));
        if (t.context)
            e1000_tx_apply_context(tx, t.raw);
        if (!t.data || t.len == 0)
            continue;
        const uint8_t *src = guest_mem_ptr(io->mem, t.addr, t.len);
        if (!src)
            ok = false;
        else if (ok)
            memcpy(tx->packet + off, src, t.len);
        off += t.len;
    }
    return ok;
}

/* DD into every descriptor of the n from head that asked for it (RS). */
static bool e1000_tx_complete(const struct e1000_tx_io *io, const struct e1000_ring *ring,
                              uint32_t head, uint32_t n)
{
    bool wrote = false;
    for (uint32_t k = 0, i = head; k < n; k++, i = (i + 1) % ring->count) {
        uint8_t *d = e1000_desc(io->mem, ring, i);
        if (d[11] & E1000_TXD_CMD_RS) {
            __atomic_store_n(&d[12], (uint8_t)(d[12] | E1000_TXD_STAT_DD), __ATOMIC_RELEASE);
            wrote = true;
        }
    }
    return wrote;
}

/* One frame to the wire, with an 802.1Q tag after the MAC addresses when
 * the packet asked for one. */
static void e1000_tx_send(struct e1000_tx *tx, const struct e1000_tx_io *io,
                          const struct e1000_tx_packet *p, const uint8_t *frame, size_t len)
{
    if (p->vlan && len >= 12) {
        uint8_t *out = tx->frame;
        if (frame != out)
            memcpy(out, frame, len);
        memmove(out + 12 + E1000_VLAN_TAG_LEN, out + 12, len - 12);
        put_be16(out + 12, io->vlan_ether_type);
        put_be16(out + 14, p->vlan_tci);
        frame = out;
        len += E1000_VLAN_TAG_LEN;
    }
    io->send(io->ctx, frame, len);
    tx->frames++;
    tx->bytes += len;
}

/* Checksum offloads of one frame: IP (IXSM) and TCP/UDP (TXSM) from the
 * context, extra added to the TCP/UDP sum (a segment's length for TSE). */
static bool e1000_tx_offload_csums(const struct e1000_tx_context *c,
                                   const struct e1000_tx_packet *p, uint8_t *frame,
                                   size_t len, uint32_t l4_extra)
{
    if (p->ip_csum) {
        if ((size_t)c->ipcso + 2 > len)
            return false;
        put_be16(frame + c->ipcso, 0);
        if (!e1000_insert_csum(frame, len, c->ipcss, c->ipcse, c->ipcso, 0, false))
            return false;
    }
    if (p->l4_csum)
        return e1000_insert_csum(frame, len, c->tucss, c->tucse, c->tucso, l4_extra,
                                 !(c->tucmd & E1000_TXD_TUCMD_TCP));
    return true;
}

/* Whether a TSE context fits the packet: header inside it, MSS non-zero,
 * the headers it rewrites inside the header, segments not over-long. */
static bool e1000_tso_valid(const struct e1000_tx_context *c,
                            const struct e1000_tx_packet *p, size_t len)
{
    bool ipv4 = c->tucmd & E1000_TXD_TUCMD_IP;
    bool tcp = c->tucmd & E1000_TXD_TUCMD_TCP;
    size_t hdr = c->hdrlen;
    if (c->mss == 0 || hdr == 0 || hdr >= len || hdr + c->mss > E1000_MAX_FRAME)
        return false;
    if ((size_t)c->ipcss + (ipv4 ? IPV4_HLEN : IPV6_HLEN) > hdr)
        return false;
    if ((size_t)c->tucss + (tcp ? TCP_HLEN : UDP_HLEN) > hdr)
        return false;
    if (p->ip_csum && (size_t)c->ipcso + 2 > hdr)
        return false;
    return !(p->l4_csum && (size_t)c->tucso + 2 > hdr);
}

/* Segment k (payload [off, off + seg) of the packet) with its headers
 * fixed up: IP length and id, TCP sequence and flags, or UDP length. */
static size_t e1000_tso_build(struct e1000_tx *tx, size_t len, size_t off, size_t seg,
                              unsigned k)
{
    const struct e1000_tx_context *c = &tx->ctx;
    size_t hdr = c->hdrlen, flen = hdr + seg;
    bool last = hdr + off + seg == len;
    uint8_t *f = tx->frame;
    memcpy(f, tx->packet, hdr);
    memcpy(f + hdr, tx->packet + hdr + off, seg);
    if (c->tucmd & E1000_TXD_TUCMD_IP) {
        put_be16(f + c->ipcss + 2, (uint16_t)(flen - c->ipcss));
        put_be16(f + c->ipcss + 4, (uint16_t)(get_be16(tx->packet + c->ipcss + 4) + k));
    } else {
        put_be16(f + c->ipcss + 4, (uint16_t)(flen - c->ipcss - IPV6_HLEN));
    }
    if (c->tucmd & E1000_TXD_TUCMD_TCP) {
        put_be32(f + c->tucss + 4, get_be32(tx->packet + c->tucss + 4) + (uint32_t)off);
        if (!last)
            f[c->tucss + 13] &= (uint8_t)~(TCP_FLAG_FIN | TCP_FLAG_PSH);
    } else {
        put_be16(f + c->tucss + 4, (uint16_t)(flen - c->tucss));
    }
    return flen;
}

static int e1000_tx_segment(struct e1000_tx *tx, const struct e1000_tx_io *io,
                            const struct e1000_tx_packet *p, size_t len)
{
    const struct e1000_tx_context *c = &tx->ctx;
    if (!e1000_tso_valid(c, p, len))
        return -EINVAL;
    size_t payload = len - c->hdrlen;
    unsigned k = 0;
    for (size_t off = 0; off < payload; off += c->mss, k++) {
        size_t seg = payload - off < c->mss ? payload - off : c->mss;
        size_t flen = e1000_tso_build(tx, len, off, seg, k);
        /* The driver's TCP/UDP checksum field holds the pseudo-header sum
         * without the length; each segment adds its own. */
        if (!e1000_tx_offload_csums(c, p, tx->frame, flen, (uint32_t)(flen - c->tucss)))
            return -EINVAL;
        e1000_tx_send(tx, io, p, tx->frame, flen);
    }
    tx->tso_packets++;
    return (int)k;
}

int e1000_tx_emit(struct e1000_tx *tx, const struct e1000_tx_io *io,
                  const struct e1000_tx_packet *p, size_t len)
{
    int rc = -EINVAL;
    if (len < ETH_HLEN) {
        rc = -EINVAL;
    } else if (p->tse) {
        rc = e1000_tx_segment(tx, io, p, len);
    } else if (len <= E1000_MAX_FRAME) {
        bool ok = p->legacy_csum
                      ? e1000_insert_csum(tx->packet, len, p->css, 0, p->cso, 0, false)
                      : e1000_tx_offload_csums(&tx->ctx, p, tx->packet, len, 0);
        if (ok) {
            e1000_tx_send(tx, io, p, tx->packet, len);
            rc = 1;
        }
    }
    if (rc < 0)
        tx->dropped++;
    else
        tx->packets++;
    return rc;
}

/* What a packet will cost the rate limit: its frames and their bytes. */
static void e1000_tx_cost(const struct e1000_tx *tx, const struct e1000_tx_packet *p,
                          uint64_t bytes, uint64_t *frames, uint64_t *wire)
{
    *frames = 1;
    *wire = bytes;
    const struct e1000_tx_context *c = &tx->ctx;
    if (p->tse && c->mss && bytes > c->hdrlen) {
        *frames = (bytes - c->hdrlen + c->mss - 1) / c->mss;
        *wire = bytes + (*frames - 1) * c->hdrlen;
    }
}

/* One packet from head: 0 done (head advanced by *n), 1 incomplete or
 * held (head stays). */
static int e1000_tx_one(struct e1000_tx *tx, const struct e1000_tx_io *io,
                        const struct e1000_ring *ring, uint32_t head, uint32_t tail,
                        uint32_t *n, bool *held)
{
    struct e1000_tx_packet p;
    uint64_t bytes, frames, wire;
    *n = e1000_tx_scan(io, ring, head, tail, &bytes, &p);
    if (*n == 0)
        return 1;
    if (bytes > E1000_TX_MAX_PACKET || (!p.tse && bytes > E1000_MAX_FRAME)) {
        tx->dropped++;
        return 0;
    }
    e1000_tx_cost(tx, &p, bytes, &frames, &wire);
    if (io->admit && !io->admit(io->ctx, frames, wire)) {
        *held = true;
        return 1;
    }
    if (e1000_tx_gather(tx, io, ring, head, *n))
        e1000_tx_emit(tx, io, &p, bytes);
    else
        tx->dropped++;
    return 0;
}

struct e1000_tx_run e1000_tx_process(struct e1000_tx *tx, const struct e1000_tx_io *io,
                                     const struct e1000_ring *ring,
                                     uint32_t head, uint32_t tail)
{
    struct e1000_tx_run r = { .head = head };
    if (head >= ring->count || tail >= ring->count) {
        r.bad_ring = true;
        return r;
    }
    while (r.head != tail) {
        const uint8_t *d = e1000_desc(io->mem, ring, r.head);
        uint32_t n = 1;
        struct e1000_txd t = e1000_txd_parse(d);
        if (t.context)
            e1000_tx_apply_context(tx, d);
        else if (t.data && e1000_tx_one(tx, io, ring, r.head, tail, &n, &r.held))
            break;
        /* Anything else (an unknown descriptor type) is skipped. */
        r.wrote_back |= e1000_tx_complete(io, ring, r.head, n);
        r.head = (r.head + n) % ring->count;
    }
    return r;
}

/* --- receive -------------------------------------------------------------------- */

uint32_t e1000_rx_buffer_size(uint32_t rctl)
{
    static const uint32_t sizes[2][4] = {
        { 2048, 1024, 512, 256 },
        { 2048, 16384, 8192, 4096 }, /* BSEX; 00 is reserved: 2048 */
    };
    return sizes[!!(rctl & E1000_RCTL_BSEX)][(rctl >> E1000_RCTL_BSIZE_SHIFT) & 3];
}

static bool e1000_rx_mta_match(const struct e1000_rx_filter *f, const uint8_t *dst)
{
    /* MO selects which 12 bits of the address index the table. */
    static const unsigned shift[4] = { 4, 3, 2, 0 };
    unsigned mo = (f->rctl >> E1000_RCTL_MO_SHIFT) & 3;
    unsigned hash = ((unsigned)dst[4] >> shift[mo] | (unsigned)dst[5] << (8 - shift[mo])) & 0xFFF;
    return f->mta[hash >> 5] & (1u << (hash & 31));
}

static bool e1000_rx_ra_match(const struct e1000_rx_filter *f, const uint8_t *dst)
{
    for (unsigned i = 0; i < E1000_RA_ENTRIES; i++) {
        uint32_t lo = f->ra[2 * i], hi = f->ra[2 * i + 1];
        uint8_t mac[6] = { (uint8_t)lo, (uint8_t)(lo >> 8), (uint8_t)(lo >> 16),
                           (uint8_t)(lo >> 24), (uint8_t)hi, (uint8_t)(hi >> 8) };
        if ((hi & E1000_RAH_AV) && memcmp(mac, dst, 6) == 0)
            return true;
    }
    return false;
}

static bool e1000_rx_vlan_ok(const struct e1000_rx_filter *f, const uint8_t *frame,
                             size_t len)
{
    if (!(f->rctl & E1000_RCTL_VFE) || len < ETH_HLEN + E1000_VLAN_TAG_LEN ||
        get_be16(frame + 12) != f->vlan_ether_type)
        return true;
    unsigned vid = get_be16(frame + 14) & 0xFFF;
    return f->vfta[vid >> 5] & (1u << (vid & 31));
}

bool e1000_rx_accept(const struct e1000_rx_filter *f, const uint8_t *frame, size_t len)
{
    static const uint8_t broadcast[6] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
    if (len < ETH_HLEN || !e1000_rx_vlan_ok(f, frame, len))
        return false;
    const uint8_t *dst = frame;
    if (!(dst[0] & 1))
        return (f->rctl & E1000_RCTL_UPE) || e1000_rx_ra_match(f, dst);
    if (memcmp(dst, broadcast, 6) == 0)
        return (f->rctl & (E1000_RCTL_BAM | E1000_RCTL_MPE)) || e1000_rx_ra_match(f, dst);
    return (f->rctl & E1000_RCTL_MPE) || e1000_rx_mta_match(f, dst) ||
           e1000_rx_ra_match(f, dst);
}

/* The TCP or UDP checksum of an IPv4 packet: true when it verifies. */
static bool e1000_rx_l4_ok(const uint8_t *ip, size_t ihl, size_t total, uint8_t proto)
{
    const uint8_t *l4 = ip + ihl;
    size_t l4len = total - ihl;
    if (proto == IPPROTO_UDP_NUM && l4len >= UDP_HLEN && get_be16(l4 + 6) == 0)
        return true; /* no checksum sent */
    uint32_t sum = e1000_csum_add(0, ip + 12, 8); /* addresses */
    sum += proto + (uint32_t)l4len;
    return e1000_csum_fold(e1000_csum_add(sum, l4, l4len)) == 0;
}

/* IPv4 checks; returns false when the frame is not IPv4 we can check. */
static void e1000_rx_ipv4(uint32_t rxcsum, const uint8_t *ip, size_t avail,
                          struct e1000_rx_meta *meta)
{
    if (avail < IPV4_HLEN || (ip[0] >> 4) != 4)
        return;
    size_t ihl = (size_t)(ip[0] & 0xF) * 4, total = get_be16(ip + 2);
    if (ihl < IPV4_HLEN || ihl > total || total > avail)
        return;
    if (rxcsum & E1000_RXCSUM_IPOFL) {
        meta->status |= E1000_RXD_STAT_IPCS;
        if (e1000_csum_fold(e1000_csum_add(0, ip, ihl)) != 0)
            meta->errors |= E1000_RXD_ERR_IPE;
    }
    uint8_t proto = ip[9];
    bool fragment = get_be16(ip + 6) & 0x3FFF;
    bool l4 = proto == IPPROTO_TCP_NUM ? total - ihl >= TCP_HLEN
              : proto == IPPROTO_UDP_NUM ? total - ihl >= UDP_HLEN : false;
    if ((rxcsum & E1000_RXCSUM_TUOFL) && l4 && !fragment) {
        meta->status |= E1000_RXD_STAT_TCPCS;
        if (!e1000_rx_l4_ok(ip, ihl, total, proto))
            meta->errors |= E1000_RXD_ERR_TCPE;
    }
}

void e1000_rx_checksum(uint32_t rxcsum, const uint8_t *frame, size_t len,
                       struct e1000_rx_meta *meta)
{
    size_t pcss = rxcsum & E1000_RXCSUM_PCSS_MASK;
    if (pcss < len)
        meta->csum = (uint16_t)~e1000_csum_fold(e1000_csum_add(0, frame + pcss, len - pcss));
    if (!(rxcsum & (E1000_RXCSUM_IPOFL | E1000_RXCSUM_TUOFL))) {
        meta->status |= E1000_RXD_STAT_IXSM;
        return;
    }
    size_t l3 = ETH_HLEN;
    if (len >= ETH_HLEN + E1000_VLAN_TAG_LEN && get_be16(frame + 12) == ETH_P_8021Q)
        l3 += E1000_VLAN_TAG_LEN;
    if (len > l3 && get_be16(frame + l3 - 2) == ETH_P_IPV4)
        e1000_rx_ipv4(rxcsum, frame + l3, len - l3, meta);
}

/* Fill one receive descriptor: the length and, on the last, what the
 * frame reports; DD last, after everything else is visible. */
static void e1000_rxd_write(uint8_t *d, uint16_t len, bool eop,
                            const struct e1000_rx_meta *meta, uint8_t extra_errors)
{
    put_le16(d + 8, len);
    put_le16(d + 10, eop ? meta->csum : 0);
    d[13] = (uint8_t)((eop ? meta->errors : 0) | extra_errors);
    put_le16(d + 14, eop ? meta->special : 0);
    uint8_t status = E1000_RXD_STAT_DD | (eop ? E1000_RXD_STAT_EOP | meta->status : 0);
    __atomic_store_n(&d[12], status, __ATOMIC_RELEASE);
}

enum e1000_rx_result e1000_rx_put(const struct guest_mem *mem,
                                  const struct e1000_ring *ring, uint32_t *head,
                                  uint32_t tail, uint32_t bufsize,
                                  const uint8_t *frame, size_t len,
                                  const struct e1000_rx_meta *meta)
{
    if (*head >= ring->count || tail >= ring->count)
        return E1000_RX_NO_BUFFERS; /* until the driver sets a sane tail */
    uint64_t needed = len == 0 ? 1 : (len + bufsize - 1) / bufsize;
    if (needed > ring->count - 1)
        return E1000_RX_DROPPED;
    if (needed > e1000_ring_free(ring, *head, tail))
        return E1000_RX_NO_BUFFERS;
    uint32_t i = *head;
    for (uint64_t k = 0; k < needed; k++, i = (i + 1) % ring->count) {
        uint64_t addr;
        memcpy(&addr, e1000_desc(mem, ring, i), 8);
        size_t chunk = len - k * bufsize < bufsize ? len - k * bufsize : bufsize;
        if (!guest_mem_valid(mem, addr, chunk)) {
            /* A buffer outside RAM: the frame is lost; the first descriptor
             * reports a receive error so the driver recycles it. */
            static const struct e1000_rx_meta none;
            e1000_rxd_write(e1000_desc(mem, ring, *head), 0, true, &none, 0x80);
            *head = (*head + 1) % ring->count;
            return E1000_RX_DROPPED;
        }
    }
    for (uint64_t k = 0; k < needed; k++) {
        uint8_t *d = e1000_desc(mem, ring, *head);
        uint64_t addr;
        memcpy(&addr, d, 8);
        size_t chunk = len - k * bufsize < bufsize ? len - k * bufsize : bufsize;
        memcpy(guest_mem_ptr(mem, addr, chunk), frame + k * bufsize, chunk);
        e1000_rxd_write(d, (uint16_t)chunk, k + 1 == needed, meta, 0);
        *head = (*head + 1) % ring->count;
    }
    return E1000_RX_DELIVERED;
}
