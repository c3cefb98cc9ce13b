/* vga_mem: the legacy memory window 0xA0000-0xBFFFF with real VGA
 * semantics (see vga_regs.h): the memory map select, chain-4, odd/even,
 * and the latched planar access with read modes 0/1, write modes 0-3,
 * set/reset, rotate and logical function, bit mask and map mask.  The
 * planes are bytes 0-3 of each 32-bit word of VRAM (x86 is little endian:
 * the word's byte p is plane p). */
#include "vga_regs.h"

#include <string.h>

#define GR_SR_VALUE 0x00
#define GR_SR_ENABLE 0x01
#define GR_COMPARE_VALUE 0x02
#define GR_DATA_ROTATE 0x03
#define GR_PLANE_READ 0x04
#define GR_MODE 0x05
#define GR_MISC 0x06
#define GR_COMPARE_MASK 0x07
#define GR_BIT_MASK 0x08
#define SR_PLANE_WRITE 0x02
#define SR_MEMORY_MODE 0x04
#define SR04_CHAIN4 0x08

/* Each of the 4 low bits of v widened to a whole byte (plane). */
static uint32_t vga_expand_planes(unsigned v)
{
    uint32_t out = 0;
    for (unsigned p = 0; p < 4; p++)
        if (v & (1u << p))
            out |= 0xffu << (8 * p);
    return out;
}

static bool vga_chain4(const struct vga_state *s)
{
    /* A VBE mode is chain-4 whatever the guest left in SR4. */
    return (s->sr[SR_MEMORY_MODE] & SR04_CHAIN4) || vbe_enabled(s);
}

/* The window offset as an address in the planes (chain-4: in VRAM), or
 * -1 when the memory map select leaves it unmapped. */
static int64_t vga_window_address(const struct vga_state *s, uint32_t offset)
{
    offset &= VGA_WINDOW_SIZE - 1;
    switch ((s->gr[GR_MISC] >> 2) & 3) {
    case 0: /* A0000, 128 KiB */
        return offset;
    case 1: /* A0000, 64 KiB, plus the VBE bank */
        return offset < 0x10000 ? (int64_t)offset + s->bank_offset : -1;
    case 2: /* B0000, 32 KiB */
        return offset >= 0x10000 && offset < 0x18000 ? (int64_t)offset - 0x10000 : -1;
    default: /* B8000, 32 KiB */
        return offset >= 0x18000 ? (int64_t)offset - 0x18000 : -1;
    }
}

/* Odd/even: even addresses go to planes 0/2, odd to 1/3 (the page bit of
 * GR4 picks which pair); the plane address is the address with bit 0
 * cleared, as QEMU does it. */
static unsigned vga_odd_even_plane(const struct vga_state *s, uint64_t addr)
{
    return (s->gr[GR_PLANE_READ] & 2) | (addr & 1);
}

static uint32_t vga_load_word(const struct vga_state *s, uint64_t addr)
{
    uint32_t w;
    memcpy(&w, s->vram + addr * 4, 4);
    return w;
}

static uint8_t vga_read_latched(struct vga_state *s, uint64_t addr)
{
    if (addr * 4 + 4 > s->vram_size)
        return 0xff;
    s->latch = vga_load_word(s, addr);
    if (!(s->gr[GR_MODE] & 0x08)) /* read mode 0: one plane */
        return (uint8_t)(s->latch >> (8 * (s->gr[GR_PLANE_READ] & 3)));
    /* read mode 1: a 1 for each pixel whose colour equals the compare
     * value in the planes the compare mask selects */
    uint32_t diff = (s->latch ^ vga_expand_planes(s->gr[GR_COMPARE_VALUE])) &
                    vga_expand_planes(s->gr[GR_COMPARE_MASK]);
    diff |= diff >> 16;
    diff |= diff >> 8;
    return (uint8_t)~diff;
}

