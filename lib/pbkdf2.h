/* pbkdf2: PBKDF2-HMAC-SHA512 (RFC 8018) and GRUB's password_pbkdf2 form.
 *
 * GRUB locks its boot menu with
 *     set superusers="root"
 *     password_pbkdf2 root grub.pbkdf2.sha512.ITERATIONS.SALT.HASH
 * where SALT and HASH are hex, as grub-mkpasswd-pbkdf2 prints them.  The
 * root password is turned into that form when it is set (corral-install
 * --boot-password), so the menu and the console share one password. */
#ifndef CORRAL_PBKDF2_H
#define CORRAL_PBKDF2_H

#include <stddef.h>
#include <stdint.h>

#include "sha512.h"

#define GRUB_PBKDF2_PREFIX "grub.pbkdf2.sha512."
#define GRUB_PBKDF2_ITERATIONS 10000 /* grub-mkpasswd-pbkdf2's default */
#define GRUB_PBKDF2_SALT_BYTES 64
/* prefix, iterations, two dots, the salt and hash in hex, NUL */
#define GRUB_PBKDF2_MAX 320

void hmac_sha512(const void *key, size_t key_len, const void *data, size_t len,
                 uint8_t mac[SHA512_BYTES]);

/* out_len bytes of PBKDF2-HMAC-SHA512 (any length; blocks as RFC 8018). */
void pbkdf2_hmac_sha512(const void *password, size_t password_len, const uint8_t *salt,
                        size_t salt_len, unsigned iterations, uint8_t *out, size_t out_len);

/* GRUB's form for password with salt: 0, or -ENOSPC when out is short. */
int grub_pbkdf2_format(const char *password, const uint8_t *salt, size_t salt_len,
                       unsigned iterations, char *out, size_t out_len);

/* 1 when s is grub.pbkdf2.sha512.N.HEX.HEX (N 1..10^7, salt and hash of
 * 1..64 bytes each) and fits GRUB_PBKDF2_MAX. */
int grub_pbkdf2_valid(const char *s);

#endif
