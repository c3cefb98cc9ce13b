/* Copies of a fuzz input that make a parser's overreads visible to ASan:
 * the bytes exactly (a read one past the end is past the allocation), or
 * the text with its NUL added for parsers that take a C string.  Both
 * abort on allocation failure rather than skip the input silently. */
#ifndef CORRAL_FUZZ_INPUT_H
#define CORRAL_FUZZ_INPUT_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static inline uint8_t *fuzz_input_bytes(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        abort();
    memcpy(copy, data, size);
    return copy;
}

static inline char *fuzz_input_text(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        abort();
    memcpy(text, data, size);
    text[size] = '\0';
    return text;
}

#endif
