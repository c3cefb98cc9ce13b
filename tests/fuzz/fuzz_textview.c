/* libFuzzer target for textview_split (console-ui/textview.c): whatever a
 * log or a command printed (a guest writes any bytes to its console).
 * Every display line fits the width and holds only printable ASCII, so
 * the terminal never wraps or interprets it. */
#include "../../console-ui/textview.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct text_lines tl;
    char *text;
    int width;

    if (size < 1)
        return 0;
    width = data[0] % 100; /* 0 is taken as 1 */
    text = malloc(size);
    if (!text)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    if (textview_split(text, width, &tl) == 0) {
        for (int i = 0; i < tl.count; i++) {
            if (tl.len[i] < 0 || tl.len[i] > (width < 1 ? 1 : width))
                abort();
            for (int c = 0; c < tl.len[i]; c++)
                if (tl.start[i][c] < ' ' || tl.start[i][c] > '~')
                    abort();
        }
    }
    textview_free(&tl);
    free(text);
    return 0;
}
