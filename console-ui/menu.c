/* menu: selection, scrolling and letter keys of a list (see menu.h). */
#include "menu.h"

#include <ctype.h>

void menu_init(struct menu *m, struct menu_item *items, size_t count)
{
    m->items = items;
    m->count = count;
    m->selected = 0;
    m->top = 0;
}

void menu_move(struct menu *m, int delta)
{
    long target = (long)m->selected + delta;

    if (m->count == 0)
        return;
    if (target < 0)
        target = 0;
    if (target >= (long)m->count)
        target = (long)m->count - 1;
    m->selected = (size_t)target;
}

int menu_find_key(const struct menu *m, int ch)
{
    if (ch <= 0 || ch > 255 || !isalnum(ch))
        return -1;
    for (size_t i = 0; i < m->count; i++)
        if (m->items[i].key && tolower((unsigned char)m->items[i].key) == tolower(ch))
            return (int)i;
    return -1;
}

size_t menu_scroll_top(size_t top, size_t selected, size_t count, size_t rows)
{
    if (rows == 0)
        return top;
    if (selected < top)
        top = selected;
    if (selected >= top + rows)
        top = selected - rows + 1;
    if (count > rows && top > count - rows)
        top = count - rows;
    if (count <= rows)
        top = 0;
    return top;
}

void menu_scroll(struct menu *m, size_t rows)
{
    m->top = menu_scroll_top(m->top, m->selected, m->count, rows);
}
