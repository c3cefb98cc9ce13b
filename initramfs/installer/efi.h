/* efi: a UEFI boot entry for the installed disk, written through efivarfs
 * where the firmware's variables are available (booted by UEFI).
 *
 * Boot#### holds an EFI_LOAD_OPTION: attributes (LOAD_OPTION_ACTIVE), the
 * length of the device path list, a UCS-2 description, and the device
 * path: a hard-drive node (partition number, start and size in LBAs, the
 * partition's GPT unique GUID) then a file-path node ("\EFI\BOOT\BOOTX64.EFI"
 * in UCS-2) and the end node.  BootOrder is a list of u16 entry numbers;
 * Corral's goes first.  In efivarfs every file starts with the variable's
 * 4-byte attributes (non-volatile, boot service and runtime access).
 *
 * The encodings are here, testable; install.c does the file work.  The
 * removable-media path works without any entry; the entry names the disk
 * so that firmware with other boot entries starts Corral first. */
#ifndef CORRAL_INSTALLER_EFI_H
#define CORRAL_INSTALLER_EFI_H

#include <stddef.h>
#include <stdint.h>

#define EFI_GLOBAL_VARIABLE_GUID "8be4df61-93ca-11d2-aa0d-00e098032b8c"
#define EFI_VARIABLE_ATTRIBUTES 0x7 /* NON_VOLATILE | BOOTSERVICE | RUNTIME */
#define EFI_BOOT_PATH "\\EFI\\BOOT\\BOOTX64.EFI"

/* Parses "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" into the byte order EFI
 * and GPT use (first three fields little-endian).  Returns 0 or -EINVAL. */
int guid_parse(const char *text, uint8_t out[16]);
/* A random (version 4) GUID's text from 16 random bytes. */
void guid_format_random(const uint8_t random[16], char out[37]);

/* Builds the EFI_LOAD_OPTION for a file on a GPT partition.  Returns its
 * length, or 0 when buf is too small or a text is not ASCII. */
size_t efi_load_option(const char *description, uint32_t partition_number,
                       uint64_t start_lba, uint64_t sectors, const uint8_t guid[16],
                       const char *path, uint8_t *buf, size_t len);

/* The description of a load option (ASCII only), for finding an entry
 * written before; "" when data is not a load option. */
void efi_load_option_description(const uint8_t *data, size_t len, char *out, size_t out_len);

/* BootOrder with number first and nowhere else.  old/old_len: the current
 * list (bytes, may be 0).  Returns the new length in bytes, or 0 when out
 * (out_len bytes) is too small. */
size_t efi_boot_order_prepend(const uint8_t *old, size_t old_len, uint16_t number,
                              uint8_t *out, size_t out_len);

#endif
