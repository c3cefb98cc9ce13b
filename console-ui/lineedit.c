/* lineedit: one editable line (see lineedit.h). */
#include "lineedit.h"

#include <string.h>

void lineedit_init(struct lineedit *e, const char *text, size_t max)
{
    size_t n = text ? strlen(text) : 0;

    e->max = max > LINEEDIT_MAX || max == 0 ? LINEEDIT_MAX : max;
    if (n > e->max)
        n = e->max;
    if (n)
        memcpy(e->text, text, n);
    e->text[n] = '\0';
    e->len = n;
    e->cursor = n;
}

bool lineedit_insert(struct lineedit *e, int ch)
{
    if (ch < 0x20 || ch > 0x7e || e->len >= e->max)
        return false;
    memmove(e->text + e->cursor + 1, e->text + e->cursor, e->len - e->cursor + 1);
    e->text[e->cursor++] = (char)ch;
    e->len++;
    return true;
}

void lineedit_backspace(struct lineedit *e)
{
    if (e->cursor == 0)
        return;
    memmove(e->text + e->cursor - 1, e->text + e->cursor, e->len - e->cursor + 1);
    e->cursor--;
    e->len--;
}

void lineedit_delete(struct lineedit *e)
{
    if (e->cursor == e->len)
        return;
    memmove(e->text + e->cursor, e->text + e->cursor + 1, e->len - e->cursor);
    e->len--;
}

void lineedit_move(struct lineedit *e, int delta)
{
    long c = (long)e->cursor + delta;

    if (c < 0)
        c = 0;
    if (c > (long)e->len)
        c = (long)e->len;
    e->cursor = (size_t)c;
}

void lineedit_home(struct lineedit *e)
{
    e->cursor = 0;
}

void lineedit_end(struct lineedit *e)
{
    e->cursor = e->len;
}

void lineedit_clear(struct lineedit *e)
{
    e->text[0] = '\0';
    e->len = 0;
    e->cursor = 0;
}

size_t lineedit_view_start(const struct lineedit *e, size_t width)
{
    if (width == 0 || e->cursor < width)
        return 0;
    return e->cursor - width + 1;
}
