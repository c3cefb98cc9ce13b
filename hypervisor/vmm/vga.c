/* vga: the VGA/Bochs VBE device on the board (see vga.h). */
#include "vga.h"
#include "jail.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices.h"
#include "fw_cfg.h"
#include "vga_regs.h"
#include "vga_render.h"

struct vga {
    struct pci_device pci;
    struct vm *vm;
    struct display *display;
    pthread_mutex_t lock; /* the registers: vCPUs write, the refresh reads */
    struct vga_state st;
    struct vga_render_cache cache;
    uint8_t *vram;
    bool lfb_mapped;      /* VRAM is a KVM slot at BAR0 ... */
    uint64_t lfb_base;    /* ... at this address */
    uint64_t lfb_dirty[VGA_VRAM_PAGES / 64];
};

/* ---- port and MMIO handlers ------------------------------------------- */

typedef uint8_t (*vga_read_fn)(struct vga_state *s, uint32_t offset);
typedef void (*vga_write_fn)(struct vga_state *s, uint32_t offset, uint8_t val);

/* Ports and the window take bytes: a word access to an index port (outw
 * 0x3d4, 0x0e0f) is the index and then the data byte, as on ISA. */
static void vga_bytes_locked(struct vga *v, uint32_t offset, uint8_t *data,
                             uint32_t len, bool is_write, vga_read_fn rd,
                             vga_write_fn wr)
{
    for (uint32_t i = 0; i < len; i++) {
        if (is_write)
            wr(&v->st, offset + i, data[i]);
        else
            data[i] = rd(&v->st, offset + i);
    }
}

static void vga_bytes_io(struct vga *v, uint32_t offset, uint8_t *data,
                         uint32_t len, bool is_write, vga_read_fn rd,
                         vga_write_fn wr)
{
    pthread_mutex_lock(&v->lock);
    vga_bytes_locked(v, offset, data, len, is_write, rd, wr);
    pthread_mutex_unlock(&v->lock);
}

static void vga_ports_io(void *opaque, uint64_t offset, uint8_t *data,
                         uint32_t len, bool is_write)
{
    vga_bytes_io(opaque, (uint32_t)offset, data, len, is_write, vga_port_read,
                 vga_port_write);
}

/* 0x3B4-0x3BA: the mono CRTC ports and status (0x3B6-0x3B9 are nothing). */
static void vga_mono_io(void *opaque, uint64_t offset, uint8_t *data,
                        uint32_t len, bool is_write)
{
    vga_bytes_io(opaque, (uint32_t)offset + 4, data, len, is_write,
                 vga_mono_port_read, vga_mono_port_write);
}

static void vga_window_io(void *opaque, uint64_t offset, uint8_t *data,
                          uint32_t len, bool is_write)
{
    vga_bytes_io(opaque, (uint32_t)offset, data, len, is_write, vga_mem_read,
                 vga_mem_write);
}

static uint16_t vga_le16(const uint8_t *data, uint32_t len)
{
    return (uint16_t)(data[0] | (len > 1 ? data[1] << 8 : 0));
}

static void vga_put_le(uint8_t *data, uint32_t len, uint64_t value)
{
    for (uint32_t i = 0; i < len; i++)
        data[i] = (uint8_t)(value >> (8 * i));
}

/* 0x1CE: the DISPI index; 0x1CF: the selected register (16-bit ports). */
static void vga_dispi_io(void *opaque, uint64_t offset, uint8_t *data,
                         uint32_t len, bool is_write)
{
    struct vga *v = opaque;
    pthread_mutex_lock(&v->lock);
    if (offset == 0 && is_write)
        v->st.vbe_index = vga_le16(data, len);
    else if (offset == 0)
        vga_put_le(data, len, v->st.vbe_index);
    else if (is_write)
        vbe_dispi_write(&v->st, v->st.vbe_index, vga_le16(data, len));
    else
        vga_put_le(data, len, vbe_dispi_read(&v->st, v->st.vbe_index));
    pthread_mutex_unlock(&v->lock);
}

/* BAR0 through exits: only while the KVM slot is not there (a moment
 * while the BAR moves); the same bytes the slot maps. */
