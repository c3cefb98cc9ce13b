/* lineedit: the text of one input field and its cursor, with horizontal
 * scrolling for values longer than the field (an SSH key is ~100
 * characters, the field 40).  No drawing here. */
#ifndef CORRAL_SETUP_LINEEDIT_H
#define CORRAL_SETUP_LINEEDIT_H

#include <stdbool.h>
#include <stddef.h>

#define LINEEDIT_MAX 1023

struct lineedit {
    char text[LINEEDIT_MAX + 1];
    size_t len;
    size_t cursor; /* 0..len */
    size_t max;    /* at most LINEEDIT_MAX characters */
};

void lineedit_init(struct lineedit *e, const char *text, size_t max);
/* Inserts one printable ASCII character at the cursor; false if it is not
 * printable or the field is full. */
bool lineedit_insert(struct lineedit *e, int ch);
void lineedit_backspace(struct lineedit *e);
void lineedit_delete(struct lineedit *e);
void lineedit_move(struct lineedit *e, int delta);
void lineedit_home(struct lineedit *e);
void lineedit_end(struct lineedit *e);
void lineedit_clear(struct lineedit *e);
/* First character to show in a field width columns wide so that the
 * cursor (which may sit one past the end) is visible. */
size_t lineedit_view_start(const struct lineedit *e, size_t width);

#endif
