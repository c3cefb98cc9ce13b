/* Unit tests: the menu model and line editing (console-ui/menu.c,
 * console-ui/lineedit.c). */
#include "../../console-ui/lineedit.h"
#include "../../console-ui/menu.h"
#include "check.h"

static struct menu_item items[] = {
    {'I', "Install", "", false}, {'N', "Network", "", true}, {'S', "Security", "", true},
    {'L', "Logs", "", true},     {0, "No key", "", true},
};

static void test_move_stops_at_the_ends(void)
{
    struct menu m;
    menu_init(&m, items, 5);
    CHECK_EQ_INT(m.selected, 0);
    menu_move(&m, -1);
    CHECK_EQ_INT(m.selected, 0);
    menu_move(&m, 2);
    CHECK_EQ_INT(m.selected, 2);
    menu_move(&m, 100);
    CHECK_EQ_INT(m.selected, 4);
    menu_move(&m, -100);
    CHECK_EQ_INT(m.selected, 0);
}

static void test_empty_menu_does_not_move(void)
{
    struct menu m;
    menu_init(&m, items, 0);
    menu_move(&m, 1);
    CHECK_EQ_INT(m.selected, 0);
    CHECK_EQ_INT(menu_find_key(&m, 'n'), -1);
}

static void test_letters_pick_items_in_either_case(void)
{
    struct menu m;
    menu_init(&m, items, 5);
    CHECK_EQ_INT(menu_find_key(&m, 'n'), 1);
    CHECK_EQ_INT(menu_find_key(&m, 'L'), 3);
    CHECK_EQ_INT(menu_find_key(&m, 'i'), 0); /* unavailable items still answer */
    CHECK_EQ_INT(menu_find_key(&m, 'x'), -1);
    CHECK_EQ_INT(menu_find_key(&m, 0), -1);
    CHECK_EQ_INT(menu_find_key(&m, 0x1000), -1); /* a function key code */
    CHECK_EQ_INT(menu_find_key(&m, -1), -1);
}

static void test_scroll_keeps_the_selection_visible(void)
{
    struct menu m;
    menu_init(&m, items, 5);
    menu_scroll(&m, 2);
    CHECK_EQ_INT(m.top, 0);
    m.selected = 3;
    menu_scroll(&m, 2);
    CHECK_EQ_INT(m.top, 2);
    m.selected = 1;
    menu_scroll(&m, 2);
    CHECK_EQ_INT(m.top, 1);
    menu_scroll(&m, 10); /* everything fits */
    CHECK_EQ_INT(m.top, 0);
    menu_scroll(&m, 0);
    CHECK_EQ_INT(m.top, 0);
    /* The same rule for a form's fields (ui_form.c): 12 fields, 8 shown. */
    CHECK_EQ_INT(menu_scroll_top(0, 7, 12, 8), 0);
    CHECK_EQ_INT(menu_scroll_top(0, 8, 12, 8), 1);
    CHECK_EQ_INT(menu_scroll_top(4, 11, 12, 8), 4);
    CHECK_EQ_INT(menu_scroll_top(4, 2, 12, 8), 2);
    CHECK_EQ_INT(menu_scroll_top(9, 11, 12, 8), 4); /* never past the end */
}

static void test_lineedit_insert_delete_and_move(void)
{
    struct lineedit e;
    lineedit_init(&e, "10.0.2", 18);
    CHECK_EQ_INT(e.cursor, 6);
    CHECK(lineedit_insert(&e, '.'));
    CHECK(lineedit_insert(&e, '5'));
    CHECK_EQ_STR(e.text, "10.0.2.5");
    lineedit_home(&e);
    lineedit_delete(&e);
    CHECK_EQ_STR(e.text, "0.0.2.5");
    CHECK(lineedit_insert(&e, '2'));
    CHECK_EQ_STR(e.text, "20.0.2.5");
    lineedit_backspace(&e);
    lineedit_backspace(&e); /* at the start: nothing */
    CHECK_EQ_STR(e.text, "0.0.2.5");
    lineedit_end(&e);
    lineedit_delete(&e); /* at the end: nothing */
    lineedit_move(&e, -100);
    CHECK_EQ_INT(e.cursor, 0);
    lineedit_move(&e, 100);
    CHECK_EQ_INT(e.cursor, e.len);
    lineedit_clear(&e);
    CHECK_EQ_STR(e.text, "");
    CHECK_EQ_INT(e.cursor, 0);
}

static void test_lineedit_refuses_control_characters_and_overflow(void)
{
    struct lineedit e;
    lineedit_init(&e, "", 3);
    CHECK(!lineedit_insert(&e, '\n'));
    CHECK(!lineedit_insert(&e, 27));
    CHECK(!lineedit_insert(&e, 0x1000));
    CHECK(lineedit_insert(&e, 'a') && lineedit_insert(&e, 'b') && lineedit_insert(&e, 'c'));
    CHECK(!lineedit_insert(&e, 'd'));
    CHECK_EQ_STR(e.text, "abc");
    lineedit_init(&e, "abcdef", 4); /* a longer start value is cut */
    CHECK_EQ_STR(e.text, "abcd");
    lineedit_init(&e, NULL, 0);
    CHECK_EQ_INT(e.max, LINEEDIT_MAX);
}

static void test_lineedit_view_follows_the_cursor(void)
{
    struct lineedit e;
    lineedit_init(&e, "0123456789", 100);
    CHECK_EQ_INT(lineedit_view_start(&e, 4), 7); /* cursor after the end */
    lineedit_home(&e);
    CHECK_EQ_INT(lineedit_view_start(&e, 4), 0);
    CHECK_EQ_INT(lineedit_view_start(&e, 0), 0);
}

int main(void)
{
    RUN(test_move_stops_at_the_ends);
    RUN(test_empty_menu_does_not_move);
    RUN(test_letters_pick_items_in_either_case);
    RUN(test_scroll_keeps_the_selection_visible);
    RUN(test_lineedit_insert_delete_and_move);
    RUN(test_lineedit_refuses_control_characters_and_overflow);
    RUN(test_lineedit_view_follows_the_cursor);
    return check_summary("setup_menu");
}
