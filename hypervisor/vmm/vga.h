/* vga: the display device, a standard VGA with the Bochs VBE extensions
 * (QEMU's "-vga std"), wired to the board: PCI function 1234:1111 (class
 * 0x030000, revision 2, subsystem 1AF4:1100) with BAR0 the 16 MiB linear
 * framebuffer and BAR2 4 KiB of MMIO registers; the legacy ports
 * 0x3C0-0x3DF, 0x3B4/0x3B5/0x3BA and the DISPI ports 0x1CE/0x1CF; the
 * window 0xA0000-0xBFFFF; the VGA BIOS for SeaBIOS; and the refresh hook
 * that draws into the board's display.  The register and memory logic is
 * vga_regs.c and vga_mem.c, the drawing vga_render.c.
 *
 * VRAM is one lazily backed host mapping (MAP_NORESERVE): a guest in
 * text mode costs a few pages, not 16 MiB.  It is guest RAM in a KVM
 * memory slot at BAR0's address, with KVM's dirty log on, so that the
 * guest writes the framebuffer at memory speed and a refresh redraws only
 * the lines whose pages it wrote. */
#ifndef CORRAL_VGA_H
#define CORRAL_VGA_H

#define VGA_PCI_VENDOR 0x1234
#define VGA_PCI_DEVICE 0x1111
#define VGA_PCI_CLASS 0x030000
#define VGA_PCI_REVISION 2
#define VGA_PCI_SUBSYS_VENDOR 0x1AF4
#define VGA_PCI_SUBSYS_ID 0x1100
#define VGA_MMIO_BAR_SIZE 0x1000
/* BAR2 layout, as QEMU's stdvga (Linux's bochs-drm uses it when present) */
#define VGA_MMIO_EDID 0x000       /* 0x000-0x3FF: no EDID blob (reads 0) */
#define VGA_MMIO_PORTS 0x400      /* 0x400-0x41F: ports 0x3C0-0x3DF */
#define VGA_MMIO_DISPI 0x500      /* 0x500-0x515: DISPI registers, 16 bits */
#define VGA_MMIO_QEXT 0x600       /* 0x600 size, 0x604 framebuffer byte order */
#define VGA_QEXT_SIZE 8
#define VGA_QEXT_LITTLE_ENDIAN 0x1e1e1e1e

/* The VGA BIOS SeaBIOS runs (Debian's seabios: vgabios-stdvga.bin). */
#define VGA_DEFAULT_BIOS "/usr/share/corral/vgabios-stdvga.bin"
#define VGA_BIOS_MAX_SIZE (128u << 10)

struct device_desc;
extern const struct device_desc vga_device;

#endif
