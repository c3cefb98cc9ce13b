/* exit_stats and kvm_stats: exit kinds, the report line, and finding KVM's
 * counters in a descriptor block (including hostile ones). */
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "../../hypervisor/vmm/exit_stats.h"
#include "../../hypervisor/vmm/kvm_stats.h"

#define NAME_SIZE 48
#define STEP (16 + NAME_SIZE)

static void put_desc(uint8_t *block, unsigned i, const char *name, uint32_t offset)
{
    uint8_t *d = block + i * STEP;
    memset(d, 0, STEP);
    uint16_t size = 1;
    memcpy(d + 6, &size, 2);
    memcpy(d + 8, &offset, 4);
    strncpy((char *)d + 16, name, NAME_SIZE);
}

static void test_locate_finds_counters(void)
{
    uint8_t block[8 * STEP];
    put_desc(block, 0, "pf_taken", 0);
    put_desc(block, 1, "exits", 72);
    put_desc(block, 2, "io_exits", 80);
    put_desc(block, 3, "mmio_exits", 88);
    put_desc(block, 4, "halt_exits", 136);
    put_desc(block, 5, "irq_exits", 152);
    put_desc(block, 6, "pf_fixed", 16);
    put_desc(block, 7, "pf_emulate", 24);
    int64_t pos[KVM_STAT_COUNT];
    CHECK_EQ_INT(kvm_stats_locate(block, sizeof(block), 8, NAME_SIZE, 1000, pos), 7);
    CHECK_EQ_INT(pos[KVM_STAT_EXITS], 1072);
    CHECK_EQ_INT(pos[KVM_STAT_IO], 1080);
    CHECK_EQ_INT(pos[KVM_STAT_MMIO], 1088);
    CHECK_EQ_INT(pos[KVM_STAT_HALT], 1136);
    CHECK_EQ_INT(pos[KVM_STAT_IRQ], 1152);
    CHECK_EQ_INT(pos[KVM_STAT_PF_TAKEN], 1000);
    CHECK_EQ_INT(pos[KVM_STAT_PF_FIXED], 1016);
}

static void test_locate_distrusts_bad_blocks(void)
{
    uint8_t block[3 * STEP];
    put_desc(block, 0, "exits", 8);
    put_desc(block, 1, "io_exits", 16);
    put_desc(block, 2, "halt_exits", 24);
    int64_t pos[KVM_STAT_COUNT];
    /* more descriptors claimed than the block holds: only whole ones count */
    CHECK_EQ_INT(kvm_stats_locate(block, 2 * STEP + 10, 1000, NAME_SIZE, 0, pos), 2);
    CHECK_EQ_INT(pos[KVM_STAT_HALT], -1);
    CHECK_EQ_INT(kvm_stats_locate(block, sizeof(block), 3, 0, 0, pos), 0);
    /* a name without its NUL is skipped */
    memset(block + 16, 'x', NAME_SIZE);
    CHECK_EQ_INT(kvm_stats_locate(block, sizeof(block), 3, NAME_SIZE, 0, pos), 2);
    CHECK_EQ_INT(pos[KVM_STAT_EXITS], -1);
    CHECK_EQ_INT(pos[KVM_STAT_MMIO], -1);
    CHECK_EQ_INT(kvm_stats_locate(block, 0, 3, NAME_SIZE, 0, pos), 0);
}

static void test_exit_kinds_and_counters(void)
{
    CHECK_EQ_INT(exit_kind_of(KVM_EXIT_IO), EXIT_KIND_IO);
    CHECK_EQ_INT(exit_kind_of(KVM_EXIT_MMIO), EXIT_KIND_MMIO);
    CHECK_EQ_INT(exit_kind_of(KVM_EXIT_HLT), EXIT_KIND_HLT);
    CHECK_EQ_INT(exit_kind_of(KVM_EXIT_INTR), EXIT_KIND_INTR);
    CHECK_EQ_INT(exit_kind_of(KVM_EXIT_SYSTEM_EVENT), EXIT_KIND_OTHER);
    CHECK_EQ_INT(exit_kind_of(0xdead), EXIT_KIND_OTHER);
    struct exit_counters a = { .n = { 0 } }, b = { .n = { 0 } };
    for (int i = 0; i < 5; i++)
        exit_counters_bump(&a, EXIT_KIND_IO);
    exit_counters_bump(&a, EXIT_KIND_MMIO);
    exit_counters_bump(&b, EXIT_KIND_IO);
    exit_counters_bump(&b, EXIT_KIND_INTR);
    struct exit_totals t;
    memset(&t, 0, sizeof(t));
    exit_totals_add(&t, &a, NULL);
    exit_totals_add(&t, &b, NULL);
    CHECK_EQ_INT(t.vmm[EXIT_KIND_IO], 6);
    CHECK_EQ_INT(t.vmm[EXIT_KIND_MMIO], 1);
    CHECK_EQ_INT(t.vmm[EXIT_KIND_INTR], 1);
    char line[400];
    exit_totals_format(&t, 1.5, line, sizeof(line));
    CHECK_EQ_STR(line, "exits at 1.500 s: vmm total=8 io=6 mmio=1 hlt=0 intr=1 other=0; "
                       "kvm unavailable");
    t.have_kvm = 1;
    t.kvm[KVM_STAT_EXITS] = 900;
    t.kvm[KVM_STAT_HALT] = 40;
    t.kvm[KVM_STAT_PF_FIXED] = 128;
    exit_totals_format(&t, 2, line, sizeof(line));
    CHECK(strstr(line, "; kvm total=900 io=0 mmio=0 hlt=40 irq=0 pf_taken=0 pf_fixed=128"));
    char small[20];
    exit_totals_format(&t, 2, small, sizeof(small)); /* truncated, terminated */
    CHECK_EQ_INT(strlen(small), sizeof(small) - 1);
}

