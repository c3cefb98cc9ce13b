/* textview: text (a log, a command's output) cut into the lines a
 * scrollable view shows.  What a program or a guest printed may hold
 * "\r\n" line ends, tabs, escape sequences and bytes that are not ASCII;
 * drawn as they are, they take more columns than they are characters and
 * the terminal wraps them at its last column.  So the text is made plain
 * first: CRs before a line end dropped, tabs expanded, other control and
 * non-ASCII bytes shown as '?'.  No drawing here. */
#ifndef CORRAL_SETUP_TEXTVIEW_H
#define CORRAL_SETUP_TEXTVIEW_H

#include <stddef.h>

struct text_lines {
    char *text;          /* the plain text (owned) */
    const char **start;  /* each display line's start in text */
    int *len;            /* and its length, at most the width */
    int count;
};

/* Cuts text into display lines of at most width columns (longer lines
 * wrap).  0, or -ENOMEM (out is then empty but may be freed). */
int textview_split(const char *text, int width, struct text_lines *out);
void textview_free(struct text_lines *tl);

#endif
