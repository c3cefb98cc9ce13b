/* ui_form: forms of labelled fields, each checked when it is left, with
 * the reason shown right under it (see ui.h). */
#include "ui.h"

#include "menu.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

#define LABEL_X 2
#define INPUT_X 24
#define FIELD_ROWS 2 /* the value, then its reason or hint */

void ui_field_text(struct ui_field *fl, const char *label, const char *value, size_t max)
{
    memset(fl, 0, sizeof(*fl));
    fl->label = label;
    fl->kind = UI_FIELD_TEXT;
    lineedit_init(&fl->edit, value, max);
}

const char *ui_field_value(const struct ui_form *f, size_t index)
{
    const struct ui_field *fl = &f->fields[index];

    if (fl->kind == UI_FIELD_CHOICE)
        return fl->choice_count ? fl->choices[fl->choice] : "";
    return fl->edit.text;
}

static bool field_active(const struct ui_form *f, size_t i)
{
    return !f->fields[i].active || f->fields[i].active(f);
}

/* Checks field i and keeps the reason for drawing; true when valid. */
static bool check_field(struct ui_form *f, size_t i)
{
    struct ui_field *fl = &f->fields[i];

    fl->why[0] = '\0';
    if (!field_active(f, i) || !fl->check)
        return true;
    return fl->check(f, i, fl->why, sizeof(fl->why)) == 0;
}

static int input_width(void)
{
    return COLS - INPUT_X - 4 > 50 ? 50 : COLS - INPUT_X - 4;
}

static void draw_field_value(const struct ui_field *fl, int y, bool focused, bool active)
{
    int w = input_width();
    char shown[LINEEDIT_MAX + 1];
    size_t start = 0, n;

    if (!active) {
        mvaddnstr(y, INPUT_X, " -- not used --", w + 2);
        return;
    }
    if (fl->kind == UI_FIELD_CHOICE) {
        char line[96];
        snprintf(line, sizeof(line), "< %s >",
                 fl->choice_count ? fl->choices[fl->choice] : "none");
        if (focused)
            attron(A_REVERSE);
        mvaddnstr(y, INPUT_X, line, w + 2);
        if (focused)
            attroff(A_REVERSE);
        return;
    }
    start = focused ? lineedit_view_start(&fl->edit, (size_t)w) : 0;
    n = fl->edit.len - start < (size_t)w ? fl->edit.len - start : (size_t)w;
    if (fl->kind == UI_FIELD_SECRET)
        memset(shown, '*', n);
    else
        memcpy(shown, fl->edit.text + start, n);
    shown[n] = '\0';
    mvaddch(y, INPUT_X, '[');
    if (focused)
        attron(A_UNDERLINE);
    mvhline(y, INPUT_X + 1, '_', w);
    mvaddstr(y, INPUT_X + 1, shown);
    if (focused)
        attroff(A_UNDERLINE);
    mvaddch(y, INPUT_X + 1 + w, ']');
}

static bool field_shown(const struct ui_form *f, size_t i)
{
    return !f->hide_inactive || field_active(f, i);
}

/* The first row of the fields (under the introduction). */
static int fields_y(const struct ui_form *f)
{
    return f->intro ? 2 + ui_wrap(2, 2, COLS - 4, 3, f->intro) + 1 : 2;
}

/* How many fields fit above the buttons. */
static size_t fields_fit(const struct ui_form *f)
{
    int rows = LINES - 3 - fields_y(f);

    return rows > 0 ? (size_t)rows / FIELD_ROWS : 0;
}

/* Position of field i among the shown ones, and how many are shown. */
static size_t shown_position(const struct ui_form *f, size_t i, size_t *shown)
{
    size_t pos = 0;

    *shown = 0;
    for (size_t j = 0; j < f->count; j++) {
        if (!field_shown(f, j))
            continue;
        if (j < i)
            pos++;
        (*shown)++;
    }
    return pos;
}

/* Scrolls so that the focused field is on the screen. */
static void scroll_to(struct ui_form *f, size_t focus)
{
    size_t shown, pos;

    if (focus >= f->count)
        focus = f->count ? f->count - 1 : 0;
    pos = shown_position(f, focus, &shown);
    f->top = menu_scroll_top(f->top, pos, shown, fields_fit(f));
}

/* The screen row of field i, or -1 when it is scrolled away or hidden. */
static int field_row(const struct ui_form *f, size_t i)
{
    size_t shown, pos = shown_position(f, i, &shown);

    if (!field_shown(f, i) || pos < f->top || pos >= f->top + fields_fit(f))
        return -1;
    return fields_y(f) + (int)(pos - f->top) * FIELD_ROWS;
}

static void draw_one_field(const struct ui_form *f, size_t i, int y, size_t focus)
{
    const struct ui_field *fl = &f->fields[i];
    bool active = field_active(f, i);
    char label[40];

    snprintf(label, sizeof(label), "%c %s", focus == i ? '>' : ' ', fl->label);
    ui_text(y, LABEL_X - 1, INPUT_X - LABEL_X, label, focus == i);
    draw_field_value(fl, y, focus == i, active);
    if (fl->why[0]) {
        char why[160];
        snprintf(why, sizeof(why), "! %s", fl->why);
        ui_text(y + 1, INPUT_X, COLS - INPUT_X - 2, why, true);
    } else if (active && fl->hint && (focus == i || !fl->edit.len)) {
        ui_text(y + 1, INPUT_X + 1, COLS - INPUT_X - 3, fl->hint, false);
    }
}

