/* pci: host bridge, configuration mechanism 1, BARs (see pci.h). */
#include "pci.h"

#include <errno.h>
#include <string.h>

#include "i440fx.h"

/* Bits of CONFIG_ADDRESS: enable, bus, device, function, register. */
#define PCI_ADDR_ENABLE 0x80000000u
#define PCI_ADDR_WRITABLE 0x80FFFFFCu
#define PCI_ADDR_BUS(a) (((a) >> 16) & 0xFF)
#define PCI_ADDR_SLOT(a) (((a) >> 11) & 0x1F)
#define PCI_ADDR_FUNC(a) (((a) >> 8) & 0x7)
#define PCI_ADDR_REG(a) ((a) & 0xFC)

#define PCI_BAR_IO_FLAG 0x1u
#define PCI_BAR_MEM64_FLAG 0x4u
#define PCI_BAR_END (PCI_BAR0 + 4 * PCI_NUM_BARS)

uint32_t pci_config_read(const struct pci_device *dev, uint32_t offset,
                         uint32_t len)
{
    uint32_t v = 0;
    if (offset < PCI_CONFIG_SIZE && len <= 4 && len <= PCI_CONFIG_SIZE - offset)
        memcpy(&v, dev->config + offset, len);
    return v;
}

void pci_config_write(struct pci_device *dev, uint32_t offset, uint32_t len,
                      uint32_t value)
{
    if (offset < PCI_CONFIG_SIZE && len <= 4 && len <= PCI_CONFIG_SIZE - offset)
        memcpy(dev->config + offset, &value, len);
}

void pci_config_set_wmask(struct pci_device *dev, uint32_t offset,
                          uint32_t len, uint32_t mask)
{
    if (offset < PCI_CONFIG_SIZE && len <= 4 && len <= PCI_CONFIG_SIZE - offset)
        memcpy(dev->wmask + offset, &mask, len);
}

void pci_device_init(struct pci_device *dev, uint16_t vendor, uint16_t device,
                     uint32_t class_code, uint8_t revision,
                     const struct pci_device_ops *ops)
{
    memset(dev, 0, sizeof(*dev));
    pthread_mutex_init(&dev->intx_lock, NULL);
    dev->ops = ops;
    dev->cap_end = PCI_CAP_START;
    dev->cap_last = PCI_CAPABILITY_LIST;
    pci_config_write(dev, PCI_VENDOR_ID, 2, vendor);
    pci_config_write(dev, PCI_DEVICE_ID, 2, device);
    pci_config_write(dev, PCI_REVISION_ID, 1, revision);
    pci_config_write(dev, PCI_CLASS_PROG, 3, class_code);
    pci_config_write(dev, PCI_HEADER_TYPE, 1, 0); /* type 0, one function */
    pci_config_write(dev, PCI_INTERRUPT_PIN, 1, 1); /* INTA */
    pci_config_set_wmask(dev, PCI_COMMAND, 2,
                  PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
                  PCI_COMMAND_INTX_DISABLE);
    pci_config_set_wmask(dev, 0x0C, 2, 0xFFFF); /* cache line size, latency timer */
    pci_config_set_wmask(dev, PCI_INTERRUPT_LINE, 1, 0xFF);
}

void pci_device_destroy(struct pci_device *dev)
{
    pthread_mutex_destroy(&dev->intx_lock);
}

static bool pci_bar_size_ok(enum pci_bar_kind kind, uint64_t size)
{
    uint64_t min = kind == PCI_BAR_IO ? 4 : 16;
    uint64_t max = kind == PCI_BAR_IO ? 256 : kind == PCI_BAR_MEM32
                                                  ? (1ULL << 31)
                                                  : (1ULL << 40);
    return size >= min && size <= max && (size & (size - 1)) == 0;
}

/* In use by a BAR of its own or as the upper half of a 64-bit BAR. */
static bool pci_bar_slot_taken(const struct pci_device *dev, unsigned index)
{
    return dev->bars[index].kind != PCI_BAR_NONE ||
           (index > 0 && dev->bars[index - 1].kind == PCI_BAR_MEM64);
}

