/* mptable: MP spec 1.4 floating pointer and configuration table. */
#include "mptable.h"

#include <stdbool.h>
#include <string.h>

#define MP_FP_SIZE         16
#define MP_HDR_SIZE        44
#define MP_CPU_SIZE        20
#define MP_ENTRY_SIZE      8 /* bus, IOAPIC, interrupt entries */
#define MP_SPEC_REV        4 /* 1.4 */
#define MP_ENTRY_CPU       0
#define MP_ENTRY_BUS       1
#define MP_ENTRY_IOAPIC    2
#define MP_ENTRY_INTSRC    3
#define MP_ENTRY_LINTSRC   4
#define MP_INT_INT         0
#define MP_INT_NMI         1
#define MP_INT_EXTINT      3
#define MP_CPU_ENABLED     1
#define MP_CPU_BSP         2
#define MP_LAPIC_VERSION   0x14
#define MP_IOAPIC_VERSION  0x11
#define MP_ALL_LAPICS      0xff
/* Family 6 signature and FPU + APIC feature flags: informational only. */
#define MP_CPU_SIGNATURE   0x600
#define MP_CPU_FEATURES    0x201

uint8_t mptable_sum(const uint8_t *p, size_t len)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < len; i++)
        sum += p[i];
    return sum;
}

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

static uint8_t *mp_cpu(uint8_t *p, uint8_t apic_id, int bsp)
{
    memset(p, 0, MP_CPU_SIZE);
    p[0] = MP_ENTRY_CPU;
    p[1] = apic_id;
    p[2] = MP_LAPIC_VERSION;
    p[3] = MP_CPU_ENABLED | (bsp ? MP_CPU_BSP : 0);
    put32(p + 4, MP_CPU_SIGNATURE);
    put32(p + 8, MP_CPU_FEATURES);
    return p + MP_CPU_SIZE;
}

static uint8_t *mp_bus(uint8_t *p, uint8_t id, const char type[6])
{
    p[0] = MP_ENTRY_BUS;
    p[1] = id;
    memcpy(p + 2, type, 6);
    return p + MP_ENTRY_SIZE;
}

static uint8_t *mp_ioapic(uint8_t *p, uint8_t id)
{
    p[0] = MP_ENTRY_IOAPIC;
    p[1] = id;
    p[2] = MP_IOAPIC_VERSION;
    p[3] = 1; /* enabled */
    put32(p + 4, MPTABLE_IOAPIC_ADDR);
    return p + MP_ENTRY_SIZE;
}

/* type 3 (to an IOAPIC pin) or 4 (to a local APIC LINT pin). */
static uint8_t *mp_irq(uint8_t *p, uint8_t entry, uint8_t irqtype, uint8_t bus,
                       uint8_t bus_irq, uint8_t dst_apic, uint8_t dst_pin)
{
    p[0] = entry;
    p[1] = irqtype;
    put16(p + 2, 0); /* polarity and trigger conform to the bus */
    p[4] = bus;
    p[5] = bus_irq;
    p[6] = dst_apic;
    p[7] = dst_pin;
    return p + MP_ENTRY_SIZE;
}

static void mp_header(uint8_t *t, size_t len, uint16_t count)
{
    memset(t, 0, MP_HDR_SIZE);
    memcpy(t, "PCMP", 4);
    put16(t + 4, (uint16_t)len);
    t[6] = MP_SPEC_REV;
    memcpy(t + 8, "CORRAL  ", 8);
    memcpy(t + 16, "CORRAL-VMM  ", 12);
    put16(t + 34, count);
    put32(t + 36, MPTABLE_LAPIC_ADDR);
    t[7] = (uint8_t)(0 - mptable_sum(t, len));
}

static void mp_floating_pointer(uint8_t *fp, uint32_t table_gpa)
{
    memset(fp, 0, MP_FP_SIZE);
    memcpy(fp, "_MP_", 4);
    put32(fp + 4, table_gpa);
    fp[8] = 1; /* length in 16-byte units */
    fp[9] = MP_SPEC_REV;
    fp[10] = (uint8_t)(0 - mptable_sum(fp, MP_FP_SIZE));
}

static bool mp_pin_used_by_pci(uint8_t pin, const struct mptable_pci_irq *pci,
                               size_t n_pci)
{
    for (size_t i = 0; i < n_pci; i++)
        if (pci[i].gsi == pin)
            return true;
    return false;
}

static size_t mp_table_size(uint32_t nvcpus, size_t n_pci)
{
    return MP_HDR_SIZE + (size_t)nvcpus * MP_CPU_SIZE +
           MP_ENTRY_SIZE * (2 + 1 + MPTABLE_ISA_IRQS + n_pci + 2);
}

size_t mptable_build(uint8_t *region, size_t region_size, uint32_t region_gpa,
                     uint32_t nvcpus, const struct mptable_pci_irq *pci,
                     size_t n_pci)
{
    if (nvcpus == 0 || nvcpus >= MP_ALL_LAPICS || n_pci > 256 ||
        region_size < MP_FP_SIZE ||
        mp_table_size(nvcpus, n_pci) > region_size - MP_FP_SIZE)
        return 0;
    uint8_t ioapic_id = (uint8_t)nvcpus; /* after the CPUs' APIC IDs */
    uint8_t *p = region + MP_HDR_SIZE;
    for (uint32_t i = 0; i < nvcpus; i++)
        p = mp_cpu(p, (uint8_t)i, i == 0);
    p = mp_bus(p, MPTABLE_BUS_PCI, "PCI   ");
    p = mp_bus(p, MPTABLE_BUS_ISA, "ISA   ");
    p = mp_ioapic(p, ioapic_id);
    /* ISA IRQ n is IOAPIC pin n: KVM's default GSI routing.  A pin that
     * PCI INTx uses is level-triggered and belongs to PCI only. */
    size_t n_isa = 0;
    for (uint8_t irq = 0; irq < MPTABLE_ISA_IRQS; irq++) {
        if (mp_pin_used_by_pci(irq, pci, n_pci))
            continue;
        p = mp_irq(p, MP_ENTRY_INTSRC, MP_INT_INT, MPTABLE_BUS_ISA, irq,
                   ioapic_id, irq);
        n_isa++;
    }
    for (size_t i = 0; i < n_pci; i++)
        p = mp_irq(p, MP_ENTRY_INTSRC, MP_INT_INT, MPTABLE_BUS_PCI,
                   (uint8_t)((pci[i].slot << 2) | ((pci[i].pin - 1) & 3)),
                   ioapic_id, pci[i].gsi);
    /* The PIC through LINT0 (virtual wire) and NMI on LINT1, every CPU. */
    p = mp_irq(p, MP_ENTRY_LINTSRC, MP_INT_EXTINT, MPTABLE_BUS_ISA, 0,
               MP_ALL_LAPICS, 0);
    p = mp_irq(p, MP_ENTRY_LINTSRC, MP_INT_NMI, MPTABLE_BUS_ISA, 0,
               MP_ALL_LAPICS, 1);
    size_t len = (size_t)(p - region);
    uint16_t count = (uint16_t)(nvcpus + 2 + 1 + n_isa + n_pci + 2);
    mp_header(region, len, count);
    mp_floating_pointer(region + region_size - MP_FP_SIZE, region_gpa);
    return len;
}
