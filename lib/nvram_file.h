/* nvram_file: reading, checking and creating a VM's UEFI variables file
 * (nvram.h says what a good one is).  Errors read "PATH: reason", the
 * same from corrald (create, edit, start) and corral-vmm. */
#ifndef CORRAL_NVRAM_FILE_H
#define CORRAL_NVRAM_FILE_H

#include <stddef.h>
#include <stdint.h>

/* Reads the whole file into a new malloc'd buffer (*buf, *len) and checks
 * it.  0, or -errno with the reason in err (nothing allocated). */
int nvram_file_read(const char *path, uint8_t **buf, size_t *len, char *err,
                    size_t errlen);
/* Just the check.  0 or -errno with the reason. */
int nvram_file_check(const char *path, char *err, size_t errlen);
/* Makes dest a copy of template (checked first) without ever leaving a
 * half-written dest: the copy goes to "dest.tmp", is fsynced and renamed
 * over dest, and the directory is fsynced.  0 or -errno with the reason. */
int nvram_file_create(const char *template_path, const char *dest, char *err,
                      size_t errlen);

#endif