static void vga_lfb_io(void *opaque, uint64_t offset, uint8_t *data,
                       uint32_t len, bool is_write)
{
    struct vga *v = opaque;
    if (offset >= VGA_VRAM_SIZE || len > VGA_VRAM_SIZE - offset) {
        if (!is_write)
            memset(data, 0xff, len);
        return;
    }
    pthread_mutex_lock(&v->lock);
    if (is_write) {
        memcpy(v->vram + offset, data, len);
        vga_mark_dirty(&v->st, offset, len);
    } else {
        memcpy(data, v->vram + offset, len);
    }
    pthread_mutex_unlock(&v->lock);
}

static uint64_t vga_qext_read(uint64_t offset)
{
    if (offset == 0)
        return VGA_QEXT_SIZE;
    if (offset == 4)
        return VGA_QEXT_LITTLE_ENDIAN;
    return 0;
}

/* BAR2.  The ports take bytes; the DISPI registers are 16 bits each, so
 * a wider access covers the next register too.  The framebuffer is little
 * endian only: a guest asking for big endian keeps reading little. */
static void vga_bar2_locked(struct vga *v, uint64_t offset, uint8_t *data,
                            uint32_t len, bool is_write)
{
    if (offset >= VGA_MMIO_PORTS && offset < VGA_MMIO_PORTS + VGA_PORT_COUNT) {
        uint32_t port = (uint32_t)(offset - VGA_MMIO_PORTS);
        uint32_t n = VGA_PORT_COUNT - port < len ? VGA_PORT_COUNT - port : len;
        vga_bytes_locked(v, port, data, n, is_write, vga_port_read, vga_port_write);
    } else if (offset >= VGA_MMIO_DISPI && offset < VGA_MMIO_DISPI + 2 * VBE_DISPI_INDEX_NB) {
        uint16_t index = (uint16_t)((offset - VGA_MMIO_DISPI) / 2);
        for (uint32_t i = 0; i < len; i += 2, index++) {
            uint32_t n = len - i < 2 ? len - i : 2;
            if (is_write)
                vbe_dispi_write(&v->st, index, vga_le16(data + i, n));
            else
                vga_put_le(data + i, n, vbe_dispi_read(&v->st, index));
        }
    } else if (!is_write && offset >= VGA_MMIO_QEXT && offset < VGA_MMIO_QEXT + VGA_QEXT_SIZE) {
        vga_put_le(data, len, vga_qext_read((offset - VGA_MMIO_QEXT) & ~3ULL));
    } else if (!is_write) {
        memset(data, 0, len); /* no EDID, nothing else */
    }
}

static void vga_bar2_io(void *opaque, uint64_t offset, uint8_t *data,
                        uint32_t len, bool is_write)
{
    struct vga *v = opaque;
    pthread_mutex_lock(&v->lock);
    vga_bar2_locked(v, offset, data, len, is_write);
    pthread_mutex_unlock(&v->lock);
}

/* ---- the framebuffer slot --------------------------------------------- */

/* BAR0 went on or off the bus (firmware or the guest programming it, or
 * memory decode toggled): the KVM slot follows.  Called with the PCI bus
 * lock held, on the vCPU thread that wrote the config register. */
static void vga_bar_mapped(struct pci_device *dev, unsigned index, bool mapped,
                           uint64_t base)
{
    struct vga *v = (struct vga *)((char *)dev - offsetof(struct vga, pci));
    if (index != 0)
        return;
    pthread_mutex_lock(&v->lock);
    if (v->lfb_mapped) {
        vm_unmap_slot(v->vm, VM_SLOT_VGA_VRAM);
        v->lfb_mapped = false;
        v->st.redraw_all = true; /* the dirty log went with the slot */
    }
    if (mapped) {
        int rc = vm_map_ram_slot(v->vm, VM_SLOT_VGA_VRAM, base, VGA_VRAM_SIZE,
                                 v->vram, true);
        if (rc < 0)
            vm_error("vga: framebuffer at 0x%llx: %s (reached by exits)",
                     (unsigned long long)base, strerror(-rc));
        v->lfb_mapped = rc == 0;
        v->lfb_base = base;
    }
    pthread_mutex_unlock(&v->lock);
    vm_log(v->vm, "vga: framebuffer %s 0x%llx", mapped ? "at" : "off",
           (unsigned long long)base);
}

static const struct pci_device_ops vga_pci_ops = {
    .bar_mapped = vga_bar_mapped,
};

