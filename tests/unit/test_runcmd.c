/* Unit tests for lib/runcmd's installer form: no time limit, the end of
 * the output kept, the signal that ended a program.  (The console UI's
 * run_command is tested in test_setup_sysinfo.c.) */
#include <errno.h>
#include <signal.h>

#include "runcmd.h"
#include "check.h"

static int run_tail(const char *const *argv, const char *input, char *out, size_t len,
                    int *killed_by)
{
    struct run_request r = {argv, input, out, len, -1, true, false, 0};
    int rc = run_request(&r);
    *killed_by = r.killed_by;
    return rc;
}

static void test_keeps_the_end_of_long_output(void)
{
    char out[16];
    int sig;
    const char *long_then_reason[] = {
        "sh", "-c", "yes 0123456789 | head -c 100000; echo; echo bad disk >&2; exit 1",
        NULL};
    CHECK_EQ_INT(run_tail(long_then_reason, NULL, out, sizeof(out), &sig), 1);
    CHECK_EQ_INT(sig, 0);
    CHECK_EQ_INT(strlen(out), sizeof(out) - 1);
    CHECK(strstr(out, "bad disk\n") != NULL);
}

static void test_one_read_larger_than_the_buffer(void)
{
    char out[4];
    int sig;
    const char *some[] = {"printf", "abcdefgh", NULL};
    CHECK_EQ_INT(run_tail(some, NULL, out, sizeof(out), &sig), 0);
    CHECK_EQ_STR(out, "fgh");
}

static void test_input_and_short_output(void)
{
    char out[64];
    int sig;
    const char *cat[] = {"cat", NULL};
    CHECK_EQ_INT(run_tail(cat, "label: gpt\n", out, sizeof(out), &sig), 0);
    CHECK_EQ_STR(out, "label: gpt\n");
}

static void test_no_time_limit(void)
{
    char out[64];
    int sig;
    const char *slowish[] = {"sh", "-c", "sleep 0.3; echo done", NULL};
    CHECK_EQ_INT(run_tail(slowish, NULL, out, sizeof(out), &sig), 0);
    CHECK_EQ_STR(out, "done\n");
}

static void test_says_which_signal(void)
{
    char out[64];
    int sig;
    const char *killed[] = {"sh", "-c", "kill -TERM $$", NULL};
    CHECK_EQ_INT(run_tail(killed, NULL, out, sizeof(out), &sig), 128 + SIGTERM);
    CHECK_EQ_INT(sig, SIGTERM);
    const char *exits_143[] = {"sh", "-c", "exit 143", NULL};
    CHECK_EQ_INT(run_tail(exits_143, NULL, out, sizeof(out), &sig), 143);
    CHECK_EQ_INT(sig, 0); /* an exit status, not a signal */
}

static void test_missing_program(void)
{
    char out[128];
    int sig;
    const char *missing[] = {"/nonexistent/mke2fs", NULL};
    CHECK_EQ_INT(run_tail(missing, NULL, out, sizeof(out), &sig), 127);
    CHECK(strstr(out, "cannot run /nonexistent/mke2fs") != NULL);
}

int main(void)
{
    RUN(test_keeps_the_end_of_long_output);
    RUN(test_one_read_larger_than_the_buffer);
    RUN(test_input_and_short_output);
    RUN(test_no_time_limit);
    RUN(test_says_which_signal);
    RUN(test_missing_program);
    return check_summary("runcmd");
}
