/* vga_render: VGA and VBE modes into the shared picture (see vga_render.h).
 * Every VRAM read is checked against vram_size: the geometry comes from
 * guest registers. */
#include "vga_render.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define VGA_TEXT_MAX_CELLS ((size_t)VGA_TEXT_MAX_COLS * VGA_TEXT_MAX_ROWS)

int vga_render_cache_init(struct vga_render_cache *c)
{
    memset(c, 0, sizeof(*c));
    c->cells = calloc(VGA_TEXT_MAX_CELLS, sizeof(*c->cells));
    c->cursor_cell = -1;
    return c->cells ? 0 : -ENOMEM;
}

void vga_render_cache_destroy(struct vga_render_cache *c)
{
    free(c->cells);
    c->cells = NULL;
}

/* ---- colours ---------------------------------------------------------- */

struct vga_palettes {
    uint32_t pal16[16];   /* attribute controller, then DAC */
    uint32_t pal256[256]; /* DAC */
};

static uint8_t vga_dac_to_8(const struct vga_state *s, uint8_t v)
{
    if (vbe_enabled(s) && (s->vbe_regs[VBE_DISPI_INDEX_ENABLE] & VBE_DISPI_8BIT_DAC))
        return v;
    v &= 0x3f;
    return (uint8_t)((v << 2) | (v >> 4));
}

static uint32_t vga_dac_rgb(const struct vga_state *s, unsigned index)
{
    const uint8_t *p = &s->palette[(index & 0xff) * 3];
    return (uint32_t)vga_dac_to_8(s, p[0]) << 16 |
           (uint32_t)vga_dac_to_8(s, p[1]) << 8 | vga_dac_to_8(s, p[2]);
}

static void vga_make_palettes(const struct vga_state *s, struct vga_palettes *p)
{
    for (unsigned i = 0; i < 256; i++)
        p->pal256[i] = vga_dac_rgb(s, i);
    for (unsigned i = 0; i < 16; i++) {
        unsigned v = s->ar[i];
        if (s->ar[0x10] & 0x80) /* P5-P4 from the colour select register */
            v = ((s->ar[0x14] & 0x0fu) << 4) | (v & 0x0fu);
        else
            v = ((s->ar[0x14] & 0x0cu) << 4) | (v & 0x3fu);
        p->pal16[i] = p->pal256[v];
    }
}

/* ---- geometry --------------------------------------------------------- */

static uint32_t vga_vertical_lines(const struct vga_state *s)
{
    uint32_t end = s->cr[0x12] | ((s->cr[0x07] & 0x02u) << 7) |
                   ((s->cr[0x07] & 0x40u) << 3);
    return end + 1;
}

static uint32_t vga_start_address(const struct vga_state *s)
{
    return (uint32_t)s->cr[0x0c] << 8 | s->cr[0x0d];
}

static bool vga_picture_fits(uint32_t w, uint32_t h)
{
    return w > 0 && h > 0 && w <= DISPLAY_MAX_WIDTH && h <= DISPLAY_MAX_HEIGHT;
}

/* Is any page of VRAM bytes [off, off + len) dirty? */
static bool vga_range_dirty(const uint64_t *dirty, uint64_t off, uint64_t len)
{
    if (len == 0 || off >= VGA_VRAM_SIZE)
        return false;
    uint64_t end = off + len > VGA_VRAM_SIZE ? VGA_VRAM_SIZE : off + len;
    for (uint64_t page = off / 4096; page * 4096 < end; page++)
        if (vga_page_dirty(dirty, (uint32_t)page))
            return true;
    return false;
}

/* Resize when needed: 1 when everything must be drawn afresh, 0 when the
 * size stayed, -1 when the picture cannot take it (nothing may be drawn). */
static int vga_set_size(struct vga_render_cache *c, struct display *d,
                        uint32_t w, uint32_t h)
{
    if (!vga_picture_fits(w, h))
        return -1;
    bool changed = d->width != w || d->height != h;
    if (changed && display_resize(d, w, h) < 0)
        return -1;
    c->width = w;
    c->height = h;
    return changed;
}

/* Blank or unshowable: black, at the size the picture has. */
static void vga_draw_black(struct vga_render_cache *c, struct display *d,
                           enum vga_picture_kind kind)
{
    if (c->kind == kind || d->width == 0)
        return;
    for (uint32_t y = 0; y < d->height; y++)
        memset(display_row(d, y), 0, d->width * sizeof(uint32_t));
    display_mark(d, 0, 0, d->width, d->height);
}

/* Nothing showable: black, and the next good frame draws everything. */
static void vga_show_nothing(struct vga_render_cache *c, struct display *d)
{
    vga_draw_black(c, d, VGA_PIC_NONE);
    c->kind = VGA_PIC_NONE;
}

