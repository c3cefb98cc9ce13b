/* pci_msix: MSI-X capability, vector table and PBA (see pci_msix.h). */
#include "pci_msix.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Capability layout: id, next, message control, table offset|BIR,
 * PBA offset|BIR. */
#define PCI_MSIX_CAP_SIZE 12
#define PCI_MSIX_CAP_CTRL 2

uint32_t pci_msix_table_bytes(uint16_t nvec)
{
    return (uint32_t)nvec * PCI_MSIX_ENTRY_SIZE;
}

uint32_t pci_msix_pba_bytes(uint16_t nvec)
{
    return (uint32_t)((nvec + 63) / 64) * 8;
}

int pci_msix_init(struct pci_msix *m, struct pci_device *dev, uint16_t nvec,
                  uint8_t bar, uint32_t table_offset, uint32_t pba_offset)
{
    if (nvec == 0 || nvec > PCI_MSIX_MAX_VECTORS || bar >= PCI_NUM_BARS ||
        table_offset % 8 || pba_offset % 8)
        return -EINVAL;
    memset(m, 0, sizeof(*m));
    m->dev = dev;
    m->nvec = nvec;
    for (unsigned i = 0; i < nvec; i++)
        m->table[i].ctrl = PCI_MSIX_ENTRY_CTRL_MASKBIT;

    uint8_t cap[PCI_MSIX_CAP_SIZE] = { PCI_CAP_ID_MSIX };
    uint16_t ctrl = (uint16_t)(nvec - 1);   /* table size is N-1 */
    uint32_t table = table_offset | bar, pba = pba_offset | bar;
    memcpy(cap + 2, &ctrl, 2);
    memcpy(cap + 4, &table, 4);
    memcpy(cap + 8, &pba, 4);
    int off = pci_device_add_capability(dev, cap, sizeof(cap));
    if (off < 0)
        return off;
    m->cap_offset = (uint8_t)off;
    /* Only enable and function mask are the guest's to change. */
    pci_config_set_wmask(dev, (uint32_t)off + PCI_MSIX_CAP_CTRL, 2,
                         PCI_MSIX_CTRL_ENABLE | PCI_MSIX_CTRL_MASKALL);
    return 0;
}

static bool pci_msix_pending(const struct pci_msix *m, unsigned v)
{
    return m->pba[v / 64] & (1ULL << (v % 64));
}

static void pci_msix_set_pending(struct pci_msix *m, unsigned v, bool on)
{
    if (on)
        m->pba[v / 64] |= 1ULL << (v % 64);
    else
        m->pba[v / 64] &= ~(1ULL << (v % 64));
}

static bool pci_msix_masked(const struct pci_msix *m, unsigned v)
{
    return m->function_masked || (m->table[v].ctrl & PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

static void pci_msix_send(struct pci_msix *m, unsigned v)
{
    const struct pci_msix_entry *e = &m->table[v];
    m->sent[v]++;
    pci_device_signal_msi(m->dev, (uint64_t)e->addr_hi << 32 | e->addr_lo,
                          e->data);
}

void pci_msix_notify(struct pci_msix *m, uint16_t vector)
{
    if (!m->enabled || vector >= m->nvec)
        return;
    if (pci_msix_masked(m, vector))
        pci_msix_set_pending(m, vector, true);
    else
        pci_msix_send(m, vector);
}

/* Deliver every pending vector that is no longer masked. */
static void pci_msix_flush_pending(struct pci_msix *m)
{
    if (!m->enabled)
        return;
    for (unsigned v = 0; v < m->nvec; v++) {
        if (pci_msix_pending(m, v) && !pci_msix_masked(m, v)) {
            pci_msix_set_pending(m, v, false);
            pci_msix_send(m, v);
        }
    }
}

void pci_msix_table_access(struct pci_msix *m, uint64_t offset, uint8_t *data,
                           uint32_t len, bool is_write)
{
    uint64_t size = pci_msix_table_bytes(m->nvec);
    /* Dword or qword, naturally aligned (PCI 3.0, 6.8.2.9). */
    if ((len != 4 && len != 8) || offset % len || offset >= size) {
        if (!is_write)
            memset(data, 0xFF, len);
        return;
    }
    uint8_t *bytes = (uint8_t *)m->table + offset;
    if (!is_write) {
        memcpy(data, bytes, len);
        return;
    }
    memcpy(bytes, data, len);
    struct pci_msix_entry *e = &m->table[offset / PCI_MSIX_ENTRY_SIZE];
    e->ctrl &= PCI_MSIX_ENTRY_CTRL_MASKBIT; /* the rest is reserved */
    pci_msix_flush_pending(m);
}

void pci_msix_pba_access(struct pci_msix *m, uint64_t offset, uint8_t *data,
                         uint32_t len, bool is_write)
{
    /* The PBA is read-only to software. */
    if (is_write)
        return;
    if ((len != 4 && len != 8) || offset % len ||
        offset >= pci_msix_pba_bytes(m->nvec)) {
        memset(data, 0xFF, len);
        return;
    }
    memcpy(data, (uint8_t *)m->pba + offset, len);
}

void pci_msix_config_written(struct pci_msix *m, uint32_t offset, uint32_t len)
{
    uint32_t ctrl_off = m->cap_offset + PCI_MSIX_CAP_CTRL;
    if (offset >= ctrl_off + 2 || offset + len <= ctrl_off)
        return;
    uint16_t ctrl = (uint16_t)pci_config_read(m->dev, ctrl_off, 2);
    m->enabled = ctrl & PCI_MSIX_CTRL_ENABLE;
    m->function_masked = ctrl & PCI_MSIX_CTRL_MASKALL;
    pci_msix_flush_pending(m);
}

int pci_msix_vector_format(const struct pci_msix *m, uint16_t vector, char *buf,
                           size_t len)
{
    if (!m->enabled)
        return snprintf(buf, len, "MSI-X off");
    if (vector >= m->nvec)
        return snprintf(buf, len, "MSI-X no vector");
    const struct pci_msix_entry *e = &m->table[vector];
    /* x86 MSI: destination APIC ID in address bits 19:12, vector in data
     * bits 7:0. */
    return snprintf(buf, len, "MSI-X vector %u to APIC %u as 0x%02x, sent %llu%s%s",
                    vector, (e->addr_lo >> 12) & 0xffu, e->data & 0xffu,
                    (unsigned long long)m->sent[vector],
                    pci_msix_masked(m, vector) ? ", masked" : "",
                    pci_msix_pending(m, vector) ? ", pending" : "");
}
