/* vga_regs: VGA and Bochs DISPI registers (see vga_regs.h).  Behaviour
 * follows QEMU's hw/display/vga.c, which guests and SeaVGABIOS are
 * tested against. */
#include "vga_regs.h"

#include <string.h>

/* Bits each sequencer / graphics register keeps (the rest read as 0). */
static const uint8_t vga_sr_mask[8] = { 0x03, 0x3d, 0x0f, 0x3f, 0x0e, 0x00, 0x00, 0xff };
static const uint8_t vga_gr_mask[16] = { 0x0f, 0x0f, 0x0f, 0x1f, 0x03, 0x7b, 0x0f,
                                         0x0f, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00,
                                         0x00, 0x00 };

/* Mode 3 (80x25 text, 9x16 cells, 720x400) as a VGA BIOS leaves it: what a
 * directly booted guest finds, since no BIOS runs before it. */
static const uint8_t mode3_sr[5] = { 0x03, 0x00, 0x03, 0x00, 0x02 };
static const uint8_t mode3_cr[25] = {
    0x5f, 0x4f, 0x50, 0x82, 0x55, 0x81, 0xbf, 0x1f, 0x00, 0x4f, 0x0d, 0x0e, 0x00,
    0x00, 0x00, 0x00, 0x9c, 0x8e, 0x8f, 0x28, 0x1f, 0x96, 0xb9, 0xa3, 0xff,
};
static const uint8_t mode3_gr[9] = { 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0e, 0x00, 0xff };
static const uint8_t mode3_ar[21] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a,
    0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x0c, 0x00, 0x0f, 0x08, 0x00,
};

/* The EGA's 64 colours in the first DAC entries: bits 0-2 are blue,
 * green, red at 2/3 intensity, bits 3-5 the same at 1/3. */
static void vga_default_palette(uint8_t *pal)
{
    for (unsigned i = 0; i < 64; i++) {
        pal[i * 3 + 0] = (uint8_t)(((i >> 2) & 1) * 0x2a + ((i >> 5) & 1) * 0x15);
        pal[i * 3 + 1] = (uint8_t)(((i >> 1) & 1) * 0x2a + ((i >> 4) & 1) * 0x15);
        pal[i * 3 + 2] = (uint8_t)((i & 1) * 0x2a + ((i >> 3) & 1) * 0x15);
    }
}

void vga_state_init(struct vga_state *s, uint8_t *vram, uint32_t vram_size)
{
    memset(s, 0, sizeof(*s));
    s->vram = vram;
    s->vram_size = vram_size;
    s->misc = 0x67;
    memcpy(s->sr, mode3_sr, sizeof(mode3_sr));
    memcpy(s->cr, mode3_cr, sizeof(mode3_cr));
    memcpy(s->gr, mode3_gr, sizeof(mode3_gr));
    memcpy(s->ar, mode3_ar, sizeof(mode3_ar));
    s->ar_index = 0x20; /* palette address source: the picture is on */
    s->dac_mask = 0xff;
    vga_default_palette(s->palette);
    s->vbe_regs[VBE_DISPI_INDEX_ID] = VBE_DISPI_ID5;
    s->vbe_regs[VBE_DISPI_INDEX_VIDEO_MEMORY_64K] = (uint16_t)(vram_size >> 16);
    s->redraw_all = true;
}

void vga_mark_dirty(struct vga_state *s, uint64_t offset, uint64_t len)
{
    if (len == 0 || offset >= s->vram_size)
        return;
    uint64_t end = offset + len > s->vram_size ? s->vram_size : offset + len;
    for (uint64_t page = offset / 4096; page * 4096 < end; page++)
        s->dirty_pages[page / 64] |= 1ULL << (page % 64);
}

/* ---- attribute controller --------------------------------------------- */

static void vga_attr_write(struct vga_state *s, uint8_t val)
{
    if (!s->ar_flip_flop) {
        s->ar_index = val & 0x3f;
    } else {
        unsigned index = s->ar_index & 0x1f;
        static const uint8_t ar_mask[5] = { 0xef, 0xff, 0x3f, 0x0f, 0x0f };
        if (index < 0x10)
            s->ar[index] = val & 0x3f;
        else if (index < 0x15)
            s->ar[index] = val & ar_mask[index - 0x10];
    }
    s->ar_flip_flop = !s->ar_flip_flop;
    s->redraw_all = true; /* palette, mode, or the screen on or off */
}

/* ---- DAC -------------------------------------------------------------- */

