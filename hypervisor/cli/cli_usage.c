/* cli_usage: corral's --help text, made from the command table.
 *
 * Two columns: the command as typed ("  vm stop NAME [--timeout SEC]") and
 * what it does, from column CLI_SUMMARY_COLUMN.  A synopsis of several lines
 * continues under its first argument; a summary that does not fit beside a
 * one-line synopsis starts on the line below it. */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define CLI_INDENT 2
#define CLI_SUMMARY_COLUMN 36
#define CLI_COLUMN_GAP 2

static const char cli_usage_head[] =
    "usage: corral [--json] [--socket PATH] COMMAND ...\n\n";
static const char cli_usage_tail[] =
    "\n"
    "--json prints the reply as one line of JSON (docs/cli.md has the schema).\n"
    "Exit status: 0 done, 1 refused or failed (the message says why), 2 usage.\n";

/* Appends to a fixed buffer; what does not fit is dropped, the text stays
 * terminated. */
struct cli_text {
    char *buf;
    size_t len, used;
};

__attribute__((format(printf, 2, 3)))
static void cli_text_add(struct cli_text *t, const char *fmt, ...)
{
    if (t->used + 1 >= t->len)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->buf + t->used, t->len - t->used, fmt, ap);
    va_end(ap);
    if (n > 0)
        t->used = t->used + (size_t)n < t->len ? t->used + (size_t)n : t->len - 1;
}

/* Length of the line starting at s (up to '\n' or the end). */
static int cli_line_len(const char *s)
{
    return (int)strcspn(s, "\n");
}

/* The next line after the one starting at s, or NULL after the last. */
static const char *cli_next_line(const char *s)
{
    const char *nl = strchr(s, '\n');
    return nl ? nl + 1 : NULL;
}

/* "  vm stop NAME ...": the command's words and its synopsis, each further
 * synopsis line under the first argument; returns the last line's width. */
static int cli_usage_synopsis(struct cli_text *t, const struct cli_command *c)
{
    char words[64];
    snprintf(words, sizeof(words), "%s%s%s", c->group, c->sub ? " " : "",
             c->sub ? c->sub : "");
    int width = CLI_INDENT + (int)strlen(words), first = 1;
    cli_text_add(t, "%*s%s", CLI_INDENT, "", words);
    for (const char *l = c->synopsis; l && *l; l = cli_next_line(l), first = 0) {
        if (!first)
            cli_text_add(t, "\n%*s", CLI_INDENT + (int)strlen(words), "");
        cli_text_add(t, " %.*s", cli_line_len(l), l);
        width = CLI_INDENT + (int)strlen(words) + 1 + cli_line_len(l);
    }
    return width;
}

static void cli_usage_command(struct cli_text *t, const struct cli_command *c)
{
    int width = cli_usage_synopsis(t, c);
    bool one_line = !c->synopsis || !strchr(c->synopsis, '\n');
    bool beside = one_line && width + CLI_COLUMN_GAP <= CLI_SUMMARY_COLUMN;
    for (const char *l = c->summary; l && *l; l = cli_next_line(l)) {
        if (beside)
            cli_text_add(t, "%*s", CLI_SUMMARY_COLUMN - width, "");
        else
            cli_text_add(t, "\n%*s", CLI_SUMMARY_COLUMN, "");
        cli_text_add(t, "%.*s", cli_line_len(l), l);
        beside = false;
    }
    cli_text_add(t, "\n");
}

void cli_usage_format(const struct cli_command *cmds, size_t n, char *buf, size_t len)
{
    struct cli_text t = { buf, len, 0 };
    if (len)
        buf[0] = '\0';
    cli_text_add(&t, "%s", cli_usage_head);
    for (size_t i = 0; i < n; i++)
        cli_usage_command(&t, &cmds[i]);
    cli_text_add(&t, "%s", cli_usage_tail);
}

const struct cli_command *cli_command_find(const struct cli_command *cmds, size_t n,
                                           const char *group, const char *sub)
{
    for (size_t i = 0; i < n && group; i++) {
        if (strcmp(cmds[i].group, group) != 0)
            continue;
        if (!cmds[i].sub || (sub && !strcmp(cmds[i].sub, sub)))
            return &cmds[i];
    }
    return NULL;
}

bool cli_group_known(const struct cli_command *cmds, size_t n, const char *group)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(cmds[i].group, group))
            return true;
    return false;
}