/* ---- text ------------------------------------------------------------- */

struct vga_text {
    uint32_t cols, rows, cell_w, cell_h;
    bool dot_double;    /* SR1 bit 3: each dot twice (40-column modes) */
    uint32_t start, pitch; /* in plane addresses (character cells) */
    uint32_t font_addr[2]; /* plane 2 address of map B (attr bit 3 = 0) and A */
    int64_t cursor_cell;
    uint32_t cursor_first, cursor_last;
};

static void vga_text_geometry(const struct vga_state *s, struct vga_text *t)
{
    t->dot_double = s->sr[0x01] & 0x08;
    uint32_t dot_w = (s->sr[0x01] & 0x01) ? 8 : 9;
    t->cell_w = dot_w << t->dot_double;
    t->cell_h = (s->cr[0x09] & 0x1fu) + 1;
    t->cols = (uint32_t)s->cr[0x01] + 1;
    t->rows = vga_vertical_lines(s) / t->cell_h;
    if (t->cols * t->cell_w > DISPLAY_MAX_WIDTH)
        t->cols = DISPLAY_MAX_WIDTH / t->cell_w;
    if (t->rows * t->cell_h > DISPLAY_MAX_HEIGHT)
        t->rows = DISPLAY_MAX_HEIGHT / t->cell_h;
    t->start = vga_start_address(s);
    t->pitch = (uint32_t)s->cr[0x13] * 2;
    uint8_t v = s->sr[0x03];
    t->font_addr[0] = (((v >> 4) & 1u) | ((v << 1) & 6u)) * 8192;
    t->font_addr[1] = (((v >> 5) & 1u) | ((v >> 1) & 6u)) * 8192;
    t->cursor_cell = -1;
    t->cursor_first = s->cr[0x0a] & 0x1fu;
    t->cursor_last = s->cr[0x0b] & 0x1fu;
    if (t->cursor_last >= t->cell_h)
        t->cursor_last = t->cell_h - 1;
    uint32_t cursor = (uint32_t)s->cr[0x0e] << 8 | s->cr[0x0f];
    if (!(s->cr[0x0a] & 0x20) && t->cursor_first <= t->cursor_last &&
        cursor >= t->start && t->pitch) {
        uint32_t rel = cursor - t->start;
        uint32_t row = rel / t->pitch, col = rel % t->pitch;
        if (row < t->rows && col < t->cols)
            t->cursor_cell = (int64_t)row * t->cols + col;
    }
}

/* Plane addresses wrap at 64 KiB as on the hardware; so every cell and
 * glyph byte read is inside the planes' 256 KiB. */
static uint32_t vga_text_cell(const struct vga_state *s, const struct vga_text *t,
                              uint32_t row, uint32_t col)
{
    uint32_t addr = (t->start + row * t->pitch + col) & (VGA_PLANE_SIZE - 1);
    return s->vram[addr * 4] | (uint32_t)s->vram[addr * 4 + 1] << 8;
}

static uint8_t vga_glyph_row(const struct vga_state *s, const struct vga_text *t,
                             uint32_t cell, uint32_t line)
{
    uint8_t ch = (uint8_t)cell, attr = (uint8_t)(cell >> 8);
    uint32_t addr = t->font_addr[(attr >> 3) & 1] + ch * 32u + line;
    return s->vram[(addr & (VGA_PLANE_SIZE - 1)) * 4 + 2];
}

static void vga_draw_cell(const struct vga_state *s, const struct vga_text *t,
                          const struct vga_palettes *p, struct display *d,
                          uint32_t row, uint32_t col, uint32_t cell, bool cursor)
{
    uint8_t ch = (uint8_t)cell, attr = (uint8_t)(cell >> 8);
    unsigned bg_index = attr >> 4;
    if (s->ar[0x10] & 0x08) /* blink enabled: bit 7 blinks (shown steady) */
        bg_index &= 7;
    uint32_t fg = p->pal16[attr & 0x0f], bg = p->pal16[bg_index];
    /* Line graphics: the 9th dot repeats the 8th for C0h-DFh. */
    bool dup9 = (s->ar[0x10] & 0x04) && ch >= 0xc0 && ch <= 0xdf;
    uint32_t x0 = col * t->cell_w, y0 = row * t->cell_h;
    for (uint32_t line = 0; line < t->cell_h; line++) {
        unsigned bits = vga_glyph_row(s, t, cell, line);
        bool on_cursor = cursor && line >= t->cursor_first && line <= t->cursor_last;
        uint32_t *px = display_row(d, y0 + line) + x0;
        for (uint32_t x = 0; x < t->cell_w; x++) {
            uint32_t dot = x >> t->dot_double;
            bool set = dot < 8 ? (bits >> (7 - dot)) & 1 : dup9 && (bits & 1);
            px[x] = set || on_cursor ? fg : bg;
        }
    }
    display_mark(d, x0, y0, t->cell_w, t->cell_h);
}

