/* vm: KVM VM creation, memory slots, irqchip (see vm.h). */
#include "vm.h"
#include "clock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define KVM_DEFAULT_DEV  "/dev/kvm"
/* Intel VMX needs three pages for the real-mode TSS and one for the
 * identity map, somewhere no RAM or device lives (guest_mem.h). */
#define VM_IDENTITY_ADDR GUEST_MEM_KVM_PAGES_ADDR
#define VM_TSS_ADDR      (GUEST_MEM_KVM_PAGES_ADDR + 0x1000)
#define CPUID_MAX_ENTRIES 256

static int vm_fail(char *err, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int vm_fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return rc;
}

static uint64_t vm_log_epoch_ns;

void vm_log_start_clock(void)
{
    vm_log_epoch_ns = clock_monotonic_ns();
}

/* Milliseconds since vm_log_start_clock(): -v output doubles as a boot
 * timeline (exec to first KVM_RUN, to the guest's first console byte). */
static double vm_log_elapsed_ms(void)
{
    return (double)(clock_monotonic_ns() - vm_log_epoch_ns) / 1e6;
}

double vm_uptime_s(void)
{
    return vm_log_elapsed_ms() / 1e3;
}

void vm_log(const struct vm *vm, const char *fmt, ...)
{
    if (!vm->verbose)
        return;
    va_list ap;
    va_start(ap, fmt);
    /* One line per message although vCPU and I/O threads log at once. */
    flockfile(stderr);
    fprintf(stderr, "corral-vmm: [%8.1f ms] ", vm_log_elapsed_ms());
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    funlockfile(stderr);
    va_end(ap);
}

int vm_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("corral-vmm: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return VM_EXIT_ERROR;
}

static int vm_open_kvm(struct vm *vm, char *err, size_t errlen)
{
    const char *dev = getenv("CORRAL_KVM_DEV");
    if (!dev || !*dev)
        dev = KVM_DEFAULT_DEV;
    vm->kvm_fd = open(dev, O_RDWR | O_CLOEXEC);
    if (vm->kvm_fd < 0)
        return vm_fail(err, errlen, -errno, "%s: %s (is KVM enabled and the "
                       "kvm-intel/kvm-amd module loaded?)", dev, strerror(errno));
    int api = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
    if (api != KVM_API_VERSION)
        return vm_fail(err, errlen, -ENOTSUP, "%s: KVM API version %d, need %d",
                       dev, api, KVM_API_VERSION);
    static const struct { int cap; const char *name; } caps[] = {
        { KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP" },
        { KVM_CAP_PIT2, "KVM_CAP_PIT2" },
        { KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
        { KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
        { KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
        { KVM_CAP_SIGNAL_MSI, "KVM_CAP_SIGNAL_MSI" },
    };
    for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
        if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, caps[i].cap) <= 0)
            return vm_fail(err, errlen, -ENOTSUP, "%s: KVM lacks %s", dev,
                           caps[i].name);
    vm->vcpu_mmap_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (vm->vcpu_mmap_size <= 0)
        return vm_fail(err, errlen, -EIO, "%s: KVM_GET_VCPU_MMAP_SIZE failed", dev);
    return 0;
}

static int vm_get_supported_cpuid(struct vm *vm, char *err, size_t errlen)
{
    size_t bytes = sizeof(struct kvm_cpuid2) +
                   CPUID_MAX_ENTRIES * sizeof(struct kvm_cpuid_entry2);
    vm->supported_cpuid = calloc(1, bytes);
    if (!vm->supported_cpuid)
        return vm_fail(err, errlen, -ENOMEM, "out of memory");
    vm->supported_cpuid->nent = CPUID_MAX_ENTRIES;
    if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, vm->supported_cpuid) < 0)
        return vm_fail(err, errlen, -errno, "KVM_GET_SUPPORTED_CPUID: %s",
                       strerror(errno));
    return 0;
}

static int vm_set_slot_flags(struct vm *vm, uint32_t slot, uint32_t flags,
                             uint64_t gpa, uint64_t size, void *host,
                             char *err, size_t errlen)
{
    struct kvm_userspace_memory_region r = {
        .slot = slot, .flags = flags, .guest_phys_addr = gpa, .memory_size = size,
        .userspace_addr = (uint64_t)(uintptr_t)host,
    };
    if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
        return vm_fail(err, errlen, -errno,
                       "KVM_SET_USER_MEMORY_REGION %llu MiB at 0x%llx: %s",
                       (unsigned long long)(size >> 20),
                       (unsigned long long)gpa, strerror(errno));
    return 0;
}