int pci_device_add_bar(struct pci_device *dev, unsigned index,
                       enum pci_bar_kind kind, uint64_t size,
                       bus_handler_fn fn, void *opaque, const char *name)
{
    unsigned slots = kind == PCI_BAR_MEM64 ? 2 : 1;
    if (kind == PCI_BAR_NONE || index + slots > PCI_NUM_BARS || !fn ||
        !pci_bar_size_ok(kind, size))
        return -EINVAL;
    if (pci_bar_slot_taken(dev, index) ||
        (slots == 2 && pci_bar_slot_taken(dev, index + 1)))
        return -EEXIST;
    dev->bars[index] = (struct pci_bar){ .kind = kind, .size = size,
                                         .handler = fn, .opaque = opaque,
                                         .name = name };
    uint32_t reg = PCI_BAR0 + 4 * index;
    uint64_t addr_mask = ~(size - 1);
    if (kind == PCI_BAR_IO) {
        pci_config_write(dev, reg, 4, PCI_BAR_IO_FLAG);
        pci_config_set_wmask(dev, reg, 4, (uint32_t)addr_mask & ~3u);
    } else {
        pci_config_write(dev, reg, 4, kind == PCI_BAR_MEM64 ? PCI_BAR_MEM64_FLAG : 0);
        pci_config_set_wmask(dev, reg, 4, (uint32_t)addr_mask & ~0xFu);
    }
    if (kind == PCI_BAR_MEM64)
        pci_config_set_wmask(dev, reg + 4, 4, (uint32_t)(addr_mask >> 32));
    return 0;
}

int pci_device_add_capability(struct pci_device *dev, const void *cap,
                              uint8_t len)
{
    uint32_t start = (dev->cap_end + 3u) & ~3u;
    if (len < 2 || start + len > PCI_CONFIG_SIZE)
        return -ENOSPC;
    memcpy(dev->config + start, cap, len);
    dev->config[start + 1] = 0;
    dev->config[dev->cap_last] = (uint8_t)start;
    dev->cap_last = (uint8_t)(start + 1);
    dev->cap_end = (uint8_t)(start + len < PCI_CONFIG_SIZE ? start + len : 0xFF);
    uint16_t status = (uint16_t)pci_config_read(dev, PCI_STATUS, 2);
    pci_config_write(dev, PCI_STATUS, 2, status | PCI_STATUS_CAP_LIST);
    return (int)start;
}

/* The address the guest programmed into BAR index (both halves if 64-bit). */
static uint64_t pci_bar_address(const struct pci_device *dev, unsigned index)
{
    const struct pci_bar *bar = &dev->bars[index];
    uint32_t reg = PCI_BAR0 + 4 * index;
    uint64_t lo = pci_config_read(dev, reg, 4);
    if (bar->kind == PCI_BAR_IO)
        return lo & ~3ULL;
    uint64_t addr = lo & ~0xFULL;
    if (bar->kind == PCI_BAR_MEM64)
        addr |= (uint64_t)pci_config_read(dev, reg + 4, 4) << 32;
    return addr;
}

/* Should the BAR decode at addr?  Not when its space is off in the
 * command register, nor at 0 (unassigned) or past the end of its space. */
static bool pci_bar_decodes(const struct pci_device *dev,
                            const struct pci_bar *bar, uint64_t addr)
{
    uint16_t cmd = (uint16_t)pci_config_read(dev, PCI_COMMAND, 2);
    if (bar->kind == PCI_BAR_IO)
        return (cmd & PCI_COMMAND_IO) && addr != 0 &&
               addr + bar->size <= 0x10000;
    return (cmd & PCI_COMMAND_MEMORY) && addr != 0 &&
           addr + bar->size > addr;
}

/* Make the bus match the BAR's register and the command register.  A BAR
 * that would overlap another range (a guest's mistake or attack) stays
 * off the bus rather than steal someone else's addresses. */
static void pci_bar_changed(struct pci_device *dev, unsigned index)
{
    const struct pci_bar *bar = &dev->bars[index];
    if (dev->ops && dev->ops->bar_mapped)
        dev->ops->bar_mapped(dev, index, bar->mapped, bar->mapped_base);
}

