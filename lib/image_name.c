/* image_name: image file names (see image_name.h). */
#include "image_name.h"

#include <string.h>
#include <strings.h>

bool image_name_valid(const char *name)
{
    if (!name || !name[0] || name[0] == '.' || name[0] == '-' || strlen(name) > IMAGE_NAME_MAX)
        return false;
    for (const char *p = name; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-+", *p))
            return false;
    return true;
}

static bool image_has_suffix(const char *name, const char *suffix)
{
    size_t n = strlen(name), s = strlen(suffix);
    return n >= s && strcasecmp(name + n - s, suffix) == 0;
}

const char *image_kind(const char *name)
{
    if (image_has_suffix(name, ".iso"))
        return "iso";
    if (strstr(name, "vmlinuz") || strstr(name, "bzImage") || strstr(name, "kernel"))
        return "kernel";
    if (strstr(name, "initrd") || strstr(name, "initramfs") || image_has_suffix(name, ".cpio") ||
        image_has_suffix(name, ".cpio.gz"))
        return "initrd";
    return "disk";
}
