/* efi: UEFI load options and BootOrder (efi.h). */
#include "efi.h"

#include "hex.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int guid_parse(const char *text, uint8_t out[16])
{
    /* Text order of the 16 bytes; fields 1-3 are stored little-endian. */
    static const int order[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
    uint8_t bytes[16];
    size_t n = 0;
    if (strlen(text) != 36)
        return -EINVAL;
    for (size_t i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (text[i] != '-')
                return -EINVAL;
            continue;
        }
        int hi = hex_digit_value(text[i]), lo = hex_digit_value(text[i + 1]);
        if (hi < 0 || lo < 0)
            return -EINVAL;
        bytes[n++] = (uint8_t)(hi << 4 | lo);
        i++;
    }
    for (int i = 0; i < 16; i++)
        out[order[i]] = bytes[i];
    return 0;
}

void guid_format_random(const uint8_t random[16], char out[37])
{
    uint8_t b[16];
    memcpy(b, random, sizeof(b));
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
             b[12], b[13], b[14], b[15]);
}

struct writer {
    uint8_t *buf;
    size_t len, used;
    int overflow;
};

static void put(struct writer *w, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++, v >>= 8) {
        if (w->used < w->len)
            w->buf[w->used] = (uint8_t)v;
        else
            w->overflow = 1;
        w->used++;
    }
}

static int put_ucs2(struct writer *w, const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s > 0x7e || (unsigned char)*s < 0x20)
            return -1;
        put(w, (unsigned char)*s, 2);
    }
    put(w, 0, 2);
    return 0;
}

size_t efi_load_option(const char *description, uint32_t partition_number,
                       uint64_t start_lba, uint64_t sectors, const uint8_t guid[16],
                       const char *path, uint8_t *buf, size_t len)
{
    struct writer w = {buf, len, 0, 0};
    size_t file_node = 4 + 2 * (strlen(path) + 1), hd_node = 42;
    put(&w, 0x1, 4); /* LOAD_OPTION_ACTIVE */
    put(&w, hd_node + file_node + 4, 2);
    if (put_ucs2(&w, description))
        return 0;
    put(&w, 0x04, 1); /* media device path: hard drive */
    put(&w, 0x01, 1);
    put(&w, hd_node, 2);
    put(&w, partition_number, 4);
    put(&w, start_lba, 8);
    put(&w, sectors, 8);
    for (int i = 0; i < 16; i++)
        put(&w, guid[i], 1);
    put(&w, 0x02, 1); /* partition format: GPT */
    put(&w, 0x02, 1); /* signature type: GUID */
    put(&w, 0x04, 1); /* media device path: file path */
    put(&w, 0x04, 1);
    put(&w, file_node, 2);
    if (put_ucs2(&w, path))
        return 0;
    put(&w, 0x7f, 1); /* end of the device path */
    put(&w, 0xff, 1);
    put(&w, 4, 2);
    return w.overflow ? 0 : w.used;
}

void efi_load_option_description(const uint8_t *data, size_t len, char *out, size_t out_len)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 6; i + 1 < len && n + 1 < out_len; i += 2) {
        uint16_t c = (uint16_t)(data[i] | data[i + 1] << 8);
        if (c == 0) {
            out[n] = '\0';
            return;
        }
        out[n++] = c < 0x80 ? (char)c : '?';
    }
    out[0] = '\0'; /* no terminator: not a load option */
}

size_t efi_boot_order_prepend(const uint8_t *old, size_t old_len, uint16_t number,
                              uint8_t *out, size_t out_len)
{
    size_t used = 0;
    if (out_len < 2)
        return 0;
    out[used++] = (uint8_t)(number & 0xff);
    out[used++] = (uint8_t)(number >> 8);
    for (size_t i = 0; i + 1 < old_len; i += 2) {
        if ((old[i] | old[i + 1] << 8) == number)
            continue;
        if (used + 2 > out_len)
            return 0;
        out[used++] = old[i];
        out[used++] = old[i + 1];
    }
    return used;
}
