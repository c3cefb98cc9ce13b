/* pflash: a CFI parallel flash with the Intel/Sharp command set, as the
 * PC's firmware flash that OVMF keeps its UEFI variables in (QEMU's
 * pflash_cfi01, one x8 device).  This file is the pure logic: a state
 * machine over a byte array; pflash_dev.h puts it on the bus, behind a
 * file and a KVM memory slot.
 *
 * Commands (the first byte a guest writes anywhere in the array):
 *   0xff, 0x00, 0xf0  read array (reads return the array again)
 *   0x70              read status register
 *   0x50              clear status, then read array
 *   0x10, 0x40        program: the next write stores its bytes
 *   0x20 then 0xd0    erase the block the 0xd0 is written in (to 0xff)
 *   0x60 then 0x01/0xd0/0x2f  block (un)lock: accepted, nothing is locked
 *   0x90              read identifier (manufacturer, device, lock state)
 *   0x98              CFI query (the "QRY" table)
 * After a program or an erase the device stays in status mode (reads
 * return the status, 0x80 "ready") until the guest writes the next
 * command, as on the real part; OVMF writes 0xff after its programs and
 * nothing after an erase.  A bad second cycle (0x20 not followed by 0xd0)
 * sets the status's sequence error bits (0x30).  An unknown command
 * leaves the device reading the array.
 *
 * OVMF's QemuFlashDetected() tells flash from RAM and ROM by this
 * sequence at a byte that is not 0x00/0x50/0x70: write 0x50 and read back
 * the old byte; write 0x70 and read 0x00 (the cleared status); program
 * the old byte and read the status without the program error bit 0x10.
 *
 * Program stores the guest's bytes as they are (as QEMU does), not the
 * real part's AND of old and new: OVMF is written against QEMU.
 *
 * Reads in read-array mode ("romd": read as ROM) may be served from the
 * array without asking this module: the caller maps the array as a
 * read-only memory slot while pflash_romd() holds and traps every access
 * otherwise.  pflash_write() says when that changed. */
#ifndef CORRAL_PFLASH_H
#define CORRAL_PFLASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PFLASH_BLOCK_SIZE 0x1000u /* OVMF's erase block (its FV block map) */

#define PFLASH_CMD_READ_ARRAY   0xff
#define PFLASH_CMD_READ_ARRAY0  0x00 /* QEMU's and older parts' alias */
#define PFLASH_CMD_AMD_RESET    0xf0 /* an AMD-style probe: read array */
#define PFLASH_CMD_PROGRAM      0x10
#define PFLASH_CMD_PROGRAM_ALT  0x40
#define PFLASH_CMD_ERASE        0x20
#define PFLASH_CMD_ERASE_CONFIRM 0xd0
#define PFLASH_CMD_CLEAR_STATUS 0x50
#define PFLASH_CMD_LOCK_SETUP   0x60
#define PFLASH_CMD_READ_STATUS  0x70
#define PFLASH_CMD_READ_ID      0x90
#define PFLASH_CMD_CFI_QUERY    0x98

#define PFLASH_STATUS_READY        0x80
#define PFLASH_STATUS_ERASE_ERROR  0x20
#define PFLASH_STATUS_PROGRAM_ERROR 0x10

#define PFLASH_ID_MANUFACTURER 0x89 /* Intel */
#define PFLASH_ID_DEVICE       0x18 /* 28F128J3 class, as any x8 part */

#define PFLASH_CFI_TABLE_LEN 0x40

enum pflash_mode {
    PFLASH_MODE_ARRAY,   /* reads return the array */
    PFLASH_MODE_STATUS,  /* reads return the status register */
    PFLASH_MODE_ID,      /* reads return the identifier codes */
    PFLASH_MODE_CFI,     /* reads return the CFI query table */
};

struct pflash {
    uint8_t *array;
    uint64_t size;       /* a multiple of block_size */
    uint32_t block_size; /* a power of two */
    enum pflash_mode mode;
    uint8_t pending;     /* a two-cycle command's first byte, or 0 */
    uint8_t status;
    uint8_t cfi[PFLASH_CFI_TABLE_LEN];
};

/* What one guest write did, for the caller to act on. */
struct pflash_effect {
    bool romd_changed;   /* pflash_romd() flipped: map or unmap the slot */
    uint64_t dirty_off;  /* array bytes [dirty_off, +dirty_len) changed */
    uint64_t dirty_len;  /* 0: none */
    bool sync;           /* an erase or a program sequence ended: make
                            the changes durable now */
};

/* 0, or -EINVAL when size is not a non-zero multiple of block_size or
 * block_size is not a power of two.  The array is the caller's. */
int pflash_init(struct pflash *f, uint8_t *array, uint64_t size,
                uint32_t block_size);
/* Whether reads return the array (they may bypass pflash_read()). */
bool pflash_romd(const struct pflash *f);
/* A guest read of len bytes at off (bytes outside the array read 0xff). */
void pflash_read(struct pflash *f, uint64_t off, uint8_t *data, uint32_t len);
/* A guest write of len bytes (1-8, little endian) at off.  Writes that
 * reach outside the array are ignored. */
struct pflash_effect pflash_write(struct pflash *f, uint64_t off,
                                  const uint8_t *data, uint32_t len);

/* Where the two images go: the code ends at 4 GiB and the variables sit
 * right below it, as OVMF expects (its PcdOvmfFdBaseAddress is 4 GiB
 * minus code + variables).  OVMF's builds are 2 MiB or 4 MiB in all, so
 * a code and variables pair that does not add up to a power of two of
 * at most PFLASH_TOTAL_MAX is a mismatch (a 2 MiB build's variables with
 * a 4 MiB build's code).  0 or -EINVAL with a reason. */
#define PFLASH_TOP 0x100000000ULL
#define PFLASH_TOTAL_MAX 0x800000ULL /* 8 MiB, as QEMU's pc machine allows */
struct pflash_layout {
    uint64_t code_base, vars_base;
};
int pflash_layout(uint64_t code_size, uint64_t vars_size,
                  struct pflash_layout *out, char *err, size_t errlen);

#endif
