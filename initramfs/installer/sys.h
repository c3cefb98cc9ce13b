/* sys: the installer's contact with the running system: programs it runs
 * (sfdisk, mke2fs, mkfs.fat, blkid, mount), files it reads and copies.
 * Every function reports failure in err with what it was doing, so that
 * the step that called it can say "step N failed: <err>". */
#ifndef CORRAL_INSTALLER_SYS_H
#define CORRAL_INSTALLER_SYS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Runs argv (searched in PATH) with input on its stdin (NULL: /dev/null);
 * its output goes into out (may be NULL; NUL terminated, truncated to
 * out_len).  Returns 0 when it exited 0; else -1 with err naming the
 * program, its status and the last line it printed. */
int run_program(const char *const argv[], const char *input, char *out, size_t out_len,
                char *err, size_t err_len);

/* Reads a whole small file into a malloc'd NUL-terminated buffer; NULL
 * with err on failure (len gets the size when not NULL). */
char *read_file(const char *path, size_t max, size_t *len, char *err, size_t err_len);
/* First line of a sysfs attribute with surrounding blanks removed; ""
 * when it cannot be read. */
void read_attr(const char *path, char *out, size_t len);

/* Copies src to dst (through dst.tmp, fsync, rename, fsync of the dir). */
int copy_file_synced(const char *src, const char *dst, mode_t mode, char *err,
                     size_t err_len);
/* Writes data to dst the same way. */
int write_file_synced(const char *dst, const void *data, size_t len, mode_t mode,
                      char *err, size_t err_len);
/* Writes len bytes at offset of a block device and flushes them. */
int write_device(const char *dev, uint64_t offset, const void *data, size_t len,
                 char *err, size_t err_len);
int read_device(const char *dev, uint64_t offset, void *data, size_t len, char *err,
                size_t err_len);

/* mkdir -p with mode for the directories it creates. */
int make_dirs(const char *path, mode_t mode, char *err, size_t err_len);
/* Waits up to timeout_s for a path to exist. */
int wait_for_path(const char *path, double timeout_s);

#endif
