/* Unit tests: the VGA/Bochs VBE registers, VGA memory semantics and
 * rendering (hypervisor/vmm/vga_regs.c, vga_mem.c, vga_render.c). */
#include "check.h"

#include <stdlib.h>
#include <string.h>

#include "../../hypervisor/vmm/display.h"
#include "../../hypervisor/vmm/vga_regs.h"
#include "../../hypervisor/vmm/vga_render.h"

static struct vga_state st;
static struct vga_render_cache cache;
static struct display disp;
static uint8_t *vram;

static void setup(void)
{
    if (!vram)
        vram = malloc(VGA_VRAM_SIZE);
    memset(vram, 0, VGA_VRAM_SIZE);
    vga_state_init(&st, vram, VGA_VRAM_SIZE);
    vga_render_cache_destroy(&cache);
    vga_render_cache_init(&cache);
    display_destroy(&disp);
    display_init(&disp);
}

static void render(const uint64_t *lfb_dirty)
{
    display_begin(&disp);
    vga_render(&st, &cache, &disp, lfb_dirty);
    display_end(&disp);
}

static uint32_t pixel(uint32_t x, uint32_t y)
{
    return display_row(&disp, y)[x];
}

static void reg(uint32_t index_port, uint8_t index, uint8_t val)
{
    vga_port_write(&st, index_port, index);
    vga_port_write(&st, index_port + 1, val);
}

static void attr(uint8_t index, uint8_t val)
{
    vga_port_read(&st, VGA_IS1_RC); /* reset the flip-flop */
    vga_port_write(&st, VGA_ATT_W, index);
    vga_port_write(&st, VGA_ATT_W, val);
    vga_port_write(&st, VGA_ATT_W, 0x20); /* picture on again */
}

static void dispi(uint16_t index, uint16_t val)
{
    vbe_dispi_write(&st, index, val);
}

static void test_dispi_ids_and_memory(void)
{
    setup();
    CHECK_EQ_INT(vbe_dispi_read(&st, VBE_DISPI_INDEX_ID), VBE_DISPI_ID5);
    for (uint16_t id = VBE_DISPI_ID0; id <= VBE_DISPI_ID5; id++) {
        dispi(VBE_DISPI_INDEX_ID, id);
        CHECK_EQ_INT(vbe_dispi_read(&st, VBE_DISPI_INDEX_ID), id);
    }
    dispi(VBE_DISPI_INDEX_ID, 0x1234); /* not an ID: ignored */
    CHECK_EQ_INT(vbe_dispi_read(&st, VBE_DISPI_INDEX_ID), VBE_DISPI_ID5);
    CHECK_EQ_INT(vbe_dispi_read(&st, VBE_DISPI_INDEX_VIDEO_MEMORY_64K), 256);
    dispi(VBE_DISPI_INDEX_ENABLE, VBE_DISPI_GETCAPS);
    CHECK_EQ_INT(vbe_dispi_read(&st, VBE_DISPI_INDEX_XRES), DISPLAY_MAX_WIDTH);
    CHECK_EQ_INT(vbe_dispi_read(&st, VBE_DISPI_INDEX_YRES), DISPLAY_MAX_HEIGHT);
    CHECK_EQ_INT(vbe_dispi_read(&st, VBE_DISPI_INDEX_BPP), 32);
    CHECK_EQ_INT(vbe_dispi_read(&st, 0x7777), 0);
}

static void vbe_mode(uint16_t w, uint16_t h, uint16_t bpp)
{
    dispi(VBE_DISPI_INDEX_ENABLE, 0);
    dispi(VBE_DISPI_INDEX_XRES, w);
    dispi(VBE_DISPI_INDEX_YRES, h);
    dispi(VBE_DISPI_INDEX_BPP, bpp);
    dispi(VBE_DISPI_INDEX_ENABLE, VBE_DISPI_ENABLED | VBE_DISPI_LFB_ENABLED);
}

