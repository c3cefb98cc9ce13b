/* nvram: a VM's UEFI variables file, laid out as OVMF_VARS*.fd is: a
 * firmware volume (the PI spec's EFI_FIRMWARE_VOLUME_HEADER, file system
 * GUID EFI_SYSTEM_NV_DATA_FV_GUID) whose length is the file's, holding the
 * variable store (its header's GUID: gEfiAuthenticatedVariableGuid or
 * gEfiVariableGuid).  OVMF refuses a store it cannot parse and silently
 * falls back to variables in RAM, which would lose every boot entry; so a
 * file that does not look like this is refused up front, with the reason.
 *
 * Pure logic (checking a buffer); nvram_file.h reads, checks and copies
 * files. */
#ifndef CORRAL_NVRAM_H
#define CORRAL_NVRAM_H

#include <stddef.h>
#include <stdint.h>

/* Offsets in EFI_FIRMWARE_VOLUME_HEADER (all little endian). */
#define NVRAM_FV_GUID_OFF       16 /* FileSystemGuid */
#define NVRAM_FV_LENGTH_OFF     32 /* u64 FvLength */
#define NVRAM_FV_SIGNATURE_OFF  40 /* "_FVH" */
#define NVRAM_FV_HDRLEN_OFF     48 /* u16 HeaderLength */
#define NVRAM_FV_REVISION_OFF   55 /* u8 Revision: 2 */
#define NVRAM_FV_BLOCKMAP_OFF   56 /* {u32 NumBlocks, u32 Length}... {0, 0} */
#define NVRAM_FV_REVISION       2
/* The variable store header after the volume header: GUID, u32 Size,
 * u8 Format (0x5a: formatted), u8 State (0xfe: healthy). */
#define NVRAM_VS_SIZE_OFF       16
#define NVRAM_VS_FORMAT_OFF     20
#define NVRAM_VS_HEADER_LEN     28
#define NVRAM_VS_FORMATTED      0x5a
/* The largest file taken (QEMU's pc machine maps up to 8 MiB of flash). */
#define NVRAM_MAX_SIZE          (8u << 20)

/* 0 when buf (the whole file, len bytes) is a variables file OVMF can
 * use; else -EINVAL with the reason in err ("not a UEFI variables file:
 * ..."), the same words wherever the file is checked. */
int nvram_check(const uint8_t *buf, size_t len, char *err, size_t errlen);

#endif
