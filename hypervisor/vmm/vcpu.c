/* vcpu: vCPU setup and run loop (see vcpu.h). */
#include "vcpu.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "cpuid.h"
#include "hyperv.h"

#define X86_CR0_PE   0x1ULL
#define X86_CR0_ET   0x10ULL
#define X86_CR0_PG   0x80000000ULL
#define X86_CR4_PAE  0x20ULL
#define EFER_LME     0x100ULL
#define EFER_LMA     0x400ULL
#define RFLAGS_RESERVED 0x2ULL
#define RFLAGS_IF    0x200ULL

#define MSR_IA32_TSC            0x10
#define MSR_IA32_SYSENTER_CS    0x174
#define MSR_IA32_SYSENTER_ESP   0x175
#define MSR_IA32_SYSENTER_EIP   0x176
#define MSR_IA32_MISC_ENABLE    0x1a0
#define MSR_MTRR_DEF_TYPE       0x2ff
#define MSR_STAR                0xc0000081
#define MSR_LSTAR               0xc0000082
#define MSR_CSTAR               0xc0000083
#define MSR_SYSCALL_MASK        0xc0000084
#define MSR_KERNEL_GS_BASE      0xc0000102
#define MISC_ENABLE_FAST_STRING 0x1ULL
#define MTRR_ENABLE_WRITEBACK   ((1ULL << 11) | 6) /* MTRRs on, default WB */

#define APIC_LVT0       0x350
#define APIC_LVT1       0x360
#define APIC_MODE_NMI    0x4
#define APIC_MODE_EXTINT 0x7

static int vcpu_fail(char *err, size_t errlen, const char *what, unsigned index)
{
    int rc = -errno;
    snprintf(err, errlen, "vCPU %u: %s: %s", index, what, strerror(errno));
    return rc;
}

#define VCPU_HV_CPUID_MAX 64

/* hyperv = on: KVM_CAP_HYPERV_SYNIC2 on (for hv_synic, hv_stimer), then
 * the Hyper-V leaves from what KVM supports in place of KVM's own.  A
 * kernel without KVM_CAP_HYPERV_CPUID cannot: an error, not a silent VM
 * without what was asked for. */
static int vcpu_set_hyperv(struct vcpu *c, struct kvm_cpuid_entry2 *e, size_t *n,
                           size_t cap, char *err, size_t errlen)
{
    if (ioctl(c->vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_HYPERV_CPUID) <= 0) {
        snprintf(err, errlen, "vCPU %u: hyperv = on: KVM lacks "
                 "KVM_CAP_HYPERV_CPUID (Linux 5.0 or later)", c->index);
        return -ENOTSUP;
    }
    struct kvm_enable_cap synic = { .cap = KVM_CAP_HYPERV_SYNIC2 };
    bool synic_on = ioctl(c->fd, KVM_ENABLE_CAP, &synic) == 0;
    struct kvm_cpuid2 *hv = calloc(1, sizeof(*hv) + VCPU_HV_CPUID_MAX *
                                          sizeof(hv->entries[0]));
    if (!hv) {
        errno = ENOMEM;
        return vcpu_fail(err, errlen, "Hyper-V CPUID", c->index);
    }
    hv->nent = VCPU_HV_CPUID_MAX;
    if (ioctl(c->fd, KVM_GET_SUPPORTED_HV_CPUID, hv) < 0) {
        int rc = vcpu_fail(err, errlen, "KVM_GET_SUPPORTED_HV_CPUID", c->index);
        free(hv);
        return rc;
    }
    struct hyperv_result r = hyperv_cpuid(e, n, cap, hv->entries, hv->nent,
                                          synic_on, c->count);
    free(hv);
    for (unsigned f = 0; c->index == 0 && f < HYPERV_FEATURE_COUNT; f++)
        if (r.missing & (1u << f))
            vm_error("hyperv = on: KVM cannot provide %s; left out",
                     hyperv_feature_name(f));
    if (c->index == 0)
        vm_log(c->vm, "hyperv: Hyper-V leaves, features 0x%x", r.offered);
    return 0;
}