static void vga_dac_write(struct vga_state *s, uint8_t val)
{
    s->dac_cache[s->dac_sub_index++] = val;
    if (s->dac_sub_index == 3) {
        memcpy(&s->palette[s->dac_write_index * 3], s->dac_cache, 3);
        s->dac_sub_index = 0;
        s->dac_write_index++;
        s->redraw_all = true;
    }
}

static uint8_t vga_dac_read(struct vga_state *s)
{
    uint8_t val = s->palette[s->dac_read_index * 3 + s->dac_sub_index];
    if (++s->dac_sub_index == 3) {
        s->dac_sub_index = 0;
        s->dac_read_index++;
    }
    return val;
}

/* ---- CRTC ------------------------------------------------------------- */

static void vga_crtc_write(struct vga_state *s, uint8_t val)
{
    /* CR11 bit 7 protects CR0-CR7, except the line compare bit of CR7. */
    if ((s->cr[0x11] & 0x80) && s->cr_index <= 7) {
        if (s->cr_index == 7)
            s->cr[7] = (uint8_t)((s->cr[7] & ~0x10) | (val & 0x10));
    } else {
        s->cr[s->cr_index] = val;
    }
    s->redraw_all = true;
}

/* Which CRTC ports answer follows misc bit 0: 3Dx when set, 3Bx when not;
 * the other set reads as all ones and ignores writes, as on hardware. */
static bool vga_color_ports(const struct vga_state *s)
{
    return s->misc & 0x01;
}

static uint8_t vga_status1_read(struct vga_state *s)
{
    /* Toggle retrace and display enable so that guests polling for
     * either make progress; reading also resets the 3C0 flip-flop. */
    s->st01 ^= 0x09;
    s->ar_flip_flop = false;
    return s->st01;
}

uint8_t vga_port_read(struct vga_state *s, uint32_t offset)
{
    switch (offset) {
    case VGA_ATT_W:
        return s->ar_flip_flop ? 0 : s->ar_index;
    case VGA_ATT_R: {
        unsigned index = s->ar_index & 0x1f;
        return index < sizeof(s->ar) ? s->ar[index] : 0;
    }
    case VGA_MIS_W:
        return 0; /* input status 0 */
    case VGA_SEQ_I:
        return s->sr_index;
    case VGA_SEQ_D:
        return s->sr[s->sr_index];
    case VGA_PEL_MSK:
        return s->dac_mask;
    case VGA_PEL_IR:
        return s->dac_state;
    case VGA_PEL_IW:
        return s->dac_write_index;
    case VGA_PEL_D:
        return vga_dac_read(s);
    case VGA_FTC_R:
        return s->fcr;
    case VGA_MIS_R:
        return s->misc;
    case VGA_GFX_I:
        return s->gr_index;
    case VGA_GFX_D:
        return s->gr[s->gr_index];
    case VGA_CRT_IC:
        return vga_color_ports(s) ? s->cr_index : 0xff;
    case VGA_CRT_DC:
        return vga_color_ports(s) ? s->cr[s->cr_index] : 0xff;
    case VGA_IS1_RC:
        return vga_color_ports(s) ? vga_status1_read(s) : 0xff;
    default:
        return 0xff;
    }
}

void vga_port_write(struct vga_state *s, uint32_t offset, uint8_t val)
{
    switch (offset) {
    case VGA_ATT_W:
        vga_attr_write(s, val);
        break;
    case VGA_MIS_W:
        s->misc = val & (uint8_t)~0x10;
        s->redraw_all = true;
        break;
    case VGA_SEQ_I:
        s->sr_index = val & 7;
        break;
    case VGA_SEQ_D:
        s->sr[s->sr_index] = val & vga_sr_mask[s->sr_index];
        s->redraw_all = true;
        break;
    case VGA_PEL_MSK:
        s->dac_mask = val;
        break;
    case VGA_PEL_IR:
        s->dac_read_index = val;
        s->dac_sub_index = 0;
        s->dac_state = 3;
        break;
    case VGA_PEL_IW:
        s->dac_write_index = val;
        s->dac_sub_index = 0;
        s->dac_state = 0;
        break;
    case VGA_PEL_D:
        vga_dac_write(s, val);
        break;
    case VGA_GFX_I:
        s->gr_index = val & 0x0f;
        break;
    case VGA_GFX_D:
        s->gr[s->gr_index] = val & vga_gr_mask[s->gr_index];
        s->redraw_all = true;
        break;
    case VGA_CRT_IC:
        if (vga_color_ports(s))
            s->cr_index = val;
        break;
    case VGA_CRT_DC:
        if (vga_color_ports(s))
            vga_crtc_write(s, val);
        break;
    case VGA_IS1_RC:
        if (vga_color_ports(s))
            s->fcr = val & 0x10;
        break;
    default:
        break;
    }
}

