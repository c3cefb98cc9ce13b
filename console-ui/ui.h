/* ui: the console UI's drawing and input on ncurses, shared by every
 * screen.  Usable at 80x24 on a VT100-class serial terminal: no colour is
 * needed (reverse video and brackets mark the selection), line drawing is
 * plain ASCII on serial lines (IPMI serial-over-LAN mangles the alternate
 * character set) and the VT's own on tty1, and every function key shown
 * has a letter alternative.  Resizes redraw; input never ends the program.
 *
 * Screen layout (80x24 and larger):
 *   row 0          title bar: product, version, hostname
 *   rows 1..H-2    body: a menu box on the left, a help box on the right,
 *                  or one full-width box (home screen, forms, text views)
 *   row H-1        footer: the keys that work on this screen */
#ifndef CORRAL_SETUP_UI_H
#define CORRAL_SETUP_UI_H

#include <stdbool.h>
#include <stddef.h>

#include "lineedit.h"
#include "menu.h"

#define UI_MIN_COLS 80
#define UI_MIN_ROWS 24
#define UI_MENU_WIDTH 28

/* Keys after ui_read_key's normalisation (ncurses' KEY_* otherwise). */
enum {
    UI_KEY_NONE = -1,     /* timeout: nothing typed */
    UI_KEY_ENTER = 0x1000,
    UI_KEY_BACK,          /* Esc */
    UI_KEY_REDRAW,        /* terminal resized or Ctrl-L */
};

struct ui_context {
    const char *tty;     /* "ttyS0", "tty1" */
    bool serial;         /* a serial line: assume 80x24, ASCII lines */
    bool ascii_lines;
    char version[32];
    char hostname[64];
};

extern struct ui_context ui_ctx;

void ui_start(const char *tty);
void ui_stop(void);
/* Leave curses for a child that uses the terminal (a shell, an installer)
 * and come back to it afterwards. */
void ui_suspend(void);
void ui_resume(void);

/* One key, waiting at most timeout_ms (-1: for ever).  Esc -> UI_KEY_BACK,
 * Enter/Return -> UI_KEY_ENTER, DEL/^H -> KEY_BACKSPACE, resize and Ctrl-L
 * -> UI_KEY_REDRAW. */
int ui_read_key(int timeout_ms);

/* Clears the screen and draws the title bar and footer. */
void ui_frame(const char *footer);
int ui_rows(void);
int ui_cols(void);
/* When the terminal is below 80x24, says so on the screen; returns true
 * then (the caller waits for a key and redraws). */
bool ui_too_small(void);
void ui_box(int y, int x, int h, int w, const char *title);
/* Text clipped to w columns at (y, x); bold when emphasised. */
void ui_text(int y, int x, int w, const char *text, bool emphasised);
/* Word-wrapped text in a w x max_lines area; '\n' starts a new line.
 * Returns the number of lines used. */
int ui_wrap(int y, int x, int w, int max_lines, const char *text);
void ui_flush(void);

/* A menu on the left, the selected item's help on the right.  Returns the
 * chosen index, or -1 when the person went back. */
int ui_menu_run(const char *title, struct menu *m, const char *footer);

/* A message in a box until Enter or Esc. */
void ui_message(const char *title, const char *text);
/* A question; true when the person answered yes (Y, or Enter on Yes). */
bool ui_confirm(const char *title, const char *question);
/* "title: what is happening" while a long action runs (no key wait). */
void ui_progress(const char *title, const char *text);
/* Scrollable text (logs, command output) until Esc. */
void ui_view_text(const char *title, const char *text, bool start_at_end);

/* --- forms ------------------------------------------------------------------ */

struct ui_form;
enum ui_field_kind { UI_FIELD_TEXT, UI_FIELD_SECRET, UI_FIELD_CHOICE };

struct ui_field {
    const char *label;
    enum ui_field_kind kind;
    struct lineedit edit;             /* TEXT and SECRET: the value */
    const char *const *choices;       /* CHOICE: the values it cycles through */
    size_t choice_count, choice;      /* CHOICE: how many, which one */
    const char *hint;                 /* shown under an empty, valid field */
    /* 0 when the value is acceptable, else a reason in why. */
    int (*check)(const struct ui_form *f, size_t index, char *why, size_t len);
    /* false: greyed out and skipped (e.g. static fields under DHCP). */
    bool (*active)(const struct ui_form *f);
    char why[128];                    /* the reason shown under the field */
};

struct ui_form {
    const char *title;
    const char *intro;                /* a line or two above the fields */
    struct ui_field *fields;
    size_t count;
    void *data;                       /* for the callbacks */
    bool hide_inactive;               /* leave out fields not in use */
    size_t top;                       /* first field shown (the form
                                       * scrolls when it is taller than
                                       * the screen); ui_form_run sets it */
};

void ui_field_text(struct ui_field *fl, const char *label, const char *value, size_t max);
const char *ui_field_value(const struct ui_form *f, size_t index);
/* Runs the form; true when the person saved with every field valid. */
bool ui_form_run(struct ui_form *f);

#endif