/* ---- the picture ------------------------------------------------------ */

/* On the reader's thread: fetch the framebuffer's dirty pages from KVM
 * (which clears them) and draw what changed. */
static void vga_refresh(void *ctx)
{
    struct vga *v = ctx;
    pthread_mutex_lock(&v->lock);
    const uint64_t *lfb_dirty = NULL;
    if (v->lfb_mapped) {
        if (vm_dirty_log(v->vm, VM_SLOT_VGA_VRAM, v->lfb_dirty) == 0)
            lfb_dirty = v->lfb_dirty;
        else
            v->st.redraw_all = true;
    }
    display_begin(v->display);
    vga_render(&v->st, &v->cache, v->display, lfb_dirty);
    display_end(v->display);
    pthread_mutex_unlock(&v->lock);
}

/* CORRAL_VMM_SCREEN_DUMP=PATH: the last picture as a binary PPM when the
 * VM ends, drawn through the same refresh as a remote console's (KVM's
 * dirty log, the renderer), so tests see what a guest left on its screen
 * without a console client. */
static void vga_dump_screen(struct vga *v, const char *path)
{
    vga_refresh(v);
    FILE *f = fopen(path, "we");
    if (!f) {
        vm_error("vga: screen dump %s: %s", path, strerror(errno));
        return;
    }
    display_lock(v->display);
    uint32_t w = v->display->width, h = v->display->height;
    fprintf(f, "P6\n%u %u\n255\n", w, h);
    for (uint32_t y = 0; y < h; y++) {
        const uint32_t *row = display_row(v->display, y);
        for (uint32_t x = 0; x < w; x++) {
            uint8_t rgb[3] = { (uint8_t)(row[x] >> 16), (uint8_t)(row[x] >> 8),
                               (uint8_t)row[x] };
            fwrite(rgb, 1, 3, f);
        }
    }
    display_unlock(v->display);
    if (fclose(f) != 0)
        vm_error("vga: screen dump %s: %s", path, strerror(errno));
}

/* ---- the VGA BIOS ----------------------------------------------------- */

/* SeaBIOS looks for a PCI device's option ROM first as the fw_cfg file
 * "pciVVVV,DDDD.rom" (optionroms.c, init_pcirom), then in its ROM BAR.
 * The fw_cfg file is what we use: it needs no expansion ROM BAR, and
 * SeaBIOS still runs it as this device's ROM, with its bus/device/function
 * in AX, which SeaVGABIOS needs to find the framebuffer in BAR0.  (A file
 * under "vgaroms/" would run with no device: the BIOS would read the
 * host bridge's BAR0.) */
static int vga_load_bios(struct board *b, const char *path)
{
    uint8_t *rom = malloc(VGA_BIOS_MAX_SIZE);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd < 0 || !rom ? -1 : read(fd, rom, VGA_BIOS_MAX_SIZE);
    int e = errno;
    if (fd >= 0)
        close(fd);
    int rc = 0;
    if (n < 0)
        rc = vm_error("vga: VGA BIOS %s: %s (Debian's seabios package has it as "
                      "vgabios-stdvga.bin; or display = none)", path, strerror(e));
    else if (n < 512 || n % 512 || rom[0] != 0x55 || rom[1] != 0xAA)
        rc = vm_error("vga: VGA BIOS %s: not an option ROM (55 AA, a multiple of "
                      "512 bytes, at most %u KiB)", path, VGA_BIOS_MAX_SIZE >> 10);
    if (!rc) {
        char name[32];
        snprintf(name, sizeof(name), "pci%04x,%04x.rom", VGA_PCI_VENDOR, VGA_PCI_DEVICE);
        int added = fw_cfg_add_file(b->fw_cfg, name, rom, (uint32_t)n);
        if (added < 0)
            rc = vm_error("vga: fw_cfg %s: %s", name, strerror(-added));
        else
            vm_log(&b->vm, "vga: VGA BIOS %s (%zd bytes) as fw_cfg %s", path, n, name);
    }
    free(rom);
    return rc;
}

/* ---- on the board (devices.h) ----------------------------------------- */

static size_t vga_count(const struct vmdef *def)
{
    return vmdef_has_display(def) ? 1 : 0;
}

