/* acpi_loader: ACPI tables through fw_cfg for SeaBIOS (see acpi_loader.h). */
#include "acpi_loader.h"

#include <errno.h>
#include <string.h>

static void put_le(uint8_t *p, uint64_t v, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* The next 128-byte command, zeroed, with its command word set; NULL when
 * the script is full (a bug: the script has a fixed length). */
static uint8_t *loader_entry(struct acpi_loader *l, uint32_t command)
{
    if (l->script_len + ACPI_LOADER_ENTRY_SIZE > sizeof(l->script))
        return NULL;
    uint8_t *e = l->script + l->script_len;
    l->script_len += ACPI_LOADER_ENTRY_SIZE;
    memset(e, 0, ACPI_LOADER_ENTRY_SIZE);
    put_le(e, command, 4);
    return e;
}

/* Names are shorter than the 56-byte field: it stays NUL-terminated. */
static int loader_allocate(struct acpi_loader *l, const char *file,
                           uint32_t align, uint8_t zone)
{
    uint8_t *e = loader_entry(l, ACPI_LOADER_ALLOCATE);
    if (!e)
        return -ENOSPC;
    memcpy(e + 4, file, strlen(file));
    put_le(e + 4 + ACPI_LOADER_NAME_SIZE, align, 4);
    e[4 + ACPI_LOADER_NAME_SIZE + 4] = zone;
    return 0;
}

/* dest_file[offset .. +size] += the address src_file was allocated at. */
static int loader_pointer(struct acpi_loader *l, const char *dest_file,
                          uint32_t offset, uint8_t size)
{
    uint8_t *e = loader_entry(l, ACPI_LOADER_ADD_POINTER);
    if (!e)
        return -ENOSPC;
    memcpy(e + 4, dest_file, strlen(dest_file));
    memcpy(e + 4 + ACPI_LOADER_NAME_SIZE, ACPI_LOADER_FILE_TABLES,
           strlen(ACPI_LOADER_FILE_TABLES));
    put_le(e + 4 + 2 * ACPI_LOADER_NAME_SIZE, offset, 4);
    e[4 + 2 * ACPI_LOADER_NAME_SIZE + 4] = size;
    return 0;
}

/* file[at] is set so that file[start .. start+len) sums to zero.  The byte
 * goes out as zero, as QEMU's do: SeaBIOS subtracts the range's sum from
 * it, which works from any value, but OVMF overwrites it with the checksum
 * of the range, the byte's own old value included, which is right only from
 * zero; and OVMF installs only tables whose checksum is right (a FADT with
 * its base-0 checksum left in was dropped, and Linux found no FADT). */
static int loader_checksum(struct acpi_loader *l, const char *file,
                           uint32_t at, uint32_t start, uint32_t len)
{
    uint8_t *e = loader_entry(l, ACPI_LOADER_ADD_CHECKSUM);
    if (!e)
        return -ENOSPC;
    uint8_t *data = strcmp(file, ACPI_LOADER_FILE_RSDP) ? l->tables : l->rsdp;
    data[at] = 0;
    memcpy(e + 4, file, strlen(file));
    put_le(e + 4 + ACPI_LOADER_NAME_SIZE, at, 4);
    put_le(e + 4 + ACPI_LOADER_NAME_SIZE + 4, start, 4);
    put_le(e + 4 + ACPI_LOADER_NAME_SIZE + 8, len, 4);
    return 0;
}

static uint32_t table_length(const struct acpi_loader *l, uint32_t at)
{
    const uint8_t *p = l->tables + at + ACPI_HEADER_LENGTH;
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/* Every pointer (RSDP -> XSDT -> FADT, MADT; FADT -> FACS, DSDT) gets the
 * tables' address added, then the checksums over them are redone. */
static int loader_script(struct acpi_loader *l, const struct acpi_layout *t)
{
    const char *tables = ACPI_LOADER_FILE_TABLES, *rsdp = ACPI_LOADER_FILE_RSDP;
    int rc = loader_allocate(l, tables, 64, ACPI_LOADER_ZONE_HIGH);
    rc = rc ? rc : loader_allocate(l, rsdp, 16, ACPI_LOADER_ZONE_FSEG);
    rc = rc ? rc : loader_pointer(l, rsdp, ACPI_RSDP_XSDT, 8);
    for (uint32_t i = 0; !rc && i < t->xsdt_entries; i++)
        rc = loader_pointer(l, tables, t->xsdt + ACPI_HEADER_LEN + 8 * i, 8);
    rc = rc ? rc : loader_pointer(l, tables, t->fadt + ACPI_FADT_FIRMWARE_CTRL, 4);
    rc = rc ? rc : loader_pointer(l, tables, t->fadt + ACPI_FADT_DSDT, 4);
    rc = rc ? rc : loader_pointer(l, tables, t->fadt + ACPI_FADT_X_DSDT, 8);
    rc = rc ? rc : loader_checksum(l, tables, t->xsdt + ACPI_HEADER_CHECKSUM, t->xsdt,
                                   table_length(l, t->xsdt));
    rc = rc ? rc : loader_checksum(l, tables, t->fadt + ACPI_HEADER_CHECKSUM, t->fadt,
                                   ACPI_FADT_LEN);
    rc = rc ? rc : loader_checksum(l, rsdp, ACPI_RSDP_CHECKSUM, 0, ACPI_RSDP_V1_LEN);
    return rc ? rc : loader_checksum(l, rsdp, ACPI_RSDP_EXT_CHECKSUM, 0, ACPI_RSDP_LEN);
}

int acpi_loader_build(struct acpi_loader *l, const struct acpi_config *cfg)
{
    struct acpi_layout layout;
    memset(l, 0, sizeof(*l));
    /* Built as if at address 0: every pointer is an offset in the file. */
    l->tables_len = acpi_build(l->tables, sizeof(l->tables), 0, cfg, &layout);
    if (!l->tables_len)
        return -EINVAL;
    /* The RSDP travels on its own; its copy in the tables would be stale. */
    memcpy(l->rsdp, l->tables + layout.rsdp, ACPI_RSDP_LEN);
    memset(l->tables + layout.rsdp, 0, ACPI_RSDP_LEN);
    return loader_script(l, &layout) ? -EINVAL : 0;
}

int acpi_loader_add_files(struct fw_cfg *fw, const struct acpi_loader *l)
{
    int rc = fw_cfg_add_file(fw, ACPI_LOADER_FILE_TABLES, l->tables,
                             (uint32_t)l->tables_len);
    if (rc >= 0)
        rc = fw_cfg_add_file(fw, ACPI_LOADER_FILE_RSDP, l->rsdp, ACPI_RSDP_LEN);
    if (rc >= 0)
        rc = fw_cfg_add_file(fw, ACPI_LOADER_FILE_SCRIPT, l->script,
                             (uint32_t)l->script_len);
    return rc < 0 ? rc : 0;
}
