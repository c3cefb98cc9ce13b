/* Unit tests for lib/sha512.c and lib/pbkdf2.c: FIPS 180-4 and RFC 8018
 * vectors (checked against Python's hashlib), and GRUB's password form. */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "pbkdf2.h"
#include "sha512.h"

static void hex(const uint8_t *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
}

static void check_sha512(const void *data, size_t len, size_t chunk, const char *want)
{
    struct sha512 h;
    uint8_t digest[SHA512_BYTES];
    char text[2 * SHA512_BYTES + 1];
    sha512_init(&h);
    for (size_t pos = 0; pos < len; pos += chunk)
        sha512_update(&h, (const char *)data + pos, len - pos < chunk ? len - pos : chunk);
    sha512_final(&h, digest);
    hex(digest, sizeof(digest), text);
    CHECK_EQ_STR(text, want);
}

static void test_sha512_vectors(void)
{
    check_sha512("", 0, 1, "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
                           "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e");
    check_sha512("abc", 3, 1, "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                              "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
    static char a[1000];
    memset(a, 'a', sizeof(a));
    check_sha512(a, sizeof(a), 7, "67ba5535a46e3f86dbfbed8cbbaf0125c76ed549ff8b0b9e03e0c88cf90fa634"
                                  "fa7b12b47d77b694de488ace8d9a65967dc96df599727d3292a8d9d447709c97");
}

static void test_sha512_padding_edges(void)
{
    static char x[129];
    memset(x, 'x', sizeof(x));
    /* 111 bytes: the length fits the same block; 112: it does not. */
    check_sha512(x, 111, 111, "9a2a120825c2319867758ec277924f6faa254968bf752046dacdd948d8ad299b"
                              "10359fd04bfd7d3810b5fa1b16a294236138baff981cbb85248478053ac4d3dd");
    check_sha512(x, 112, 5, "a3722b515ef40c910f2419f6e0da8ca51d410114ce6272faae64045f9e9f630e"
                            "7fa8dd5a3243c9860b899d148c3da4bc0f9e07454542604d030bb55531fe0d5b");
    check_sha512(x, 128, 128, "e2e22f8422b54b06e35c3ea30a383d1de7a8fbc27992923074103117020d8dd7"
                              "024c3ecf7d6d1a15a6de5a75ff32fb486b9e8ced4c02ffe05822bf2cb734d0e0");
    check_sha512(x, 129, 64, "19015483ea99fa74728fd7b13adba6b729cfa4ab7c388573efa2641d2af0577f"
                             "24dd51acbaeec41a7a11d10f6c4e68a3b90e7b2348c678486a4365c9d9101cdd");
}

static void test_hmac_long_key_is_hashed(void)
{
    static char key[200];
    uint8_t mac[SHA512_BYTES];
    char text[2 * SHA512_BYTES + 1];
    memset(key, 'k', sizeof(key));
    hmac_sha512(key, sizeof(key), "data", 4, mac);
    hex(mac, sizeof(mac), text);
    CHECK_EQ_STR(text, "854e242c54ce5f31621a1f809881b3439c0a77fd594dc546b9b3a957cf6f7b54"
                       "75a1302be9fde1ece18531982eaa2141907c8b2fbd8bec2e5b19b8312ace3f2b");
}

static void check_pbkdf2(const char *pw, const char *salt, unsigned c, size_t n, const char *want)
{
    uint8_t out[128];
    char text[257];
    pbkdf2_hmac_sha512(pw, strlen(pw), (const uint8_t *)salt, strlen(salt), c, out, n);
    hex(out, n, text);
    CHECK_EQ_STR(text, want);
}

static void test_pbkdf2_vectors(void)
{
    check_pbkdf2("password", "salt", 1, 64,
                 "867f70cf1ade02cff3752599a3a53dc4af34c7a669815ae5d513554e1c8cf252"
                 "c02d470a285a0501bad999bfe943c08f050235d7d68b1da55e63f73b60a57fce");
    check_pbkdf2("password", "salt", 2, 64,
                 "e1d9c16aa681708a45f5c7c4e215ceb66e011a2e9f0040713f18aefdb866d53c"
                 "f76cab2868a39b9f7840edce4fef5a82be67335c77a6068e04112754f27ccf4e");
    /* 100 bytes: a second block, cut short. */
    check_pbkdf2("passwordPASSWORDpassword", "saltSALTsaltSALTsaltSALTsaltSALTsalt", 4096, 100,
                 "8c0511f4c6e597c6ac6315d8f0362e225f3c501495ba23b868c005174dc4ee71"
                 "115b59f9e60cd9532fa33e0f75aefe30225c583a186cd82bd4daea9724a3d3b8"
                 "04f75bdd41494fa324cab24bcc680fb3b96a30cf5d21fac3c2875913919f3399"
                 "b1d9ce7e");
}

static void test_grub_form(void)
{
    uint8_t salt[GRUB_PBKDF2_SALT_BYTES];
    char out[GRUB_PBKDF2_MAX], want[GRUB_PBKDF2_MAX];
    for (size_t i = 0; i < sizeof(salt); i++)
        salt[i] = (uint8_t)i;
    CHECK_EQ_INT(grub_pbkdf2_format("Disk-Pass-2", salt, sizeof(salt), GRUB_PBKDF2_ITERATIONS,
                                    out, sizeof(out)), 0);
    strcpy(want, "grub.pbkdf2.sha512.10000.");
    for (size_t i = 0; i < sizeof(salt); i++)
        sprintf(want + strlen(want), "%02X", (unsigned)i);
    strcat(want, ".AF06F5A31FF1F1A686A83053E6D584285B4B5FB68939DAA1503C6F395318338A"
                 "766E832018537462B9E62C31B74407E308377493A028307B61774C37F774906B");
    CHECK_EQ_STR(out, want);
    CHECK(grub_pbkdf2_valid(out));
    CHECK_EQ_INT(grub_pbkdf2_format("x", salt, sizeof(salt), 1, out, 100), -ENOSPC);
}

static void test_grub_form_validation(void)
{
    CHECK(grub_pbkdf2_valid("grub.pbkdf2.sha512.10000.ab12.CD34"));
    CHECK(!grub_pbkdf2_valid(""));
    CHECK(!grub_pbkdf2_valid("grub.pbkdf2.sha256.10000.ab12.cd34"));
    CHECK(!grub_pbkdf2_valid("grub.pbkdf2.sha512.0.ab12.cd34"));
    CHECK(!grub_pbkdf2_valid("grub.pbkdf2.sha512.010.ab12.cd34"));
    CHECK(!grub_pbkdf2_valid("grub.pbkdf2.sha512.99999999.ab12.cd34"));
    CHECK(!grub_pbkdf2_valid("grub.pbkdf2.sha512.10000.ab1.cd34"));   /* odd */
    CHECK(!grub_pbkdf2_valid("grub.pbkdf2.sha512.10000..cd34"));      /* no salt */
    CHECK(!grub_pbkdf2_valid("grub.pbkdf2.sha512.10000.ab12"));       /* no hash */
    CHECK(!grub_pbkdf2_valid("grub.pbkdf2.sha512.10000.ab12.cd34 x")); /* trailing */
    CHECK(!grub_pbkdf2_valid("grub.pbkdf2.sha512.10000.ab12.cd34\nset superusers=\"\""));
}

int main(void)
{
    RUN(test_sha512_vectors);
    RUN(test_sha512_padding_edges);
    RUN(test_hmac_long_key_is_hashed);
    RUN(test_pbkdf2_vectors);
    RUN(test_grub_form);
    RUN(test_grub_form_validation);
    return check_summary("pbkdf2");
}
