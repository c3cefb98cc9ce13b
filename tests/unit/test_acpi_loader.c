/* acpi_loader: run the etc/table-loader script the way SeaBIOS does
 * (src/fw/romfile_loader.c: allocate, add pointer, add checksum) and the
 * way OVMF does (OvmfPkg/AcpiPlatformDxe/QemuFwCfgAcpi.c), and check that
 * what a guest then finds is a valid, linked set of tables.  The two differ
 * in ADD_CHECKSUM: SeaBIOS subtracts the range's sum from the checksum
 * byte, OVMF overwrites the byte with the checksum of the range, the byte's
 * old value included, which is right only when that byte was zero. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "../../hypervisor/vmm/acpi_loader.h"

/* Where the "firmware" puts the two files in this test. */
#define TABLES_AT 0x7ffe0000u
#define RSDP_AT 0x000f5a40u

static struct acpi_loader loader;
static uint8_t tables[ACPI_LOADER_TABLES_MAX];
static uint8_t rsdp[ACPI_RSDP_LEN];

enum firmware { SEABIOS, OVMF };

static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static const struct mptable_pci_irq slots[] = { { .slot = 1, .pin = 1, .gsi = 17 } };

static struct acpi_config config(uint32_t cpus)
{
    return (struct acpi_config){
        .nvcpus = cpus, .pci = slots, .n_pci = 1,
        .pci_mmio_base = 0xC0000000, .pci_mmio_end = 0xFEC00000,
        .pci_pio_base = 0xC000, .pci_pio_end = 0x10000,
    };
}

/* The file a command names, with its allocated address and size. */
static uint8_t *file(const uint8_t *name, uint32_t *addr, size_t *size)
{
    if (!memcmp(name, ACPI_LOADER_FILE_TABLES, sizeof(ACPI_LOADER_FILE_TABLES))) {
        *addr = TABLES_AT, *size = loader.tables_len;
        return tables;
    }
    CHECK(!memcmp(name, ACPI_LOADER_FILE_RSDP, sizeof(ACPI_LOADER_FILE_RSDP)));
    *addr = RSDP_AT, *size = ACPI_RSDP_LEN;
    return rsdp;
}

static uint8_t sum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    while (n--)
        s = (uint8_t)(s + *p++);
    return s;
}

static void run_command(const uint8_t *e, unsigned *allocs, enum firmware fw)
{
    uint32_t addr, src_addr;
    size_t size, src_size;
    uint8_t *f = file(e + 4, &addr, &size);
    CHECK(e[4 + ACPI_LOADER_NAME_SIZE - 1] == 0); /* NUL-terminated names */
    if (get32(e) == ACPI_LOADER_ALLOCATE) {
        uint32_t align = get32(e + 4 + ACPI_LOADER_NAME_SIZE);
        uint8_t zone = e[4 + ACPI_LOADER_NAME_SIZE + 4];
        CHECK(align && !(align & (align - 1)) && addr % align == 0);
        CHECK(zone == (f == rsdp ? ACPI_LOADER_ZONE_FSEG : ACPI_LOADER_ZONE_HIGH));
        memcpy(f, f == rsdp ? loader.rsdp : loader.tables, size);
        ++*allocs;
    } else if (get32(e) == ACPI_LOADER_ADD_POINTER) {
        CHECK_EQ_INT(*allocs, 2); /* both files placed before any pointer */
        file(e + 4 + ACPI_LOADER_NAME_SIZE, &src_addr, &src_size);
        uint32_t off = get32(e + 4 + 2 * ACPI_LOADER_NAME_SIZE);
        uint8_t n = e[4 + 2 * ACPI_LOADER_NAME_SIZE + 4];
        CHECK((n == 4 || n == 8) && off + n <= size);
        uint64_t v = 0;
        memcpy(&v, f + off, n);
        v += src_addr;
        memcpy(f + off, &v, n);
    } else {
        CHECK_EQ_INT(get32(e), ACPI_LOADER_ADD_CHECKSUM);
        uint32_t at = get32(e + 4 + ACPI_LOADER_NAME_SIZE);
        uint32_t start = get32(e + 4 + ACPI_LOADER_NAME_SIZE + 4);
        uint32_t len = get32(e + 4 + ACPI_LOADER_NAME_SIZE + 8);
        CHECK(at < size && start + len <= size);
        if (fw == SEABIOS)
            f[at] = (uint8_t)(f[at] - sum(f + start, len));
        else
            f[at] = (uint8_t)(0x100 - sum(f + start, len)); /* CalculateCheckSum8 */
    }
}

static void run_script(enum firmware fw)
{
    unsigned allocs = 0;
    CHECK(loader.script_len % ACPI_LOADER_ENTRY_SIZE == 0 && loader.script_len > 0);
    for (size_t i = 0; i < loader.script_len; i += ACPI_LOADER_ENTRY_SIZE)
        run_command(loader.script + i, &allocs, fw);
}