static int vcpu_set_cpuid(struct vcpu *c, char *err, size_t errlen)
{
    const struct kvm_cpuid2 *sup = c->vm->supported_cpuid;
    size_t cap = sup->nent + 2 + HYPERV_LEAF_COUNT, n = sup->nent;
    struct kvm_cpuid2 *mine = calloc(1, sizeof(*mine) + cap * sizeof(mine->entries[0]));
    if (!mine) {
        errno = ENOMEM;
        return vcpu_fail(err, errlen, "CPUID", c->index);
    }
    memcpy(mine->entries, sup->entries, n * sizeof(mine->entries[0]));
    cpuid_fixup(mine->entries, &n, cap, c->index, c->count);
    if (ioctl(c->vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0)
        cpuid_set_tsc_deadline(mine->entries, n);
    int tsc_khz = ioctl(c->fd, KVM_GET_TSC_KHZ, 0);
    if (tsc_khz > 0)
        cpuid_set_timing(mine->entries, &n, cap, (uint32_t)tsc_khz);
    int rc = c->vm->hyperv ? vcpu_set_hyperv(c, mine->entries, &n, cap, err, errlen) : 0;
    mine->nent = (uint32_t)n;
    if (!rc && ioctl(c->fd, KVM_SET_CPUID2, mine) < 0)
        rc = vcpu_fail(err, errlen, "KVM_SET_CPUID2", c->index);
    free(mine);
    return rc;
}

static int vcpu_set_msrs(struct vcpu *c, char *err, size_t errlen)
{
    static const struct { uint32_t index; uint64_t value; } init[] = {
        { MSR_IA32_SYSENTER_CS, 0 }, { MSR_IA32_SYSENTER_ESP, 0 },
        { MSR_IA32_SYSENTER_EIP, 0 }, { MSR_STAR, 0 }, { MSR_CSTAR, 0 },
        { MSR_KERNEL_GS_BASE, 0 }, { MSR_SYSCALL_MASK, 0 }, { MSR_LSTAR, 0 },
        { MSR_IA32_MISC_ENABLE, MISC_ENABLE_FAST_STRING },
        { MSR_MTRR_DEF_TYPE, MTRR_ENABLE_WRITEBACK },
    };
    enum { N = sizeof(init) / sizeof(init[0]) };
    _Alignas(struct kvm_msrs) uint8_t buf[sizeof(struct kvm_msrs) +
                                           N * sizeof(struct kvm_msr_entry)];
    struct kvm_msrs *msrs = (struct kvm_msrs *)buf;
    memset(buf, 0, sizeof(buf));
    msrs->nmsrs = N;
    for (size_t i = 0; i < N; i++) {
        msrs->entries[i].index = init[i].index;
        msrs->entries[i].data = init[i].value;
    }
    int set = ioctl(c->fd, KVM_SET_MSRS, msrs);
    if (set < 0)
        return vcpu_fail(err, errlen, "KVM_SET_MSRS", c->index);
    if (set != N) { /* KVM stops at the first MSR it refuses */
        snprintf(err, errlen, "vCPU %u: KVM refused MSR 0x%x", c->index,
                 init[set].index);
        return -EINVAL;
    }
    return 0;
}

static int vcpu_set_fpu(struct vcpu *c, char *err, size_t errlen)
{
    struct kvm_fpu fpu;
    memset(&fpu, 0, sizeof(fpu));
    fpu.fcw = 0x37f;    /* FNINIT state */
    fpu.mxcsr = 0x1f80; /* all SSE exceptions masked */
    return ioctl(c->fd, KVM_SET_FPU, &fpu) < 0
               ? vcpu_fail(err, errlen, "KVM_SET_FPU", c->index) : 0;
}

static void lapic_set_delivery(struct kvm_lapic_state *l, int reg, uint32_t mode)
{
    uint32_t v;
    memcpy(&v, &l->regs[reg], 4);
    v = (v & ~0x700u) | (mode << 8);
    memcpy(&l->regs[reg], &v, 4);
}

/* LINT0 takes the PIC's ExtINT (virtual wire), LINT1 takes NMIs, as the
 * MP table's local interrupt entries say. */
static int vcpu_set_lint(struct vcpu *c, char *err, size_t errlen)
{
    struct kvm_lapic_state lapic;
    if (ioctl(c->fd, KVM_GET_LAPIC, &lapic) < 0)
        return vcpu_fail(err, errlen, "KVM_GET_LAPIC", c->index);
    lapic_set_delivery(&lapic, APIC_LVT0, APIC_MODE_EXTINT);
    lapic_set_delivery(&lapic, APIC_LVT1, APIC_MODE_NMI);
    return ioctl(c->fd, KVM_SET_LAPIC, &lapic) < 0
               ? vcpu_fail(err, errlen, "KVM_SET_LAPIC", c->index) : 0;
}

int vcpu_create(struct vcpu *c, struct vm *vm, unsigned index, unsigned count,
                char *err, size_t errlen)
{
    memset(c, 0, sizeof(*c));
    c->vm = vm;
    c->index = index;
    c->count = count;
    c->kstats.fd = -1;
    c->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)index);
    if (c->fd < 0)
        return vcpu_fail(err, errlen, "KVM_CREATE_VCPU", index);
    kvm_stats_open(&c->kstats, c->fd);
    c->run = mmap(NULL, (size_t)vm->vcpu_mmap_size, PROT_READ | PROT_WRITE,
                  MAP_SHARED, c->fd, 0);
    if (c->run == MAP_FAILED) {
        c->run = NULL;
        return vcpu_fail(err, errlen, "mmap kvm_run", index);
    }
    int rc = vcpu_set_cpuid(c, err, errlen);
    if (!rc)
        rc = vcpu_set_msrs(c, err, errlen);
    if (!rc)
        rc = vcpu_set_fpu(c, err, errlen);
    if (!rc)
        rc = vcpu_set_lint(c, err, errlen);
    return rc;
}

