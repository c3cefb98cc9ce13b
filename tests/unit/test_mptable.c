/* mptable: floating pointer and configuration table checksums and layout. */
#include <string.h>

#include "check.h"
#include "../../hypervisor/vmm/mptable.h"

#define REGION 4096
#define REGION_GPA 0x9f000u

static uint16_t get16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

/* Count entries of one type by walking the table as Linux does. */
static unsigned count_type(const uint8_t *t, uint8_t type)
{
    unsigned n = 0;
    size_t len = get16(t + 4), off = 44;
    while (off < len) {
        if (t[off] == type)
            n++;
        off += t[off] == 0 ? 20 : 8;
    }
    return n;
}

static void test_checksums(void)
{
    static uint8_t r[REGION];
    for (uint32_t cpus = 1; cpus <= 64; cpus++) {
        memset(r, 0xcc, sizeof(r));
        size_t len = mptable_build(r, REGION, REGION_GPA, cpus, NULL, 0);
        CHECK(len > 0);
        const uint8_t *fp = r + REGION - 16;
        CHECK(memcmp(fp, "_MP_", 4) == 0);
        CHECK_EQ_INT(mptable_sum(fp, 16), 0);
        CHECK_EQ_INT(get32(fp + 4), REGION_GPA);
        CHECK(memcmp(r, "PCMP", 4) == 0);
        CHECK_EQ_INT(get16(r + 4), len);
        CHECK_EQ_INT(mptable_sum(r, len), 0);
        CHECK_EQ_INT(count_type(r, 0), cpus);
    }
}

static void test_entries(void)
{
    static uint8_t r[REGION];
    struct mptable_pci_irq pci[2] = { { 1, 1, 9 }, { 2, 1, 10 } };
    size_t len = mptable_build(r, REGION, REGION_GPA, 4, pci, 2);
    CHECK(len > 0);
    CHECK_EQ_INT(mptable_sum(r, len), 0);
    CHECK_EQ_INT(count_type(r, 0), 4); /* CPUs */
    CHECK_EQ_INT(count_type(r, 1), 2); /* buses */
    CHECK_EQ_INT(count_type(r, 2), 1); /* IOAPIC */
    CHECK_EQ_INT(count_type(r, 3), 16); /* 14 ISA + 2 PCI: 9, 10 are PCI's */
    CHECK_EQ_INT(count_type(r, 4), 2); /* LINT0/LINT1 */
    CHECK_EQ_INT(get16(r + 34), 4 + 2 + 1 + 16 + 2);
    /* the first CPU is the BSP, APIC IDs count up, the IOAPIC follows */
    CHECK_EQ_INT(r[44 + 1], 0);
    CHECK_EQ_INT(r[44 + 3], 3);
    CHECK_EQ_INT(r[44 + 20 + 3], 1);
    CHECK_EQ_INT(r[44 + 3 * 20 + 1], 3);
    const uint8_t *ioapic = r + 44 + 4 * 20 + 16;
    CHECK_EQ_INT(ioapic[0], 2);
    CHECK_EQ_INT(ioapic[1], 4);
    CHECK_EQ_INT(get32(ioapic + 4), MPTABLE_IOAPIC_ADDR);
}

static void test_refuses(void)
{
    static uint8_t r[REGION];
    CHECK_EQ_INT(mptable_build(r, REGION, REGION_GPA, 0, NULL, 0), 0);
    CHECK_EQ_INT(mptable_build(r, REGION, REGION_GPA, 255, NULL, 0), 0);
    CHECK_EQ_INT(mptable_build(r, 200, REGION_GPA, 8, NULL, 0), 0);
    CHECK_EQ_INT(mptable_build(r, 8, REGION_GPA, 1, NULL, 0), 0);
}

int main(void)
{
    RUN(test_checksums);
    RUN(test_entries);
    RUN(test_refuses);
    return check_summary("mptable");
}
