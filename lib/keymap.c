/* keymap: X11 keysyms and key names to qnum codes (see keymap.h). */
#include "keymap.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

/* The printable keys, row by row: each character of `plain` (unshifted)
 * and of `shifted` (with Shift) is on the key of the same position. */
struct char_row {
    const char *plain, *shifted;
    uint8_t first;      /* the scan code of the row's first key */
};

static const struct char_row char_rows[] = {
    {"1234567890-=", "!@#$%^&*()_+", 0x02},
    {"qwertyuiop[]", "QWERTYUIOP{}", 0x10},
    {"asdfghjkl;'`", "ASDFGHJKL:\"~", 0x1E},
    {"\\zxcvbnm,./", "|ZXCVBNM<>?", 0x2B},
};

struct keysym_key {
    uint32_t keysym;
    uint16_t qnum;
};

/* Every other key; where several keysyms share a key the first listed is
 * the one keymap_qnum_to_keysym gives. */
static const struct keysym_key keysym_keys[] = {
    {' ', 0x39},      {0xFF1B, 0x01}, /* Escape */
    {0xFF08, 0x0E},   {0xFF09, 0x0F}, /* BackSpace, Tab */
    {0xFE20, 0x0F},   {0xFF0D, 0x1C}, /* ISO_Left_Tab, Return */
    {0xFFE3, 0x1D},   {0xFFE4, 0x9D}, /* Control_L, Control_R */
    {0xFFE1, 0x2A},   {0xFFE2, 0x36}, /* Shift_L, Shift_R */
    {0xFFE9, 0x38},   {0xFFEA, 0xB8}, /* Alt_L, Alt_R */
    {0xFFE7, 0x38},   {0xFFE8, 0xB8}, /* Meta_L, Meta_R */
    {0xFE03, 0xB8},                   /* ISO_Level3_Shift (AltGr) */
    {0xFFEB, 0xDB},   {0xFFEC, 0xDC}, /* Super_L, Super_R */
    {0xFF67, 0xDD},                   /* Menu */
    {0xFFE5, 0x3A},   {0xFF7F, 0x45}, /* Caps_Lock, Num_Lock */
    {0xFF14, 0x46},                   /* Scroll_Lock */
    {0xFF61, 0xB7},   {0xFF15, 0x54}, /* Print, Sys_Req */
    {0xFF13, 0xC6},   {0xFF6B, 0xC6}, /* Pause, Break */
    {0xFF50, 0xC7},   {0xFF57, 0xCF}, /* Home, End */
    {0xFF55, 0xC9},   {0xFF56, 0xD1}, /* Page_Up, Page_Down */
    {0xFF63, 0xD2},   {0xFFFF, 0xD3}, /* Insert, Delete */
    {0xFF51, 0xCB},   {0xFF52, 0xC8}, /* Left, Up */
    {0xFF53, 0xCD},   {0xFF54, 0xD0}, /* Right, Down */
    {0xFFBE, 0x3B},   {0xFFBF, 0x3C}, {0xFFC0, 0x3D}, {0xFFC1, 0x3E}, /* F1.. */
    {0xFFC2, 0x3F},   {0xFFC3, 0x40}, {0xFFC4, 0x41}, {0xFFC5, 0x42},
    {0xFFC6, 0x43},   {0xFFC7, 0x44}, {0xFFC8, 0x57}, {0xFFC9, 0x58}, /* ..F12 */
    /* The keypad, with Num Lock on (digits) and off (movement). */
    {0xFFB0, 0x52},   {0xFFB1, 0x4F}, {0xFFB2, 0x50}, {0xFFB3, 0x51}, /* KP_0.. */
    {0xFFB4, 0x4B},   {0xFFB5, 0x4C}, {0xFFB6, 0x4D}, {0xFFB7, 0x47},
    {0xFFB8, 0x48},   {0xFFB9, 0x49},                 /* ..KP_9 */
    {0xFF9E, 0x52},   {0xFF9C, 0x4F}, {0xFF99, 0x50}, {0xFF9B, 0x51}, /* KP_Insert.. */
    {0xFF96, 0x4B},   {0xFF9D, 0x4C}, {0xFF98, 0x4D}, {0xFF95, 0x47},
    {0xFF97, 0x48},   {0xFF9A, 0x49},                 /* ..KP_Page_Up */
    {0xFFAE, 0x53},   {0xFF9F, 0x53}, /* KP_Decimal, KP_Delete */
    {0xFFAC, 0x53},                   /* KP_Separator */
    {0xFF8D, 0x9C},   {0xFFAF, 0xB5}, /* KP_Enter, KP_Divide */
    {0xFFAA, 0x37},   {0xFFAD, 0x4A}, /* KP_Multiply, KP_Subtract */
    {0xFFAB, 0x4E},                   /* KP_Add */
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static uint16_t printable_to_qnum(char c)
{
    for (size_t r = 0; r < COUNT(char_rows); r++) {
        const char *p = strchr(char_rows[r].plain, c);
        if (!p) {
            p = strchr(char_rows[r].shifted, c);
            if (p)
                p = char_rows[r].plain + (p - char_rows[r].shifted);
        }
        if (p)
            return (uint16_t)(char_rows[r].first + (p - char_rows[r].plain));
    }
    return 0;
}

uint16_t keymap_keysym_to_qnum(uint32_t keysym)
{
    if (keysym > ' ' && keysym < 0x7F)
        return printable_to_qnum((char)keysym);
    for (size_t i = 0; i < COUNT(keysym_keys); i++)
        if (keysym_keys[i].keysym == keysym)
            return keysym_keys[i].qnum;
    return 0;
}

uint32_t keymap_qnum_to_keysym(uint16_t qnum)
{
    for (size_t r = 0; r < COUNT(char_rows); r++) {
        size_t n = strlen(char_rows[r].plain);
        if (qnum >= char_rows[r].first && qnum < char_rows[r].first + n)
            return (uint8_t)char_rows[r].plain[qnum - char_rows[r].first];
    }
    for (size_t i = 0; i < COUNT(keysym_keys); i++)
        if (keysym_keys[i].qnum == qnum)
            return keysym_keys[i].keysym;
    return 0;
}

struct named_key {
    const char *name;
    uint16_t qnum;
};

/* QEMU's sendkey names (the ones virsh send-key's "qnum" set also takes),
 * with the usual aliases. */
static const struct named_key named_keys[] = {
    {"esc", 0x01}, {"escape", 0x01}, {"minus", 0x0C}, {"equal", 0x0D},
    {"backspace", 0x0E}, {"tab", 0x0F}, {"bracket_left", 0x1A},
    {"bracket_right", 0x1B}, {"ret", 0x1C}, {"return", 0x1C}, {"enter", 0x1C},
    {"ctrl", 0x1D}, {"ctrl_l", 0x1D}, {"ctrl_r", 0x9D},
    {"semicolon", 0x27}, {"apostrophe", 0x28}, {"grave_accent", 0x29},
    {"shift", 0x2A}, {"shift_l", 0x2A}, {"shift_r", 0x36},
    {"backslash", 0x2B}, {"comma", 0x33}, {"dot", 0x34}, {"slash", 0x35},
    {"asterisk", 0x37}, {"alt", 0x38}, {"alt_l", 0x38}, {"alt_r", 0xB8},
    {"altgr", 0xB8}, {"spc", 0x39}, {"space", 0x39}, {"caps_lock", 0x3A},
    {"f1", 0x3B}, {"f2", 0x3C}, {"f3", 0x3D}, {"f4", 0x3E}, {"f5", 0x3F},
    {"f6", 0x40}, {"f7", 0x41}, {"f8", 0x42}, {"f9", 0x43}, {"f10", 0x44},
    {"f11", 0x57}, {"f12", 0x58}, {"num_lock", 0x45}, {"scroll_lock", 0x46},
    {"kp_0", 0x52}, {"kp_1", 0x4F}, {"kp_2", 0x50}, {"kp_3", 0x51},
    {"kp_4", 0x4B}, {"kp_5", 0x4C}, {"kp_6", 0x4D}, {"kp_7", 0x47},
    {"kp_8", 0x48}, {"kp_9", 0x49}, {"kp_decimal", 0x53},
    {"kp_subtract", 0x4A}, {"kp_add", 0x4E}, {"kp_multiply", 0x37},
    {"kp_divide", 0xB5}, {"kp_enter", 0x9C}, {"less", 0x56}, {"sysrq", 0x54},
    {"print", 0xB7}, {"pause", 0xC6}, {"home", 0xC7}, {"end", 0xCF},
    {"pgup", 0xC9}, {"pgdn", 0xD1}, {"insert", 0xD2}, {"ins", 0xD2},
    {"delete", 0xD3}, {"del", 0xD3}, {"up", 0xC8}, {"down", 0xD0},
    {"left", 0xCB}, {"right", 0xCD}, {"meta_l", 0xDB}, {"meta_r", 0xDC},
    {"super", 0xDB}, {"win", 0xDB}, {"menu", 0xDD},
};

const char keymap_name_examples[] =
    "ctrl, alt, shift, del, ret, tab, esc, spc, backspace, f1..f12, up, down, "
    "left, right, home, end, pgup, pgdn, a..z, 0..9, ctrl-alt-del";

uint16_t keymap_name_to_qnum(const char *name)
{
    if (name[0] && !name[1]) { /* one letter or digit: that key */
        char c = name[0];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
            return printable_to_qnum(c);
        return 0;
    }
    for (size_t i = 0; i < COUNT(named_keys); i++)
        if (strcasecmp(named_keys[i].name, name) == 0)
            return named_keys[i].qnum;
    return 0;
}

int keymap_parse_combo(const char *combo, uint16_t *qnums, size_t max)
{
    size_t n = 0;
    const char *p = combo;
    for (;;) {
        const char *dash = strchr(p, '-');
        size_t len = dash ? (size_t)(dash - p) : strlen(p);
        char name[32];
        if (len == 0 || len >= sizeof(name) || n == max)
            return -EINVAL;
        memcpy(name, p, len);
        name[len] = '\0';
        uint16_t q = keymap_name_to_qnum(name);
        if (!q)
            return -EINVAL;
        qnums[n++] = q;
        if (!dash)
            return (int)n;
        p = dash + 1;
    }
}