static void test_vbe_mode_1920x1080x32_renders_and_tracks_dirty_pages(void)
{
    setup();
    vbe_mode(1920, 1080, 32);
    CHECK(vbe_enabled(&st));
    uint32_t *fb = (uint32_t *)vram;
    fb[10 * 1920 + 5] = 0x00112233;
    render(NULL);
    CHECK_EQ_INT(disp.width, 1920);
    CHECK_EQ_INT(disp.height, 1080);
    CHECK_EQ_INT(pixel(5, 10), 0x112233);
    CHECK_EQ_INT(pixel(6, 10), 0);

    /* The guest writes two rows through the LFB; only one page is logged
     * dirty: only that row is drawn again. */
    uint64_t gen = disp.generation;
    fb[100 * 1920 + 1] = 0x00abcdef;
    fb[900 * 1920 + 1] = 0x00fedcba;
    uint64_t dirty[VGA_VRAM_PAGES / 64] = { 0 };
    uint32_t page = (uint32_t)((100 * 1920 + 1) * 4 / 4096);
    dirty[page / 64] |= 1ULL << (page % 64);
    render(dirty);
    CHECK_EQ_INT(pixel(1, 100), 0xabcdef);
    CHECK_EQ_INT(pixel(1, 900), 0); /* not logged: not drawn */
    CHECK(display_tile_newer(&disp, 0, 100 / DISPLAY_TILE, gen));
    CHECK(!display_tile_newer(&disp, 0, 900 / DISPLAY_TILE, gen));
    /* Nothing dirty: nothing changes. */
    gen = disp.generation;
    render(NULL);
    CHECK_EQ_INT(disp.generation, gen);
}

static void test_vbe_depths_and_offsets(void)
{
    setup();
    vbe_mode(64, 32, 16);
    uint16_t *fb16 = (uint16_t *)vram;
    fb16[1] = 0xf800; /* red in 5:6:5 */
    render(NULL);
    CHECK_EQ_INT(pixel(1, 0), 0xff0000);
    vbe_mode(64, 32, 15);
    fb16[2] = 0x03e0; /* green in 5:5:5 */
    render(NULL);
    CHECK_EQ_INT(pixel(2, 0), 0x00ff00);
    vbe_mode(64, 32, 24);
    vram[3 * 3] = 0xff; /* blue */
    render(NULL);
    CHECK_EQ_INT(pixel(3, 0), 0x0000ff);
    vbe_mode(64, 32, 8);
    vga_port_write(&st, VGA_PEL_IW, 7);
    vga_port_write(&st, VGA_PEL_D, 63);
    vga_port_write(&st, VGA_PEL_D, 0);
    vga_port_write(&st, VGA_PEL_D, 63);
    vram[4] = 7;
    render(NULL);
    CHECK_EQ_INT(pixel(4, 0), 0xff00ff);
    /* Virtual width 128 and an offset of (8, 2): the picture starts there. */
    vbe_mode(64, 32, 32);
    dispi(VBE_DISPI_INDEX_VIRT_WIDTH, 128);
    dispi(VBE_DISPI_INDEX_X_OFFSET, 8);
    dispi(VBE_DISPI_INDEX_Y_OFFSET, 2);
    ((uint32_t *)vram)[2 * 128 + 8] = 0x00445566;
    render(NULL);
    CHECK_EQ_INT(pixel(0, 0), 0x445566);
}

static void test_vbe_hostile_values_stay_inside_vram(void)
{
    setup();
    vbe_mode(0, 0, 7); /* xres 0, yres 0, bpp 7 */
    CHECK_EQ_INT(vbe_dispi_read(&st, VBE_DISPI_INDEX_BPP), 8);
    CHECK_EQ_INT(vbe_dispi_read(&st, VBE_DISPI_INDEX_XRES), 8);
    CHECK_EQ_INT(vbe_dispi_read(&st, VBE_DISPI_INDEX_YRES), 1);
    render(NULL);
    vbe_mode(2560, 1600, 32);
    dispi(VBE_DISPI_INDEX_VIRT_WIDTH, 0xffff);
    dispi(VBE_DISPI_INDEX_Y_OFFSET, 0xffff);
    dispi(VBE_DISPI_INDEX_X_OFFSET, 0xffff);
    CHECK((uint64_t)st.vbe_start + (uint64_t)vbe_dispi_read(&st, VBE_DISPI_INDEX_YRES) *
          st.vbe_line_bytes <= VGA_VRAM_SIZE);
    render(NULL); /* ASan: no read past VRAM */
    CHECK(disp.width <= DISPLAY_MAX_WIDTH && disp.height <= DISPLAY_MAX_HEIGHT);
    dispi(VBE_DISPI_INDEX_BANK, 0xffff);
    CHECK_EQ_INT(st.bank_offset, VGA_VRAM_SIZE - 0x10000);
    vga_mem_write(&st, 0xffff, 0x5a); /* the window's last byte: VRAM's last */
    CHECK_EQ_INT(vram[VGA_VRAM_SIZE - 1], 0x5a);
}

