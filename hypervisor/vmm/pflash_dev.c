/* pflash_dev: the firmware flash's memory, file and slot (see pflash_dev.h). */
#include "pflash_dev.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdio.h"
#include "nvram_file.h"

static int pflash_dev_fail(char *err, size_t errlen, const char *path,
                           const char *why, int rc)
{
    snprintf(err, errlen, "%s: %s", path, why);
    return rc;
}

/* Page-aligned memory (a KVM slot's requirement) holding a copy of buf. */
static int pflash_dev_alloc(struct pflash_dev *d, const uint8_t *buf, size_t len,
                            const char *path, bool writable)
{
    memset(d, 0, sizeof(*d));
    d->fd = -1;
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return -errno;
    memcpy(p, buf, len);
    d->array = p;
    d->size = len;
    d->path = path;
    d->writable = writable;
    pthread_mutex_init(&d->lock, NULL);
    return pflash_init(&d->flash, d->array, len, PFLASH_BLOCK_SIZE);
}

static void pflash_dev_free(struct pflash_dev *d)
{
    if (d->array) {
        munmap(d->array, d->size);
        pthread_mutex_destroy(&d->lock);
    }
    if (d->fd >= 0)
        close(d->fd);
    d->array = NULL;
    d->fd = -1;
}

int pflash_dev_open_code(struct pflash_dev *d, const char *path, char *err,
                         size_t errlen)
{
    uint8_t *img;
    size_t len;
    int rc = fdio_read_file(path, PFLASH_TOTAL_MAX, &img, &len);
    if (rc == -EINVAL || rc == -EFBIG || (!rc && (!len || len % PFLASH_BLOCK_SIZE))) {
        if (!rc)
            free(img);
        char why[120];
        snprintf(why, sizeof(why), "not a UEFI firmware code image: it must be "
                 "a regular file of a multiple of %u bytes up to %llu MiB",
                 PFLASH_BLOCK_SIZE, PFLASH_TOTAL_MAX >> 20);
        return pflash_dev_fail(err, errlen, path, why, -EINVAL);
    }
    if (rc)
        return pflash_dev_fail(err, errlen, path, strerror(-rc), rc);
    rc = pflash_dev_alloc(d, img, len, path, false);
    free(img);
    if (rc) {
        pflash_dev_free(d);
        return pflash_dev_fail(err, errlen, path, strerror(-rc), rc);
    }
    return 0;
}

int pflash_dev_open_vars(struct pflash_dev *d, const char *path, char *err,
                         size_t errlen)
{
    uint8_t *buf;
    size_t len;
    int rc = nvram_file_read(path, &buf, &len, err, errlen);
    if (rc)
        return rc;
    rc = pflash_dev_alloc(d, buf, len, path, true);
    free(buf);
    if (rc) {
        pflash_dev_free(d);
        return pflash_dev_fail(err, errlen, path, strerror(-rc), rc);
    }
    d->fd = open(path, O_RDWR | O_CLOEXEC);
    if (d->fd < 0) {
        rc = -errno;
        pflash_dev_free(d);
        return pflash_dev_fail(err, errlen, path, strerror(-rc), rc);
    }
    return 0;
}

void pflash_dev_set_romd_fn(struct pflash_dev *d, pflash_romd_fn fn, void *ctx)
{
    d->set_romd = fn;
    d->romd_ctx = ctx;
}

static void pflash_dev_io_error(struct pflash_dev *d, const char *what, int rc)
{
    if (!d->io_error) {
        d->io_error = rc;
        vm_error("nvram %s: %s: %s: UEFI variables may be lost", d->path,
                 what, strerror(-rc));
    }
}

static void pflash_dev_write_back(struct pflash_dev *d, uint64_t off, uint64_t len)
{
    uint64_t done = 0;
    while (done < len) {
        ssize_t n = pwrite(d->fd, d->array + off + done, len - done,
                           (off_t)(off + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            pflash_dev_io_error(d, "write", n < 0 ? -errno : -EIO);
            return;
        }
        done += (uint64_t)n;
    }
    d->unsynced = true;
}

static void pflash_dev_sync(struct pflash_dev *d)
{
    if (!d->unsynced)
        return;
    d->unsynced = false;
    if (fdatasync(d->fd) < 0)
        pflash_dev_io_error(d, "fdatasync", -errno);
}

static void pflash_dev_apply(struct pflash_dev *d, const struct pflash_effect *e)
{
    if (e->dirty_len)
        pflash_dev_write_back(d, e->dirty_off, e->dirty_len);
    if (e->sync)
        pflash_dev_sync(d);
    if (e->romd_changed && d->set_romd) {
        int rc = d->set_romd(d->romd_ctx, pflash_romd(&d->flash));
        if (rc)
            vm_error("nvram %s: %s the flash slot: %s", d->path,
                     pflash_romd(&d->flash) ? "mapping" : "unmapping",
                     strerror(-rc));
    }
}

void pflash_dev_mmio(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
                     bool is_write)
{
    struct pflash_dev *d = opaque;
    if (!d->writable) {
        /* The code: writes are dropped; reads (the slot serves them) never
         * change its state, so they need no lock. */
        if (!is_write)
            pflash_read(&d->flash, offset, data, len);
        return;
    }
    pthread_mutex_lock(&d->lock);
    if (is_write) {
        struct pflash_effect e = pflash_write(&d->flash, offset, data, len);
        pflash_dev_apply(d, &e);
    } else {
        pflash_read(&d->flash, offset, data, len);
    }
    pthread_mutex_unlock(&d->lock);
}

static int pflash_dev_kvm_romd(void *ctx, bool romd)
{
    struct pflash_dev *d = ctx;
    if (romd)
        return vm_map_readonly_slot(d->vm, d->slot, d->gpa, d->size, d->array);
    return vm_unmap_slot(d->vm, d->slot);
}

int pflash_dev_map(struct pflash_dev *d, struct vm *vm, enum vm_slot slot,
                   uint64_t gpa, char *err, size_t errlen)
{
    d->vm = vm;
    d->slot = slot;
    d->gpa = gpa;
    int rc = vm_map_readonly_slot(vm, slot, gpa, d->size, d->array);
    if (rc)
        return pflash_dev_fail(err, errlen, d->path, strerror(-rc), rc);
    rc = bus_register(&vm->bus, BUS_MMIO, gpa, d->size, pflash_dev_mmio, d,
                      d->writable ? "pflash-vars" : "pflash-code");
    if (rc)
        return pflash_dev_fail(err, errlen, d->path,
                               "its range overlaps another device", rc);
    if (d->writable)
        pflash_dev_set_romd_fn(d, pflash_dev_kvm_romd, d);
    return 0;
}

int pflash_dev_close(struct pflash_dev *d)
{
    if (d->fd >= 0) {
        pthread_mutex_lock(&d->lock);
        pflash_dev_sync(d);
        pthread_mutex_unlock(&d->lock);
    }
    int rc = d->io_error;
    pflash_dev_free(d);
    return rc;
}
