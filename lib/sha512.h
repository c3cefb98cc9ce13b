/* sha512: SHA-512 (FIPS 180-4), for PBKDF2-HMAC-SHA512: GRUB's boot menu
 * password (lib/pbkdf2.h). */
#ifndef CORRAL_SHA512_H
#define CORRAL_SHA512_H

#include <stddef.h>
#include <stdint.h>

#define SHA512_BYTES 64
#define SHA512_BLOCK 128

struct sha512 {
    uint64_t state[8];
    uint64_t length; /* bytes hashed so far (2^64 is far beyond any use here) */
    uint8_t block[SHA512_BLOCK];
    size_t used;     /* bytes in block */
};

void sha512_init(struct sha512 *h);
void sha512_update(struct sha512 *h, const void *data, size_t len);
void sha512_final(struct sha512 *h, uint8_t digest[SHA512_BYTES]);

#endif