/* Load one glyph the way a VGA BIOS does: plane 2 alone, sequential. */
static void load_glyph(uint8_t ch, const uint8_t rows[16])
{
    reg(VGA_SEQ_I, 2, 0x04);
    reg(VGA_SEQ_I, 4, 0x07);
    reg(VGA_GFX_I, 4, 0x02);
    reg(VGA_GFX_I, 5, 0x00);
    reg(VGA_GFX_I, 6, 0x04);
    for (unsigned r = 0; r < 16; r++)
        vga_mem_write(&st, ch * 32u + r, rows[r]);
    reg(VGA_SEQ_I, 2, 0x03);
    reg(VGA_SEQ_I, 4, 0x02);
    reg(VGA_GFX_I, 4, 0x00);
    reg(VGA_GFX_I, 5, 0x10);
    reg(VGA_GFX_I, 6, 0x0e);
}

static const uint8_t glyph_a[16] = { 0, 0, 0x10, 0x38, 0x6c, 0xc6, 0xc6, 0xfe,
                                     0xc6, 0xc6, 0xc6, 0xc6, 0, 0, 0, 0 };

static void test_text_glyph_renders_through_vga_memory(void)
{
    setup();
    load_glyph('A', glyph_a);
    reg(VGA_CRT_IC, 0x0a, 0x20);           /* no cursor over the glyph */
    vga_mem_write(&st, 0x18000, 'A');      /* B8000: character */
    vga_mem_write(&st, 0x18001, 0x1f);     /* white on blue */
    CHECK_EQ_INT(vga_mem_read(&st, 0x18000), 'A');
    CHECK_EQ_INT(vga_mem_read(&st, 0x18001), 0x1f);
    render(NULL);
    CHECK_EQ_INT(disp.width, 720);
    CHECK_EQ_INT(disp.height, 400);
    for (unsigned r = 0; r < 16; r++)
        for (unsigned x = 0; x < 9; x++) {
            bool on = x < 8 && ((glyph_a[r] >> (7 - x)) & 1);
            CHECK_EQ_INT(pixel(x, r), on ? 0xffffff : 0x0000aa);
        }
    /* The next cell is blank (character 0, black). */
    CHECK_EQ_INT(pixel(9 + 4, 7), 0);
}

static void test_text_redraws_only_changed_cells_and_the_cursor(void)
{
    setup();
    load_glyph('A', glyph_a);
    reg(VGA_CRT_IC, 0x0a, 0x20); /* cursor off */
    render(NULL);
    uint64_t gen = disp.generation;
    vga_mem_write(&st, 0x18000 + 2 * (80 * 10 + 40), 'A');
    vga_mem_write(&st, 0x18000 + 2 * (80 * 10 + 40) + 1, 0x07);
    render(NULL);
    CHECK(display_tile_newer(&disp, 40 * 9 / 16, 10 * 16 / 16, gen));
    CHECK(!display_tile_newer(&disp, 0, 0, gen));
    CHECK_EQ_INT(pixel(40 * 9 + 2, 10 * 16 + 7), 0xaaaaaa);
    /* The cursor at cell (0, 2), lines 14-15, in the cell's colour. */
    reg(VGA_CRT_IC, 0x0a, 14);
    reg(VGA_CRT_IC, 0x0b, 15);
    reg(VGA_CRT_IC, 0x0e, 0);
    reg(VGA_CRT_IC, 0x0f, 2);
    vga_mem_write(&st, 0x18005, 0x07);
    render(NULL);
    CHECK_EQ_INT(pixel(2 * 9 + 3, 15), 0xaaaaaa);
    CHECK_EQ_INT(pixel(2 * 9 + 3, 13), 0);
}