/* A table the guest reaches through a pointer: inside the tables file,
 * with its signature and a zero checksum (sig "FACS" has none). */
static const uint8_t *reach(uint64_t gpa, const char *sig)
{
    CHECK(gpa >= TABLES_AT && gpa < TABLES_AT + loader.tables_len);
    const uint8_t *t = tables + (gpa - TABLES_AT);
    CHECK(!memcmp(t, sig, 4));
    CHECK(gpa - TABLES_AT + get32(t + 4) <= loader.tables_len);
    if (memcmp(sig, "FACS", 4))
        CHECK_EQ_INT(sum(t, get32(t + 4)), 0);
    return t;
}

/* OVMF installs a table only when its checksum is right after the script
 * ran (Process2ndPassCmdAddPointer), so a wrong FADT checksum there meant
 * a guest with no FADT: Linux's "AcpiEnable failed", no power button. */
static void check_script_links_the_tables(enum firmware fw)
{
    for (uint32_t cpus = 1; cpus <= 8; cpus *= 2) {
        struct acpi_config c = config(cpus);
        CHECK_EQ_INT(acpi_loader_build(&loader, &c), 0);
        run_script(fw);
        CHECK(!memcmp(rsdp, "RSD PTR ", 8));
        CHECK_EQ_INT(sum(rsdp, ACPI_RSDP_V1_LEN), 0);
        CHECK_EQ_INT(sum(rsdp, ACPI_RSDP_LEN), 0);
        const uint8_t *xsdt = reach(get64(rsdp + ACPI_RSDP_XSDT), "XSDT");
        CHECK_EQ_INT(get32(xsdt + 4), ACPI_HEADER_LEN + 16);
        const uint8_t *fadt = reach(get64(xsdt + ACPI_HEADER_LEN), "FACP");
        const uint8_t *madt = reach(get64(xsdt + ACPI_HEADER_LEN + 8), "APIC");
        CHECK_EQ_INT(get32(madt + 4), ACPI_HEADER_LEN + 8 + 8 * cpus + 12 + 20 + 6);
        reach(get32(fadt + ACPI_FADT_FIRMWARE_CTRL), "FACS");
        reach(get32(fadt + ACPI_FADT_DSDT), "DSDT");
        CHECK_EQ_INT(get64(fadt + ACPI_FADT_X_DSDT), get32(fadt + ACPI_FADT_DSDT));
    }
}

static void test_script_links_the_tables_under_seabios(void)
{
    check_script_links_the_tables(SEABIOS);
}

static void test_script_links_the_tables_under_ovmf(void)
{
    check_script_links_the_tables(OVMF);
}

/* The RSDP's copy in the tables file is blanked: no stale, unpatched
 * "RSD PTR " in guest memory for an OS to find. */
static void test_no_stale_rsdp_in_tables(void)
{
    struct acpi_config c = config(2);
    CHECK_EQ_INT(acpi_loader_build(&loader, &c), 0);
    for (size_t i = 0; i + 8 <= loader.tables_len; i++)
        CHECK(memcmp(loader.tables + i, "RSD PTR ", 8) != 0);
}

static void test_invalid_config_is_refused(void)
{
    struct acpi_config c = config(0);
    CHECK_EQ_INT(acpi_loader_build(&loader, &c), -EINVAL);
    c = config(2);
    c.pci_mmio_end = c.pci_mmio_base; /* empty window */
    CHECK_EQ_INT(acpi_loader_build(&loader, &c), -EINVAL);
}

static void test_files_reach_fw_cfg(void)
{
    struct fw_cfg fw;
    struct acpi_config c = config(2);
    CHECK_EQ_INT(fw_cfg_init(&fw, NULL), 0);
    CHECK_EQ_INT(acpi_loader_build(&loader, &c), 0);
    CHECK_EQ_INT(acpi_loader_add_files(&fw, &loader), 0);
    CHECK_EQ_INT(fw.nfiles, 3);
    const struct fw_cfg_item *script = fw_cfg_item(&fw, FW_CFG_FILE_FIRST + 2);
    CHECK(script && script->size == loader.script_len);
    CHECK(!strcmp(fw.names[2], ACPI_LOADER_FILE_SCRIPT));
    /* A second set would clash by name: refused, not doubled. */
    CHECK_EQ_INT(acpi_loader_add_files(&fw, &loader), -EEXIST);
    fw_cfg_destroy(&fw);
}

int main(void)
{
    RUN(test_script_links_the_tables_under_seabios);
    RUN(test_script_links_the_tables_under_ovmf);
    RUN(test_no_stale_rsdp_in_tables);
    RUN(test_invalid_config_is_refused);
    RUN(test_files_reach_fw_cfg);
    return check_summary("acpi_loader");
}
