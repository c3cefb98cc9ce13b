/* vga_regs: the state of a standard VGA with the Bochs VBE extensions (the
 * adapter QEMU calls "-vga std"), as pure logic without KVM so that it is
 * unit-tested: the registers behind ports 0x3C0-0x3DF (and the mono
 * aliases 0x3B4/0x3B5/0x3BA), the Bochs DISPI registers (ports 0x1CE/0x1CF,
 * or BAR2 at 0x500), and the semantics of the legacy memory window at
 * 0xA0000-0xBFFFF (vga_mem.c).
 *
 * Video memory layout, as QEMU's: one VRAM buffer that is also the linear
 * framebuffer (PCI BAR0).  The four VGA planes are interleaved in its
 * first 256 KiB: byte p of 32-bit word a is plane p at plane address a.
 * So chain-4 (mode 13h) byte address a is simply vram[a], and a VBE bank
 * window reaches the same bytes as the linear framebuffer.
 *
 * Every value here is guest-written and hostile: register indexes are
 * masked, addresses are checked against vram_size, and the renderer
 * (vga_render.c) clamps geometry again before reading.
 *
 * Change tracking: any write that can change the picture sets
 * redraw_all; writes through the legacy window mark the pages they touch
 * in dirty_pages (the linear framebuffer's are KVM's dirty log), and a
 * write to plane 2, where text fonts live, sets font_written. */
#ifndef CORRAL_VGA_REGS_H
#define CORRAL_VGA_REGS_H

#include <stdbool.h>
#include <stdint.h>

#include "display.h"

#define VGA_VRAM_SIZE (16u << 20)           /* BAR0: 16 MiB */
#define VGA_VRAM_PAGES (VGA_VRAM_SIZE / 4096u)
#define VGA_PLANE_SIZE 0x10000u             /* 64 KiB a plane */
#define VGA_WINDOW_BASE 0xA0000u
#define VGA_WINDOW_SIZE 0x20000u            /* 0xA0000-0xBFFFF */

/* Port offsets from 0x3C0 (BAR2 0x400 + the same offsets). */
#define VGA_PORT_BASE 0x3C0u
#define VGA_PORT_COUNT 0x20u
#define VGA_ATT_W 0x00    /* 3C0 attribute index / data */
#define VGA_ATT_R 0x01    /* 3C1 */
#define VGA_MIS_W 0x02    /* 3C2 misc output (write), input status 0 (read) */
#define VGA_SEQ_I 0x04
#define VGA_SEQ_D 0x05
#define VGA_PEL_MSK 0x06
#define VGA_PEL_IR 0x07   /* DAC read index (write), DAC state (read) */
#define VGA_PEL_IW 0x08
#define VGA_PEL_D 0x09
#define VGA_FTC_R 0x0A    /* feature control (read) */
#define VGA_MIS_R 0x0C
#define VGA_GFX_I 0x0E
#define VGA_GFX_D 0x0F
#define VGA_CRT_IC 0x14   /* 3D4 colour CRTC index */
#define VGA_CRT_DC 0x15
#define VGA_IS1_RC 0x1A   /* 3DA input status 1 (read), feature control (write) */
/* The mono aliases, as offsets from 0x3B0 (ports 0x3B4, 0x3B5, 0x3BA). */
#define VGA_MONO_PORT_BASE 0x3B0u

