/* Unit tests: root password rules and shadow parsing (lib/password.c). */
#include <errno.h>

#include "password.h"
#include "check.h"

static char why[128];

static void test_minimum_length(void)
{
    CHECK_EQ_INT(password_check_rules("1234567", why, sizeof(why)), -EINVAL);
    CHECK_EQ_STR(why, "at least 8 characters (7 typed)");
    CHECK_EQ_INT(password_check_rules("", why, sizeof(why)), -EINVAL);
    CHECK_EQ_INT(password_check_rules(NULL, why, sizeof(why)), -EINVAL);
    CHECK_EQ_INT(password_check_rules("12345678", why, sizeof(why)), 0);
    CHECK_EQ_INT(password_check_rules("correct horse battery", why, sizeof(why)), 0);
}

static void test_maximum_length_and_control_characters(void)
{
    char long_one[PASSWORD_MAX_LENGTH + 2];
    memset(long_one, 'x', sizeof(long_one) - 1);
    long_one[sizeof(long_one) - 1] = '\0';
    CHECK_EQ_INT(password_check_rules(long_one, why, sizeof(why)), -EINVAL);
    long_one[PASSWORD_MAX_LENGTH] = '\0';
    CHECK_EQ_INT(password_check_rules(long_one, why, sizeof(why)), 0);
    CHECK_EQ_INT(password_check_rules("abcdefgh\nroot:x", why, sizeof(why)), -EINVAL);
    CHECK_EQ_STR(why, "no control characters");
    CHECK_EQ_INT(password_check_rules("abcd\tefgh", why, sizeof(why)), -EINVAL);
}

static void test_pair_must_match(void)
{
    CHECK_EQ_INT(password_check_pair("secret123", "secret123", why, sizeof(why)), 0);
    CHECK_EQ_INT(password_check_pair("secret123", "secret124", why, sizeof(why)), -EINVAL);
    CHECK_EQ_STR(why, "the two passwords differ");
    CHECK_EQ_INT(password_check_pair("short", "short", why, sizeof(why)), -EINVAL);
    CHECK_EQ_STR(why, "at least 8 characters (5 typed)");
    CHECK_EQ_INT(password_check_pair("secret123", NULL, why, sizeof(why)), -EINVAL);
}

static void test_shadow_root_hash(void)
{
    char hash[64];
    CHECK_EQ_INT(shadow_root_hash("root:*:19000:0:99999:7:::\nsshd:*:1::::::\n", hash, sizeof(hash)), 0);
    CHECK_EQ_STR(hash, "*");
    CHECK_EQ_INT(shadow_root_hash("sshd:*:1::::::\nroot:$6$ab$xyz:19000::::::", hash, sizeof(hash)), 0);
    CHECK_EQ_STR(hash, "$6$ab$xyz");
    CHECK_EQ_INT(shadow_root_hash("rootx:abc:1\nsshd:*:1", hash, sizeof(hash)), -ENOENT);
    CHECK_EQ_INT(shadow_root_hash("", hash, sizeof(hash)), -ENOENT);
    CHECK_EQ_INT(shadow_root_hash("root:nocolonafter", hash, sizeof(hash)), -EINVAL);
    CHECK_EQ_INT(shadow_root_hash("root:0123456789:", hash, 8), -EINVAL);
}

static void test_hash_is_password(void)
{
    CHECK(!shadow_hash_is_password("*"));
    CHECK(!shadow_hash_is_password(""));
    CHECK(!shadow_hash_is_password("!$6$ab$xyz"));
    CHECK(!shadow_hash_is_password(NULL));
    CHECK(shadow_hash_is_password("$6$ab$xyz"));
}

int main(void)
{
    RUN(test_minimum_length);
    RUN(test_maximum_length_and_control_characters);
    RUN(test_pair_must_match);
    RUN(test_shadow_root_hash);
    RUN(test_hash_is_password);
    return check_summary("setup_password");
}
