/* acpi-loader-files DIR: writes the three fw_cfg files corral-vmm hands a
 * firmware (etc/table-loader, etc/acpi/tables, etc/acpi/rsdp, see
 * hypervisor/vmm/acpi_loader.h) for a 1-vCPU machine with one PCI slot,
 * as table-loader, tables and rsdp in DIR.  For tests/integration/
 * test_uefi.py, which gives them to Debian's OVMF in a plain QEMU to see
 * what a guest then finds.  A test tool: never in the ISO. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../../hypervisor/vmm/acpi_loader.h"
#include "../../hypervisor/vmm/pci.h"

static int write_file(const char *dir, const char *name, const void *data, size_t len)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "acpi-loader-files: %s: %s\n", path, strerror(errno));
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static struct acpi_loader loader;
    static const struct mptable_pci_irq slots[] = { { .slot = 1, .pin = 1, .gsi = 17 } };
    const struct acpi_config cfg = {
        .nvcpus = 1, .pci = slots, .n_pci = 1,
        .pci_mmio_base = PCI_MMIO_WINDOW_BASE, .pci_mmio_end = PCI_MMIO_WINDOW_END,
        .pci_pio_base = PCI_PIO_WINDOW_BASE, .pci_pio_end = PCI_PIO_WINDOW_END,
    };
    if (argc != 2) {
        fprintf(stderr, "usage: acpi-loader-files DIR\n");
        return 2;
    }
    if (acpi_loader_build(&loader, &cfg)) {
        fprintf(stderr, "acpi-loader-files: the tables do not build\n");
        return 1;
    }
    return write_file(argv[1], "table-loader", loader.script, loader.script_len) ||
           write_file(argv[1], "tables", loader.tables, loader.tables_len) ||
           write_file(argv[1], "rsdp", loader.rsdp, sizeof(loader.rsdp));
}