/* Without vCPUs, or where KVM does not say, the guest is never taken to
 * be halted (a device then never waits on that account). */
static void test_halted_needs_knowing(void)
{
    struct guest_vcpus none = { .n = 0 };
    CHECK(!guest_vcpus_all_halted(&none));
    struct kvm_stats old = { .fd = -1 };
    for (int k = 0; k < KVM_STAT_COUNT; k++)
        old.pos[k] = -1;
    struct guest_vcpus one = { .stats = { &old }, .n = 1 };
    CHECK(!kvm_stats_blocking(&old));
    CHECK(!guest_vcpus_all_halted(&one));
}

/* Where a vCPU thread is (SIGUSR2): inside KVM_RUN or in corral-vmm with
 * the exit it handles, and KVM's view of it when its counters are there
 * (here a file standing in for the stats fd). */
static void test_vcpu_state_line(void)
{
    struct exit_counters c = { .n = { 0 } };
    exit_counters_entering(&c);
    exit_counters_returned(&c, 0, KVM_EXIT_MMIO);
    exit_counters_entering(&c);
    struct exit_vcpu_state v = exit_vcpu_state_of(&c, NULL);
    CHECK_EQ_INT(v.in_kvm_run, 1);
    CHECK_EQ_INT(v.returns, 1);
    char line[200];
    exit_vcpu_format(1, &v, line, sizeof(line));
    CHECK_EQ_STR(line, "vcpu 1: in KVM_RUN, halted or not: unknown; returns 1, last exit 6 "
                       "(mmio); kvm unavailable");
    exit_counters_returned(&c, -1, 0); /* a kick */
    CHECK_EQ_INT(c.n[EXIT_KIND_INTR], 1);
    exit_counters_entering(&c);
    exit_counters_returned(&c, 0, KVM_EXIT_IO);
    FILE *f = tmpfile();
    CHECK(f != NULL);
    if (!f)
        return;
    uint64_t values[KVM_STAT_COUNT] = { 0 };
    values[KVM_STAT_EXITS] = 5000;
    values[KVM_STAT_HALT] = 70;
    values[KVM_STAT_BLOCKING] = 1;
    CHECK_EQ_INT(fwrite(values, sizeof(values), 1, f), 1);
    fflush(f);
    struct kvm_stats ks = { .fd = fileno(f) };
    for (int k = 0; k < KVM_STAT_COUNT; k++)
        ks.pos[k] = (int64_t)(k * sizeof(uint64_t));
    v = exit_vcpu_state_of(&c, &ks);
    exit_vcpu_format(0, &v, line, sizeof(line));
    CHECK_EQ_STR(line, "vcpu 0: in corral-vmm, handling exit 2 (io); returns 3; "
                       "kvm exits 5000, hlt 70");
    exit_counters_entering(&c);
    v = exit_vcpu_state_of(&c, &ks);
    exit_vcpu_format(0, &v, line, sizeof(line));
    CHECK(strstr(line, "vcpu 0: in KVM_RUN, halted; returns 3, last exit 2 (io)") == line);
    values[KVM_STAT_BLOCKING] = 0;
    CHECK_EQ_INT(pwrite(ks.fd, values, sizeof(values), 0), (int)sizeof(values));
    v = exit_vcpu_state_of(&c, &ks);
    exit_vcpu_format(0, &v, line, sizeof(line));
    CHECK(strstr(line, "in KVM_RUN, running;") != NULL);
    /* the halt check's answer: halted with interrupts off at a rip, then not halted */
    exit_counters_halt_checked(&c, EXIT_HALT_IRQS_OFF, 0xffffffff8107e744ull);
    v = exit_vcpu_state_of(&c, &ks);
    exit_vcpu_format(1, &v, line, sizeof(line));
    CHECK_EQ_STR(line, "vcpu 1: in KVM_RUN, running; returns 3, last exit 2 (io); kvm exits "
                       "5000, hlt 70; at the last halt check halted at rip 0xffffffff8107e744, "
                       "interrupts off");
    exit_counters_halt_checked(&c, EXIT_HALT_IRQS_ON, 0x1000);
    v = exit_vcpu_state_of(&c, &ks);
    exit_vcpu_format(1, &v, line, sizeof(line));
    CHECK(strstr(line, "; at the last halt check halted at rip 0x1000, interrupts on") != NULL);
    exit_counters_halt_checked(&c, EXIT_HALT_NOT, 0);
    v = exit_vcpu_state_of(&c, &ks);
    exit_vcpu_format(1, &v, line, sizeof(line));
    CHECK(strstr(line, "halt check") == NULL);
    char small[24];
    exit_vcpu_format(0, &v, small, sizeof(small)); /* truncated, terminated */
    CHECK_EQ_INT(strlen(small), sizeof(small) - 1);
    fclose(f);
}

int main(void)
{
    RUN(test_locate_finds_counters);
    RUN(test_locate_distrusts_bad_blocks);
    RUN(test_exit_kinds_and_counters);
    RUN(test_halted_needs_knowing);
    RUN(test_vcpu_state_line);
    return check_summary("exit_stats");
}