static void vcpu_flat_segment(struct kvm_segment *s, uint16_t selector,
                              uint8_t type, bool code64)
{
    memset(s, 0, sizeof(*s));
    s->base = 0;
    s->limit = 0xffffffff;
    s->selector = selector;
    s->type = type;
    s->present = 1;
    s->s = 1;
    s->g = 1;
    s->l = code64;
    s->db = !code64;
}

static void vcpu_boot_sregs(struct kvm_sregs *sr, bool long_mode)
{
    vcpu_flat_segment(&sr->cs, BOOT_GDT_CS, 0xb, long_mode); /* exec/read */
    vcpu_flat_segment(&sr->ds, BOOT_GDT_DS, 0x3, false);     /* read/write */
    sr->es = sr->fs = sr->gs = sr->ss = sr->ds;
    sr->gdt.base = BOOT_GDT_ADDR;
    sr->gdt.limit = 4 * 8 - 1;
    sr->idt.base = 0;
    sr->idt.limit = 0;
    sr->tr.type = 0xb; /* busy TSS, as VMX requires in either mode */
    sr->tr.present = 1;
    sr->tr.s = 0;
    sr->cr0 |= X86_CR0_PE | X86_CR0_ET;
    if (long_mode) {
        sr->cr3 = BOOT_PML4_ADDR;
        sr->cr4 |= X86_CR4_PAE;
        sr->cr0 |= X86_CR0_PG;
        sr->efer |= EFER_LME | EFER_LMA;
    }
}

