/* control: the socket server - greeting, one reply a request, errors that
 * leave the connection (and the others) working, the connection limit,
 * the hand-over of a "console" connection, owner-only mode. */
#include <errno.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"
#include "../../hypervisor/vmm/control.h"
#include "control_conn.h"

struct fake_vm { int requests; int console_fd; int console_rc; int passed_fd; };

static void fake_request(void *ctx, enum control_cmd cmd,
                         const struct control_args *args, char *reply, size_t len)
{
    struct fake_vm *vm = ctx;
    vm->requests++;
    if (cmd == CONTROL_CDROM_INSERT)
        vm->passed_fd = args->fd; /* the handler's to close */
    snprintf(reply, len, "ok %s", control_cmd_name(cmd));
}

static int fake_console(void *ctx, int fd)
{
    struct fake_vm *vm = ctx;
    if (vm->console_rc == 0)
        vm->console_fd = fd;
    return vm->console_rc;
}

/* One round of the VMM's main loop, as far as the control socket goes. */
static void serve(struct control *c)
{
    for (int round = 0; round < 3; round++) {
        struct pollfd fds[CONTROL_POLLFDS];
        int n = control_pollfds(c, fds, CONTROL_POLLFDS);
        if (poll(fds, (nfds_t)n, 50) > 0)
            control_service(c, fds, n);
    }
}

