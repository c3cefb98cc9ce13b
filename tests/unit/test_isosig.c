/* Unit tests for release ISO signature files and release keys
 * (initramfs/installer/isosig.c).  The Ed25519 check itself is libsodium's
 * (test_guard/test_install run it on the appliance). */
#include <errno.h>
#include <string.h>

#include "../../initramfs/installer/isosig.h"
#include "check.h"

#define SHA "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define SIG "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff" \
            "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEF0"

static char why[128];
static struct isosig s;

static int parse(const char *text)
{
    return isosig_parse(text, strlen(text), &s, why, sizeof(why));
}

static void test_parse(void)
{
    CHECK_EQ_INT(parse("sha256=" SHA "\ned25519=" SIG "\n"), 0);
    CHECK_EQ_STR(s.sha256, SHA);
    CHECK_EQ_INT(s.signature[0], 0x00);
    CHECK_EQ_INT(s.signature[1], 0x11);
    CHECK_EQ_INT(s.signature[63], 0xf0);
    /* Either order, comments, blank lines, CRLF, no final newline. */
    CHECK_EQ_INT(parse("# corral-0.2.0-x86_64.iso\r\n\r\ned25519=" SIG "\r\nsha256=" SHA), 0);
    CHECK_EQ_STR(s.sha256, SHA);
    /* Upper-case hex is read as lower case (the digest is compared as text). */
    CHECK_EQ_INT(parse("sha256=BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD\n"
                       "ed25519=" SIG "\n"), 0);
    CHECK_EQ_STR(s.sha256, SHA);
}

static void test_refusals(void)
{
    CHECK_EQ_INT(parse(""), -EINVAL);
    CHECK_EQ_STR(why, "no sha256= line");
    CHECK_EQ_INT(parse("sha256=" SHA "\n"), -EINVAL);
    CHECK_EQ_STR(why, "no ed25519= line");
    CHECK_EQ_INT(parse("sha256=" SHA "\nsha256=" SHA "\ned25519=" SIG "\n"), -EINVAL);
    CHECK(strstr(why, "once") != NULL);
    CHECK_EQ_INT(parse("sha256=" SHA "0\ned25519=" SIG "\n"), -EINVAL);
    CHECK_EQ_INT(parse("sha256=" SHA "\ned25519=" SIG "0\n"), -EINVAL);
    CHECK_EQ_INT(parse("sha256=" SHA "\ned25519=zz" SIG "\n"), -EINVAL);
    CHECK_EQ_INT(parse("sha256=" SHA "\ned25519=" SIG "\nkey=x\n"), -EINVAL);
    CHECK_EQ_STR(why, "a line that is neither sha256= nor ed25519=");
    CHECK_EQ_INT(parse(" sha256=" SHA "\ned25519=" SIG "\n"), -EINVAL);
    const char nul[] = "sha256=" SHA "\ned25519=" SIG "\n\0x\n";
    CHECK_EQ_INT(isosig_parse(nul, sizeof(nul) - 1, &s, why, sizeof(why)), -EINVAL);
    CHECK_EQ_STR(why, "not text");
}

static void test_message_and_key(void)
{
    char msg[128];
    uint8_t key[ISOSIG_KEY_BYTES];
    CHECK_EQ_INT(isosig_message(SHA, msg, sizeof(msg)), 0);
    CHECK_EQ_STR(msg, "corral-iso-v1 sha256=" SHA);
    CHECK_EQ_INT(isosig_message(SHA, msg, 20), -ENOSPC);
    CHECK_EQ_INT(release_key_parse(SHA "\n", key), 0);
    CHECK_EQ_INT(key[0], 0xba);
    CHECK_EQ_INT(key[31], 0xad);
    CHECK_EQ_INT(release_key_parse(SHA, key), 0);
    CHECK_EQ_INT(release_key_parse(SHA "\nmore", key), -EINVAL);
    CHECK_EQ_INT(release_key_parse("abcd\n", key), -EINVAL);
    CHECK_EQ_INT(release_key_parse("", key), -EINVAL);
}

int main(void)
{
    RUN(test_parse);
    RUN(test_refusals);
    RUN(test_message_and_key);
    return check_summary("isosig");
}
