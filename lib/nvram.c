/* nvram: checking a UEFI variables file's firmware volume (see nvram.h). */
#include "nvram.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* EFI_SYSTEM_NV_DATA_FV_GUID fff12b8d-7696-4c8b-a985-2747075b4f50, as
 * stored (the first three fields little endian). */
static const uint8_t nv_data_fv_guid[16] = {
    0x8d, 0x2b, 0xf1, 0xff, 0x96, 0x76, 0x8b, 0x4c,
    0xa9, 0x85, 0x27, 0x47, 0x07, 0x5b, 0x4f, 0x50,
};
/* gEfiAuthenticatedVariableGuid aaf32c78-947b-439a-a180-2e144ec37792 */
static const uint8_t auth_variable_guid[16] = {
    0x78, 0x2c, 0xf3, 0xaa, 0x7b, 0x94, 0x9a, 0x43,
    0xa1, 0x80, 0x2e, 0x14, 0x4e, 0xc3, 0x77, 0x92,
};
/* gEfiVariableGuid ddcf3616-3275-4164-98b6-fe85707ffe7d */
static const uint8_t variable_guid[16] = {
    0x16, 0x36, 0xcf, 0xdd, 0x75, 0x32, 0x64, 0x41,
    0x98, 0xb6, 0xfe, 0x85, 0x70, 0x7f, 0xfe, 0x7d,
};

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
    return le32(p) | (uint64_t)le32(p + 4) << 32;
}

static int nvram_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int nvram_fail(char *err, size_t errlen, const char *fmt, ...)
{
    int n = snprintf(err, errlen, "not a UEFI variables file: ");
    if (n >= 0 && (size_t)n < errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -EINVAL;
}

/* The 16-bit words of the header sum to 0. */
static bool header_checksum_ok(const uint8_t *buf, uint16_t hdrlen)
{
    uint16_t sum = 0;
    for (uint16_t i = 0; i + 1 < hdrlen; i += 2)
        sum = (uint16_t)(sum + le16(buf + i));
    return sum == 0;
}

/* The block map covers exactly the volume and ends inside the header. */
static bool block_map_ok(const uint8_t *buf, uint16_t hdrlen, uint64_t fvlen)
{
    uint64_t covered = 0;
    for (size_t off = NVRAM_FV_BLOCKMAP_OFF; off + 8 <= hdrlen; off += 8) {
        uint32_t n = le32(buf + off), len = le32(buf + off + 4);
        if (!n && !len)
            return covered == fvlen;
        if (!n || !len || covered + (uint64_t)n * len > fvlen)
            return false;
        covered += (uint64_t)n * len;
    }
    return false; /* no terminator */
}

static int check_volume_header(const uint8_t *buf, size_t len, char *err,
                               size_t errlen)
{
    if (memcmp(buf + NVRAM_FV_SIGNATURE_OFF, "_FVH", 4))
        return nvram_fail(err, errlen, "no firmware volume signature (_FVH)");
    if (memcmp(buf + NVRAM_FV_GUID_OFF, nv_data_fv_guid, 16))
        return nvram_fail(err, errlen, "the firmware volume is not an NV data volume");
    uint64_t fvlen = le64(buf + NVRAM_FV_LENGTH_OFF);
    if (fvlen != len)
        return nvram_fail(err, errlen, "the wrong size: the volume header says "
                          "%llu bytes, the file has %zu",
                          (unsigned long long)fvlen, len);
    uint16_t hdrlen = le16(buf + NVRAM_FV_HDRLEN_OFF);
    if (hdrlen < NVRAM_FV_BLOCKMAP_OFF + 16 || hdrlen % 2 ||
        (size_t)hdrlen + NVRAM_VS_HEADER_LEN > len)
        return nvram_fail(err, errlen, "bad firmware volume header length %u", hdrlen);
    if (buf[NVRAM_FV_REVISION_OFF] != NVRAM_FV_REVISION)
        return nvram_fail(err, errlen, "firmware volume revision %u, not %u",
                          buf[NVRAM_FV_REVISION_OFF], NVRAM_FV_REVISION);
    if (!header_checksum_ok(buf, hdrlen))
        return nvram_fail(err, errlen, "bad firmware volume header checksum");
    if (!block_map_ok(buf, hdrlen, fvlen))
        return nvram_fail(err, errlen, "the firmware volume's block map does "
                          "not cover it");
    return 0;
}

static int check_store_header(const uint8_t *buf, size_t len, char *err,
                              size_t errlen)
{
    uint16_t hdrlen = le16(buf + NVRAM_FV_HDRLEN_OFF);
    const uint8_t *vs = buf + hdrlen;
    if (memcmp(vs, auth_variable_guid, 16) && memcmp(vs, variable_guid, 16))
        return nvram_fail(err, errlen, "no variable store after the volume header");
    uint32_t size = le32(vs + NVRAM_VS_SIZE_OFF);
    if (size < NVRAM_VS_HEADER_LEN || size > len - hdrlen)
        return nvram_fail(err, errlen, "the variable store's size %u does not "
                          "fit the file", size);
    if (vs[NVRAM_VS_FORMAT_OFF] != NVRAM_VS_FORMATTED)
        return nvram_fail(err, errlen, "the variable store is not formatted");
    return 0;
}

int nvram_check(const uint8_t *buf, size_t len, char *err, size_t errlen)
{
    if (len < NVRAM_FV_BLOCKMAP_OFF + 16 + NVRAM_VS_HEADER_LEN)
        return nvram_fail(err, errlen, "%zu bytes is too small", len);
    if (len > NVRAM_MAX_SIZE)
        return nvram_fail(err, errlen, "%zu bytes is larger than %u MiB", len,
                          NVRAM_MAX_SIZE >> 20);
    int rc = check_volume_header(buf, len, err, errlen);
    return rc ? rc : check_store_header(buf, len, err, errlen);
}
