/* runcmd: run a command, collect its output, bounded in time (runcmd.h). */
#include "runcmd.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void child_exec(const char *const *argv, int in_fd, int out_fd)
{
    dup2(in_fd, 0);
    dup2(out_fd, 1);
    dup2(out_fd, 2);
    setsid(); /* not the console's process group: no signals from its keys */
    signal(SIGPIPE, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGQUIT, SIG_DFL);
    execvp(argv[0], (char *const *)argv);
    dprintf(2, "%s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

struct collector {
    char *out;
    size_t len, used;
    bool truncated;
};

static void collect(struct collector *c, const char *data, size_t n)
{
    size_t room = c->len > c->used + 1 ? c->len - c->used - 1 : 0;

    if (n > room) {
        c->truncated = true;
        n = room;
    }
    memcpy(c->out + c->used, data, n);
    c->used += n;
    c->out[c->used] = '\0';
}

static void finish_text(struct collector *c)
{
    if (c->truncated && c->len > 4)
        memcpy(c->out + (c->used > c->len - 4 ? c->len - 4 : c->used), "...", 4);
}

/* Feeds input and drains output until the child has exited (a daemon it
 * started may hold the output open for ever, so the child's exit, not the
 * end of the output, ends the wait) or the deadline passes.  Returns the
 * child's exit status as run_command does, or -ETIMEDOUT. */
static int pump(pid_t pid, int to_child, int from_child, const char *input,
                struct collector *c, long long deadline)
{
    size_t in_left = input ? strlen(input) : 0;
    int status = -1;

    if (in_left == 0) {
        close(to_child);
        to_child = -1;
    }
    for (;;) {
        struct pollfd p[2] = {{from_child, POLLIN, 0}, {to_child, POLLOUT, 0}};
        long long left = deadline - now_ms();
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
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

int run_command(const char *const *argv, const char *input, char *out, size_t len,
                int timeout_ms)
{
    int in_pipe[2], out_pipe[2];
    struct collector c = {out, len, 0, false};
    long long deadline = now_ms() + timeout_ms;
    pid_t pid;
    int r;

    if (len)
        out[0] = '\0';
    if (pipe2(in_pipe, O_CLOEXEC) < 0)
        return -errno;
    if (pipe2(out_pipe, O_CLOEXEC) < 0) {
        r = -errno;
        close(in_pipe[0]);
        close(in_pipe[1]);
        return r;
    }
    pid = fork();
    if (pid == 0)
        child_exec(argv, in_pipe[0], out_pipe[1]);
    close(in_pipe[0]);
    close(out_pipe[1]);
    if (pid < 0) {
        r = -errno;
        close(in_pipe[1]);
        close(out_pipe[0]);
        return r;
    }
    /* A closed stdin must not kill us when the child exits early. */
    signal(SIGPIPE, SIG_IGN);
    r = pump(pid, in_pipe[1], out_pipe[0], input, &c, deadline);
    close(out_pipe[0]);
    finish_text(&c);
    return r;
}
