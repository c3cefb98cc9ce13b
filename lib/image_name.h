/* image_name: the names of files in STATE/images (kernels, initrds, disk
 * images, ISOs), for the CLI's import and corrald's image commands. */
#ifndef CORRAL_IMAGE_NAME_H
#define CORRAL_IMAGE_NAME_H

#include <stdbool.h>

#define IMAGE_NAME_MAX 128

/* 1-IMAGE_NAME_MAX of letters, digits, '.', '_', '-', '+', not starting
 * with '.' or '-' (so never "..", a hidden file, a path or an option). */
bool image_name_valid(const char *name);
/* What an image is, from its name: "iso", "kernel", "initrd" or "disk". */
const char *image_kind(const char *name);

#endif
