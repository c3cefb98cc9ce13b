/* corral-sysconf: system.conf for the boot scripts, by the same table of
 * keys (lib/sysconf_keys.h) that the console UI and the installer use, so
 * that a shell script never parses the file itself nor keeps a default of
 * its own. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "sysconf.h"
#include "sysconf_keys.h"

enum { EXIT_BAD_FILE = 1, EXIT_USAGE = 2 };

static void usage(FILE *out)
{
    fprintf(out,
            "usage: corral-sysconf [--file PATH] get KEY\n"
            "       corral-sysconf [--file PATH] check\n"
            "       corral-sysconf keys\n"
            "\n"
            "  get KEY   print KEY's value from system.conf, or its default when the\n"
            "            key is absent; a bad value is reported on stderr and the\n"
            "            default printed; yes/no keys print yes or no\n"
            "  check     report every bad line of system.conf; exit 1 if there is one\n"
            "  keys      the table of keys, their values and defaults (Markdown)\n"
            "  --file    the file to read (default " SYSTEM_CONF ")\n");
}

/* Loads path; a file that cannot be read is reported and read as empty. */
static int load_reporting(const char *path, struct conf *c)
{
    char why[512];
    int r = sysconf_load(path, c, why, sizeof(why));

    if (r)
        fprintf(stderr, "corral-sysconf: %s; using the defaults\n", why);
    return r;
}

static int get_value(const char *path, const char *name)
{
    int key = sysconf_key_lookup(name);
    char value[SYSCONF_VALUE_MAX], why[256];
    struct conf c;

    if (key < 0) {
        fprintf(stderr, "corral-sysconf: %s is not a system.conf key "
                        "(corral-sysconf keys lists them)\n", name);
        return EXIT_USAGE;
    }
    load_reporting(path, &c);
    if (sysconf_effective_value(&c, (enum sysconf_key)key, value, sizeof(value), why,
                                sizeof(why)) != 0)
        fprintf(stderr, "corral-sysconf: %s:%d: %s: %s; using the default\n", path,
                conf_line_of(&c, name), name, why);
    conf_free(&c);
    printf("%s\n", value);
    return 0;
}

/* Every entry by itself, then (when each is good) the rules between keys. */
static int check_file(const char *path)
{
    struct conf c;
    struct conf_error err;
    char text[600], why[256];
    int bad = load_reporting(path, &c) != 0;

    for (size_t i = 0; i < c.count; i++) {
        const struct conf_entry *e = &c.entries[i];
        int key = sysconf_key_lookup(e->key);
        if (key < 0)
            fprintf(stderr, "%s:%d: %s: not a system.conf key\n", path, e->line, e->key);
        else if (sysconf_check_value((enum sysconf_key)key, e->value, why, sizeof(why)) != 0)
            fprintf(stderr, "%s:%d: %s: %s\n", path, e->line, e->key, why);
        else
            continue;
        bad = 1;
    }
    if (!bad && sysconf_check_conf(&c, path, &err) != 0) {
        conf_error_format(&err, text, sizeof(text));
        fprintf(stderr, "%s\n", text);
        bad = 1;
    }
    conf_free(&c);
    return bad ? EXIT_BAD_FILE : 0;
}

static int print_keys(void)
{
    char *table = sysconf_doc_table();

    if (!table) {
        fprintf(stderr, "corral-sysconf: out of memory\n");
        return EXIT_BAD_FILE;
    }
    fputs(table, stdout);
    free(table);
    return 0;
}

int main(int argc, char **argv)
{
    const char *path = SYSTEM_CONF;
    int i = 1;

    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        usage(stdout);
        return 0;
    }
    if (argc > 2 && strcmp(argv[1], "--file") == 0) {
        path = argv[2];
        i = 3;
    }
    if (argc == i + 2 && strcmp(argv[i], "get") == 0)
        return get_value(path, argv[i + 1]);
    if (argc == i + 1 && strcmp(argv[i], "check") == 0)
        return check_file(path);
    if (argc == i + 1 && i == 1 && strcmp(argv[i], "keys") == 0)
        return print_keys();
    usage(stderr);
    return EXIT_USAGE;
}
