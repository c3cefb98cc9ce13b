/* Fuzz the VGA: the input is a program of port, DISPI, legacy-window and
 * framebuffer accesses, with renders in between and at the end.  Whatever
 * the guest programs (modes, geometry, offsets, banks, fonts), nothing may
 * be read or written outside VRAM or the picture, and nothing may hang. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../hypervisor/vmm/display.h"
#include "../../hypervisor/vmm/vga_regs.h"
#include "../../hypervisor/vmm/vga_render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { OP_PORT_W, OP_PORT_R, OP_MONO_W, OP_MONO_R, OP_DISPI_W, OP_DISPI_R,
       OP_MEM_W, OP_MEM_R, OP_LFB_W, OP_RENDER, OP_COUNT };

static void render(struct vga_state *s, struct vga_render_cache *c,
                   struct display *d, const uint64_t *dirty)
{
    display_begin(d);
    vga_render(s, c, d, dirty);
    display_end(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t *vram;
    static struct display disp;
    static struct vga_render_cache cache;
    static uint64_t lfb_dirty[VGA_VRAM_PAGES / 64];
    static struct vga_state st;
    if (!vram) {
        vram = calloc(1, VGA_VRAM_SIZE);
        display_init(&disp);
        vga_render_cache_init(&cache);
    }
    vga_state_init(&st, vram, VGA_VRAM_SIZE);
    cache.kind = VGA_PIC_NONE;
    unsigned renders = 0;
    /* Each operation: kind, then 4 bytes of argument. */
    for (size_t i = 0; i + 5 <= size; i += 5) {
        const uint8_t *a = data + i + 1;
        uint32_t arg = a[0] | (uint32_t)a[1] << 8 | (uint32_t)a[2] << 16;
        switch (data[i] % OP_COUNT) {
        case OP_PORT_W: vga_port_write(&st, a[0] & 0x1f, a[1]); break;
        case OP_PORT_R: vga_port_read(&st, a[0] & 0x1f); break;
        case OP_MONO_W: vga_mono_port_write(&st, a[0] & 0xf, a[1]); break;
        case OP_MONO_R: vga_mono_port_read(&st, a[0] & 0xf); break;
        case OP_DISPI_W: vbe_dispi_write(&st, a[0], (uint16_t)(a[1] | a[2] << 8)); break;
        case OP_DISPI_R: vbe_dispi_read(&st, a[0]); break;
        case OP_MEM_W: vga_mem_write(&st, arg & (VGA_WINDOW_SIZE - 1), a[3]); break;
        case OP_MEM_R: vga_mem_read(&st, arg & (VGA_WINDOW_SIZE - 1)); break;
        case OP_LFB_W: {
            uint32_t off = (arg << 2) & (VGA_VRAM_SIZE - 1);
            vram[off] = a[3];
            lfb_dirty[off / 4096 / 64] |= 1ULL << (off / 4096 % 64);
            break;
        }
        default: /* a few renders, not one per op: the fuzzer must move */
            if (renders++ < 4) {
                render(&st, &cache, &disp, lfb_dirty);
                memset(lfb_dirty, 0, sizeof(lfb_dirty));
            }
            break;
        }
    }
    render(&st, &cache, &disp, lfb_dirty);
    memset(lfb_dirty, 0, sizeof(lfb_dirty));
    /* VRAM is shared across inputs: no state may leak into the next run
     * except memory, which any guest may leave in any state. */
    return 0;
}
