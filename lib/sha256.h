/* sha256: SHA-256 (FIPS 180-4), to check downloaded and imported images. */
#ifndef CORRAL_SHA256_H
#define CORRAL_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
    uint32_t state[8];
    uint64_t length; /* bytes hashed so far */
    uint8_t block[64];
    size_t used;     /* bytes in block */
};

void sha256_init(struct sha256 *h);
void sha256_update(struct sha256 *h, const void *data, size_t len);
void sha256_final(struct sha256 *h, uint8_t digest[32]);
/* 64 lower-case hex digits and a NUL into hex[65]. */
void sha256_hex(const uint8_t digest[32], char hex[65]);

#endif
