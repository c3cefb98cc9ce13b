/* ui_core: screen set-up, keys, frame, boxes, text and menus (see ui.h). */
#include "ui.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

struct ui_context ui_ctx;
static SCREEN *screen;

/* A serial line has no size the far end tells us: assume 80x24, as
 * VT100-class terminals and IPMI serial-over-LAN consoles are. */
static void set_serial_size(void)
{
    struct winsize ws = {.ws_row = UI_MIN_ROWS, .ws_col = UI_MIN_COLS};
    ioctl(STDIN_FILENO, TIOCSWINSZ, &ws);
}

/* Serial terminals differ in what their keys send (cursor keys in normal
 * or application mode, VT220 or xterm function keys) and TERM cannot
 * tell: accept all the common forms whatever the terminfo entry says. */
static void define_common_keys(void)
{
    static const struct {
        const char *seq;
        int key;
    } keys[] = {
        {"\033[A", KEY_UP},     {"\033[B", KEY_DOWN},   {"\033[C", KEY_RIGHT},
        {"\033[D", KEY_LEFT},   {"\033OA", KEY_UP},     {"\033OB", KEY_DOWN},
        {"\033OC", KEY_RIGHT},  {"\033OD", KEY_LEFT},   {"\033[H", KEY_HOME},
        {"\033[F", KEY_END},    {"\033OH", KEY_HOME},   {"\033OF", KEY_END},
        {"\033[1~", KEY_HOME},  {"\033[4~", KEY_END},   {"\033[7~", KEY_HOME},
        {"\033[8~", KEY_END},   {"\033[3~", KEY_DC},    {"\033[5~", KEY_PPAGE},
        {"\033[6~", KEY_NPAGE}, {"\033[Z", KEY_BTAB},   {"\033OP", KEY_F(1)},
        {"\033OQ", KEY_F(2)},   {"\033OR", KEY_F(3)},   {"\033OS", KEY_F(4)},
        {"\033[11~", KEY_F(1)}, {"\033[12~", KEY_F(2)}, {"\033[[B", KEY_F(2)},
        {"\033[21~", KEY_F(10)}, {"\033[24~", KEY_F(12)},
    };

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        define_key(keys[i].seq, keys[i].key);
}

static void configure_screen(void)
{
    cbreak();
    noecho();
    nonl();
    intrflush(stdscr, FALSE);
    keypad(stdscr, TRUE);
    curs_set(0);
    set_escdelay(150);
    define_common_keys();
}

void ui_start(const char *tty)
{
    ui_ctx.tty = tty ? tty : "console";
    ui_ctx.serial = strncmp(ui_ctx.tty, "ttyS", 4) == 0;
    if (ui_ctx.serial)
        set_serial_size();
    screen = newterm(NULL, stdout, stdin);
    if (!screen) {
        /* An unknown TERM: every terminal the UI meets understands VT100. */
        setenv("TERM", "vt100", 1);
        screen = newterm(NULL, stdout, stdin);
    }
    if (!screen) {
        fprintf(stderr, "corral-setup: cannot set up the terminal (TERM=%s)\n",
                getenv("TERM") ? getenv("TERM") : "");
        exit(1);
    }
    configure_screen();
    {
        const char *acsc = tigetstr("acsc");
        ui_ctx.ascii_lines = ui_ctx.serial || acsc == NULL || acsc == (char *)-1;
    }
}

void ui_stop(void)
{
    if (screen) {
        endwin();
        delscreen(screen);
        screen = NULL;
    }
}

void ui_suspend(void)
{
    clear();
    refresh();
    endwin();
}

void ui_resume(void)
{
    if (ui_ctx.serial)
        set_serial_size();
    reset_prog_mode();
    configure_screen();
    clearok(curscr, TRUE);
    refresh();
}

int ui_read_key(int timeout_ms)
{
    int ch;

    timeout(timeout_ms);
    ch = getch();
    switch (ch) {
    case ERR:
        return UI_KEY_NONE;
    case 27:
        return UI_KEY_BACK;
    case '\r':
    case '\n':
    case KEY_ENTER:
        return UI_KEY_ENTER;
    case 127:
    case 8:
        return KEY_BACKSPACE;
    case 12: /* Ctrl-L: repaint a garbled serial screen */
        clearok(curscr, TRUE);
        return UI_KEY_REDRAW;
    case KEY_RESIZE:
        return UI_KEY_REDRAW;
    default:
        return ch;
    }
}

int ui_rows(void)
{
    return LINES;
}

int ui_cols(void)
{
    return COLS;
}

void ui_flush(void)
{
    refresh();
}

void ui_text(int y, int x, int w, const char *text, bool emphasised)
{
    if (y < 0 || y >= LINES || x >= COLS || w <= 0)
        return;
    if (x + w > COLS)
        w = COLS - x;
    if (emphasised)
        attron(A_BOLD);
    mvaddnstr(y, x, text, w);
    if (emphasised)
        attroff(A_BOLD);
}

void ui_frame(const char *footer)
{
    char left[96], right[96];

    erase();
    snprintf(left, sizeof(left), " Corral %s", ui_ctx.version);
    snprintf(right, sizeof(right), "%s  %s ", ui_ctx.hostname, ui_ctx.tty);
    attron(A_REVERSE);
    mvhline(0, 0, ' ', COLS);
    mvaddnstr(0, 0, left, COLS);
    if ((int)(strlen(left) + strlen(right)) < COLS)
        mvaddstr(0, COLS - (int)strlen(right), right);
    attroff(A_REVERSE);
    if (footer)
        ui_text(LINES - 1, 1, COLS - 2, footer, false);
}

