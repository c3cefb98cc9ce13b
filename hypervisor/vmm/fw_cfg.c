/* fw_cfg: the firmware configuration device (see fw_cfg.h). */
#include "fw_cfg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices.h"

#define FW_CFG_DMA_SIGNATURE 0x51454d5520434647ULL /* "QEMU CFG", big endian */
#define FW_CFG_OFF_SELECTOR 0
#define FW_CFG_OFF_DATA     1
#define FW_CFG_OFF_DMA      4
#define FW_CFG_OFF_DMA_LOW  8

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static int fw_cfg_store(struct fw_cfg *fw, uint16_t key, const void *data,
                        uint32_t len)
{
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
        return -ENOMEM;
    if (len)
        memcpy(copy, data, len);
    free(fw->items[key].data);
    fw->items[key] = (struct fw_cfg_item){ .data = copy, .size = len };
    return 0;
}

/* The directory: be32 count, then per file be32 size, be16 key, be16
 * reserved and the NUL-padded name. */
static int fw_cfg_rebuild_dir(struct fw_cfg *fw)
{
    uint8_t dir[4 + FW_CFG_MAX_FILES * FW_CFG_DIR_ENTRY_SIZE];
    memset(dir, 0, sizeof(dir));
    put_be32(dir, fw->nfiles);
    for (unsigned i = 0; i < fw->nfiles; i++) {
        uint8_t *e = dir + 4 + i * FW_CFG_DIR_ENTRY_SIZE;
        put_be32(e, fw->items[FW_CFG_FILE_FIRST + i].size);
        put_be16(e + 4, (uint16_t)(FW_CFG_FILE_FIRST + i));
        memcpy(e + 8, fw->names[i], FW_CFG_NAME_MAX);
    }
    return fw_cfg_store(fw, FW_CFG_FILE_DIR, dir,
                        4 + fw->nfiles * FW_CFG_DIR_ENTRY_SIZE);
}

int fw_cfg_init(struct fw_cfg *fw, const struct guest_mem *mem)
{
    memset(fw, 0, sizeof(*fw));
    pthread_mutex_init(&fw->lock, NULL);
    fw->mem = mem;
    uint8_t id[4] = { FW_CFG_ID_TRADITIONAL | FW_CFG_ID_DMA, 0, 0, 0 };
    int rc = fw_cfg_set(fw, FW_CFG_SIGNATURE, "QEMU", 4);
    if (!rc)
        rc = fw_cfg_set(fw, FW_CFG_ID, id, sizeof(id));
    if (!rc)
        rc = fw_cfg_rebuild_dir(fw);
    return rc;
}

void fw_cfg_destroy(struct fw_cfg *fw)
{
    for (unsigned k = 0; k < FW_CFG_KEYS; k++)
        free(fw->items[k].data);
    memset(fw->items, 0, sizeof(fw->items));
    pthread_mutex_destroy(&fw->lock);
}

int fw_cfg_set(struct fw_cfg *fw, uint16_t key, const void *data, uint32_t len)
{
    if (key >= FW_CFG_FILE_FIRST || key == FW_CFG_FILE_DIR)
        return -EINVAL;
    return fw_cfg_store(fw, key, data, len);
}

int fw_cfg_add_file(struct fw_cfg *fw, const char *name, const void *data,
                    uint32_t len)
{
    size_t n = strlen(name);
    if (n == 0 || n >= FW_CFG_NAME_MAX)
        return -ENAMETOOLONG;
    for (unsigned i = 0; i < fw->nfiles; i++)
        if (strcmp(fw->names[i], name) == 0)
            return -EEXIST;
    if (fw->nfiles == FW_CFG_MAX_FILES)
        return -ENOSPC;
    uint16_t key = (uint16_t)(FW_CFG_FILE_FIRST + fw->nfiles);
    int rc = fw_cfg_store(fw, key, data, len);
    if (rc)
        return rc;
    memset(fw->names[fw->nfiles], 0, FW_CFG_NAME_MAX);
    memcpy(fw->names[fw->nfiles], name, n);
    fw->nfiles++;
    rc = fw_cfg_rebuild_dir(fw);
    return rc ? rc : key;
}

int fw_cfg_add_file_int(struct fw_cfg *fw, const char *name, uint64_t value,
                        unsigned size)
{
    if (size != 1 && size != 2 && size != 4 && size != 8)
        return -EINVAL;
    uint8_t le[8];
    for (unsigned i = 0; i < 8; i++)
        le[i] = (uint8_t)(value >> (8 * i));
    return fw_cfg_add_file(fw, name, le, size);
}

const struct fw_cfg_item *fw_cfg_item(const struct fw_cfg *fw, uint16_t key)
{
    if (key >= FW_CFG_KEYS || !fw->items[key].data)
        return NULL;
    return &fw->items[key];
}

static void fw_cfg_select(struct fw_cfg *fw, uint16_t key)
{
    fw->selector = key;
    fw->offset = 0;
}

/* Copy up to len bytes of the selected item from the current offset to
 * dst (NULL: skip them); what lies past the item's end reads as zeros. */