static void test_text_hostile_geometry_and_font_offset(void)
{
    setup();
    reg(VGA_SEQ_I, 3, 0x3f);      /* font maps at the top of plane 2 */
    reg(VGA_CRT_IC, 0x11, 0x00);  /* unprotect CR0-7 */
    reg(VGA_CRT_IC, 0x01, 0xff);  /* 256 columns */
    reg(VGA_CRT_IC, 0x09, 0x00);  /* 1-line cells */
    reg(VGA_CRT_IC, 0x12, 0xff);
    reg(VGA_CRT_IC, 0x07, 0x42);  /* 1024 lines */
    reg(VGA_CRT_IC, 0x0c, 0xff);  /* start address 0xffff */
    reg(VGA_CRT_IC, 0x0d, 0xff);
    reg(VGA_CRT_IC, 0x13, 0xff);
    memset(vram, 0xff, 1 << 18);
    render(NULL);
    CHECK(disp.width > 0 && disp.width <= DISPLAY_MAX_WIDTH);
    CHECK(disp.height > 0 && disp.height <= DISPLAY_MAX_HEIGHT);
    reg(VGA_CRT_IC, 0x01, 0x00);  /* 1 column, 0 rows of 32 lines */
    reg(VGA_CRT_IC, 0x09, 0x1f);
    reg(VGA_CRT_IC, 0x12, 0x00);
    reg(VGA_CRT_IC, 0x07, 0x00);
    render(NULL);                 /* shows nothing, keeps the old size */
    CHECK(disp.width > 0);
}

static void mode13h(void)
{
    static const uint8_t sr[5] = { 0x03, 0x01, 0x0f, 0x00, 0x0e };
    static const uint8_t cr[25] = { 0x5f, 0x4f, 0x50, 0x82, 0x54, 0x80, 0xbf, 0x1f,
                                    0x00, 0x41, 0, 0, 0, 0, 0, 0, 0x9c, 0x0e, 0x8f,
                                    0x28, 0x40, 0x96, 0xb9, 0xa3, 0xff };
    static const uint8_t gr[9] = { 0, 0, 0, 0, 0, 0x40, 0x05, 0x0f, 0xff };
    vga_port_write(&st, VGA_MIS_W, 0x63);
    for (uint8_t i = 0; i < 5; i++)
        reg(VGA_SEQ_I, i, sr[i]);
    reg(VGA_CRT_IC, 0x11, 0x0e);
    for (uint8_t i = 0; i < 25; i++)
        reg(VGA_CRT_IC, i, cr[i]);
    for (uint8_t i = 0; i < 9; i++)
        reg(VGA_GFX_I, i, gr[i]);
    for (uint8_t i = 0; i < 16; i++)
        attr(i, i);
    attr(0x10, 0x41);
}

static void test_mode13h_pixel(void)
{
    setup();
    mode13h();
    vga_port_write(&st, VGA_PEL_IW, 4);
    vga_port_write(&st, VGA_PEL_D, 63);
    vga_port_write(&st, VGA_PEL_D, 32);
    vga_port_write(&st, VGA_PEL_D, 0);
    vga_mem_write(&st, 5 * 320 + 10, 4);
    CHECK_EQ_INT(vga_mem_read(&st, 5 * 320 + 10), 4);
    render(NULL);
    CHECK_EQ_INT(disp.width, 640);
    CHECK_EQ_INT(disp.height, 400);
    uint32_t orange = 0xff8200;
    CHECK_EQ_INT(pixel(20, 10), orange);
    CHECK_EQ_INT(pixel(21, 11), orange);
    CHECK_EQ_INT(pixel(22, 10), 0);
    CHECK_EQ_INT(pixel(20, 12), 0);
}

static void mode12h(void)
{
    mode13h();
    reg(VGA_SEQ_I, 4, 0x06);      /* planar */
    reg(VGA_GFX_I, 5, 0x00);
    reg(VGA_CRT_IC, 0x09, 0x40);
    reg(VGA_CRT_IC, 0x12, 0xdf);  /* 480 lines */
    reg(VGA_CRT_IC, 0x07, 0x3e);
    reg(VGA_CRT_IC, 0x14, 0x00);
    reg(VGA_CRT_IC, 0x17, 0xe3);
    attr(0x10, 0x01);
    attr(0x12, 0x0f);
}

