/* png: write a picture, then read the file back (chunks, CRCs, inflate)
 * and compare every pixel. */
#include "check.h"
#include "png.h"
#include "byteorder.h"

#include <errno.h>
#include <stdlib.h>
#include <zlib.h>

/* Walks the chunks, checking each CRC; returns the IDAT data. */
static const uint8_t *find_chunk(const uint8_t *png, size_t len,
                                 const char *type, uint32_t *chunk_len)
{
    size_t pos = 8;
    while (pos + 12 <= len) {
        uint32_t n = get_be32(png + pos);
        if (pos + 12 + n > len)
            return NULL;
        uint32_t crc = (uint32_t)crc32(0L, png + pos + 4, n + 4);
        if (crc != get_be32(png + pos + 8 + n))
            return NULL;
        if (memcmp(png + pos + 4, type, 4) == 0) {
            *chunk_len = n;
            return png + pos + 8;
        }
        pos += 12 + n;
    }
    return NULL;
}

static void test_round_trip(void)
{
    enum { W = 37, H = 19, STRIDE = 40 };
    uint32_t pix[STRIDE * H];
    for (int i = 0; i < STRIDE * H; i++)
        pix[i] = (uint32_t)(i * 2654435761u) & 0xFFFFFF;
    uint8_t *png;
    size_t len;
    CHECK_EQ_INT(png_encode(pix, W, H, STRIDE, &png, &len), 0);
    CHECK(memcmp(png, "\x89PNG\r\n\x1a\n", 8) == 0);
    uint32_t n;
    const uint8_t *ihdr = find_chunk(png, len, "IHDR", &n);
    CHECK(ihdr && n == 13);
    CHECK_EQ_INT(get_be32(ihdr), W);
    CHECK_EQ_INT(get_be32(ihdr + 4), H);
    CHECK_EQ_INT(ihdr[8], 8);
    CHECK_EQ_INT(ihdr[9], 2);
    CHECK(find_chunk(png, len, "IEND", &n) && n == 0);
    const uint8_t *idat = find_chunk(png, len, "IDAT", &n);
    CHECK(idat != NULL);
    uint8_t raw[H * (1 + W * 3)];
    uLongf raw_len = sizeof(raw);
    CHECK_EQ_INT(uncompress(raw, &raw_len, idat, n), Z_OK);
    CHECK_EQ_INT(raw_len, sizeof(raw));
    int bad = 0;
    for (int y = 0; y < H; y++) {
        const uint8_t *r = raw + y * (1 + W * 3);
        bad += r[0] != 0;
        for (int x = 0; x < W; x++) {
            uint32_t p = pix[y * STRIDE + x];
            bad += r[1 + x * 3] != (uint8_t)(p >> 16) ||
                   r[2 + x * 3] != (uint8_t)(p >> 8) || r[3 + x * 3] != (uint8_t)p;
        }
    }
    CHECK_EQ_INT(bad, 0);
    free(png);
}

static void test_bad_sizes_are_refused(void)
{
    uint32_t pix[4] = {0};
    uint8_t *png = NULL;
    size_t len = 0;
    CHECK_EQ_INT(png_encode(pix, 0, 1, 1, &png, &len), -EINVAL);
    CHECK_EQ_INT(png_encode(pix, 1, 0, 1, &png, &len), -EINVAL);
    CHECK_EQ_INT(png_encode(pix, 2, 1, 1, &png, &len), -EINVAL);
    CHECK_EQ_INT(png_encode(pix, PNG_MAX_SIDE + 1, 1, PNG_MAX_SIDE + 1, &png, &len), -EINVAL);
    CHECK(png == NULL);
}

int main(void)
{
    RUN(test_round_trip);
    RUN(test_bad_sizes_are_refused);
    return check_summary("png");
}
