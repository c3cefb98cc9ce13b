/* libFuzzer target for medialist_parse (console-ui/medialist.c): blkid's
 * listing and /proc/mounts, both from outside (a USB stick's label is
 * whatever its maker wrote).  Any input: no crash, at most max entries,
 * every field terminated and free of control characters in labels. */
#include "../../console-ui/medialist.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct media_part parts[MEDIALIST_MAX];
    char *text = malloc(size + 1), *mounts, line[128];
    size_t n;

    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    /* The first NUL (or none) splits the input into blkid's and the
     * mounts' text. */
    mounts = strlen(text) < size ? text + strlen(text) + 1 : NULL;
    n = medialist_parse(text, mounts, parts, 4);
    if (n > 4)
        abort();
    for (size_t i = 0; i < n; i++) {
        if (strncmp(parts[i].device, "/dev/", 5) != 0 || !parts[i].type[0])
            abort();
        for (const char *c = parts[i].label; *c; c++)
            if ((unsigned char)*c < ' ')
                abort();
        medialist_describe(&parts[i], (uint64_t)size << 30, line, sizeof(line));
    }
    medialist_is_image(text);
    free(text);
    return 0;
}