static void test_planar_write_and_read_modes(void)
{
    setup();
    mode12h();
    /* Write mode 2: colour 0x0a into the leftmost pixel (bit mask 0x80). */
    reg(VGA_GFX_I, 5, 0x02);
    reg(VGA_GFX_I, 8, 0x80);
    vga_mem_read(&st, 0);         /* load the latches */
    vga_mem_write(&st, 0, 0x0a);
    CHECK_EQ_INT(vram[0], 0x00);
    CHECK_EQ_INT(vram[1], 0x80);
    CHECK_EQ_INT(vram[2], 0x00);
    CHECK_EQ_INT(vram[3], 0x80);
    /* Read mode 1: which pixels have colour 0x0a? */
    reg(VGA_GFX_I, 5, 0x08);
    reg(VGA_GFX_I, 2, 0x0a);
    reg(VGA_GFX_I, 7, 0x0f);
    CHECK_EQ_INT(vga_mem_read(&st, 0), 0x80);
    /* Read mode 0, plane 3. */
    reg(VGA_GFX_I, 5, 0x00);
    reg(VGA_GFX_I, 4, 3);
    CHECK_EQ_INT(vga_mem_read(&st, 0), 0x80);
    /* Write mode 1 copies the latches to another address. */
    reg(VGA_GFX_I, 5, 0x01);
    vga_mem_write(&st, 80, 0);
    CHECK_EQ_INT(vram[80 * 4 + 1], 0x80);
    /* Write mode 0 with set/reset on plane 0 and XOR with the latches. */
    reg(VGA_GFX_I, 5, 0x00);
    reg(VGA_GFX_I, 0, 0x01);
    reg(VGA_GFX_I, 1, 0x01);
    reg(VGA_GFX_I, 3, 0x18);      /* XOR */
    reg(VGA_GFX_I, 8, 0xff);
    vga_mem_read(&st, 0);
    vga_mem_write(&st, 0, 0x00);
    CHECK_EQ_INT(vram[0], 0xff);  /* set/reset 1 xor latch 0 */
    CHECK_EQ_INT(vram[1], 0x80);  /* data 0 xor latch 0x80 */
    reg(VGA_GFX_I, 3, 0x00);
    reg(VGA_GFX_I, 1, 0x00);
    /* Write mode 3: the rotated data masks the bit mask; colour from set/reset. */
    reg(VGA_GFX_I, 5, 0x03);
    reg(VGA_GFX_I, 0, 0x0c);
    vga_mem_read(&st, 1);
    vga_mem_write(&st, 1, 0x0f);
    CHECK_EQ_INT(vram[4 + 2], 0x0f);
    CHECK_EQ_INT(vram[4 + 3], 0x0f);
    CHECK_EQ_INT(vram[4 + 0], 0x00);
    /* The map mask keeps plane 3 out. */
    reg(VGA_GFX_I, 5, 0x02);
    reg(VGA_SEQ_I, 2, 0x07);
    vga_mem_read(&st, 2);
    vga_mem_write(&st, 2, 0x0f);
    CHECK_EQ_INT(vram[8 + 2], 0xff);
    CHECK_EQ_INT(vram[8 + 3], 0x00);
    reg(VGA_SEQ_I, 2, 0x0f);
    /* Rendered: pixel 0 has planes 0, 1 and 3 set: colour 0x0b, through
     * the identity attribute palette to DAC entry 0x0b (EGA: 2/3 green,
     * 2/3 + 1/3 blue); pixel 12 has planes 2 and 3: DAC entry 0x0c. */
    render(NULL);
    CHECK_EQ_INT(disp.width, 640);
    CHECK_EQ_INT(disp.height, 480);
    CHECK_EQ_INT(pixel(0, 0), 0x00aaff);
    CHECK_EQ_INT(pixel(8 + 4, 0), 0xaa0055);
    CHECK_EQ_INT(pixel(8 + 0, 0), 0);
}