static int vga_add_pci(struct board *b, struct vga *v)
{
    struct pci_device *p = &v->pci;
    pci_device_init(p, VGA_PCI_VENDOR, VGA_PCI_DEVICE, VGA_PCI_CLASS,
                    VGA_PCI_REVISION, &vga_pci_ops);
    pci_config_write(p, PCI_SUBSYSTEM_VENDOR_ID, 2, VGA_PCI_SUBSYS_VENDOR);
    pci_config_write(p, PCI_SUBSYSTEM_ID, 2, VGA_PCI_SUBSYS_ID);
    pci_config_write(p, PCI_INTERRUPT_PIN, 1, 0); /* no interrupt */
    int rc = pci_device_add_bar(p, 0, PCI_BAR_MEM32, VGA_VRAM_SIZE, vga_lfb_io,
                                v, "vga framebuffer");
    if (!rc) /* prefetchable: the bit is read-only, outside the BAR's wmask */
        pci_config_write(p, PCI_BAR0, 4, 0x8);
    if (!rc)
        rc = pci_device_add_bar(p, 2, PCI_BAR_MEM32, VGA_MMIO_BAR_SIZE,
                                vga_bar2_io, v, "vga registers");
    if (!rc)
        rc = pci_bus_add_device(&b->pci, p);
    return rc < 0 ? vm_error("vga: PCI: %s", strerror(-rc)) : 0;
}

static int vga_add(struct board *b, const struct vmdef *def, size_t index,
                   void **dev)
{
    char err[256];
    struct vga *v = board_alloc_device(dev, sizeof(*v), "vga");
    if (!v)
        return VM_EXIT_ERROR;
    v->vm = &b->vm;
    v->display = &b->display;
    pthread_mutex_init(&v->lock, NULL);
    v->vram = mmap(NULL, VGA_VRAM_SIZE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (v->vram == MAP_FAILED) {
        v->vram = NULL;
        return vm_error("vga: cannot map %u MiB of video memory", VGA_VRAM_SIZE >> 20);
    }
    vga_state_init(&v->st, v->vram, VGA_VRAM_SIZE);
    if (vga_render_cache_init(&v->cache) < 0)
        return vm_error("vga: out of memory");
    if (vm_punch_vga_hole(&b->vm, err, sizeof(err)))
        return vm_error("vga: %s", err);
    if (def->boot == VMDEF_BOOT_FIRMWARE && b->fw_cfg &&
        vga_load_bios(b, VGA_DEFAULT_BIOS))
        return VM_EXIT_ERROR;
    if (vga_add_pci(b, v))
        return VM_EXIT_ERROR;
    display_set_refresh(&b->display, vga_refresh, v);
    vm_log(&b->vm, "vga: std VGA with Bochs VBE at 00:%02x.0, %u MiB VRAM",
           v->pci.slot, VGA_VRAM_SIZE >> 20);
    return 0;
}

/* The vCPUs have stopped; the VM (its fd, the dirty log) and the display
 * are still there. */
static void vga_destroy(void *dev)
{
    struct vga *v = dev;
    /* not from a jail: it has no file system to write to */
    const char *dump = jail_active() ? NULL : getenv("CORRAL_VMM_SCREEN_DUMP");
    if (dump && *dump && v->cache.cells && v->pci.ops)
        vga_dump_screen(v, dump);
    if (v->pci.ops) /* pci_device_init ran */
        pci_device_destroy(&v->pci);
    vga_render_cache_destroy(&v->cache);
    if (v->vram)
        munmap(v->vram, VGA_VRAM_SIZE);
    pthread_mutex_destroy(&v->lock);
    free(v);
}

const struct device_desc vga_device = {
    .name = "vga",
    .count = vga_count,
    .add = vga_add,
    .ranges = {
        { BUS_PIO, VGA_PORT_BASE, VGA_PORT_COUNT, vga_ports_io, "vga" },
        { BUS_PIO, VGA_MONO_PORT_BASE + 4, 7, vga_mono_io, "vga mono" },
        { BUS_PIO, VBE_DISPI_IOPORT_INDEX, 2, vga_dispi_io, "vbe dispi" },
        { BUS_MMIO, VGA_WINDOW_BASE, VGA_WINDOW_SIZE, vga_window_io, "vga window" },
    },
    .destroy = vga_destroy,
};