int vcpu_setup_boot(struct vcpu *c, const struct boot_plan *plan, char *err,
                    size_t errlen)
{
    struct kvm_sregs sr;
    if (ioctl(c->fd, KVM_GET_SREGS, &sr) < 0)
        return vcpu_fail(err, errlen, "KVM_GET_SREGS", c->index);
    vcpu_boot_sregs(&sr, plan->long_mode);
    if (ioctl(c->fd, KVM_SET_SREGS, &sr) < 0)
        return vcpu_fail(err, errlen, "KVM_SET_SREGS", c->index);
    struct kvm_regs regs;
    memset(&regs, 0, sizeof(regs));
    regs.rflags = RFLAGS_RESERVED;
    regs.rip = plan->entry;
    regs.rsi = plan->zero_page_addr; /* the protocol's boot_params pointer */
    regs.rbx = plan->start_info_addr; /* PVH's hvm_start_info pointer */
    regs.rsp = regs.rbp = BOOT_STACK_TOP;
    if (ioctl(c->fd, KVM_SET_REGS, &regs) < 0)
        return vcpu_fail(err, errlen, "KVM_SET_REGS", c->index);
    return 0;
}

static void vcpu_kick_handler(int sig)
{
    (void)sig; /* only there so that KVM_RUN returns with EINTR */
}

void vcpu_install_kick_handler(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = vcpu_kick_handler;
    sigemptyset(&sa.sa_mask);
    sigaction(VCPU_KICK_SIGNAL, &sa, NULL);
}

static void vcpu_io(struct vcpu *c)
{
    struct kvm_run *r = c->run;
    uint8_t *data = (uint8_t *)r + r->io.data_offset;
    bool is_write = r->io.direction == KVM_EXIT_IO_OUT;
    for (uint32_t i = 0; i < r->io.count; i++, data += r->io.size) {
        if (bus_dispatch(&c->vm->bus, BUS_PIO, r->io.port, data, r->io.size,
                         is_write) < 0 && !is_write)
            memset(data, 0xff, r->io.size); /* nothing there: floating bus */
    }
}

static void vcpu_mmio(struct vcpu *c)
{
    struct kvm_run *r = c->run;
    uint32_t len = r->mmio.len > 8 ? 8 : r->mmio.len;
    if (bus_dispatch(&c->vm->bus, BUS_MMIO, r->mmio.phys_addr, r->mmio.data,
                     len, r->mmio.is_write) < 0) {
        if (!r->mmio.is_write)
            memset(r->mmio.data, 0xff, len);
        vm_log(c->vm, "vCPU %u: %s of %u bytes at unmapped 0x%llx", c->index,
               r->mmio.is_write ? "write" : "read", len,
               (unsigned long long)r->mmio.phys_addr);
    }
}

/* Answer the main thread's "are you halted with interrupts off?" */
static void vcpu_answer_halt_check(struct vcpu *c)
{
    struct kvm_mp_state mp;
    struct kvm_regs regs;
    int off = 0;
    enum exit_halt_check seen = EXIT_HALT_NOT;
    uint64_t rip = 0;
    if (ioctl(c->fd, KVM_GET_MP_STATE, &mp) == 0) {
        if (mp.mp_state == KVM_MP_STATE_UNINITIALIZED ||
            mp.mp_state == KVM_MP_STATE_INIT_RECEIVED)
            off = c->index != 0; /* an AP the guest never started */
        else if (mp.mp_state == KVM_MP_STATE_HALTED &&
                 ioctl(c->fd, KVM_GET_REGS, &regs) == 0) {
            off = !(regs.rflags & RFLAGS_IF);
            seen = off ? EXIT_HALT_IRQS_OFF : EXIT_HALT_IRQS_ON;
            rip = regs.rip;
        }
    }
    exit_counters_halt_checked(&c->exits, seen, rip);
    __atomic_store_n(&c->halted_off, off, __ATOMIC_SEQ_CST);
    __atomic_store_n(&c->check_halt, 0, __ATOMIC_SEQ_CST);
}