/* Bochs DISPI (VBE) */
#define VBE_DISPI_IOPORT_INDEX 0x1CE
#define VBE_DISPI_IOPORT_DATA 0x1CF
#define VBE_DISPI_INDEX_ID 0x0
#define VBE_DISPI_INDEX_XRES 0x1
#define VBE_DISPI_INDEX_YRES 0x2
#define VBE_DISPI_INDEX_BPP 0x3
#define VBE_DISPI_INDEX_ENABLE 0x4
#define VBE_DISPI_INDEX_BANK 0x5
#define VBE_DISPI_INDEX_VIRT_WIDTH 0x6
#define VBE_DISPI_INDEX_VIRT_HEIGHT 0x7
#define VBE_DISPI_INDEX_X_OFFSET 0x8
#define VBE_DISPI_INDEX_Y_OFFSET 0x9
#define VBE_DISPI_INDEX_VIDEO_MEMORY_64K 0xA
#define VBE_DISPI_INDEX_NB 0xB
#define VBE_DISPI_ID0 0xB0C0
#define VBE_DISPI_ID5 0xB0C5
#define VBE_DISPI_DISABLED 0x00
#define VBE_DISPI_ENABLED 0x01
#define VBE_DISPI_GETCAPS 0x02
#define VBE_DISPI_8BIT_DAC 0x20
#define VBE_DISPI_LFB_ENABLED 0x40
#define VBE_DISPI_NOCLEARMEM 0x80
/* The largest mode offered is the largest picture the display holds. */
#define VBE_DISPI_MAX_XRES DISPLAY_MAX_WIDTH
#define VBE_DISPI_MAX_YRES DISPLAY_MAX_HEIGHT
#define VBE_DISPI_MAX_BPP 32

struct vga_state {
    uint8_t *vram;
    uint32_t vram_size; /* a multiple of 64 KiB, >= 256 KiB */

    uint8_t misc;       /* miscellaneous output (bit 0: colour CRTC ports) */
    uint8_t fcr;        /* feature control */
    uint8_t st01;       /* input status 1, toggled on each read */
    uint8_t sr_index, sr[8];
    uint8_t gr_index, gr[16];
    uint8_t cr_index, cr[256];
    uint8_t ar_index, ar[21];
    bool ar_flip_flop;  /* false: the next 3C0 write is an index */
    uint8_t dac_read_index, dac_write_index, dac_sub_index, dac_state;
    uint8_t dac_cache[3];
    uint8_t dac_mask;
    uint8_t palette[768]; /* 256 x RGB, 6 bits each (8 with VBE_DISPI_8BIT_DAC) */
    uint32_t latch;       /* the four planes' bytes of the last latched read */

    uint16_t vbe_index;
    uint16_t vbe_regs[VBE_DISPI_INDEX_NB];
    uint32_t vbe_start;       /* byte offset of the visible picture in VRAM */
    uint32_t vbe_line_bytes;  /* bytes a line of the virtual screen */
    uint32_t bank_offset;     /* VBE bank window into VRAM */

    bool redraw_all;
    bool font_written;
    uint64_t dirty_pages[VGA_VRAM_PAGES / 64];
};

/* Power-on state (what a VGA BIOS would program next; direct-boot guests
 * find an 80x25 text mode's registers). */
void vga_state_init(struct vga_state *s, uint8_t *vram, uint32_t vram_size);

/* Port I/O, offset from 0x3C0 (0..0x1F), one byte. */
uint8_t vga_port_read(struct vga_state *s, uint32_t offset);
void vga_port_write(struct vga_state *s, uint32_t offset, uint8_t val);
/* The mono aliases 3B4/3B5/3BA: offset from 0x3B0. */
uint8_t vga_mono_port_read(struct vga_state *s, uint32_t offset);
void vga_mono_port_write(struct vga_state *s, uint32_t offset, uint8_t val);

/* Bochs DISPI: the index register and the data of the selected register,
 * or a register by index directly (BAR2 0x500 + 2 * index). */
uint16_t vbe_dispi_read(struct vga_state *s, uint16_t index);
void vbe_dispi_write(struct vga_state *s, uint16_t index, uint16_t val);
bool vbe_enabled(const struct vga_state *s);

/* The legacy window, offset from 0xA0000 (vga_mem.c). */
uint8_t vga_mem_read(struct vga_state *s, uint32_t offset);
void vga_mem_write(struct vga_state *s, uint32_t offset, uint8_t val);

/* Mark VRAM bytes [offset, offset + len) as changed. */
void vga_mark_dirty(struct vga_state *s, uint64_t offset, uint64_t len);
static inline bool vga_page_dirty(const uint64_t *bitmap, uint32_t page)
{
    return (bitmap[page / 64] >> (page % 64)) & 1;
}

#endif
