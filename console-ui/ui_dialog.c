/* ui_dialog: messages, questions, progress and scrollable text (ui.h). */
#include "ui.h"

#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include "textview.h"

/* Counts the lines text takes when wrapped at w columns (as ui_wrap). */
static int wrapped_lines(const char *text, int w)
{
    int lines = 0;

    while (text && *text) {
        size_t n = strcspn(text, "\n");
        const char *end = text + n;
        while (text < end) {
            size_t take = (size_t)(end - text) <= (size_t)w ? (size_t)(end - text) : (size_t)w;
            if ((size_t)(end - text) > (size_t)w) {
                size_t cut = take;
                while (cut > 0 && text[cut] != ' ')
                    cut--;
                if (cut > 0)
                    take = cut;
            }
            text += take;
            while (text < end && *text == ' ')
                text++;
            lines++;
        }
        if (n == 0)
            lines++;
        text = *end ? end + 1 : end;
    }
    return lines;
}

/* A centred box with wrapped text and a last line of keys. */
static void draw_dialog(const char *title, const char *text, const char *keys)
{
    int w = COLS - 8 > 70 ? 70 : COLS - 8;
    int max_text = LINES - 8;
    int lines = wrapped_lines(text, w - 4);
    int h, y, x;

    if (lines > max_text)
        lines = max_text;
    h = lines + 5;
    y = (LINES - h) / 2;
    x = (COLS - w) / 2;
    for (int r = 0; r < h; r++)
        mvhline(y + r, x, ' ', w);
    ui_box(y, x, h, w, title);
    ui_wrap(y + 2, x + 2, w - 4, lines, text);
    ui_text(y + h - 2, x + 2, w - 4, keys, true);
    refresh();
}

void ui_message(const char *title, const char *text)
{
    for (;;) {
        int key;
        ui_frame("Enter or Esc: continue");
        draw_dialog(title, text, "[ OK ]  Enter: continue");
        key = ui_read_key(-1);
        if (key == UI_KEY_ENTER || key == UI_KEY_BACK)
            return;
    }
}

bool ui_confirm(const char *title, const char *question)
{
    bool yes = false;

    for (;;) {
        int key;
        ui_frame("Y: yes   N or Esc: no   Left/Right: move   Enter: choose");
        draw_dialog(title, question, yes ? "[>Yes<]   No        (Y/N)" : " Yes    [>No<]       (Y/N)");
        key = ui_read_key(-1);
        switch (key) {
        case 'y':
        case 'Y':
            return true;
        case 'n':
        case 'N':
        case UI_KEY_BACK:
            return false;
        case UI_KEY_ENTER:
            return yes;
        case KEY_LEFT:
        case KEY_RIGHT:
        case '\t':
            yes = !yes;
            break;
        }
    }
}

void ui_progress(const char *title, const char *text)
{
    ui_frame("Please wait...");
    draw_dialog(title, text, "working...");
}

/* --- scrollable text ----------------------------------------------------------- */

static void draw_text_view(const char *title, const struct text_lines *tl, int top, int rows)
{
    char where[48];

    ui_frame("Up/Down: line   PgUp/PgDn or P/N: page   Home/End or T/E   Esc or Q: back");
    ui_box(1, 0, LINES - 2, COLS, title);
    for (int r = 0; r < rows && top + r < tl->count; r++)
        mvaddnstr(2 + r, 2, tl->start[top + r], tl->len[top + r]);
    snprintf(where, sizeof(where), " lines %d-%d of %d ", tl->count ? top + 1 : 0,
             top + rows < tl->count ? top + rows : tl->count, tl->count);
    ui_text(LINES - 2, COLS - (int)strlen(where) - 2, (int)strlen(where), where, false);
    refresh();
}

static int clamp_top(int top, int rows, int count)
{
    if (top > count - rows)
        top = count - rows;
    return top < 0 ? 0 : top;
}

void ui_view_text(const char *title, const char *text, bool start_at_end)
{
    struct text_lines tl = {0};
    int top = 0, width = 0;
    bool at_end = start_at_end;

    for (;;) {
        int rows = LINES - 4, key;
        if (ui_too_small()) {
            if (ui_read_key(-1) == UI_KEY_BACK)
                break;
            continue;
        }
        if (width != COLS - 4) { /* first time, or the terminal was resized */
            width = COLS - 4;
            textview_free(&tl);
            if (textview_split(text, width, &tl) != 0) {
                ui_message(title, "Not enough memory to show this text.");
                break;
            }
        }
        if (at_end) {
            top = tl.count - rows;
            at_end = false;
        }
        top = clamp_top(top, rows, tl.count);
        draw_text_view(title, &tl, top, rows);
        key = ui_read_key(-1);
        if (key == UI_KEY_BACK || key == 'q' || key == 'Q' || key == KEY_LEFT)
            break;
        if (key == KEY_UP || key == 'k')
            top--;
        else if (key == KEY_DOWN || key == 'j')
            top++;
        else if (key == KEY_PPAGE || key == 'p' || key == 'P')
            top -= rows;
        else if (key == KEY_NPAGE || key == 'n' || key == 'N' || key == ' ')
            top += rows;
        else if (key == KEY_HOME || key == 't' || key == 'T')
            top = 0;
        else if (key == KEY_END || key == 'e' || key == 'E')
            at_end = true;
        else if (key == UI_KEY_REDRAW)
            width = 0;
    }
    textview_free(&tl);
}