static int vm_set_slot(struct vm *vm, uint32_t slot, uint64_t gpa,
                       uint64_t size, void *host, char *err, size_t errlen)
{
    return vm_set_slot_flags(vm, slot, 0, gpa, size, host, err, errlen);
}

int vm_map_rom(struct vm *vm, uint64_t gpa, uint64_t size, void *host,
               char *err, size_t errlen)
{
    if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) <= 0)
        return vm_fail(err, errlen, -ENOTSUP, "KVM lacks KVM_CAP_READONLY_MEM");
    return vm_set_slot_flags(vm, VM_SLOT_ROM, KVM_MEM_READONLY, gpa, size,
                             host, err, errlen);
}

/* Before any vCPU runs: KVM cannot shrink a slot, so slot 0 is deleted
 * and made again up to the hole, and the RAM after it gets its own slot. */
int vm_punch_vga_hole(struct vm *vm, char *err, size_t errlen)
{
    if (vm->mem.low_size <= VM_VGA_HOLE_END)
        return vm_fail(err, errlen, -EINVAL, "a VGA needs more than %llu KiB of RAM",
                       VM_VGA_HOLE_END >> 10);
    int rc = vm_set_slot(vm, VM_SLOT_RAM_LOW, 0, 0, vm->mem.host, err, errlen);
    if (!rc)
        rc = vm_set_slot(vm, VM_SLOT_RAM_LOW, 0, VM_VGA_HOLE_BASE, vm->mem.host,
                         err, errlen);
    if (!rc)
        rc = vm_set_slot(vm, VM_SLOT_RAM_ABOVE_VGA, VM_VGA_HOLE_END,
                         vm->mem.low_size - VM_VGA_HOLE_END,
                         vm->mem.host + VM_VGA_HOLE_END, err, errlen);
    return rc;
}

int vm_map_ram_slot(struct vm *vm, enum vm_slot slot, uint64_t gpa,
                    uint64_t size, void *host, bool log_dirty)
{
    char err[160];
    return vm_set_slot_flags(vm, slot, log_dirty ? KVM_MEM_LOG_DIRTY_PAGES : 0,
                             gpa, size, host, err, sizeof(err));
}

int vm_map_readonly_slot(struct vm *vm, enum vm_slot slot, uint64_t gpa,
                         uint64_t size, void *host)
{
    char err[160];
    if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) <= 0)
        return -ENOTSUP;
    return vm_set_slot_flags(vm, slot, KVM_MEM_READONLY, gpa, size, host, err,
                             sizeof(err));
}

int vm_unmap_slot(struct vm *vm, enum vm_slot slot)
{
    struct kvm_userspace_memory_region r = { .slot = slot };
    return ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0 ? -errno : 0;
}

int vm_dirty_log(struct vm *vm, enum vm_slot slot, uint64_t *bitmap)
{
    struct kvm_dirty_log log = { .slot = slot, .dirty_bitmap = bitmap };
    return ioctl(vm->vm_fd, KVM_GET_DIRTY_LOG, &log) < 0 ? -errno : 0;
}

#ifndef MAP_HUGE_2MB
#define MAP_HUGE_2MB (21 << 26) /* log2(2 MiB) << MAP_HUGE_SHIFT */
#endif
#define VM_HUGEPAGES_SYSFS "/sys/kernel/mm/hugepages/hugepages-2048kB/"

/* One anonymous mapping for all of RAM, 2 MiB-aligned; MAP_NORESERVE and
 * no MAP_POPULATE: a page costs host memory only once the guest touches
 * it.  Returns MAP_FAILED with errno set. */
