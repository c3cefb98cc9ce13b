/* acpi_loader: the ACPI tables of a firmware-booted guest, handed to
 * SeaBIOS through fw_cfg the way QEMU does it (its "BIOS linker/loader").
 *
 * Under direct kernel boot the VMM writes the tables into guest RAM itself
 * (acpi.c at ACPI_REGION_GPA).  Under SeaBIOS that region is the BIOS's
 * own, so the tables travel as two fw_cfg files instead: etc/acpi/tables
 * (XSDT, FADT, FACS, DSDT, MADT, built as if at address 0) and
 * etc/acpi/rsdp, plus etc/table-loader, a script of 128-byte commands that
 * SeaBIOS runs: allocate each file (the tables in high memory, the RSDP in
 * the F segment where the guest's OS scans for it), add the address the
 * tables got to every pointer, and fix the checksums the pointers changed.
 * SeaBIOS then uses our tables instead of building its own (which would
 * describe QEMU's devices and PCI routing, not ours); OVMF runs the same
 * script and installs the tables it finds behind the pointers.
 *
 * Pure logic except acpi_loader_add_files. */
#ifndef CORRAL_ACPI_LOADER_H
#define CORRAL_ACPI_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "acpi.h"
#include "fw_cfg.h"

#define ACPI_LOADER_FILE_TABLES "etc/acpi/tables"
#define ACPI_LOADER_FILE_RSDP "etc/acpi/rsdp"
#define ACPI_LOADER_FILE_SCRIPT "etc/table-loader"

/* The command format (SeaBIOS src/fw/romfile_loader.h), little endian. */
#define ACPI_LOADER_ENTRY_SIZE 128
#define ACPI_LOADER_NAME_SIZE 56
#define ACPI_LOADER_ALLOCATE 1
#define ACPI_LOADER_ADD_POINTER 2
#define ACPI_LOADER_ADD_CHECKSUM 3
#define ACPI_LOADER_ZONE_HIGH 1
#define ACPI_LOADER_ZONE_FSEG 2

#define ACPI_LOADER_TABLES_MAX 0x4000
#define ACPI_LOADER_MAX_ENTRIES 16

struct acpi_loader {
    uint8_t tables[ACPI_LOADER_TABLES_MAX];
    size_t tables_len;
    uint8_t rsdp[ACPI_RSDP_LEN];
    uint8_t script[ACPI_LOADER_MAX_ENTRIES * ACPI_LOADER_ENTRY_SIZE];
    size_t script_len;
};

/* Builds the two files and the script; -EINVAL when the configuration is
 * invalid or the tables do not fit. */
int acpi_loader_build(struct acpi_loader *l, const struct acpi_config *cfg);

/* Adds the three files to fw (fw_cfg_add_file's errors). */
int acpi_loader_add_files(struct fw_cfg *fw, const struct acpi_loader *l);

#endif
