/* keymap: keysyms and key names to scan codes (set 1, +0x80 for E0). */
#include "check.h"
#include "keymap.h"

#include <errno.h>

static void test_letters_digits_and_shifted_symbols(void)
{
    CHECK_EQ_INT(keymap_keysym_to_qnum('a'), 0x1E);
    CHECK_EQ_INT(keymap_keysym_to_qnum('A'), 0x1E);
    CHECK_EQ_INT(keymap_keysym_to_qnum('q'), 0x10);
    CHECK_EQ_INT(keymap_keysym_to_qnum('m'), 0x32);
    CHECK_EQ_INT(keymap_keysym_to_qnum('1'), 0x02);
    CHECK_EQ_INT(keymap_keysym_to_qnum('0'), 0x0B);
    CHECK_EQ_INT(keymap_keysym_to_qnum('!'), 0x02);
    CHECK_EQ_INT(keymap_keysym_to_qnum(')'), 0x0B);
    CHECK_EQ_INT(keymap_keysym_to_qnum('_'), 0x0C);
    CHECK_EQ_INT(keymap_keysym_to_qnum('~'), 0x29);
    CHECK_EQ_INT(keymap_keysym_to_qnum('|'), 0x2B);
    CHECK_EQ_INT(keymap_keysym_to_qnum('?'), 0x35);
    CHECK_EQ_INT(keymap_keysym_to_qnum('"'), 0x28);
    CHECK_EQ_INT(keymap_keysym_to_qnum(' '), 0x39);
}

static void test_special_keys(void)
{
    CHECK_EQ_INT(keymap_keysym_to_qnum(0xFF0D), 0x1C); /* Return */
    CHECK_EQ_INT(keymap_keysym_to_qnum(0xFF1B), 0x01); /* Escape */
    CHECK_EQ_INT(keymap_keysym_to_qnum(0xFFE4), 0x9D); /* Control_R */
    CHECK_EQ_INT(keymap_keysym_to_qnum(0xFF52), 0xC8); /* Up */
    CHECK_EQ_INT(keymap_keysym_to_qnum(0xFFFF), 0xD3); /* Delete */
    CHECK_EQ_INT(keymap_keysym_to_qnum(0xFFC9), 0x58); /* F12 */
    CHECK_EQ_INT(keymap_keysym_to_qnum(0xFFC8), 0x57); /* F11 */
    CHECK_EQ_INT(keymap_keysym_to_qnum(0xFF8D), 0x9C); /* KP_Enter */
    CHECK_EQ_INT(keymap_keysym_to_qnum(0xFFB7), 0x47); /* KP_7 */
    CHECK_EQ_INT(keymap_keysym_to_qnum(0xFF95), 0x47); /* KP_Home */
    CHECK_EQ_INT(keymap_keysym_to_qnum(0xFF13), 0xC6); /* Pause */
    CHECK_EQ_INT(keymap_keysym_to_qnum(0xFFEB), 0xDB); /* Super_L */
    CHECK_EQ_INT(keymap_keysym_to_qnum(0x20AC), 0);    /* EuroSign */
    CHECK_EQ_INT(keymap_keysym_to_qnum(0), 0);
    CHECK_EQ_INT(keymap_keysym_to_qnum(0x7F), 0);
}

static void test_every_qnum_has_a_keysym_back(void)
{
    CHECK_EQ_INT(keymap_qnum_to_keysym(0x1E), 'a');
    CHECK_EQ_INT(keymap_qnum_to_keysym(0x02), '1');
    CHECK_EQ_INT(keymap_qnum_to_keysym(0x1C), 0xFF0D);
    CHECK_EQ_INT(keymap_qnum_to_keysym(0xD3), 0xFFFF);
    CHECK_EQ_INT(keymap_qnum_to_keysym(0x1D), 0xFFE3);
    CHECK_EQ_INT(keymap_qnum_to_keysym(0x7E), 0);
    /* Round trip for every named key but the ones without a keysym. */
    static const char *names[] = {"esc", "ret", "tab", "ctrl", "alt", "del",
                                  "f1", "f10", "pgdn", "kp_enter", "z", "9"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        uint16_t q = keymap_name_to_qnum(names[i]);
        CHECK(q != 0);
        CHECK_EQ_INT(keymap_keysym_to_qnum(keymap_qnum_to_keysym(q)), q);
    }
}

static void test_names(void)
{
    CHECK_EQ_INT(keymap_name_to_qnum("ctrl"), 0x1D);
    CHECK_EQ_INT(keymap_name_to_qnum("CTRL"), 0x1D);
    CHECK_EQ_INT(keymap_name_to_qnum("del"), 0xD3);
    CHECK_EQ_INT(keymap_name_to_qnum("delete"), 0xD3);
    CHECK_EQ_INT(keymap_name_to_qnum("spc"), 0x39);
    CHECK_EQ_INT(keymap_name_to_qnum("f2"), 0x3C);
    CHECK_EQ_INT(keymap_name_to_qnum("a"), 0x1E);
    CHECK_EQ_INT(keymap_name_to_qnum("Q"), 0x10);
    CHECK_EQ_INT(keymap_name_to_qnum("5"), 0x06);
    CHECK_EQ_INT(keymap_name_to_qnum("-"), 0);
    CHECK_EQ_INT(keymap_name_to_qnum("f13"), 0);
    CHECK_EQ_INT(keymap_name_to_qnum(""), 0);
}

static void test_combos(void)
{
    uint16_t q[KEYMAP_MAX_COMBO];
    CHECK_EQ_INT(keymap_parse_combo("ctrl-alt-del", q, KEYMAP_MAX_COMBO), 3);
    CHECK_EQ_INT(q[0], 0x1D);
    CHECK_EQ_INT(q[1], 0x38);
    CHECK_EQ_INT(q[2], 0xD3);
    CHECK_EQ_INT(keymap_parse_combo("ret", q, KEYMAP_MAX_COMBO), 1);
    CHECK_EQ_INT(q[0], 0x1C);
    CHECK_EQ_INT(keymap_parse_combo("ctrl--a", q, KEYMAP_MAX_COMBO), -EINVAL);
    CHECK_EQ_INT(keymap_parse_combo("ctrl-", q, KEYMAP_MAX_COMBO), -EINVAL);
    CHECK_EQ_INT(keymap_parse_combo("", q, KEYMAP_MAX_COMBO), -EINVAL);
    CHECK_EQ_INT(keymap_parse_combo("ctrl-bogus", q, KEYMAP_MAX_COMBO), -EINVAL);
    CHECK_EQ_INT(keymap_parse_combo("a-b-c", q, 2), -EINVAL);
    CHECK_EQ_INT(keymap_parse_combo("averyveryveryverylongnamethatoverflows", q, 2),
                 -EINVAL);
}

int main(void)
{
    RUN(test_letters_digits_and_shifted_symbols);
    RUN(test_special_keys);
    RUN(test_every_qnum_has_a_keysym_back);
    RUN(test_names);
    RUN(test_combos);
    return check_summary("keymap");
}
