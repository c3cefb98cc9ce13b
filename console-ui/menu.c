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

void menu_scroll(struct menu *m, size_t rows)
{
    if (rows == 0)
        return;
    if (m->selected < m->top)
        m->top = m->selected;
    if (m->selected >= m->top + rows)
        m->top = m->selected - rows + 1;
    if (m->count > rows && m->top > m->count - rows)
        m->top = m->count - rows;
    if (m->count <= rows)
        m->top = 0;
}