uint8_t vga_mem_read(struct vga_state *s, uint32_t offset)
{
    int64_t a = vga_window_address(s, offset);
    if (a < 0)
        return 0xff;
    uint64_t addr = (uint64_t)a;
    if (vga_chain4(s))
        return addr < s->vram_size ? s->vram[addr] : 0xff;
    if (s->gr[GR_MODE] & 0x10) {
        uint64_t at = ((addr & ~1ULL) << 1) | vga_odd_even_plane(s, addr);
        return at < s->vram_size ? s->vram[at] : 0xff;
    }
    return vga_read_latched(s, addr);
}

static uint8_t vga_rotate(const struct vga_state *s, uint8_t val)
{
    unsigned b = s->gr[GR_DATA_ROTATE] & 7;
    return (uint8_t)((val >> b) | (val << (8 - b)));
}

/* Write modes 0-3, the logical function and the bit mask: the 32-bit
 * value (one byte a plane) to store before the map mask. */
static uint32_t vga_latched_value(const struct vga_state *s, uint8_t val)
{
    uint32_t v, bit_mask = s->gr[GR_BIT_MASK];
    switch (s->gr[GR_MODE] & 3) {
    case 0: {
        uint32_t set_mask = vga_expand_planes(s->gr[GR_SR_ENABLE]);
        v = vga_rotate(s, val) * 0x01010101u;
        v = (v & ~set_mask) | (vga_expand_planes(s->gr[GR_SR_VALUE]) & set_mask);
        break;
    }
    case 1: /* the latches as they are */
        return s->latch;
    case 2:
        v = vga_expand_planes(val & 0x0f);
        break;
    default: /* 3: the rotated value masks the bit mask; colour from set/reset */
        bit_mask &= vga_rotate(s, val);
        v = vga_expand_planes(s->gr[GR_SR_VALUE]);
        break;
    }
    switch (s->gr[GR_DATA_ROTATE] >> 3) {
    case 1: v &= s->latch; break;
    case 2: v |= s->latch; break;
    case 3: v ^= s->latch; break;
    default: break;
    }
    bit_mask *= 0x01010101u;
    return (v & bit_mask) | (s->latch & ~bit_mask);
}

static void vga_store_byte(struct vga_state *s, uint64_t at, unsigned plane,
                           uint8_t val)
{
    if (!(s->sr[SR_PLANE_WRITE] & (1u << plane)) || at >= s->vram_size)
        return;
    s->vram[at] = val;
    vga_mark_dirty(s, at, 1);
    if (plane == 2)
        s->font_written = true;
}

void vga_mem_write(struct vga_state *s, uint32_t offset, uint8_t val)
{
    int64_t a = vga_window_address(s, offset);
    if (a < 0)
        return;
    uint64_t addr = (uint64_t)a;
    if (vga_chain4(s)) {
        /* In VBE modes every plane is writable: the map mask is VGA's. */
        if (vbe_enabled(s) && addr < s->vram_size) {
            s->vram[addr] = val;
            vga_mark_dirty(s, addr, 1);
        } else {
            vga_store_byte(s, addr, addr & 3, val);
        }
        return;
    }
    if (s->gr[GR_MODE] & 0x10) {
        unsigned plane = vga_odd_even_plane(s, addr);
        vga_store_byte(s, ((addr & ~1ULL) << 1) | plane, plane, val);
        return;
    }
    if (addr * 4 + 4 > s->vram_size)
        return;
    uint32_t v = vga_latched_value(s, val);
    uint32_t write_mask = vga_expand_planes(s->sr[SR_PLANE_WRITE]);
    uint32_t old = vga_load_word(s, addr);
    uint32_t w = (old & ~write_mask) | (v & write_mask);
    memcpy(s->vram + addr * 4, &w, 4);
    vga_mark_dirty(s, addr * 4, 4);
    if (s->sr[SR_PLANE_WRITE] & 4)
        s->font_written = true;
}
