/* isofile: is a file an ISO 9660 image?  The upgrade screen refuses
 * anything else before it hands the file to corral-install --upgrade, so
 * that a wrong pick (a disk image, a kernel) gets a clear reason at once. */
#ifndef CORRAL_SETUP_ISOFILE_H
#define CORRAL_SETUP_ISOFILE_H

#include <stddef.h>

/* 0 when path is a readable ISO 9660 image (its primary volume descriptor
 * at byte 32768 says "CD001"); else -errno or -EINVAL with the reason in
 * why. */
int isofile_check(const char *path, char *why, size_t len);

#endif
