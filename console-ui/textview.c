/* textview: text cut into display lines (textview.h). */
#include "textview.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define TAB_STOP 8

/* The plain text: one byte a column, '\n' between lines. */
static char *plain_text(const char *text)
{
    size_t tabs = 0, col = 0, o = 0;
    char *out;

    for (const char *p = text; *p; p++)
        tabs += *p == '\t';
    out = malloc(strlen(text) + tabs * (TAB_STOP - 1) + 1);
    if (!out)
        return NULL;
    for (const char *p = text; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '\r' && (p[1] == '\n' || p[1] == '\r' || p[1] == '\0'))
            continue;
        if (c == '\n') {
            out[o++] = '\n';
            col = 0;
            continue;
        }
        if (c == '\t') {
            do
                out[o++] = ' ';
            while (++col % TAB_STOP);
            continue;
        }
        out[o++] = c < ' ' || c >= 0x7f ? '?' : (char)c;
        col++;
    }
    out[o] = '\0';
    return out;
}

static int add_line(struct text_lines *tl, int *cap, const char *start, int len)
{
    if (tl->count == *cap) {
        int grown = *cap ? *cap * 2 : 256;
        const char **s = realloc(tl->start, sizeof(*s) * (size_t)grown);
        int *l;
        if (!s)
            return -ENOMEM;
        tl->start = s;
        l = realloc(tl->len, sizeof(*l) * (size_t)grown);
        if (!l)
            return -ENOMEM;
        tl->len = l;
        *cap = grown;
    }
    tl->start[tl->count] = start;
    tl->len[tl->count] = len;
    tl->count++;
    return 0;
}

int textview_split(const char *text, int width, struct text_lines *out)
{
    int cap = 0;

    memset(out, 0, sizeof(*out));
    if (width < 1)
        width = 1;
    out->text = plain_text(text ? text : "");
    if (!out->text)
        return -ENOMEM;
    for (const char *p = out->text; *p;) {
        int n = (int)strcspn(p, "\n"), taken = 0;
        do {
            int piece = n - taken > width ? width : n - taken;
            if (add_line(out, &cap, p + taken, piece) != 0) {
                textview_free(out);
                return -ENOMEM;
            }
            taken += piece;
        } while (taken < n);
        p += n + (p[n] == '\n');
    }
    return 0;
}

void textview_free(struct text_lines *tl)
{
    free(tl->text);
    free(tl->start);
    free(tl->len);
    memset(tl, 0, sizeof(*tl));
}