static void vcpu_report_crash(struct vcpu *c, const char *what)
{
    struct kvm_regs regs;
    if (ioctl(c->fd, KVM_GET_REGS, &regs) == 0)
        fprintf(stderr, "corral-vmm: guest crashed: %s on vCPU %u at rip 0x%llx\n",
                what, c->index, (unsigned long long)regs.rip);
    else
        fprintf(stderr, "corral-vmm: guest crashed: %s on vCPU %u\n", what,
                c->index);
    vm_request_stop(c->vm, VM_EXIT_CRASH);
}

static void vcpu_system_event(struct vcpu *c)
{
    switch (c->run->system_event.type) {
    case KVM_SYSTEM_EVENT_SHUTDOWN: vm_request_stop(c->vm, VM_EXIT_POWEROFF); break;
    case KVM_SYSTEM_EVENT_RESET:    vm_request_stop(c->vm, VM_EXIT_REBOOT); break;
    default:                        vcpu_report_crash(c, "system event crash"); break;
    }
}

/* Returns false when the loop must end. */
static bool vcpu_handle_exit(struct vcpu *c)
{
    struct kvm_run *r = c->run;
    switch (r->exit_reason) {
    case KVM_EXIT_IO:       vcpu_io(c); return true;
    case KVM_EXIT_MMIO:     vcpu_mmio(c); return true;
    case KVM_EXIT_INTR:     return true;
    case KVM_EXIT_HLT:      return true; /* not with an in-kernel LAPIC */
    case KVM_EXIT_SHUTDOWN: vcpu_report_crash(c, "triple fault (shutdown)"); return false;
    case KVM_EXIT_SYSTEM_EVENT: vcpu_system_event(c); return false;
    case KVM_EXIT_FAIL_ENTRY:
        fprintf(stderr, "corral-vmm: vCPU %u: VM entry failed, reason 0x%llx\n",
                c->index, (unsigned long long)r->fail_entry.hardware_entry_failure_reason);
        vcpu_report_crash(c, "VM entry failure");
        return false;
    case KVM_EXIT_INTERNAL_ERROR:
        fprintf(stderr, "corral-vmm: vCPU %u: KVM internal error, suberror %u%s\n",
                c->index, r->internal.suberror,
                r->internal.suberror == KVM_INTERNAL_ERROR_EMULATION
                    ? " (instruction emulation failed)" : "");
        vcpu_report_crash(c, "KVM internal error");
        return false;
    default:
        fprintf(stderr, "corral-vmm: vCPU %u: unexpected KVM exit %u\n",
                c->index, r->exit_reason);
        vcpu_report_crash(c, "unexpected exit");
        return false;
    }
}

/* Between exits, when the gate is closed: wait until it opens (or the VM
 * stops; vm_request_stop's caller opens it then). */
static void vcpu_park(struct vcpu *c)
{
    struct vcpu_gate *g = c->gate;
    pthread_mutex_lock(&g->lock);
    g->parked++;
    pthread_cond_broadcast(&g->changed);
    while (g->closed && !vm_stopping(c->vm))
        pthread_cond_wait(&g->changed, &g->lock);
    g->parked--;
    pthread_mutex_unlock(&g->lock);
}

void vcpu_gate_init(struct vcpu_gate *g)
{
    pthread_mutex_init(&g->lock, NULL);
    pthread_cond_init(&g->changed, NULL);
    g->closed = 0;
    g->parked = 0;
}

int vcpu_gate_pause(struct vcpu_gate *g, struct vcpu *vcpus, unsigned n,
                    int timeout_ms)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&g->lock);
    __atomic_store_n(&g->closed, 1, __ATOMIC_SEQ_CST);
    pthread_mutex_unlock(&g->lock);
    for (unsigned i = 0; i < n; i++)
        vcpu_kick(&vcpus[i]);
    int rc = 0;
    pthread_mutex_lock(&g->lock);
    while (g->parked < n && rc == 0)
        rc = pthread_cond_timedwait(&g->changed, &g->lock, &deadline);
    rc = g->parked < n ? -ETIMEDOUT : 0;
    pthread_mutex_unlock(&g->lock);
    return rc;
}

