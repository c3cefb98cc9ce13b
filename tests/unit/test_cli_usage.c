/* Unit tests for corral's command table: the usage text it makes and the
 * look-up that dispatches from it. */
#include "check.h"
#include "../../hypervisor/cli/cli.h"

static char usage[8192];

static void make_usage(void)
{
    cli_usage_format(cli_commands, cli_command_count, usage, sizeof(usage));
}

/* Every command in the table is a line of --help that starts with its words. */
static void test_lists_every_command(void)
{
    make_usage();
    for (size_t i = 0; i < cli_command_count; i++) {
        const struct cli_command *c = &cli_commands[i];
        char line[96];
        snprintf(line, sizeof(line), "\n  %s%s%s", c->group, c->sub ? " " : "",
                 c->sub ? c->sub : "");
        if (!strstr(usage, line))
            fprintf(stderr, "usage lacks '%s'\n", line + 1);
        CHECK(strstr(usage, line) != NULL);
    }
}

static void test_lists_every_create_option(void)
{
    static const char *const options[] = { "--memory", "--cpus", "--disk", "--kernel",
                                           "--initrd", "--cmdline", "--firmware", "--uefi", "--iso",
                                           "--attach", "--nic", "--autostart",
                                           "--restart", "--set" };
    make_usage();
    for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++)
        CHECK(strstr(usage, options[i]) != NULL);
}

static void test_fits_80_columns(void)
{
    make_usage();
    for (const char *l = usage; *l;) {
        size_t n = strcspn(l, "\n");
        if (n > 80)
            fprintf(stderr, "too wide: %.*s\n", (int)n, l);
        CHECK(n <= 80);
        l += n + (l[n] == '\n');
    }
}

static void test_layout(void)
{
    make_usage();
    /* a one-line synopsis: the summary beside it, at column 36 */
    CHECK(strstr(usage, "\n  vm list                           every VM") != NULL);
    /* too wide to share the line: the summary below, same column */
    CHECK(strstr(usage, "\n  vm stop NAME [--timeout SEC] [--wait]\n"
                        "                                    ACPI") != NULL);
    /* a synopsis continues under its first argument */
    CHECK(strstr(usage, "\n  vm create NAME [--memory SIZE] [--cpus N] [--disk SIZE[,bus=sata]]\n"
                        "            [--kernel") != NULL);
    CHECK(strncmp(usage, "usage: corral ", 14) == 0);
    CHECK(strstr(usage, "Exit status:") != NULL);
    CHECK(strlen(usage) < CLI_USAGE_MAX - 1); /* --help prints it whole */
}

static void test_truncates_safely(void)
{
    char small[40];
    cli_usage_format(cli_commands, cli_command_count, small, sizeof(small));
    CHECK_EQ_INT(strlen(small), sizeof(small) - 1);
    cli_usage_format(cli_commands, cli_command_count, small, 1);
    CHECK_EQ_STR(small, "");
}

static void test_find(void)
{
    const struct cli_command *c =
        cli_command_find(cli_commands, cli_command_count, "vm", "stop");
    CHECK(c && !strcmp(c->request, "vm.stop"));
    c = cli_command_find(cli_commands, cli_command_count, "console", "web1");
    CHECK(c && !c->sub); /* one word: the next one is its argument */
    CHECK(!cli_command_find(cli_commands, cli_command_count, "vm", "frobnicate"));
    CHECK(!cli_command_find(cli_commands, cli_command_count, "vm", NULL));
    CHECK(!cli_command_find(cli_commands, cli_command_count, NULL, NULL));
    CHECK(cli_group_known(cli_commands, cli_command_count, "disk"));
    CHECK(!cli_group_known(cli_commands, cli_command_count, "vms"));
}

/* Each command is listed once: a second line would never be dispatched to. */
static void test_no_command_twice(void)
{
    for (size_t i = 0; i < cli_command_count; i++) {
        const struct cli_command *c = &cli_commands[i];
        CHECK(cli_command_find(cli_commands, cli_command_count, c->group, c->sub) == c);
        CHECK(c->run != NULL);
        /* the dispatcher reads a VM's name first: the synopsis says so */
        if (c->takes_vm)
            CHECK(!strncmp(c->synopsis, "NAME", 4) || !strncmp(c->synopsis, "VM ", 3));
    }
}

int main(void)
{
    RUN(test_lists_every_command);
    RUN(test_lists_every_create_option);
    RUN(test_fits_80_columns);
    RUN(test_layout);
    RUN(test_truncates_safely);
    RUN(test_find);
    RUN(test_no_command_twice);
    return check_summary("cli_usage");
}
