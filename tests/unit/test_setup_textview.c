/* Unit tests: text cut into a text view's lines (console-ui/textview.c):
 * a guest's "\r\n" line ends, tabs and escape sequences take no extra
 * lines or columns (issue 20 item 2: a full-width line was followed by an
 * empty one). */
#include <string.h>

#include "../../console-ui/textview.h"
#include "check.h"

static void check_line(const struct text_lines *tl, int i, const char *want)
{
    CHECK(i < tl->count);
    if (i < tl->count) {
        CHECK_EQ_INT(tl->len[i], (int)strlen(want));
        CHECK(strncmp(tl->start[i], want, strlen(want)) == 0);
    }
}

static void test_full_width_line_ended_by_crlf_is_one_line(void)
{
    struct text_lines tl;
    char text[200];
    memset(text, 'x', 76);
    strcpy(text + 76, "\r\nnext\r\n");
    CHECK_EQ_INT(textview_split(text, 76, &tl), 0);
    CHECK_EQ_INT(tl.count, 2);
    CHECK_EQ_INT(tl.len[0], 76);
    check_line(&tl, 1, "next");
    textview_free(&tl);
}

static void test_long_lines_wrap_and_empty_lines_stay(void)
{
    struct text_lines tl;
    CHECK_EQ_INT(textview_split("abcdefghij\n\nxy", 4, &tl), 0);
    CHECK_EQ_INT(tl.count, 5);
    check_line(&tl, 0, "abcd");
    check_line(&tl, 1, "efgh");
    check_line(&tl, 2, "ij");
    check_line(&tl, 3, "");
    check_line(&tl, 4, "xy");
    textview_free(&tl);
}

static void test_tabs_and_control_bytes_take_their_columns(void)
{
    struct text_lines tl;
    CHECK_EQ_INT(textview_split("a\tb\n\033[1mbold\033[0m\nna\xc3\xafve\rx", 80, &tl), 0);
    CHECK_EQ_INT(tl.count, 3);
    check_line(&tl, 0, "a       b");
    check_line(&tl, 1, "?[1mbold?[0m");
    check_line(&tl, 2, "na??ve?x");
    textview_free(&tl);
}

static void test_empty_and_null(void)
{
    struct text_lines tl;
    CHECK_EQ_INT(textview_split("", 10, &tl), 0);
    CHECK_EQ_INT(tl.count, 0);
    textview_free(&tl);
    CHECK_EQ_INT(textview_split(NULL, 0, &tl), 0);
    CHECK_EQ_INT(tl.count, 0);
    textview_free(&tl);
}

int main(void)
{
    RUN(test_full_width_line_ended_by_crlf_is_one_line);
    RUN(test_long_lines_wrap_and_empty_lines_stay);
    RUN(test_tabs_and_control_bytes_take_their_columns);
    RUN(test_empty_and_null);
    return check_summary("setup_textview");
}