static void pci_bar_update_mapping(struct pci_bus *pci, struct pci_device *dev,
                                   unsigned index)
{
    struct pci_bar *bar = &dev->bars[index];
    enum bus_space space = bar->kind == PCI_BAR_IO ? BUS_PIO : BUS_MMIO;
    uint64_t addr = pci_bar_address(dev, index);
    bool want = pci_bar_decodes(dev, bar, addr);

    if (bar->mapped && want && bar->mapped_base == addr)
        return;
    if (bar->mapped && want &&
        bus_move(pci->bus, space, bar->mapped_base, addr, bar->opaque) == 0) {
        bar->mapped_base = addr;
        pci_bar_changed(dev, index);
        return;
    }
    bool was_mapped = bar->mapped;
    if (bar->mapped) {
        bus_unregister(pci->bus, space, bar->mapped_base, bar->opaque);
        bar->mapped = false;
    }
    if (want && bus_register(pci->bus, space, addr, bar->size, bar->handler,
                             bar->opaque, bar->name) == 0) {
        bar->mapped = true;
        bar->mapped_base = addr;
    }
    if (was_mapped || bar->mapped)
        pci_bar_changed(dev, index);
}

static void pci_device_update_mappings(struct pci_bus *pci,
                                       struct pci_device *dev)
{
    for (unsigned i = 0; i < PCI_NUM_BARS; i++)
        if (dev->bars[i].kind != PCI_BAR_NONE)
            pci_bar_update_mapping(pci, dev, i);
}

static void pci_device_unmap_all(struct pci_bus *pci, struct pci_device *dev)
{
    for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
        struct pci_bar *bar = &dev->bars[i];
        if (!bar->mapped)
            continue;
        bus_unregister(pci->bus, bar->kind == PCI_BAR_IO ? BUS_PIO : BUS_MMIO,
                       bar->mapped_base, bar->opaque);
        bar->mapped = false;
    }
}

/* Drive the INTx line from the device's wish and INTx disable; the status
 * register's interrupt bit shows the wish.  Caller holds intx_lock. */
static void pci_intx_update_locked(struct pci_device *dev)
{
    uint16_t cmd = (uint16_t)pci_config_read(dev, PCI_COMMAND, 2);
    uint16_t status = (uint16_t)pci_config_read(dev, PCI_STATUS, 2);
    bool level = dev->intx_asserted && !(cmd & PCI_COMMAND_INTX_DISABLE);

    status = dev->intx_asserted ? status | PCI_STATUS_INTERRUPT
                                : status & ~PCI_STATUS_INTERRUPT;
    pci_config_write(dev, PCI_STATUS, 2, status);
    if (level == dev->intx_level || !dev->pci)
        return;
    dev->intx_level = level;
    const struct pci_platform *p = &dev->pci->platform;
    if (p->irq_line)
        p->irq_line(p->ctx, pci_bus_slot_gsi(dev->pci, dev->slot), level);
}

void pci_device_set_intx(struct pci_device *dev, bool asserted)
{
    pthread_mutex_lock(&dev->intx_lock);
    dev->intx_asserted = asserted;
    pci_intx_update_locked(dev);
    pthread_mutex_unlock(&dev->intx_lock);
}

void pci_device_signal_msi(struct pci_device *dev, uint64_t addr,
                           uint32_t data)
{
    const struct pci_platform *p = &dev->pci->platform;
    if (p->signal_msi)
        p->signal_msi(p->ctx, addr, data);
}

uint32_t pci_bus_slot_gsi(const struct pci_bus *pci, unsigned slot)
{
    return pci->platform.intx_gsi[slot % 4];
}

static bool pci_ranges_touch(uint32_t off, uint32_t len, uint32_t start,
                             uint32_t end)
{
    return off < end && off + len > start;
}

/* A guest config write: store through the mask, then act on it. */
static void pci_config_write_guest(struct pci_bus *pci, struct pci_device *dev,
                                   uint32_t offset, const uint8_t *data,
                                   uint32_t len)
{
    if (pci_ranges_touch(offset, len, PCI_COMMAND, PCI_COMMAND + 2))
        pthread_mutex_lock(&dev->intx_lock);
    for (uint32_t i = 0; i < len; i++) {
        uint8_t m = dev->wmask[offset + i];
        dev->config[offset + i] =
            (uint8_t)((dev->config[offset + i] & ~m) | (data[i] & m));
    }
    if (pci_ranges_touch(offset, len, PCI_COMMAND, PCI_COMMAND + 2)) {
        pci_intx_update_locked(dev);
        pthread_mutex_unlock(&dev->intx_lock);
    }
    if (pci_ranges_touch(offset, len, PCI_COMMAND, PCI_COMMAND + 2) ||
        pci_ranges_touch(offset, len, PCI_BAR0, PCI_BAR_END))
        pci_device_update_mappings(pci, dev);
    if (dev->ops && dev->ops->config_written)
        dev->ops->config_written(dev, offset, len);
}

