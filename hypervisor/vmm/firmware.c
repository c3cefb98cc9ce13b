/* firmware: BIOS image placement and its fw_cfg items (see firmware.h). */
#include "firmware.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define E820_TYPE_RAM      1
#define E820_TYPE_RESERVED 2

int firmware_check_size(uint64_t size, char *err, size_t errlen)
{
    if (size == 0 || size % FIRMWARE_SIZE_UNIT || size > FIRMWARE_SIZE_MAX) {
        snprintf(err, errlen, "%llu bytes: a firmware image is whole 4 KiB "
                 "pages, at most 4 MiB (Debian's seabios: bios-256k.bin; "
                 "Debian's ovmf: OVMF_CODE_4M.fd)", (unsigned long long)size);
        return -EINVAL;
    }
    return 0;
}

uint64_t firmware_rom_base(uint64_t size)
{
    return FIRMWARE_TOP - size;
}

int firmware_load_low(const struct guest_mem *mem, const uint8_t *img,
                      size_t size)
{
    if (size > FIRMWARE_LOW_MAX)
        return 0;
    uint8_t *dst = guest_mem_ptr(mem, FIRMWARE_LOW_END - size, size);
    if (!dst)
        return -EINVAL;
    memcpy(dst, img, size);
    return 0;
}

static void put_le(uint8_t *p, uint64_t v, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static size_t e820_put(uint8_t *out, size_t n, uint64_t addr, uint64_t len,
                       uint32_t type)
{
    uint8_t *e = out + n * FIRMWARE_E820_ENTRY_SIZE;
    put_le(e, addr, 8);
    put_le(e + 8, len, 8);
    put_le(e + 16, type, 4);
    return n + 1;
}

size_t firmware_e820(const struct guest_mem *mem,
                     uint8_t out[FIRMWARE_E820_MAX * FIRMWARE_E820_ENTRY_SIZE])
{
    size_t n = e820_put(out, 0, 0, mem->low_size, E820_TYPE_RAM);
    n = e820_put(out, n, FIRMWARE_KVM_PAGES_ADDR, FIRMWARE_KVM_PAGES_SIZE,
                 E820_TYPE_RESERVED);
    if (mem->high_size)
        n = e820_put(out, n, GUEST_MEM_HIGH_BASE, mem->high_size, E820_TYPE_RAM);
    return n * FIRMWARE_E820_ENTRY_SIZE;
}

/* SeaBIOS matches its own "/pci@i0cf8/ * @SLOT" (and for AHCI
 * "/drive@PORT/disk@0") against a prefix of each line. */
static int firmware_boot_line(char *out, size_t len,
                              const struct firmware_boot_dev *dev)
{
    if (dev->ahci_port < 0)
        return snprintf(out, len, "/pci@i0cf8/scsi@%x/disk@0,0\n", dev->slot);
    return snprintf(out, len, "/pci@i0cf8/sata@%x/drive@%x/disk@0\n", dev->slot,
                    (unsigned)dev->ahci_port);
}

size_t firmware_bootorder(const struct firmware_boot_dev *devs, size_t n,
                          char *out, size_t outlen)
{
    size_t used = 0;
    for (size_t i = 0; i <= n; i++) {
        int w = i < n ? firmware_boot_line(out + used, outlen - used, &devs[i])
                      : snprintf(out + used, outlen - used, "HALT");
        if (w < 0 || (size_t)w >= outlen - used)
            return 0;
        used += (size_t)w;
    }
    return used;
}

bool firmware_sector_bootable(const uint8_t sector[512])
{
    return sector[510] == 0x55 && sector[511] == 0xAA;
}

/* Type 0 (boot record), "CD001", version 1, then the boot system's name. */
bool firmware_cd_bootable(const uint8_t record[FIRMWARE_ELTORITO_LEN])
{
    return record[0] == 0 && memcmp(record + 1, "CD001\x01", 6) == 0 &&
           memcmp(record + 7, "EL TORITO SPECIFICATION", 23) == 0;
}

size_t firmware_boot_first(const unsigned *slots, const bool *bootable, size_t n,
                           unsigned *out)
{
    size_t used = 0;
    for (size_t i = 0; i < n; i++)
        if (bootable[i])
            out[used++] = slots[i];
    size_t leading = used;
    for (size_t i = 0; i < n; i++)
        if (!bootable[i])
            out[used++] = slots[i];
    return leading;
}

int firmware_fill_fw_cfg(struct fw_cfg *fw, const struct guest_mem *mem,
                         unsigned cpus, const struct firmware_boot_dev *devs,
                         size_t ndevs)
{
    uint8_t e820[FIRMWARE_E820_MAX * FIRMWARE_E820_ENTRY_SIZE];
    char order[64 * (FW_CFG_MAX_FILES + 1)];
    uint8_t ncpus[2] = { (uint8_t)cpus, (uint8_t)(cpus >> 8) };
    size_t e820_len = firmware_e820(mem, e820);
    size_t order_len = firmware_bootorder(devs, ndevs, order, sizeof(order));
    if (!order_len)
        return -ENOSPC;
    int rc = fw_cfg_set(fw, FW_CFG_NB_CPUS, ncpus, sizeof(ncpus));
    if (rc >= 0)
        rc = fw_cfg_set(fw, FW_CFG_MAX_CPUS, ncpus, sizeof(ncpus));
    if (rc >= 0)
        rc = fw_cfg_add_file(fw, "etc/e820", e820, (uint32_t)e820_len);
    if (rc >= 0) /* SeaBIOS takes the file as it is: no NUL */
        rc = fw_cfg_add_file(fw, "bootorder", order, (uint32_t)order_len);
    if (rc >= 0) /* the BIOS screen, menu and int 10h on COM1 */
        rc = fw_cfg_add_file_int(fw, "etc/sercon-port", FIRMWARE_SERCON_PORT, 2);
    if (rc >= 0) /* no "Press ESC for boot menu" pause */
        rc = fw_cfg_set(fw, FW_CFG_BOOT_MENU, (uint8_t[2]){ 0, 0 }, 2);
    return rc < 0 ? rc : 0;
}