static void draw_form(const struct ui_form *f, size_t focus)
{
    int y = fields_y(f), last = y - FIELD_ROWS, buttons_y;
    size_t shown;

    ui_frame("Up/Down/Tab: field   Enter: next, save   F10 or [Save]: save   Esc: cancel");
    ui_box(1, 0, LINES - 2, COLS, f->title);
    if (f->intro)
        ui_wrap(2, 2, COLS - 4, 3, f->intro);
    for (size_t i = 0; i < f->count; i++) {
        int row = field_row(f, i);
        if (row < 0)
            continue;
        draw_one_field(f, i, row, focus);
        last = row;
    }
    buttons_y = last + FIELD_ROWS + 1 < LINES - 3 ? last + FIELD_ROWS + 1 : LINES - 3;
    ui_text(buttons_y, INPUT_X, 12, focus == f->count ? "[> Save <]" : "[  Save  ]", focus == f->count);
    ui_text(buttons_y, INPUT_X + 14, 12, focus == f->count + 1 ? "[> Cancel <]" : "[  Cancel  ]",
            focus == f->count + 1);
    shown_position(f, f->count, &shown);
    if (shown > fields_fit(f)) /* say that there is more, and where */
        ui_text(buttons_y, INPUT_X + 30, COLS - INPUT_X - 32,
                f->top == 0                           ? "(more below)"
                : f->top + fields_fit(f) >= shown     ? "(more above)"
                                                      : "(more above and below)",
                false);
    refresh();
}

/* Puts the terminal cursor in the focused text field. */
static void place_cursor(const struct ui_form *f, size_t focus)
{
    int y = focus < f->count ? field_row(f, focus) : -1, w = input_width();

    if (y < 0 || f->fields[focus].kind == UI_FIELD_CHOICE) {
        curs_set(0);
        return;
    }
    {
        const struct lineedit *e = &f->fields[focus].edit;
        size_t start = lineedit_view_start(e, (size_t)w);
        move(y, INPUT_X + 1 + (int)(e->cursor - start));
    }
    curs_set(1);
    refresh();
}

/* Next focusable position from focus in direction dir (fields that are
 * not active are skipped; the two buttons follow the fields). */
static size_t next_focus(const struct ui_form *f, size_t focus, int dir)
{
    size_t positions = f->count + 2;

    for (size_t step = 0; step < positions; step++) {
        focus = (focus + positions + (size_t)(dir > 0 ? 1 : positions - 1)) % positions;
        if (focus >= f->count || field_active(f, focus))
            return focus;
    }
    return f->count;
}

/* Checks every active field; the index of the first bad one, or count. */
static size_t check_all(struct ui_form *f)
{
    size_t first_bad = f->count;

    for (size_t i = 0; i < f->count; i++)
        if (!check_field(f, i) && first_bad == f->count)
            first_bad = i;
    return first_bad;
}

static void edit_field(struct ui_field *fl, int key)
{
    if (fl->kind == UI_FIELD_CHOICE) {
        if (fl->choice_count == 0)
            return;
        if (key == KEY_LEFT)
            fl->choice = (fl->choice + fl->choice_count - 1) % fl->choice_count;
        else if (key == KEY_RIGHT || key == ' ')
            fl->choice = (fl->choice + 1) % fl->choice_count;
        return;
    }
    switch (key) {
    case KEY_BACKSPACE:
        lineedit_backspace(&fl->edit);
        break;
    case KEY_DC:
        lineedit_delete(&fl->edit);
        break;
    case KEY_LEFT:
        lineedit_move(&fl->edit, -1);
        break;
    case KEY_RIGHT:
        lineedit_move(&fl->edit, 1);
        break;
    case KEY_HOME:
    case 1: /* Ctrl-A */
        lineedit_home(&fl->edit);
        break;
    case KEY_END:
    case 5: /* Ctrl-E */
        lineedit_end(&fl->edit);
        break;
    case 21: /* Ctrl-U */
        lineedit_clear(&fl->edit);
        break;
    default:
        lineedit_insert(&fl->edit, key);
    }
}

/* Save: every field valid, else focus on the first bad one. */
static bool try_save(struct ui_form *f, size_t *focus)
{
    size_t bad = check_all(f);

    if (bad == f->count)
        return true;
    *focus = bad;
    return false;
}

bool ui_form_run(struct ui_form *f)
{
    size_t focus = next_focus(f, f->count + 1, 1);
    bool saved = false;

    f->top = 0;
    for (;;) {
        int key;
        if (ui_too_small()) {
            if (ui_read_key(-1) == UI_KEY_BACK)
                break;
            continue;
        }
        scroll_to(f, focus);
        draw_form(f, focus);
        place_cursor(f, focus);
        key = ui_read_key(-1);
        if (key == UI_KEY_BACK)
            break;
        if (key == KEY_F(10) && try_save(f, &focus)) {
            saved = true;
            break;
        }
        /* Enter in the last field saves, as in most forms. */
        if (key == UI_KEY_ENTER && focus + 1 == f->count) {
            if (try_save(f, &focus)) {
                saved = true;
                break;
            }
            continue;
        }
        if (key == KEY_UP || key == KEY_BTAB || key == KEY_DOWN || key == '\t'
            || (key == UI_KEY_ENTER && focus < f->count)) {
            if (focus < f->count)
                check_field(f, focus);
            focus = next_focus(f, focus, key == KEY_UP || key == KEY_BTAB ? -1 : 1);
            continue;
        }
        if (key == UI_KEY_ENTER) {
            if (focus == f->count + 1)
                break;
            if (try_save(f, &focus)) {
                saved = true;
                break;
            }
            continue;
        }
        if (focus < f->count) {
            struct ui_field *fl = &f->fields[focus];
            edit_field(fl, key);
            if (fl->why[0]) /* re-check as it is corrected, so the reason goes */
                check_field(f, focus);
        }
    }
    curs_set(0);
    return saved;
}