static void pci_config_read_guest(struct pci_device *dev, uint32_t offset,
                                  uint8_t *data, uint32_t len)
{
    if (dev->ops && dev->ops->config_reading)
        dev->ops->config_reading(dev, offset, len);
    if (pci_ranges_touch(offset, len, PCI_STATUS, PCI_STATUS + 2)) {
        /* The interrupt status bit changes under intx_lock. */
        pthread_mutex_lock(&dev->intx_lock);
        memcpy(data, dev->config + offset, len);
        pthread_mutex_unlock(&dev->intx_lock);
        return;
    }
    memcpy(data, dev->config + offset, len);
}

/* The function CONFIG_ADDRESS points at, or NULL: only bus 0. */
static struct pci_device *pci_addressed_device(struct pci_bus *pci)
{
    uint32_t a = pci->config_address;
    if (!(a & PCI_ADDR_ENABLE) || PCI_ADDR_BUS(a) != 0)
        return NULL;
    return pci->functions[PCI_ADDR_SLOT(a)][PCI_ADDR_FUNC(a)];
}

struct pci_device *pci_bus_slot(const struct pci_bus *pci, unsigned slot)
{
    return slot < PCI_MAX_SLOTS ? pci->functions[slot][0] : NULL;
}

/* Port 0xCF8: only whole-dword accesses reach CONFIG_ADDRESS. */
static void pci_config_address_io(void *opaque, uint64_t offset, uint8_t *data,
                                  uint32_t len, bool is_write)
{
    struct pci_bus *pci = opaque;
    pthread_mutex_lock(&pci->lock);
    if (offset == 0 && len == 4) {
        if (is_write) {
            uint32_t v;
            memcpy(&v, data, 4);
            pci->config_address = v & PCI_ADDR_WRITABLE;
        } else {
            memcpy(data, &pci->config_address, 4);
        }
    } else if (!is_write) {
        memset(data, 0xFF, len);
    }
    pthread_mutex_unlock(&pci->lock);
}

/* Ports 0xCFC-0xCFF: the addressed register plus the port's byte offset.
 * Nothing there, or a misaligned access, reads all-ones. */
static void pci_config_data_io(void *opaque, uint64_t offset, uint8_t *data,
                               uint32_t len, bool is_write)
{
    struct pci_bus *pci = opaque;
    pthread_mutex_lock(&pci->lock);
    struct pci_device *dev = pci_addressed_device(pci);
    bool aligned = len <= 4 && offset % len == 0 && offset + len <= 4;
    uint32_t reg = PCI_ADDR_REG(pci->config_address) + (uint32_t)offset;

    if (dev && aligned && is_write)
        pci_config_write_guest(pci, dev, reg, data, len);
    else if (dev && aligned)
        pci_config_read_guest(dev, reg, data, len);
    else if (!is_write)
        memset(data, 0xFF, len);
    pthread_mutex_unlock(&pci->lock);
}

int pci_bus_create(struct pci_bus *pci, struct bus *bus,
                   const struct pci_platform *platform)
{
    memset(pci, 0, sizeof(*pci));
    pci->bus = bus;
    pci->platform = *platform;
    pci->mmio_next = PCI_MMIO_WINDOW_BASE;
    pci->pio_next = PCI_PIO_WINDOW_BASE;
    pthread_mutex_init(&pci->lock, NULL);
    int rc = bus_register(bus, BUS_PIO, PCI_CONFIG_ADDRESS_PORT, 4,
                          pci_config_address_io, pci, "pci-config-address");
    if (rc == 0)
        rc = bus_register(bus, BUS_PIO, PCI_CONFIG_DATA_PORT, 4,
                          pci_config_data_io, pci, "pci-config-data");
    if (rc < 0) {
        bus_unregister(bus, BUS_PIO, PCI_CONFIG_ADDRESS_PORT, pci);
        return rc;
    }
    i440fx_init(&pci->host_bridge);
    return pci_bus_add_function(pci, &pci->host_bridge, 0, 0);
}

void pci_bus_destroy(struct pci_bus *pci)
{
    for (unsigned s = 0; s < PCI_MAX_SLOTS; s++)
        for (unsigned f = 0; f < PCI_MAX_FUNCS; f++)
            if (pci->functions[s][f])
                pci_device_unmap_all(pci, pci->functions[s][f]);
    bus_unregister(pci->bus, BUS_PIO, PCI_CONFIG_ADDRESS_PORT, pci);
    bus_unregister(pci->bus, BUS_PIO, PCI_CONFIG_DATA_PORT, pci);
    pci_device_destroy(&pci->host_bridge);
    pthread_mutex_destroy(&pci->lock);
}