static void test_memory_map_select_and_odd_even(void)
{
    setup();
    /* Mode 3: B8000, 32 KiB.  A0000 is not decoded. */
    vga_mem_write(&st, 0x0000, 0x12);
    CHECK_EQ_INT(vga_mem_read(&st, 0x0000), 0xff);
    vga_mem_write(&st, 0x18003, 0x34);    /* odd: plane 1, plane address 1 */
    CHECK_EQ_INT(vram[1 * 4 + 1], 0x34);
    reg(VGA_GFX_I, 6, 0x0a);              /* B0000 */
    CHECK_EQ_INT(vga_mem_read(&st, 0x18003), 0xff);
    CHECK_EQ_INT(vga_mem_read(&st, 0x10003), 0x34);
}

static void test_ports_dac_crtc_and_attribute(void)
{
    setup();
    vga_port_write(&st, VGA_PEL_IW, 200);
    vga_port_write(&st, VGA_PEL_D, 1);
    vga_port_write(&st, VGA_PEL_D, 2);
    vga_port_write(&st, VGA_PEL_D, 3);
    CHECK_EQ_INT(vga_port_read(&st, VGA_PEL_IW), 201);
    vga_port_write(&st, VGA_PEL_IR, 200);
    CHECK_EQ_INT(vga_port_read(&st, VGA_PEL_D), 1);
    CHECK_EQ_INT(vga_port_read(&st, VGA_PEL_D), 2);
    CHECK_EQ_INT(vga_port_read(&st, VGA_PEL_D), 3);
    /* CR0-7 protected by CR11 bit 7 (mode 3 sets it), except CR7 bit 4. */
    reg(VGA_CRT_IC, 0x01, 0x10);
    CHECK_EQ_INT(st.cr[1], 0x4f);
    reg(VGA_CRT_IC, 0x07, 0x10);
    CHECK_EQ_INT(st.cr[7], 0x1f);
    /* The colour CRTC ports are off in mono mode; the 3Bx ones answer. */
    vga_port_write(&st, VGA_MIS_W, 0x66);
    CHECK_EQ_INT(vga_port_read(&st, VGA_CRT_IC), 0xff);
    vga_mono_port_write(&st, 4, 0x0e);
    vga_mono_port_write(&st, 5, 0x07);
    CHECK_EQ_INT(vga_mono_port_read(&st, 5), 0x07);
    vga_port_write(&st, VGA_MIS_W, 0x67);
    /* The attribute flip-flop: index, then data; status 1 resets it. */
    vga_port_read(&st, VGA_IS1_RC);
    vga_port_write(&st, VGA_ATT_W, 0x21);
    vga_port_write(&st, VGA_ATT_W, 0x3f);
    CHECK_EQ_INT(vga_port_read(&st, VGA_ATT_R), 0x3f);
    CHECK_EQ_INT(vga_port_read(&st, VGA_ATT_W), 0x21);
}

static void test_blanked_screen_is_black(void)
{
    setup();
    vbe_mode(64, 32, 32);
    memset(vram, 0xff, 64 * 32 * 4);
    render(NULL);
    CHECK_EQ_INT(pixel(3, 3), 0xffffff);
    vga_port_read(&st, VGA_IS1_RC);
    vga_port_write(&st, VGA_ATT_W, 0x00); /* bochs-drm's blank */
    render(NULL);
    CHECK_EQ_INT(pixel(3, 3), 0);
    vga_port_write(&st, VGA_ATT_W, 0x20); /* that was a data write; index now */
    vga_port_write(&st, VGA_ATT_W, 0x20);
    render(NULL);
    CHECK_EQ_INT(pixel(3, 3), 0xffffff);
}

int main(void)
{
    RUN(test_dispi_ids_and_memory);
    RUN(test_vbe_mode_1920x1080x32_renders_and_tracks_dirty_pages);
    RUN(test_vbe_depths_and_offsets);
    RUN(test_vbe_hostile_values_stay_inside_vram);
    RUN(test_text_glyph_renders_through_vga_memory);
    RUN(test_text_redraws_only_changed_cells_and_the_cursor);
    RUN(test_text_hostile_geometry_and_font_offset);
    RUN(test_mode13h_pixel);
    RUN(test_planar_write_and_read_modes);
    RUN(test_memory_map_select_and_odd_even);
    RUN(test_ports_dac_crtc_and_attribute);
    RUN(test_blanked_screen_is_black);
    vga_render_cache_destroy(&cache);
    display_destroy(&disp);
    free(vram);
    return check_summary("vga");
}
