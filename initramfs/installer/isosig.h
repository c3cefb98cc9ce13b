/* isosig: the signature of a release ISO, checked before an upgrade
 * touches a boot slot.
 *
 * `./build.sh iso` writes NAME.iso.sig beside NAME.iso:
 *
 *   sha256=<64 hex digits: the SHA-256 of the whole ISO>
 *   ed25519=<128 hex digits: the Ed25519 signature of the message below>
 *
 * The signed message is ISOSIG_MESSAGE_PREFIX and the ISO's SHA-256 in
 * hex ("corral-iso-v1 sha256=..."): a small message, so that the signer
 * (OpenSSL's pkeyutl) and the checker never hold the ISO in memory.  The
 * public key is baked into the control domain at RELEASE_KEY_PATH (64 hex
 * digits); corral-install checks with libsodium's Ed25519 (main.c). */
#ifndef CORRAL_INSTALLER_ISOSIG_H
#define CORRAL_INSTALLER_ISOSIG_H

#include <stddef.h>
#include <stdint.h>

#define ISOSIG_SUFFIX ".sig"
#define ISOSIG_MESSAGE_PREFIX "corral-iso-v1 sha256="
#define RELEASE_KEY_PATH "/usr/share/corral/release-key.pub"
#define ISOSIG_KEY_BYTES 32
#define ISOSIG_SIG_BYTES 64

struct isosig {
    char sha256[65];                 /* lower-case hex */
    uint8_t signature[ISOSIG_SIG_BYTES];
};

/* Parses a signature file's text (len bytes, NUL not needed): both lines,
 * once each, in any order; blank lines and '#' comments are allowed.
 * Returns 0, or -EINVAL with the reason in why. */
int isosig_parse(const char *text, size_t len, struct isosig *s, char *why, size_t why_len);

/* The message the signature is over, for an ISO whose SHA-256 is hex. */
int isosig_message(const char *sha256_hex, char *out, size_t len);

/* A release key file's text: 64 hex digits, then an optional newline.
 * Returns 0 or -EINVAL. */
int release_key_parse(const char *text, uint8_t key[ISOSIG_KEY_BYTES]);

#endif
