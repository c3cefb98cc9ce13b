/* menu: the model behind every list the console UI shows (the main menu,
 * submenus, lists of keys or VMs): which item is selected, which rows are
 * on screen, and which item a letter picks.  No drawing here. */
#ifndef CORRAL_SETUP_MENU_H
#define CORRAL_SETUP_MENU_H

#include <stdbool.h>
#include <stddef.h>

struct menu_item {
    char key;            /* letter that picks the item ('\0': none) */
    const char *label;
    const char *help;    /* shown in the right-hand pane */
    bool available;      /* false: shown, selectable, explains why not */
};

struct menu {
    struct menu_item *items;
    size_t count;
    size_t selected;
    size_t top; /* first row shown when the list is longer than the screen */
};

void menu_init(struct menu *m, struct menu_item *items, size_t count);
/* Moves the selection by delta rows, stopping at the ends. */
void menu_move(struct menu *m, int delta);
/* Index of the item whose key is ch (case-insensitive), or -1. */
int menu_find_key(const struct menu *m, int ch);
/* The first row to show of count rows, rows at a time, so that selected
 * is shown, moving as little as possible from top. */
size_t menu_scroll_top(size_t top, size_t selected, size_t count, size_t rows);
/* Adjusts top so that the selection is one of the rows rows shown. */
void menu_scroll(struct menu *m, size_t rows);

#endif