static void *vm_map_anon_aligned(uint64_t bytes)
{
    uint8_t *raw = mmap(NULL, bytes + GUEST_MEM_HUGE_PAGE, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (raw == MAP_FAILED)
        return MAP_FAILED;
    struct guest_mem_trim t = guest_mem_trim_for((uint64_t)(uintptr_t)raw);
    if (t.head)
        munmap(raw, t.head);
    munmap(raw + t.head + bytes, t.tail);
    return raw + t.head;
}

/* Transparent huge pages: with THP in "madvise" mode (and to be sure in
 * "always") the host then backs the guest's RAM with 2 MiB pages as it
 * touches them, and KVM maps each with one nested page-table entry instead
 * of 512 (the nested page faults per boot: docs/corral-vmm.md, "RAM and
 * huge pages").  Without THP in the host kernel RAM stays on 4 KiB pages,
 * which works, only slower. */
static void vm_advise_huge_pages(struct vm *vm, void *host, uint64_t bytes)
{
    if (madvise(host, bytes, MADV_HUGEPAGE) < 0)
        vm_log(vm, "madvise(MADV_HUGEPAGE) on guest RAM: %s (RAM stays on "
               "4 KiB pages)", strerror(errno));
}

/* A number from a file of /sys/kernel/mm/hugepages/hugepages-2048kB/, or
 * -1.  read() and strtol rather than fscanf, which would add 20 KiB of
 * scanf to the static binary. */
static long vm_read_hugepages_count(const char *name)
{
    char path[128], text[32];
    snprintf(path, sizeof(path), "%s%s", VM_HUGEPAGES_SYSFS, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, text, sizeof(text) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    text[n] = '\0';
    char *end;
    long count = strtol(text, &end, 10);
    return end == text ? -1 : count;
}

/* 2 MiB pages the admin reserved that no mapping has claimed yet. */
static long vm_available_huge_pages(void)
{
    long free_pages = vm_read_hugepages_count("free_hugepages");
    long claimed = vm_read_hugepages_count("resv_hugepages");
    if (claimed < 0)
        claimed = 0;
    return free_pages > claimed ? free_pages - claimed : 0;
}

static int vm_hugepages_short(uint64_t needed, char *err, size_t errlen)
{
    return vm_fail(err, errlen, -ENOMEM,
                   "hugepages = yes: only %ld of %llu 2 MiB pages reserved; "
                   "see /proc/sys/vm/nr_hugepages", vm_available_huge_pages(),
                   (unsigned long long)needed);
}

/* hugepages = yes: all of RAM from the admin's pool of 2 MiB hugetlbfs
 * pages, taken and faulted in now (MAP_POPULATE), so that the guest never
 * waits for the host to find memory and the pages cannot be taken by
 * another VM later. */
static void *vm_map_hugetlb(uint64_t needed, char *err, size_t errlen)
{
    uint64_t map_bytes = needed * GUEST_MEM_HUGE_PAGE;
    if ((uint64_t)vm_available_huge_pages() < needed) {
        vm_hugepages_short(needed, err, errlen);
        return MAP_FAILED;
    }
    void *host = mmap(NULL, map_bytes, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_HUGE_2MB |
                      MAP_POPULATE, -1, 0);
    if (host == MAP_FAILED && errno == ENOMEM) /* another VM took them first */
        vm_hugepages_short(needed, err, errlen);
    else if (host == MAP_FAILED)
        vm_fail(err, errlen, -errno, "hugepages = yes: cannot map %llu MiB of "
                "hugetlbfs pages: %s", (unsigned long long)(map_bytes >> 20),
                strerror(errno));
    return host;
}

static void *vm_map_ram(struct vm *vm, uint64_t bytes, bool hugepages,
                        char *err, size_t errlen)
{
    void *host;
    if (hugepages) {
        uint64_t pages = guest_mem_huge_pages(bytes);
        vm->ram_map_bytes = pages * GUEST_MEM_HUGE_PAGE;
        host = vm_map_hugetlb(pages, err, errlen);
        if (host != MAP_FAILED)
            vm_log(vm, "guest RAM on %llu preallocated 2 MiB hugetlbfs pages",
                   (unsigned long long)pages);
        return host;
    }
    vm->ram_map_bytes = bytes;
    host = vm_map_anon_aligned(bytes);
    if (host == MAP_FAILED)
        vm_fail(err, errlen, -errno, "cannot map %llu MiB of guest RAM: %s",
                (unsigned long long)(bytes >> 20), strerror(errno));
    else
        vm_advise_huge_pages(vm, host, bytes);
    return host;
}

static int vm_map_memory(struct vm *vm, uint64_t bytes, bool hugepages,
                         char *err, size_t errlen)
{
    void *host = vm_map_ram(vm, bytes, hugepages, err, errlen);
    if (host == MAP_FAILED)
        return -ENOMEM;
    guest_mem_layout(&vm->mem, host, bytes);
    int rc = vm_set_slot(vm, VM_SLOT_RAM_LOW, 0, vm->mem.low_size, host, err, errlen);
    if (!rc && vm->mem.high_size)
        rc = vm_set_slot(vm, VM_SLOT_RAM_HIGH, GUEST_MEM_HIGH_BASE, vm->mem.high_size,
                         vm->mem.host + vm->mem.low_size, err, errlen);
    return rc;
}

static int vm_create_irqchip(struct vm *vm, char *err, size_t errlen)
{
    if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)VM_TSS_ADDR) < 0)
        return vm_fail(err, errlen, -errno, "KVM_SET_TSS_ADDR: %s", strerror(errno));
    uint64_t ident = VM_IDENTITY_ADDR;
    if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &ident) < 0)
        return vm_fail(err, errlen, -errno, "KVM_SET_IDENTITY_MAP_ADDR: %s",
                       strerror(errno));
    if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
        return vm_fail(err, errlen, -errno, "KVM_CREATE_IRQCHIP: %s", strerror(errno));
    /* The PC speaker port 0x61 is handled in the kernel as a dummy. */
    struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
    if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
        return vm_fail(err, errlen, -errno, "KVM_CREATE_PIT2: %s", strerror(errno));
    return 0;
}