bool ui_too_small(void)
{
    if (LINES >= UI_MIN_ROWS && COLS >= UI_MIN_COLS)
        return false;
    erase();
    mvaddnstr(0, 0, "Corral: this terminal is too small.", COLS);
    mvaddnstr(1, 0, "The console needs 80 x 24; make the", COLS);
    mvaddnstr(2, 0, "window larger or press Ctrl-L.", COLS);
    refresh();
    return true;
}

static chtype line_char(chtype acs, char ascii)
{
    return ui_ctx.ascii_lines ? (chtype)(unsigned char)ascii : acs;
}

void ui_box(int y, int x, int h, int w, const char *title)
{
    chtype hl = line_char(ACS_HLINE, '-'), vl = line_char(ACS_VLINE, '|');

    if (h < 2 || w < 2)
        return;
    mvhline(y, x + 1, hl, w - 2);
    mvhline(y + h - 1, x + 1, hl, w - 2);
    mvvline(y + 1, x, vl, h - 2);
    mvvline(y + 1, x + w - 1, vl, h - 2);
    mvaddch(y, x, line_char(ACS_ULCORNER, '+'));
    mvaddch(y, x + w - 1, line_char(ACS_URCORNER, '+'));
    mvaddch(y + h - 1, x, line_char(ACS_LLCORNER, '+'));
    mvaddch(y + h - 1, x + w - 1, line_char(ACS_LRCORNER, '+'));
    if (title && *title && w > 6) {
        mvaddch(y, x + 2, ' ');
        attron(A_BOLD);
        addnstr(title, w - 6);
        attroff(A_BOLD);
        addch(' ');
    }
}

/* Length of the next line of at most w columns of text, broken at a blank
 * where there is one; *next gets where the line after it starts. */
static size_t wrap_line(const char *text, int w, const char **next)
{
    size_t n = strcspn(text, "\n");
    size_t cut;

    if (n <= (size_t)w) {
        *next = text + n + (text[n] == '\n');
        return n;
    }
    cut = (size_t)w;
    while (cut > 0 && text[cut] != ' ')
        cut--;
    if (cut == 0)
        cut = (size_t)w;
    *next = text + cut;
    while (**next == ' ')
        (*next)++;
    return cut;
}

int ui_wrap(int y, int x, int w, int max_lines, const char *text)
{
    int lines = 0;

    if (w <= 0)
        return 0;
    while (text && *text && lines < max_lines) {
        const char *next;
        size_t n = wrap_line(text, w, &next);
        mvaddnstr(y + lines, x, text, (int)n);
        lines++;
        text = next;
    }
    return lines;
}

/* --- menus ------------------------------------------------------------------ */

static void draw_menu(const char *title, struct menu *m, const char *footer)
{
    int body_h = LINES - 2, rows = body_h - 2;
    /* The help box shares the menu box's right-hand border. */
    int help_x = UI_MENU_WIDTH - 1, help_w = COLS - UI_MENU_WIDTH + 1;
    const struct menu_item *sel = m->count ? &m->items[m->selected] : NULL;

    ui_frame(footer);
    ui_box(1, 0, body_h, UI_MENU_WIDTH, title);
    menu_scroll(m, (size_t)rows);
    for (int r = 0; r < rows && m->top + (size_t)r < m->count; r++) {
        const struct menu_item *it = &m->items[m->top + (size_t)r];
        bool selected = m->top + (size_t)r == m->selected;
        char line[96];
        attr_t attr = (selected ? A_REVERSE : A_NORMAL) | (it->available ? A_NORMAL : A_DIM);
        snprintf(line, sizeof(line), "%c %c  %s", selected ? '>' : ' ', it->key ? it->key : ' ',
                 it->label);
        attron(attr);
        mvhline(2 + r, 1, ' ', UI_MENU_WIDTH - 2);
        mvaddnstr(2 + r, 1, line, UI_MENU_WIDTH - 2);
        attroff(attr);
    }
    ui_box(1, help_x, body_h, help_w, sel ? sel->label : "");
    if (sel && sel->help)
        ui_wrap(3, help_x + 2, help_w - 4, rows - 2, sel->help);
    refresh();
}

int ui_menu_run(const char *title, struct menu *m, const char *footer)
{
    if (!footer)
        footer = "Up/Down: move   Enter: choose   Esc/Left: back   letter: pick item";
    for (;;) {
        int key, found;
        if (ui_too_small()) {
            if (ui_read_key(-1) == UI_KEY_BACK)
                return -1;
            continue;
        }
        draw_menu(title, m, footer);
        key = ui_read_key(-1);
        switch (key) {
        case KEY_UP:
            menu_move(m, -1);
            break;
        case KEY_DOWN:
            menu_move(m, 1);
            break;
        case KEY_PPAGE:
            menu_move(m, -(LINES - 4));
            break;
        case KEY_NPAGE:
            menu_move(m, LINES - 4);
            break;
        case KEY_HOME:
            menu_move(m, -(int)m->count);
            break;
        case KEY_END:
            menu_move(m, (int)m->count);
            break;
        case UI_KEY_ENTER:
        case KEY_RIGHT:
            if (m->count)
                return (int)m->selected;
            break;
        case UI_KEY_BACK:
        case KEY_LEFT:
        case KEY_BACKSPACE:
            return -1;
        default:
            found = menu_find_key(m, key);
            if (found >= 0) {
                m->selected = (size_t)found;
                return found;
            }
        }
    }
}
