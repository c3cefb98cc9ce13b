/* fw_cfg: QEMU's firmware configuration interface, the channel SeaBIOS
 * reads its platform description through (QEMU docs/specs/fw_cfg.txt).
 *
 * Items are byte blobs under a 16-bit key: a few legacy keys (signature,
 * interface ID, CPU counts) and named files (keys from 0x20 on) listed in
 * the file directory at key 0x19.  The guest selects a key by writing it to
 * the selector port (0x510, 16 bits), then reads the item byte by byte at
 * the data port (0x511); reading past the end gives zeros, as in QEMU.  The
 * DMA interface (address of a FWCfgDmaAccess written big-endian to
 * 0x514/0x518, the low half starting the transfer) copies an item into
 * guest RAM in one exit.  Items are read-only: guest writes are refused.
 *
 * Every value the guest writes is hostile: an unknown key reads as zeros,
 * the offset saturates at the item's end, and a DMA descriptor or buffer
 * outside guest RAM fails the transfer (error bit) without touching
 * anything. */
#ifndef CORRAL_FW_CFG_H
#define CORRAL_FW_CFG_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest_mem.h"

#define FW_CFG_PORT_SELECTOR 0x510
#define FW_CFG_PORT_DATA     0x511
#define FW_CFG_PORT_DMA      0x514 /* 8 bytes: high half, then low half */
#define FW_CFG_PORTS         12    /* 0x510-0x51b */

/* Legacy keys. */
#define FW_CFG_SIGNATURE 0x00
#define FW_CFG_ID        0x01
#define FW_CFG_NB_CPUS   0x05
#define FW_CFG_BOOT_MENU 0x0e
#define FW_CFG_MAX_CPUS  0x0f
#define FW_CFG_FILE_DIR  0x19
#define FW_CFG_FILE_FIRST 0x20
#define FW_CFG_MAX_FILES 32
#define FW_CFG_KEYS      (FW_CFG_FILE_FIRST + FW_CFG_MAX_FILES)

#define FW_CFG_ID_TRADITIONAL 0x1
#define FW_CFG_ID_DMA         0x2

/* FWCfgDmaAccess.control bits. */
#define FW_CFG_DMA_ERROR  0x01
#define FW_CFG_DMA_READ   0x02
#define FW_CFG_DMA_SKIP   0x04
#define FW_CFG_DMA_SELECT 0x08
#define FW_CFG_DMA_WRITE  0x10
#define FW_CFG_DMA_ACCESS_SIZE 16 /* be32 control, be32 length, be64 address */

#define FW_CFG_NAME_MAX  56 /* name field of a directory entry, with NUL */
#define FW_CFG_DIR_ENTRY_SIZE 64

struct fw_cfg_item {
    uint8_t *data;
    uint32_t size;
};

struct fw_cfg {
    pthread_mutex_t lock;
    const struct guest_mem *mem;
    struct fw_cfg_item items[FW_CFG_KEYS];
    char names[FW_CFG_MAX_FILES][FW_CFG_NAME_MAX];
    unsigned nfiles;
    uint16_t selector;
    uint32_t offset;
    uint32_t dma_high; /* the high half of the DMA address, until the low */
};

/* An interface with the signature, ID (traditional + DMA) and an empty
 * file directory.  mem: where DMA transfers go (may be NULL in tests that
 * use only the port interface). */
int fw_cfg_init(struct fw_cfg *fw, const struct guest_mem *mem);
void fw_cfg_destroy(struct fw_cfg *fw);

/* Set a legacy key (< FW_CFG_FILE_FIRST) to a copy of len bytes. */
int fw_cfg_set(struct fw_cfg *fw, uint16_t key, const void *data, uint32_t len);
/* Add a named file (a copy of len bytes); returns its key, or -EEXIST
 * (name taken), -ENAMETOOLONG, -ENOSPC, -ENOMEM. */
int fw_cfg_add_file(struct fw_cfg *fw, const char *name, const void *data,
                    uint32_t len);
/* A little-endian integer file of size bytes (1, 2, 4 or 8), the form
 * SeaBIOS's romfile_loadint() accepts. */
int fw_cfg_add_file_int(struct fw_cfg *fw, const char *name, uint64_t value,
                        unsigned size);

/* The item behind key, or NULL when nothing is there. */
const struct fw_cfg_item *fw_cfg_item(const struct fw_cfg *fw, uint16_t key);

/* bus handler for ports 0x510-0x51b */
void fw_cfg_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
               bool is_write);

/* fw_cfg on the board (firmware boot only), for the device table (devices.h). */
struct device_desc;
extern const struct device_desc fw_cfg_device;

#endif