int vm_create(struct vm *vm, uint64_t mem_bytes, bool hugepages, bool verbose,
              char *err, size_t errlen)
{
    int rc;
    memset(vm, 0, sizeof(*vm));
    vm->kvm_fd = vm->vm_fd = -1;
    vm->stop_fd[0] = vm->stop_fd[1] = -1;
    vm->verbose = verbose;
    vm->exit_status = VM_RUNNING;
    if (pipe2(vm->stop_fd, O_CLOEXEC | O_NONBLOCK) < 0)
        return vm_fail(err, errlen, -errno, "pipe: %s", strerror(errno));
    if ((rc = bus_init(&vm->bus)) < 0)
        return vm_fail(err, errlen, rc, "bus: %s", strerror(-rc));
    if ((rc = vm_open_kvm(vm, err, errlen)) < 0)
        return rc;
    vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
    if (vm->vm_fd < 0)
        return vm_fail(err, errlen, -errno, "KVM_CREATE_VM: %s", strerror(errno));
    if ((rc = vm_get_supported_cpuid(vm, err, errlen)) < 0 ||
        (rc = vm_create_irqchip(vm, err, errlen)) < 0 ||
        (rc = vm_map_memory(vm, mem_bytes, hugepages, err, errlen)) < 0)
        return rc;
    vm_log(vm, "VM created: %llu MiB RAM (%llu MiB below 4 GiB)",
           (unsigned long long)(mem_bytes >> 20),
           (unsigned long long)(vm->mem.low_size >> 20));
    return 0;
}

void vm_destroy(struct vm *vm)
{
    if (vm->mem.host)
        munmap(vm->mem.host, vm->ram_map_bytes);
    if (vm->vm_fd >= 0)
        close(vm->vm_fd);
    if (vm->kvm_fd >= 0)
        close(vm->kvm_fd);
    free(vm->supported_cpuid);
    vm->mem.host = NULL;
    vm->vm_fd = vm->kvm_fd = -1;
}

int vm_irq_line(struct vm *vm, uint32_t gsi, int level)
{
    struct kvm_irq_level irq = { .irq = gsi, .level = level ? 1 : 0 };
    return ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq) < 0 ? -errno : 0;
}

int vm_signal_msi(struct vm *vm, uint64_t addr, uint32_t data)
{
    struct kvm_msi msi = {
        .address_lo = (uint32_t)addr,
        .address_hi = (uint32_t)(addr >> 32),
        .data = data,
    };
    return ioctl(vm->vm_fd, KVM_SIGNAL_MSI, &msi) < 0 ? -errno : 0;
}

void vm_request_shutdown(struct vm *vm)
{
    __atomic_store_n(&vm->shutdown_requested, 1, __ATOMIC_SEQ_CST);
}

void vm_request_stop(struct vm *vm, enum vm_exit_status status)
{
    int expected = VM_RUNNING;
    if (status == VM_EXIT_REBOOT &&
        __atomic_load_n(&vm->shutdown_requested, __ATOMIC_SEQ_CST)) {
        vm_log(vm, "guest reset after the shutdown request: powered off");
        status = VM_EXIT_POWEROFF;
    }
    if (__atomic_compare_exchange_n(&vm->exit_status, &expected, (int)status,
                                    false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
        char b = 1;
        if (write(vm->stop_fd[1], &b, 1) < 0) {
            /* the pipe is empty the first time: cannot fail in practice */
        }
    }
}

bool vm_stopping(const struct vm *vm)
{
    return __atomic_load_n(&vm->exit_status, __ATOMIC_SEQ_CST) != VM_RUNNING;
}