/* Naturally aligned BAR addresses from the windows, as firmware would. */
static int pci_assign_bar(struct pci_bus *pci, struct pci_device *dev,
                          unsigned index)
{
    struct pci_bar *bar = &dev->bars[index];
    uint64_t next = bar->kind == PCI_BAR_IO ? pci->pio_next : pci->mmio_next;
    uint64_t end = bar->kind == PCI_BAR_IO ? PCI_PIO_WINDOW_END
                                           : PCI_MMIO_WINDOW_END;
    uint64_t addr = (next + bar->size - 1) & ~(bar->size - 1);
    if (addr < next || addr + bar->size > end)
        return -ENOSPC;
    uint32_t reg = PCI_BAR0 + 4 * index;
    uint32_t flags = pci_config_read(dev, reg, 4) & (bar->kind == PCI_BAR_IO ? 3u : 0xFu);
    pci_config_write(dev, reg, 4, (uint32_t)addr | flags);
    if (bar->kind == PCI_BAR_MEM64)
        pci_config_write(dev, reg + 4, 4, (uint32_t)(addr >> 32));
    if (bar->kind == PCI_BAR_IO)
        pci->pio_next = (uint32_t)(addr + bar->size);
    else
        pci->mmio_next = addr + bar->size;
    return 0;
}

/* Assign every BAR and enable the decoding the device needs. */
static int pci_device_enable_decode(struct pci_bus *pci, struct pci_device *dev)
{
    uint16_t cmd = (uint16_t)pci_config_read(dev, PCI_COMMAND, 2);
    for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
        if (dev->bars[i].kind == PCI_BAR_NONE)
            continue;
        int rc = pci_assign_bar(pci, dev, i);
        if (rc < 0)
            return rc;
        cmd |= dev->bars[i].kind == PCI_BAR_IO ? PCI_COMMAND_IO
                                               : PCI_COMMAND_MEMORY;
    }
    pci_config_write(dev, PCI_COMMAND, 2, cmd);
    pci_device_update_mappings(pci, dev);
    return 0;
}

/* Lock held: decode on, then dev answers at slot.func. */
static int pci_bus_place_locked(struct pci_bus *pci, struct pci_device *dev,
                                unsigned slot, unsigned func)
{
    int rc = pci_device_enable_decode(pci, dev);
    if (rc < 0) {
        pci_device_unmap_all(pci, dev);
        return rc;
    }
    dev->pci = pci;
    dev->slot = (uint8_t)slot;
    dev->func = (uint8_t)func;
    pci->functions[slot][func] = dev;
    if (pci_config_read(dev, PCI_INTERRUPT_PIN, 1))
        pci_config_write(dev, PCI_INTERRUPT_LINE, 1, pci_bus_slot_gsi(pci, slot));
    if (func > 0) {
        struct pci_device *f0 = pci->functions[slot][0];
        f0->config[PCI_HEADER_TYPE] |= PCI_HEADER_MULTI_FUNCTION;
    }
    return 0;
}

int pci_bus_add_device(struct pci_bus *pci, struct pci_device *dev)
{
    pthread_mutex_lock(&pci->lock);
    int slot = -ENOSPC;
    for (unsigned s = 0; s < PCI_MAX_SLOTS && slot < 0; s++)
        if (!pci->functions[s][0])
            slot = (int)s;
    if (slot >= 0) {
        int rc = pci_bus_place_locked(pci, dev, (unsigned)slot, 0);
        if (rc < 0)
            slot = rc;
    }
    pthread_mutex_unlock(&pci->lock);
    return slot;
}

int pci_bus_add_function(struct pci_bus *pci, struct pci_device *dev,
                         unsigned slot, unsigned func)
{
    if (slot >= PCI_MAX_SLOTS || func >= PCI_MAX_FUNCS)
        return -EINVAL;
    pthread_mutex_lock(&pci->lock);
    int rc = pci->functions[slot][func] ? -EEXIST
             : func > 0 && !pci->functions[slot][0] ? -EINVAL
             : pci_bus_place_locked(pci, dev, slot, func);
    pthread_mutex_unlock(&pci->lock);
    return rc;
}
