/* Unit tests for lib/sha256.c against FIPS 180-4 test vectors. */
#include "check.h"
#include "sha256.h"

#include <stdlib.h>

static void check_digest(const void *data, size_t len, size_t chunk, const char *want)
{
    struct sha256 h;
    uint8_t digest[32];
    char hex[65];
    sha256_init(&h);
    for (size_t pos = 0; pos < len; pos += chunk)
        sha256_update(&h, (const char *)data + pos, len - pos < chunk ? len - pos : chunk);
    sha256_final(&h, digest);
    sha256_hex(digest, hex);
    CHECK_EQ_STR(hex, want);
}

static void test_vectors(void)
{
    check_digest("", 0, 1,
                 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    check_digest("abc", 3, 1,
                 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    check_digest(two_blocks, strlen(two_blocks), 7,
                 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_million_a_in_odd_chunks(void)
{
    size_t len = 1000000;
    char *a = malloc(len);
    memset(a, 'a', len);
    check_digest(a, len, 4097,
                 "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(a);
}

static void test_padding_edges(void)
{
    /* 55, 56 and 64 bytes: the length fits, just misses, fills a block. */
    char buf[64];
    memset(buf, 'x', sizeof(buf));
    check_digest(buf, 55, 55,
                 "d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072");
    check_digest(buf, 56, 3,
                 "04c26261370ee7541549d16dee320c723e3fd14671e66a099afe0a377c16888e");
    check_digest(buf, 64, 64,
                 "7ce100971f64e7001e8fe5a51973ecdfe1ced42befe7ee8d5fd6219506b5393c");
}

int main(void)
{
    RUN(test_vectors);
    RUN(test_million_a_in_odd_chunks);
    RUN(test_padding_edges);
    return check_summary("sha256");
}
