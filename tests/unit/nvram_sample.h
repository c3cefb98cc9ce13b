/* A small good UEFI variables file for the tests: OVMF_VARS.fd's layout
 * (an NV data firmware volume of 4 KiB blocks holding an authenticated
 * variable store), scaled down to len bytes (a multiple of 4 KiB). */
#ifndef CORRAL_TEST_NVRAM_SAMPLE_H
#define CORRAL_TEST_NVRAM_SAMPLE_H

#include <stdint.h>
#include <string.h>

static void nvram_sample_put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* The volume header's 16-bit words sum to 0. */
static void nvram_sample_fix_checksum(uint8_t *buf)
{
    buf[50] = buf[51] = 0;
    uint16_t sum = 0;
    for (int i = 0; i < 72; i += 2)
        sum = (uint16_t)(sum + (buf[i] | buf[i + 1] << 8));
    nvram_sample_put_le(buf + 50, (uint16_t)-sum, 2);
}

static void nvram_sample(uint8_t *buf, size_t len)
{
    static const uint8_t fv_guid[16] = { 0x8d, 0x2b, 0xf1, 0xff, 0x96, 0x76, 0x8b, 0x4c,
                                         0xa9, 0x85, 0x27, 0x47, 0x07, 0x5b, 0x4f, 0x50 };
    static const uint8_t vs_guid[16] = { 0x78, 0x2c, 0xf3, 0xaa, 0x7b, 0x94, 0x9a, 0x43,
                                         0xa1, 0x80, 0x2e, 0x14, 0x4e, 0xc3, 0x77, 0x92 };
    memset(buf, 0xff, len);
    memset(buf, 0, 72);
    memcpy(buf + 16, fv_guid, 16);
    nvram_sample_put_le(buf + 32, len, 8);
    memcpy(buf + 40, "_FVH", 4);
    nvram_sample_put_le(buf + 44, 0x4feff, 4); /* attributes */
    nvram_sample_put_le(buf + 48, 72, 2);      /* header length */
    buf[55] = 2;                               /* revision */
    nvram_sample_put_le(buf + 56, len / 0x1000, 4);
    nvram_sample_put_le(buf + 60, 0x1000, 4);
    memcpy(buf + 72, vs_guid, 16);
    nvram_sample_put_le(buf + 88, len / 2 - 72, 4);
    buf[92] = 0x5a; /* formatted */
    buf[93] = 0xfe; /* healthy */
    memset(buf + 94, 0, 6);
    nvram_sample_fix_checksum(buf);
}

#endif
