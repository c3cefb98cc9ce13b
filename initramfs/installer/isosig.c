/* isosig: release ISO signature files (isosig.h). */
#include "isosig.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hex.h"

/* Exactly 2 * n hex digits into n bytes: 0 or -EINVAL. */
static int unhex(const char *s, size_t digits, uint8_t *out, size_t n)
{
    if (digits != 2 * n)
        return -EINVAL;
    for (size_t i = 0; i < n; i++) {
        int hi = hex_digit_value(s[2 * i]), lo = hex_digit_value(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -EINVAL;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

static int bad(char *why, size_t len, const char *what)
{
    snprintf(why, len, "%s", what);
    return -EINVAL;
}

static int parse_line(const char *line, size_t n, struct isosig *s, int *seen, char *why,
                      size_t why_len)
{
    static const char sha[] = "sha256=", sig[] = "ed25519=";
    uint8_t digest[32];
    if (n == 0 || line[0] == '#')
        return 0;
    if (n > strlen(sha) && memcmp(line, sha, strlen(sha)) == 0) {
        const char *v = line + strlen(sha);
        if ((*seen & 1) || unhex(v, n - strlen(sha), digest, sizeof(digest)))
            return bad(why, why_len, "sha256= must be given once, as 64 hex digits");
        for (size_t i = 0; i < 64; i++)
            s->sha256[i] = (char)(v[i] >= 'A' && v[i] <= 'F' ? v[i] - 'A' + 'a' : v[i]);
        s->sha256[64] = '\0';
        *seen |= 1;
        return 0;
    }
    if (n > strlen(sig) && memcmp(line, sig, strlen(sig)) == 0) {
        if ((*seen & 2) ||
            unhex(line + strlen(sig), n - strlen(sig), s->signature, sizeof(s->signature)))
            return bad(why, why_len, "ed25519= must be given once, as 128 hex digits");
        *seen |= 2;
        return 0;
    }
    return bad(why, why_len, "a line that is neither sha256= nor ed25519=");
}

int isosig_parse(const char *text, size_t len, struct isosig *s, char *why, size_t why_len)
{
    int seen = 0;
    memset(s, 0, sizeof(*s));
    if (len > 4096)
        return bad(why, why_len, "too long for a signature file");
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t n = nl ? (size_t)(nl - (text + i)) : len - i;
        if (memchr(text + i, '\0', n))
            return bad(why, why_len, "not text");
        size_t content = n > 0 && text[i + n - 1] == '\r' ? n - 1 : n;
        int rc = parse_line(text + i, content, s, &seen, why, why_len);
        if (rc)
            return rc;
        i += n + 1;
    }
    if (seen != 3)
        return bad(why, why_len, seen & 1 ? "no ed25519= line" : "no sha256= line");
    return 0;
}

int isosig_message(const char *sha256_hex, char *out, size_t len)
{
    int n = snprintf(out, len, ISOSIG_MESSAGE_PREFIX "%s", sha256_hex);
    return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

int release_key_parse(const char *text, uint8_t key[ISOSIG_KEY_BYTES])
{
    size_t n = strcspn(text, "\n");
    if (text[n] == '\n' && text[n + 1] != '\0')
        return -EINVAL;
    return unhex(text, n, key, ISOSIG_KEY_BYTES);
}