static void vga_render_text(struct vga_state *s, struct vga_render_cache *c,
                            struct display *d, const struct vga_palettes *p,
                            bool full)
{
    struct vga_text t;
    vga_text_geometry(s, &t);
    int sized = t.cols * t.rows <= 1 ? -1 /* a half-programmed mode */
              : vga_set_size(c, d, t.cols * t.cell_w, t.rows * t.cell_h);
    if (sized < 0) {
        vga_show_nothing(c, d);
        return;
    }
    full |= sized;
    full |= c->kind != VGA_PIC_TEXT || c->cols != t.cols || c->rows != t.rows ||
            s->font_written;
    for (uint32_t row = 0; row < t.rows; row++)
        for (uint32_t col = 0; col < t.cols; col++) {
            int64_t i = (int64_t)row * t.cols + col;
            uint32_t cell = vga_text_cell(s, &t, row, col);
            bool cursor = i == t.cursor_cell;
            if (!full && c->cells[i] == cell && !cursor && i != c->cursor_cell)
                continue;
            vga_draw_cell(s, &t, p, d, row, col, cell, cursor);
            c->cells[i] = cell;
        }
    c->cols = t.cols;
    c->rows = t.rows;
    c->cursor_cell = t.cursor_cell;
    c->kind = VGA_PIC_TEXT;
}

/* ---- VGA graphics ----------------------------------------------------- */

struct vga_gfx {
    uint32_t width, height;   /* dots */
    uint32_t scan_repeat;     /* lines drawn per line of memory */
    uint32_t start, pitch;    /* bytes of VRAM */
    unsigned shift;           /* GR5 bits 5-6: 0 planar, 1 CGA, 2 256-colour */
    bool dot_double;
    bool cga_interleave;      /* CR17 bit 0 clear: odd lines from +8 KiB */
};

static void vga_gfx_geometry(const struct vga_state *s, struct vga_gfx *g)
{
    g->width = ((uint32_t)s->cr[0x01] + 1) * 8;
    g->height = vga_vertical_lines(s);
    g->scan_repeat = ((s->cr[0x09] & 0x1fu) + 1) << (s->cr[0x09] >> 7);
    g->start = vga_start_address(s) * 4;
    g->pitch = (uint32_t)s->cr[0x13] * 8;
    g->shift = (s->gr[0x05] >> 5) & 3;
    g->dot_double = s->sr[0x01] & 0x08;
    g->cga_interleave = !(s->cr[0x17] & 0x01);
}

static uint32_t vga_gfx_line_offset(const struct vga_gfx *g, uint32_t y)
{
    uint32_t line = y / g->scan_repeat;
    uint32_t off = g->start + line * g->pitch;
    if (g->cga_interleave) /* plane address bit 13 from the line's bit 0 */
        off = (off & ~0x8000u) | ((line & 1u) << 15);
    return off;
}

/* Bytes of VRAM one line of this mode reads. */
static uint32_t vga_gfx_line_bytes(const struct vga_gfx *g)
{
    uint32_t dots = g->width >> g->dot_double;
    return g->shift >= 2 ? (dots + 1) / 2 : (dots + 7) / 8 * 4;
}

static unsigned vga_gfx_pixel(const struct vga_state *s, const struct vga_gfx *g,
                              const uint8_t *src, uint32_t x)
{
    if (g->shift >= 2) /* 256 colours: a byte a pixel, two dots wide */
        return src[x / 2];
    const uint8_t *word = src + (x / 8) * 4;
    unsigned bit = 7 - (x & 7);
    if (g->shift == 1) { /* CGA: 2 bits a pixel, planes 0 then 1 */
        unsigned j = x & 7;
        return (word[j >> 2] >> (6 - 2 * (j & 3))) & 3;
    }
    unsigned v = 0;
    for (unsigned plane = 0; plane < 4; plane++)
        v |= ((word[plane] >> bit) & 1u) << plane;
    return v & s->ar[0x12]; /* colour plane enable */
}

static void vga_render_gfx(struct vga_state *s, struct vga_render_cache *c,
                           struct display *d, const struct vga_palettes *p,
                           const uint64_t *dirty, bool full)
{
    struct vga_gfx g;
    vga_gfx_geometry(s, &g);
    int sized = vga_set_size(c, d, g.width, g.height);
    if (sized < 0) {
        vga_show_nothing(c, d);
        return;
    }
    full |= sized || c->kind != VGA_PIC_GRAPHICS;
    uint32_t bytes = vga_gfx_line_bytes(&g);
    const uint32_t *pal = g.shift >= 2 ? p->pal256 : p->pal16;
    for (uint32_t y = 0; y < g.height; y++) {
        uint64_t off = vga_gfx_line_offset(&g, y);
        if (!full && !vga_range_dirty(dirty, off, bytes))
            continue;
        uint32_t *px = display_row(d, y);
        if (off + bytes > s->vram_size) {
            memset(px, 0, g.width * sizeof(uint32_t));
        } else {
            for (uint32_t x = 0; x < g.width; x++)
                px[x] = pal[vga_gfx_pixel(s, &g, s->vram + off, x >> g.dot_double)];
        }
        display_mark(d, 0, y, g.width, 1);
    }
    c->kind = VGA_PIC_GRAPHICS;
}

