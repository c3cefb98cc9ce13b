/* png: the PNG writer (see png.h). */
#include "png.h"

#include "byteorder.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static const uint8_t png_signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

/* Appends one chunk (length, type, data, CRC of type and data) at *pos. */
static void put_chunk(uint8_t *buf, size_t *pos, const char type[4],
                      const uint8_t *data, uint32_t len)
{
    uint8_t *p = buf + *pos;
    put_be32(p, len);
    memcpy(p + 4, type, 4);
    if (len)
        memmove(p + 8, data, len);
    uint32_t crc = (uint32_t)crc32(0L, p + 4, len + 4);
    put_be32(p + 8 + len, crc);
    *pos += 12 + (size_t)len;
}

/* The filtered image: each row a filter byte (0, none) and R, G, B. */
static uint8_t *raw_rows(const uint32_t *pixels, uint32_t width,
                         uint32_t height, uint32_t stride, size_t *len)
{
    size_t row = 1 + (size_t)width * 3;
    uint8_t *raw = malloc(row * height);
    if (!raw)
        return NULL;
    for (uint32_t y = 0; y < height; y++) {
        uint8_t *r = raw + row * y;
        const uint32_t *src = pixels + (size_t)y * stride;
        *r++ = 0;
        for (uint32_t x = 0; x < width; x++) {
            *r++ = (uint8_t)(src[x] >> 16);
            *r++ = (uint8_t)(src[x] >> 8);
            *r++ = (uint8_t)src[x];
        }
    }
    *len = row * height;
    return raw;
}

int png_encode(const uint32_t *pixels, uint32_t width, uint32_t height,
               uint32_t stride, uint8_t **out, size_t *out_len)
{
    if (width == 0 || height == 0 || width > PNG_MAX_SIDE ||
        height > PNG_MAX_SIDE || stride < width)
        return -EINVAL;
    size_t raw_len;
    uint8_t *raw = raw_rows(pixels, width, height, stride, &raw_len);
    if (!raw)
        return -ENOMEM;
    uLong bound = compressBound((uLong)raw_len);
    /* signature, IHDR (25), IDAT header and CRC (12), IEND (12) */
    size_t cap = sizeof(png_signature) + 25 + 12 + bound + 12;
    uint8_t *buf = malloc(cap);
    if (!buf) {
        free(raw);
        return -ENOMEM;
    }
    /* Compress straight into the IDAT chunk's data area. */
    uint8_t *idat = buf + sizeof(png_signature) + 25 + 8;
    uLongf zlen = bound;
    int zrc = compress2(idat, &zlen, raw, (uLong)raw_len, 6);
    free(raw);
    if (zrc != Z_OK) {
        free(buf);
        return -ENOMEM;
    }
    uint8_t ihdr[13];
    put_be32(ihdr, width);
    put_be32(ihdr + 4, height);
    ihdr[8] = 8;  /* bits per sample */
    ihdr[9] = 2;  /* colour type: RGB */
    ihdr[10] = 0; /* deflate */
    ihdr[11] = 0; /* adaptive filtering (filter byte per row) */
    ihdr[12] = 0; /* no interlace */
    size_t pos = 0;
    memcpy(buf, png_signature, sizeof(png_signature));
    pos = sizeof(png_signature);
    put_chunk(buf, &pos, "IHDR", ihdr, sizeof(ihdr));
    put_chunk(buf, &pos, "IDAT", idat, (uint32_t)zlen);
    put_chunk(buf, &pos, "IEND", NULL, 0);
    *out = buf;
    *out_len = pos;
    return 0;
}