static int connect_to(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        close(fd);
        return -1;
    }
    struct timeval tv = { 1, 0 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

/* Everything the server has sent so far. */
static const char *got(int fd)
{
    static char buf[4096];
    ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

static void say(int fd, const char *text)
{
    CHECK_EQ_INT(write(fd, text, strlen(text)), (long long)strlen(text));
}

struct server { struct control c; struct fake_vm vm; char path[64]; };

static void start(struct server *s)
{
    char err[256];
    memset(s, 0, sizeof(*s));
    s->vm.console_fd = s->vm.passed_fd = -1;
    snprintf(s->path, sizeof(s->path), "/tmp/corral-test-control.%d", (int)getpid());
    struct control_ops ops = { .ctx = &s->vm, .request = fake_request,
                               .console = fake_console };
    CHECK_EQ_INT(control_open(&s->c, s->path, &ops, err, sizeof(err)), 0);
}

static void test_greeting_requests_and_mode(void)
{
    struct server s;
    start(&s);
    struct stat st;
    CHECK_EQ_INT(stat(s.path, &st), 0);
    CHECK_EQ_INT(st.st_mode & 0777, 0600);
    int fd = connect_to(s.path);
    serve(&s.c);
    CHECK_EQ_STR(got(fd), CONTROL_GREETING);
    say(fd, "status\npause\r\n");
    serve(&s.c);
    CHECK_EQ_STR(got(fd), "ok status\nok pause\n");
    close(fd);
    control_close(&s.c);
    CHECK(stat(s.path, &st) < 0); /* removed */
}

/* cdrom-insert with the image's descriptor attached (how corrald feeds a
 * jailed VMM): the handler gets it; one sent with another request is
 * closed, not kept for a later one. */
static void test_descriptor_passed_with_cdrom_insert(void)
{
    struct server s;
    char reply[128];
    start(&s);
    int fd = connect_to(s.path);
    serve(&s.c);
    got(fd);
    int image = open("/dev/null", O_RDONLY | O_CLOEXEC);
    struct stat want, have;
    CHECK_EQ_INT(fstat(image, &want), 0);
    pid_t child = fork();
    if (child == 0) { /* the client blocks for its reply: serve meanwhile */
        alarm(10);
        _exit(control_conn_request_fd(fd, "cdrom-insert 0 /images/a.iso", image,
                                      reply, sizeof(reply)) == 0 ? 0 : 1);
    }
    for (int i = 0; i < 20 && s.vm.requests == 0; i++)
        serve(&s.c);
    int status;
    CHECK_EQ_INT(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(s.vm.passed_fd >= 0);
    CHECK_EQ_INT(fstat(s.vm.passed_fd, &have), 0);
    CHECK(have.st_ino == want.st_ino && have.st_rdev == want.st_rdev);
    close(s.vm.passed_fd);
    s.vm.passed_fd = -1;
    /* with status, the descriptor is dropped: the next insert has none */
    struct control_client *cl = NULL;
    child = fork();
    if (child == 0) {
        alarm(10);
        _exit(control_conn_request_fd(fd, "status", image, reply, sizeof(reply)) == 0
                  ? 0 : 1);
    }
    for (int i = 0; i < 20 && s.vm.requests < 2; i++)
        serve(&s.c);
    CHECK_EQ_INT(waitpid(child, &status, 0), child);
    for (unsigned i = 0; i < CONTROL_MAX_CLIENTS; i++)
        if (s.c.clients[i].fd >= 0)
            cl = &s.c.clients[i];
    CHECK(cl && cl->passed_fd == -1);
    close(image);
    close(fd);
    control_close(&s.c);
}

static void test_bad_requests_leave_others_alone(void)
{
    struct server s;
    start(&s);
    int bad = connect_to(s.path), good = connect_to(s.path);
    serve(&s.c);
    got(bad);
    got(good);
    char big[600];
    memset(big, 'z', sizeof(big));
    CHECK_EQ_INT(write(bad, big, sizeof(big)), (long long)sizeof(big));
    say(bad, "\nreboot\n\n\x7f\n");
    say(good, "resume\n");
    serve(&s.c);
    CHECK_EQ_STR(got(bad), "error too-long: request longer than 128 bytes\n"
                 "error unknown-command: no such command (status, pause, resume, "
                 "shutdown, stop, console, cdrom-eject, cdrom-insert, disk): reboot\n"
                 "error bad-request: empty request\n"
                 "error bad-request: control character or non-ASCII byte in the request\n");
    CHECK_EQ_STR(got(good), "ok resume\n");
    CHECK_EQ_INT(s.vm.requests, 1); /* only the good one reached the VM */
    say(bad, "status\n"); /* and the bad one still works */
    serve(&s.c);
    CHECK_EQ_STR(got(bad), "ok status\n");
    close(bad);
    close(good);
    control_close(&s.c);
}

static void test_connection_limit(void)
{
    struct server s;
    int fds[CONTROL_MAX_CLIENTS + 1];
    start(&s);
    for (int i = 0; i <= CONTROL_MAX_CLIENTS; i++) {
        fds[i] = connect_to(s.path);
        serve(&s.c);
    }
    CHECK_EQ_STR(got(fds[0]), CONTROL_GREETING);
    CHECK_EQ_STR(got(fds[CONTROL_MAX_CLIENTS]),
                 "error busy: too many control connections\n");
    close(fds[0]); /* a place frees up */
    serve(&s.c);
    int again = connect_to(s.path);
    serve(&s.c);
    CHECK_EQ_STR(got(again), CONTROL_GREETING);
    close(again);
    for (int i = 1; i <= CONTROL_MAX_CLIENTS; i++)
        close(fds[i]);
    control_close(&s.c);
}

static void test_console_hand_over(void)
{
    struct server s;
    start(&s);
    int fd = connect_to(s.path);
    serve(&s.c);
    got(fd);
    s.vm.console_rc = -EBUSY;
    say(fd, "console\n");
    serve(&s.c);
    CHECK_EQ_STR(got(fd), "ok console\nerror busy: too many console readers\n");
    s.vm.console_rc = 0;
    say(fd, "console\n");
    serve(&s.c);
    CHECK_EQ_STR(got(fd), "ok console\n");
    CHECK(s.vm.console_fd >= 0);
    /* the control socket lets go of it: not polled, not closed */
    struct pollfd fds[CONTROL_POLLFDS];
    CHECK_EQ_INT(control_pollfds(&s.c, fds, CONTROL_POLLFDS), 1);
    control_close(&s.c);
    CHECK_EQ_INT(write(s.vm.console_fd, "x", 1), 1);
    CHECK_EQ_STR(got(fd), "x");
    close(s.vm.console_fd);
    close(fd);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    RUN(test_greeting_requests_and_mode);
    RUN(test_bad_requests_leave_others_alone);
    RUN(test_descriptor_passed_with_cdrom_insert);
    RUN(test_connection_limit);
    RUN(test_console_hand_over);
    return check_summary("control");
}