/* ---- VBE -------------------------------------------------------------- */

static uint32_t vbe_pixel(const uint8_t *src, unsigned bpp, uint32_t x,
                          const struct vga_palettes *p)
{
    switch (bpp) {
    case 8:
        return p->pal256[src[x]];
    case 15: {
        uint32_t v = src[x * 2] | (uint32_t)src[x * 2 + 1] << 8;
        uint32_t r = (v >> 10) & 0x1f, g = (v >> 5) & 0x1f, b = v & 0x1f;
        return (r << 3 | r >> 2) << 16 | (g << 3 | g >> 2) << 8 | (b << 3 | b >> 2);
    }
    case 16: {
        uint32_t v = src[x * 2] | (uint32_t)src[x * 2 + 1] << 8;
        uint32_t r = (v >> 11) & 0x1f, g = (v >> 5) & 0x3f, b = v & 0x1f;
        return (r << 3 | r >> 2) << 16 | (g << 2 | g >> 4) << 8 | (b << 3 | b >> 2);
    }
    case 24:
        return (uint32_t)src[x * 3 + 2] << 16 | (uint32_t)src[x * 3 + 1] << 8 | src[x * 3];
    default: /* 32 */
        return (uint32_t)src[x * 4 + 2] << 16 | (uint32_t)src[x * 4 + 1] << 8 | src[x * 4];
    }
}

static void vga_render_vbe(struct vga_state *s, struct vga_render_cache *c,
                           struct display *d, const struct vga_palettes *p,
                           const uint64_t *dirty, bool full)
{
    const uint16_t *r = s->vbe_regs;
    uint32_t w = r[VBE_DISPI_INDEX_XRES], h = r[VBE_DISPI_INDEX_YRES];
    unsigned bpp = r[VBE_DISPI_INDEX_BPP];
    unsigned bytes_pp = (bpp + 7) / 8;
    bool depth_ok = bpp == 8 || bpp == 15 || bpp == 16 || bpp == 24 || bpp == 32;
    int sized = depth_ok ? vga_set_size(c, d, w, h) : -1;
    if (sized < 0) {
        vga_show_nothing(c, d);
        return;
    }
    full |= sized || c->kind != VGA_PIC_VBE;
    uint64_t line_bytes = (uint64_t)w * bytes_pp;
    for (uint32_t y = 0; y < h; y++) {
        uint64_t off = s->vbe_start + (uint64_t)y * s->vbe_line_bytes;
        if (!full && !vga_range_dirty(dirty, off, line_bytes))
            continue;
        uint32_t *px = display_row(d, y);
        if (off + line_bytes > s->vram_size) {
            memset(px, 0, w * sizeof(uint32_t));
        } else {
            const uint8_t *src = s->vram + off;
            for (uint32_t x = 0; x < w; x++)
                px[x] = vbe_pixel(src, bpp, x, p);
        }
        display_mark(d, 0, y, w, 1);
    }
    c->kind = VGA_PIC_VBE;
}

/* ---- the frame -------------------------------------------------------- */

void vga_render(struct vga_state *s, struct vga_render_cache *c,
                struct display *d, const uint64_t *lfb_dirty)
{
    uint64_t dirty[VGA_VRAM_PAGES / 64];
    for (size_t i = 0; i < VGA_VRAM_PAGES / 64; i++)
        dirty[i] = s->dirty_pages[i] | (lfb_dirty ? lfb_dirty[i] : 0);
    memset(s->dirty_pages, 0, sizeof(s->dirty_pages));
    bool full = s->redraw_all;
    s->redraw_all = false;

    struct vga_palettes p;
    vga_make_palettes(s, &p);
    if (!(s->ar_index & 0x20)) { /* palette address source clear: blanked */
        vga_draw_black(c, d, VGA_PIC_BLANK);
        c->kind = VGA_PIC_BLANK;
    } else if (vbe_enabled(s)) {
        vga_render_vbe(s, c, d, &p, dirty, full);
    } else if (!(s->gr[0x06] & 0x01)) {
        vga_render_text(s, c, d, &p, full);
    } else {
        vga_render_gfx(s, c, d, &p, dirty, full);
    }
    s->font_written = false;
}
