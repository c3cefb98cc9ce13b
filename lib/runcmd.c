/* runcmd: run a command, collect its output, bounded in time (runcmd.h). */
#include "runcmd.h"
#include "clock.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void child_exec(const struct run_request *r, int in_fd, int out_fd)
{
    dup2(in_fd, 0);
    dup2(out_fd, 1);
    dup2(out_fd, 2);
    if (r->own_session)
        setsid(); /* not the console's process group: no signals from its keys */
    signal(SIGPIPE, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGQUIT, SIG_DFL);
    execvp(r->argv[0], (char *const *)r->argv);
    dprintf(2, "cannot run %s: %s\n", r->argv[0], strerror(errno));
    _exit(127);
}

struct collector {
    char *out;
    size_t len, used;
    bool truncated, keep_tail;
};

/* Makes room for n more bytes by dropping the oldest; returns how many of
 * the n bytes to keep (the last ones when n alone is too many). */
static size_t drop_oldest(struct collector *c, size_t n)
{
    size_t cap = c->len - 1, drop;

    if (n >= cap) {
        c->used = 0;
        return cap;
    }
    drop = c->used + n > cap ? c->used + n - cap : 0;
    memmove(c->out, c->out + drop, c->used - drop);
    c->used -= drop;
    return n;
}

static void collect(struct collector *c, const char *data, size_t n)
{
    size_t room = c->len > c->used + 1 ? c->len - c->used - 1 : 0;

    if (c->len == 0)
        return;
    if (n > room && c->keep_tail) {
        size_t keep = drop_oldest(c, n);
        data += n - keep;
        n = keep;
    } else if (n > room) {
        c->truncated = true;
        n = room;
    }
    memcpy(c->out + c->used, data, n);
    c->used += n;
    c->out[c->used] = '\0';
}

static void finish_text(struct collector *c)
{
    if (c->truncated && !c->keep_tail && c->len > 4)
        memcpy(c->out + (c->used > c->len - 4 ? c->len - 4 : c->used), "...", 4);
}

/* Feeds input and drains output until the child has exited (a daemon it
 * started may hold the output open for ever, so the child's exit, not the
 * end of the output, ends the wait) or the deadline passes.  Returns the
 * child's exit status as run_command does, or -ETIMEDOUT. */
static int pump(pid_t pid, int to_child, int from_child, struct run_request *req,
                struct collector *c, long long deadline)
{
    const char *input = req->input;
    size_t in_left = input ? strlen(input) : 0;
    int status = -1;

    if (in_left == 0) {
        close(to_child);
        to_child = -1;
    }
    for (;;) {
        struct pollfd p[2] = {{from_child, POLLIN, 0}, {to_child, POLLOUT, 0}};
        long long left = deadline < 0 ? 100 : deadline - clock_monotonic_ms();
        char buf[4096];
        int r;
        if (status >= 0)
            left = 0; /* exited: take what is already there, then stop */
        else if (left <= 0)
            break;
        r = poll(p, to_child >= 0 ? 2 : 1, (int)(left > 100 ? 100 : left));
        if (r < 0 && errno != EINTR)
            break;
        if (r > 0 && to_child >= 0 && (p[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t w = write(to_child, input, in_left);
            if (w > 0) {
                input += w;
                in_left -= (size_t)w;
            }
            if (w < 0 || in_left == 0) {
                close(to_child);
                to_child = -1;
            }
        }
        if (r > 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t n = read(from_child, buf, sizeof(buf));
            if (n > 0) {
                collect(c, buf, (size_t)n);
                continue;
            }
        }
        if (status >= 0)
            break;
        if (waitpid(pid, &status, WNOHANG) != pid)
            status = -1;
    }
    if (to_child >= 0)
        close(to_child);
    if (status < 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return -ETIMEDOUT;
    }
    req->killed_by = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

int run_request(struct run_request *r)
{
    int in_pipe[2], out_pipe[2];
    struct collector c = {r->out, r->len, 0, false, r->keep_tail};
    long long deadline = r->timeout_ms < 0 ? -1 : clock_monotonic_ms() + r->timeout_ms;
    pid_t pid;
    int rc;

    r->killed_by = 0;
    if (r->len)
        r->out[0] = '\0';
    if (pipe2(in_pipe, O_CLOEXEC) < 0)
        return -errno;
    if (pipe2(out_pipe, O_CLOEXEC) < 0) {
        rc = -errno;
        close(in_pipe[0]);
        close(in_pipe[1]);
        return rc;
    }
    pid = fork();
    if (pid == 0)
        child_exec(r, in_pipe[0], out_pipe[1]);
    close(in_pipe[0]);
    close(out_pipe[1]);
    if (pid < 0) {
        rc = -errno;
        close(in_pipe[1]);
        close(out_pipe[0]);
        return rc;
    }
    /* A closed stdin must not kill us when the child exits early. */
    signal(SIGPIPE, SIG_IGN);
    rc = pump(pid, in_pipe[1], out_pipe[0], r, &c, deadline);
    close(out_pipe[0]);
    finish_text(&c);
    return rc;
}

int run_command(const char *const *argv, const char *input, char *out, size_t len,
                int timeout_ms)
{
    struct run_request r = {argv, input, out, len, timeout_ms, false, true, 0};
    return run_request(&r);
}