void vcpu_gate_resume(struct vcpu_gate *g)
{
    pthread_mutex_lock(&g->lock);
    __atomic_store_n(&g->closed, 0, __ATOMIC_SEQ_CST);
    pthread_cond_broadcast(&g->changed);
    pthread_mutex_unlock(&g->lock);
}

/* VCPU_NICE_INCREMENT on the calling thread only (PRIO_PROCESS, who 0:
 * the jail's filter allows nothing wider).  A failure costs speed only. */
static void vcpu_yield_to_devices(struct vcpu *c)
{
    errno = 0;
    int nice_now = getpriority(PRIO_PROCESS, 0);
    if ((nice_now == -1 && errno != 0) ||
        setpriority(PRIO_PROCESS, 0, nice_now + VCPU_NICE_INCREMENT) < 0)
        vm_log(c->vm, "vCPU %u: priority left as it was: %s", c->index, strerror(errno));
    else if (c->index == 0)
        vm_log(c->vm, "vCPU threads at nice %d (device threads at %d: first to a CPU)",
               nice_now + VCPU_NICE_INCREMENT, nice_now);
}

static void *vcpu_thread(void *arg)
{
    struct vcpu *c = arg;
    sigset_t unblock;
    sigemptyset(&unblock);
    sigaddset(&unblock, VCPU_KICK_SIGNAL);
    pthread_sigmask(SIG_UNBLOCK, &unblock, NULL);
    vcpu_yield_to_devices(c);
    if (c->index == 0)
        vm_log(c->vm, "vCPU 0: first KVM_RUN");
    while (!vm_stopping(c->vm)) {
        exit_counters_entering(&c->exits);
        int rc = ioctl(c->fd, KVM_RUN, 0);
        if (rc < 0 && errno != EINTR && errno != EAGAIN) {
            fprintf(stderr, "corral-vmm: vCPU %u: KVM_RUN: %s\n", c->index,
                    strerror(errno));
            vm_request_stop(c->vm, VM_EXIT_ERROR);
            break;
        }
        c->run->immediate_exit = 0;
        exit_counters_returned(&c->exits, rc, c->run->exit_reason);
        /* Only between exits: after an I/O or MMIO exit the instruction
         * completes in the next KVM_RUN, and reading the registers before
         * that (KVM_GET_REGS) corrupts an emulated string instruction -
         * firmware doing "rep insb" or real-mode MMIO hung that way. */
        if (rc < 0 && __atomic_load_n(&c->check_halt, __ATOMIC_SEQ_CST))
            vcpu_answer_halt_check(c);
        if (rc == 0 && !vcpu_handle_exit(c))
            break;
        if (c->gate && __atomic_load_n(&c->gate->closed, __ATOMIC_SEQ_CST))
            vcpu_park(c);
    }
    return NULL;
}

int vcpu_start(struct vcpu *c)
{
    int rc = pthread_create(&c->thread, NULL, vcpu_thread, c);
    c->thread_started = rc == 0;
    return -rc;
}

void vcpu_kick(struct vcpu *c)
{
    if (!c->thread_started)
        return;
    __atomic_store_n(&c->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
    pthread_kill(c->thread, VCPU_KICK_SIGNAL);
}

void vcpu_join(struct vcpu *c)
{
    if (c->thread_started)
        pthread_join(c->thread, NULL);
    c->thread_started = false;
}

void vcpu_destroy(struct vcpu *c)
{
    if (c->run)
        munmap(c->run, (size_t)c->vm->vcpu_mmap_size);
    if (c->fd >= 0)
        close(c->fd);
    kvm_stats_close(&c->kstats);
    c->run = NULL;
    c->fd = -1;
}