/* 3B4, 3B5 and 3BA are the CRTC and status ports of a mono setup. */
uint8_t vga_mono_port_read(struct vga_state *s, uint32_t offset)
{
    if (vga_color_ports(s))
        return 0xff;
    switch (offset) {
    case 0x4:
        return s->cr_index;
    case 0x5:
        return s->cr[s->cr_index];
    case 0xA:
        return vga_status1_read(s);
    default:
        return 0xff;
    }
}

void vga_mono_port_write(struct vga_state *s, uint32_t offset, uint8_t val)
{
    if (vga_color_ports(s))
        return;
    if (offset == 0x4)
        s->cr_index = val;
    else if (offset == 0x5)
        vga_crtc_write(s, val);
    else if (offset == 0xA)
        s->fcr = val & 0x10;
}

/* ---- Bochs DISPI ------------------------------------------------------ */

bool vbe_enabled(const struct vga_state *s)
{
    return s->vbe_regs[VBE_DISPI_INDEX_ENABLE] & VBE_DISPI_ENABLED;
}

/* Bytes a pixel of bpp bits occupies in VRAM; 0 for depths we cannot
 * show (the guest gets them back sanitised to 8). */
static unsigned vbe_bits(uint16_t bpp)
{
    switch (bpp) {
    case 8: case 16: case 24: case 32:
        return bpp;
    case 15:
        return 16;
    default:
        return 0;
    }
}

/* Make the registers describe a mode that fits VRAM and the display, as
 * QEMU's vbe_fixup_regs does, and derive start and line length: whatever
 * the guest wrote, the renderer then reads inside VRAM. */
static void vbe_fixup(struct vga_state *s)
{
    uint16_t *r = s->vbe_regs;
    if (!vbe_enabled(s))
        return;
    if (!vbe_bits(r[VBE_DISPI_INDEX_BPP]))
        r[VBE_DISPI_INDEX_BPP] = 8;
    unsigned bits = vbe_bits(r[VBE_DISPI_INDEX_BPP]);
    r[VBE_DISPI_INDEX_XRES] &= (uint16_t)~7u;
    if (r[VBE_DISPI_INDEX_XRES] == 0)
        r[VBE_DISPI_INDEX_XRES] = 8;
    if (r[VBE_DISPI_INDEX_XRES] > VBE_DISPI_MAX_XRES)
        r[VBE_DISPI_INDEX_XRES] = VBE_DISPI_MAX_XRES;
    r[VBE_DISPI_INDEX_VIRT_WIDTH] &= (uint16_t)~7u;
    if (r[VBE_DISPI_INDEX_VIRT_WIDTH] > VBE_DISPI_MAX_XRES * 4)
        r[VBE_DISPI_INDEX_VIRT_WIDTH] = VBE_DISPI_MAX_XRES * 4;
    if (r[VBE_DISPI_INDEX_VIRT_WIDTH] < r[VBE_DISPI_INDEX_XRES])
        r[VBE_DISPI_INDEX_VIRT_WIDTH] = r[VBE_DISPI_INDEX_XRES];
    uint32_t line = (uint32_t)r[VBE_DISPI_INDEX_VIRT_WIDTH] * bits / 8;
    uint32_t max_y = s->vram_size / line;
    if (r[VBE_DISPI_INDEX_YRES] == 0)
        r[VBE_DISPI_INDEX_YRES] = 1;
    if (r[VBE_DISPI_INDEX_YRES] > VBE_DISPI_MAX_YRES)
        r[VBE_DISPI_INDEX_YRES] = VBE_DISPI_MAX_YRES;
    if (r[VBE_DISPI_INDEX_YRES] > max_y)
        r[VBE_DISPI_INDEX_YRES] = (uint16_t)max_y;
    if (r[VBE_DISPI_INDEX_X_OFFSET] > r[VBE_DISPI_INDEX_VIRT_WIDTH] - r[VBE_DISPI_INDEX_XRES])
        r[VBE_DISPI_INDEX_X_OFFSET] = (uint16_t)(r[VBE_DISPI_INDEX_VIRT_WIDTH] - r[VBE_DISPI_INDEX_XRES]);
    uint64_t start = (uint64_t)r[VBE_DISPI_INDEX_X_OFFSET] * bits / 8 +
                     (uint64_t)r[VBE_DISPI_INDEX_Y_OFFSET] * line;
    if (start + (uint64_t)r[VBE_DISPI_INDEX_YRES] * line > s->vram_size) {
        r[VBE_DISPI_INDEX_Y_OFFSET] = 0;
        start = (uint64_t)r[VBE_DISPI_INDEX_X_OFFSET] * bits / 8;
        if (start + (uint64_t)r[VBE_DISPI_INDEX_YRES] * line > s->vram_size) {
            r[VBE_DISPI_INDEX_X_OFFSET] = 0;
            start = 0;
        }
    }
    r[VBE_DISPI_INDEX_VIRT_HEIGHT] = (uint16_t)(max_y > 0xffff ? 0xffff : max_y);
    s->vbe_line_bytes = line;
    s->vbe_start = (uint32_t)start;
}