static void fw_cfg_read_item(struct fw_cfg *fw, uint8_t *dst, uint32_t len)
{
    const struct fw_cfg_item *it = fw_cfg_item(fw, fw->selector);
    uint32_t avail = it && fw->offset < it->size ? it->size - fw->offset : 0;
    uint32_t n = len < avail ? len : avail;
    if (dst) {
        if (n)
            memcpy(dst, it->data + fw->offset, n);
        memset(dst + n, 0, len - n);
    }
    fw->offset += n;
}

/* One DMA request; false sets the error bit. */
static bool fw_cfg_dma_run(struct fw_cfg *fw, uint32_t control, uint32_t length,
                           uint64_t addr)
{
    if (control & FW_CFG_DMA_SELECT)
        fw_cfg_select(fw, (uint16_t)(control >> 16));
    if (control & FW_CFG_DMA_READ) {
        uint8_t *dst = length ? guest_mem_ptr(fw->mem, addr, length) : NULL;
        if (length && !dst)
            return false;
        fw_cfg_read_item(fw, dst, length);
        return true;
    }
    if (control & FW_CFG_DMA_WRITE)
        return false; /* every item is read-only */
    if (control & FW_CFG_DMA_SKIP)
        fw_cfg_read_item(fw, NULL, length);
    return true;
}

/* The descriptor is read once into locals: another vCPU may change it. */
static void fw_cfg_dma(struct fw_cfg *fw, uint64_t desc_addr)
{
    uint8_t *desc = fw->mem ? guest_mem_ptr(fw->mem, desc_addr,
                                            FW_CFG_DMA_ACCESS_SIZE) : NULL;
    if (!desc)
        return; /* nowhere to report the error: the guest's problem */
    uint32_t control = get_be32(desc);
    uint32_t length = get_be32(desc + 4);
    uint64_t addr = (uint64_t)get_be32(desc + 8) << 32 | get_be32(desc + 12);
    bool ok = fw_cfg_dma_run(fw, control, length, addr);
    put_be32(desc, ok ? 0 : FW_CFG_DMA_ERROR);
}

/* The DMA register reads as the signature; it is a big-endian register,
 * so a 4-byte read at 0x514 gives the value 0x51454d55 ("QEMU"), whose
 * least significant byte comes first in data. */
static void fw_cfg_dma_read_signature(uint64_t reg_off, uint8_t *data,
                                      uint32_t len)
{
    for (uint32_t i = 0; i < len; i++) {
        uint64_t byte = reg_off + len - 1 - i; /* 0 = most significant */
        data[i] = byte < 8 ? (uint8_t)(FW_CFG_DMA_SIGNATURE >> (56 - 8 * byte)) : 0;
    }
}

static void fw_cfg_dma_write(struct fw_cfg *fw, uint64_t reg_off,
                             const uint8_t *data, uint32_t len)
{
    if (len != 4)
        return; /* only the two 32-bit halves, as firmware writes them */
    if (reg_off == 0) {
        fw->dma_high = get_be32(data);
    } else if (reg_off == 4) {
        fw_cfg_dma(fw, (uint64_t)fw->dma_high << 32 | get_be32(data));
        fw->dma_high = 0;
    }
}

void fw_cfg_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
               bool is_write)
{
    struct fw_cfg *fw = opaque;
    pthread_mutex_lock(&fw->lock);
    if (offset == FW_CFG_OFF_SELECTOR && is_write) {
        fw_cfg_select(fw, (uint16_t)(data[0] | (len > 1 ? data[1] << 8 : 0)));
    } else if (offset == FW_CFG_OFF_DATA && !is_write) {
        fw_cfg_read_item(fw, data, len);
    } else if (offset >= FW_CFG_OFF_DMA && is_write) {
        fw_cfg_dma_write(fw, offset - FW_CFG_OFF_DMA, data, len);
    } else if (offset >= FW_CFG_OFF_DMA) {
        fw_cfg_dma_read_signature(offset - FW_CFG_OFF_DMA, data, len);
    } else if (!is_write) {
        memset(data, 0xff, len);
    }
    pthread_mutex_unlock(&fw->lock);
}

/* ---- on the board (devices.h) ---------------------------------------------- */

static size_t fw_cfg_count(const struct vmdef *def)
{
    return board_boots_firmware(def);
}

/* Empty but for the signature: the machine fills it (firmware.h) once
 * every device is in place, since the boot order names their slots. */
static int fw_cfg_add(struct board *b, const struct vmdef *def, size_t index,
                      void **dev)
{
    struct fw_cfg *fw = board_alloc_device(dev, sizeof(*fw), "fw_cfg");
    if (!fw)
        return VM_EXIT_ERROR;
    int rc = fw_cfg_init(fw, &b->vm.mem);
    b->fw_cfg = fw;
    return rc ? vm_error("fw_cfg: %s", strerror(-rc)) : 0;
}

static void fw_cfg_release(void *dev)
{
    fw_cfg_destroy(dev);
    free(dev);
}

const struct device_desc fw_cfg_device = {
    .name = "fw_cfg",
    .count = fw_cfg_count,
    .add = fw_cfg_add,
    .ranges = { { BUS_PIO, FW_CFG_PORT_SELECTOR, FW_CFG_PORTS, fw_cfg_io, "fw_cfg" } },
    .destroy = fw_cfg_release,
};
