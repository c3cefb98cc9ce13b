/* vga_render: draw what a VGA's registers and VRAM show into the shared
 * picture (display.h), doing only the work that changed: text modes
 * compare the cells (character and attribute), the cursor and the
 * geometry with what was drawn last and redraw only the cells that differ;
 * graphics and VBE modes redraw only the lines whose VRAM pages are dirty
 * (the legacy window's writes, vga_state.dirty_pages, merged with the
 * linear framebuffer's, which is KVM's dirty log).  A register write that
 * can change the picture (vga_state.redraw_all), a font write in text
 * mode, or a change of geometry redraws everything.
 *
 * Modes: text (any geometry the CRTC programs, 8/9/16-dot cells, the font
 * from plane 2 as the guest loaded it, two character maps, attributes
 * through the attribute controller's palette and the DAC, the blink bit
 * as background intensity or shown steady, the cursor from CR0A/0B/0E/0F);
 * 16-colour planar (mode 12h); CGA 4-colour (modes 4/5); 256-colour
 * chain-4 (mode 13h); VBE at 8 (DAC), 15, 16, 24 and 32 bpp with virtual
 * width and x/y offsets.  A blanked screen (attribute index bit 5 clear)
 * is black.  Pure logic: no KVM, unit-tested. */
#ifndef CORRAL_VGA_RENDER_H
#define CORRAL_VGA_RENDER_H

#include <stdbool.h>
#include <stdint.h>

#include "display.h"
#include "vga_regs.h"

/* Text geometry limits: 8-dot cells across the widest picture, and the
 * CRTC's 10-bit vertical display end. */
#define VGA_TEXT_MAX_COLS (DISPLAY_MAX_WIDTH / 8)
#define VGA_TEXT_MAX_ROWS 1024

enum vga_picture_kind { VGA_PIC_NONE, VGA_PIC_BLANK, VGA_PIC_TEXT,
                        VGA_PIC_GRAPHICS, VGA_PIC_VBE };

/* What was drawn last, to draw only what changed. */
struct vga_render_cache {
    enum vga_picture_kind kind;
    uint32_t *cells;  /* text: char | attr << 8, VGA_TEXT_MAX_COLS * ROWS */
    uint32_t cols, rows;
    int64_t cursor_cell; /* -1: none shown */
    uint32_t width, height;
};

/* 0 or -ENOMEM. */
int vga_render_cache_init(struct vga_render_cache *c);
void vga_render_cache_destroy(struct vga_render_cache *c);

/* Bring d up to date with s; call between display_begin() and
 * display_end().  lfb_dirty: the linear framebuffer's dirty pages since
 * the last call (VGA_VRAM_PAGES bits), or NULL for none.  Clears s's
 * change flags and dirty pages. */
void vga_render(struct vga_state *s, struct vga_render_cache *c,
                struct display *d, const uint64_t *lfb_dirty);

#endif