/* Entering a VBE mode: graphics mode with chain-4 in the VGA registers
 * (so that the bank window and the legacy semantics agree), the default
 * virtual screen, and VRAM cleared unless the guest says not to. */
static void vbe_enable(struct vga_state *s, uint16_t val)
{
    uint16_t *r = s->vbe_regs;
    r[VBE_DISPI_INDEX_ENABLE] = val;
    r[VBE_DISPI_INDEX_VIRT_WIDTH] = r[VBE_DISPI_INDEX_XRES];
    r[VBE_DISPI_INDEX_X_OFFSET] = 0;
    r[VBE_DISPI_INDEX_Y_OFFSET] = 0;
    vbe_fixup(s);
    if (!(val & VBE_DISPI_NOCLEARMEM)) {
        uint64_t bytes = (uint64_t)r[VBE_DISPI_INDEX_YRES] * s->vbe_line_bytes;
        memset(s->vram, 0, bytes < s->vram_size ? bytes : s->vram_size);
    }
    s->gr[0x06] = (uint8_t)((s->gr[0x06] & ~0x0c) | 0x05); /* graphics, A0000 64K */
    s->cr[0x17] |= 3;                                      /* no CGA wrap */
    s->sr[0x04] |= 0x08;                                   /* chain-4 */
    s->bank_offset = 0;
}

uint16_t vbe_dispi_read(struct vga_state *s, uint16_t index)
{
    const uint16_t *r = s->vbe_regs;
    if (index >= VBE_DISPI_INDEX_NB)
        return 0;
    if (r[VBE_DISPI_INDEX_ENABLE] & VBE_DISPI_GETCAPS) {
        if (index == VBE_DISPI_INDEX_XRES)
            return VBE_DISPI_MAX_XRES;
        if (index == VBE_DISPI_INDEX_YRES)
            return VBE_DISPI_MAX_YRES;
        if (index == VBE_DISPI_INDEX_BPP)
            return VBE_DISPI_MAX_BPP;
    }
    return r[index];
}

void vbe_dispi_write(struct vga_state *s, uint16_t index, uint16_t val)
{
    uint16_t *r = s->vbe_regs;
    switch (index) {
    case VBE_DISPI_INDEX_ID:
        if (val >= VBE_DISPI_ID0 && val <= VBE_DISPI_ID5)
            r[index] = val;
        return;
    case VBE_DISPI_INDEX_BANK: {
        uint16_t banks = (uint16_t)(s->vram_size >> 16);
        r[index] = val < banks ? val : (uint16_t)(banks - 1);
        s->bank_offset = (uint32_t)r[index] << 16;
        return;
    }
    case VBE_DISPI_INDEX_ENABLE:
        if ((val & VBE_DISPI_ENABLED) && !vbe_enabled(s))
            vbe_enable(s, val);
        else
            r[index] = val;
        if (!(val & VBE_DISPI_ENABLED))
            s->bank_offset = 0;
        break;
    case VBE_DISPI_INDEX_XRES: case VBE_DISPI_INDEX_YRES:
    case VBE_DISPI_INDEX_BPP: case VBE_DISPI_INDEX_VIRT_WIDTH:
    case VBE_DISPI_INDEX_X_OFFSET: case VBE_DISPI_INDEX_Y_OFFSET:
        r[index] = val;
        break;
    default: /* VIRT_HEIGHT and VIDEO_MEMORY_64K are read-only */
        return;
    }
    vbe_fixup(s);
    s->redraw_all = true;
}
