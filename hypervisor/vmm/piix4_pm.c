/* piix4_pm: the PIIX4 power management function (see piix4_pm.h). */
#include "piix4_pm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "acpi.h"
#include "devices.h"
#include "piix3_isa.h"

/* The registers of the block, in the order they go on the bus. */
static const struct {
    uint16_t offset, len;
    bus_handler_fn handler;
    const char *name;
} piix4_pm_regs[] = {
    { PIIX4_PM_EVT_OFFSET, ACPI_PM1_EVT_LEN, acpi_pm_event_io, "ACPI PM1 event" },
    { PIIX4_PM_CNT_OFFSET, ACPI_PM1_CNT_LEN, acpi_pm_control_io, "ACPI PM1 control" },
    { PIIX4_PM_TMR_OFFSET, ACPI_PM_TMR_LEN, acpi_pm_timer_io, "ACPI PM timer" },
};
#define PIIX4_PM_NREGS (sizeof(piix4_pm_regs) / sizeof(piix4_pm_regs[0]))

static void piix4_pm_config_written(struct pci_device *dev, uint32_t offset,
                                    uint32_t len);

static const struct pci_device_ops piix4_pm_ops = {
    .config_written = piix4_pm_config_written,
};

void piix4_pm_init(struct piix4_pm *p, struct acpi_pm *pm, struct bus *bus,
                   uint16_t base)
{
    memset(p, 0, sizeof(*p));
    p->pm = pm;
    p->bus = bus;
    struct pci_device *dev = &p->pci;
    pci_device_init(dev, PIIX4_PM_VENDOR, PIIX4_PM_DEVICE, PIIX4_PM_CLASS,
                    PIIX4_PM_REVISION, &piix4_pm_ops);
    /* The SCI is ISA IRQ 9 (the FADT's), not a PCI interrupt. */
    pci_config_write(dev, PCI_INTERRUPT_PIN, 1, 0);
    pci_config_set_wmask(dev, PCI_INTERRUPT_LINE, 1, 0);
    pci_config_write(dev, PIIX4_PMBA, 4, (base & PIIX4_PMBA_MASK) | PIIX4_PMBA_IO);
    pci_config_set_wmask(dev, PIIX4_PMBA, 4, PIIX4_PMBA_MASK);
    pci_config_write(dev, PIIX4_DEVACTB, 4, PIIX4_DEVACTB_APMC_EN);
    pci_config_write(dev, PIIX4_PMREGMISC, 1, base ? PIIX4_PMREGMISC_PMIOSE : 0);
    pci_config_set_wmask(dev, PIIX4_PMREGMISC, 1, PIIX4_PMREGMISC_PMIOSE);
    pci_config_set_wmask(dev, PIIX4_SMBHSTBASE, 4, 0xFFF0);
    if (base) {
        uint16_t cmd = (uint16_t)pci_config_read(dev, PCI_COMMAND, 2);
        pci_config_write(dev, PCI_COMMAND, 2, cmd | PCI_COMMAND_IO);
    }
}

void piix4_pm_unmap(struct piix4_pm *p)
{
    if (!p->mapped)
        return;
    for (size_t i = 0; i < PIIX4_PM_NREGS; i++)
        bus_unregister(p->bus, BUS_PIO, p->mapped_base + piix4_pm_regs[i].offset,
                       p->pm);
    p->mapped = false;
}

/* All registers at base, or none. */
static int piix4_pm_map(struct piix4_pm *p, uint16_t base)
{
    for (size_t i = 0; i < PIIX4_PM_NREGS; i++) {
        int rc = bus_register(p->bus, BUS_PIO, base + piix4_pm_regs[i].offset,
                              piix4_pm_regs[i].len, piix4_pm_regs[i].handler,
                              p->pm, piix4_pm_regs[i].name);
        if (rc < 0) {
            while (i-- > 0)
                bus_unregister(p->bus, BUS_PIO, base + piix4_pm_regs[i].offset,
                               p->pm);
            return -EBUSY;
        }
    }
    p->mapped = true;
    p->mapped_base = base;
    return 0;
}

int piix4_pm_update_mapping(struct piix4_pm *p)
{
    const struct pci_device *dev = &p->pci;
    uint16_t base = (uint16_t)(pci_config_read(dev, PIIX4_PMBA, 4) & PIIX4_PMBA_MASK);
    bool want = (pci_config_read(dev, PIIX4_PMREGMISC, 1) & PIIX4_PMREGMISC_PMIOSE) &&
                base != 0;
    if (p->mapped && want && p->mapped_base == base)
        return 0;
    piix4_pm_unmap(p);
    return want ? piix4_pm_map(p, base) : 0;
}

static bool touches(uint32_t offset, uint32_t len, uint32_t reg, uint32_t reg_len)
{
    return offset < reg + reg_len && offset + len > reg;
}

static void piix4_pm_config_written(struct pci_device *dev, uint32_t offset,
                                    uint32_t len)
{
    struct piix4_pm *p = (struct piix4_pm *)dev; /* pci is the first member */
    if (touches(offset, len, PIIX4_PMBA, 4) || touches(offset, len, PIIX4_PMREGMISC, 1))
        piix4_pm_update_mapping(p);
}

/* ---- on the board (devices.h) ---------------------------------------------- */

struct piix4_pm_board {
    struct piix4_pm fn; /* first: the PCI function's address is the instance's */
    struct acpi_pm pm;
};

static void pm_sci(void *ctx, int level)
{
    struct board *b = ctx;
    vm_irq_line(&b->vm, ACPI_SCI_IRQ, level);
}

static void pm_sleep(void *ctx, unsigned slp_typ)
{
    struct board *b = ctx;
    if (slp_typ != ACPI_S5_SLP_TYP) {
        vm_log(&b->vm, "guest asked for ACPI sleep type %u: not offered, ignored",
               slp_typ);
        return;
    }
    vm_log(&b->vm, "guest entered ACPI S5: powered off");
    vm_request_stop(&b->vm, VM_EXIT_POWEROFF);
}

static int pm_add(struct board *b, const struct vmdef *def, size_t index,
                  void **dev)
{
    (void)def;
    (void)index;
    struct piix4_pm_board *pb = board_alloc_device(dev, sizeof(*pb), "PIIX4 PM");
    if (!pb)
        return VM_EXIT_ERROR;
    acpi_pm_init(&pb->pm, pm_sci, pm_sleep, b);
    b->pm = &pb->pm; /* for the power button */
    piix4_pm_init(&pb->fn, &pb->pm, &b->vm.bus, ACPI_PM_BASE);
    int rc = pci_bus_add_function(&b->pci, &pb->fn.pci, PIIX_SLOT, PIIX4_PM_FUNC);
    if (rc < 0)
        return vm_error("PIIX4 PM: cannot take 00:%02x.%x: %s", PIIX_SLOT,
                        PIIX4_PM_FUNC, strerror(-rc));
    if (piix4_pm_update_mapping(&pb->fn) < 0)
        return vm_error("PIIX4 PM: ports 0x%x-0x%x are taken", ACPI_PM_BASE,
                        ACPI_PM_TMR_PORT + ACPI_PM_TMR_LEN - 1);
    return 0;
}

static void pm_destroy(void *dev)
{
    struct piix4_pm_board *pb = dev;
    piix4_pm_unmap(&pb->fn);
    pci_device_destroy(&pb->fn.pci);
    acpi_pm_destroy(&pb->pm);
    free(pb);
}

const struct device_desc piix4_pm_device = {
    .name = "PIIX4 PM",
    .add = pm_add,
    .destroy = pm_destroy,
};
