/* pbkdf2: PBKDF2-HMAC-SHA512 and GRUB's password form (pbkdf2.h). */
#include "pbkdf2.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void hmac_sha512(const void *key, size_t key_len, const void *data, size_t len,
                 uint8_t mac[SHA512_BYTES])
{
    uint8_t k[SHA512_BLOCK] = {0}, pad[SHA512_BLOCK];
    struct sha512 h;
    if (key_len > SHA512_BLOCK) {
        sha512_init(&h);
        sha512_update(&h, key, key_len);
        sha512_final(&h, k);
    } else {
        memcpy(k, key, key_len);
    }
    for (size_t i = 0; i < SHA512_BLOCK; i++)
        pad[i] = k[i] ^ 0x36;
    sha512_init(&h);
    sha512_update(&h, pad, sizeof(pad));
    sha512_update(&h, data, len);
    sha512_final(&h, mac);
    for (size_t i = 0; i < SHA512_BLOCK; i++)
        pad[i] = k[i] ^ 0x5c;
    sha512_init(&h);
    sha512_update(&h, pad, sizeof(pad));
    sha512_update(&h, mac, SHA512_BYTES);
    sha512_final(&h, mac);
}

/* T_i = U_1 ^ ... ^ U_c, U_1 = HMAC(P, S || INT(i)), U_j = HMAC(P, U_j-1). */
static void pbkdf2_block(const void *password, size_t password_len, const uint8_t *salt,
                         size_t salt_len, unsigned iterations, uint32_t index,
                         uint8_t t[SHA512_BYTES])
{
    uint8_t *first = malloc(salt_len + 4);
    uint8_t u[SHA512_BYTES];
    if (!first)
        abort(); /* a few bytes: out of memory here means the system is gone */
    memcpy(first, salt, salt_len);
    for (int i = 0; i < 4; i++)
        first[salt_len + (size_t)i] = (uint8_t)(index >> (24 - 8 * i));
    hmac_sha512(password, password_len, first, salt_len + 4, u);
    free(first);
    memcpy(t, u, SHA512_BYTES);
    for (unsigned j = 1; j < iterations; j++) {
        hmac_sha512(password, password_len, u, SHA512_BYTES, u);
        for (size_t i = 0; i < SHA512_BYTES; i++)
            t[i] ^= u[i];
    }
}

void pbkdf2_hmac_sha512(const void *password, size_t password_len, const uint8_t *salt,
                        size_t salt_len, unsigned iterations, uint8_t *out, size_t out_len)
{
    uint8_t t[SHA512_BYTES];
    for (uint32_t index = 1; out_len > 0; index++) {
        pbkdf2_block(password, password_len, salt, salt_len, iterations, index, t);
        size_t take = out_len < SHA512_BYTES ? out_len : SHA512_BYTES;
        memcpy(out, t, take);
        out += take;
        out_len -= take;
    }
}

static size_t put_hex(char *out, const uint8_t *bytes, size_t n)
{
    static const char digits[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * n] = '\0';
    return 2 * n;
}

int grub_pbkdf2_format(const char *password, const uint8_t *salt, size_t salt_len,
                       unsigned iterations, char *out, size_t out_len)
{
    uint8_t hash[SHA512_BYTES];
    int head = snprintf(out, out_len, GRUB_PBKDF2_PREFIX "%u.", iterations);
    if (head < 0 || (size_t)head + 2 * salt_len + 1 + 2 * sizeof(hash) + 1 > out_len)
        return -ENOSPC;
    pbkdf2_hmac_sha512(password, strlen(password), salt, salt_len, iterations, hash,
                       sizeof(hash));
    size_t at = (size_t)head + put_hex(out + head, salt, salt_len);
    out[at++] = '.';
    put_hex(out + at, hash, sizeof(hash));
    return 0;
}

/* n hex digits, an even number, 2..128; returns what follows them. */
static const char *skip_hex_field(const char *s)
{
    size_t n = strspn(s, "0123456789abcdefABCDEF");
    return n >= 2 && n <= 2 * SHA512_BYTES && n % 2 == 0 ? s + n : NULL;
}

int grub_pbkdf2_valid(const char *s)
{
    size_t prefix = strlen(GRUB_PBKDF2_PREFIX);
    if (strlen(s) >= GRUB_PBKDF2_MAX || strncmp(s, GRUB_PBKDF2_PREFIX, prefix) != 0)
        return 0;
    s += prefix;
    size_t digits = strspn(s, "0123456789");
    if (digits == 0 || digits > 8 || s[0] == '0' || s[digits] != '.' ||
        strtoul(s, NULL, 10) > 10000000)
        return 0;
    s = skip_hex_field(s + digits + 1);
    if (!s || *s != '.')
        return 0;
    s = skip_hex_field(s + 1);
    return s && *s == '\0';
}
