/* rfb: the RFB server's I/O layer on a real I/O thread and unix socket,
 * with a display drawn by the test and a fake keyboard: what a viewer gets
 * (full and incremental updates, a new size), what the guest gets (keys),
 * and that a hostile viewer is dropped while another carries on. */
#include "check.h"
#include "../../hypervisor/vmm/rfb.h"
#include "rfb_client.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "byteorder.h"

static struct display display;
static struct input input;
static struct iothread io;
static struct rfb_server server;
static struct vm vm;
static char sock_path[108];

static uint16_t keys_seen[8];
static size_t nkeys_seen;

static void fake_key(void *ctx, uint16_t qnum, bool down)
{
    if (down && nkeys_seen < 8)
        keys_seen[nkeys_seen++] = qnum;
}

static void draw(uint32_t w, uint32_t h, uint32_t x, uint32_t y, uint32_t colour)
{
    display_begin(&display);
    display_resize(&display, w, h);
    display_row(&display, y)[x] = colour;
    display_mark(&display, x, y, 1, 1);
    display_end(&display);
}

static int connect_server(void)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        close(fd);
        return -1;
    }
    struct timeval tv = { 5, 0 }; /* a test that hangs fails instead */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

static int fd_read(void *ctx, void *buf, size_t n)
{
    uint8_t *p = buf;
    while (n) {
        ssize_t k = read(*(int *)ctx, p, n);
        if (k <= 0)
            return k == 0 ? -EPIPE : -errno;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static int fd_write(void *ctx, const void *buf, size_t n)
{
    return write(*(int *)ctx, buf, n) == (ssize_t)n ? 0 : -EIO;
}

static void client_init(struct rfbc *c, int *fd)
{
    memset(c, 0, sizeof(*c));
    c->read_exact = fd_read;
    c->write_all = fd_write;
    c->ctx = fd;
}

static void setup(void)
{
    snprintf(sock_path, sizeof(sock_path), "/tmp/corral-test-rfb.%d.sock", (int)getpid());
    CHECK_EQ_INT(display_init(&display), 0);
    input_init(&input);
    struct input_keyboard kbd = { NULL, fake_key };
    input_set_keyboard(&input, &kbd);
    CHECK_EQ_INT(iothread_init(&io), 0);
    char err[256] = "";
    CHECK_EQ_INT(rfb_open(&server, sock_path, "unit-vm", &display, &input, &io, &vm,
                          err, sizeof(err)), 0);
    CHECK_EQ_INT(iothread_start(&io), 0);
}

static void teardown(void)
{
    iothread_stop(&io);
    rfb_close(&server);
    iothread_destroy(&io);
    input_destroy(&input);
    display_destroy(&display);
    CHECK(access(sock_path, F_OK) != 0); /* removed */
}

static void test_socket_is_owner_only(void)
{
    struct stat st;
    CHECK_EQ_INT(stat(sock_path, &st), 0);
    CHECK_EQ_INT(st.st_mode & 0777, 0600);
}

static void test_viewer_sees_the_screen_and_types(void)
{
    draw(40, 20, 3, 2, 0x123456);
    int fd = connect_server();
    CHECK(fd >= 0);
    struct rfbc c;
    client_init(&c, &fd);
    CHECK_EQ_INT(rfbc_handshake(&c), 0);
    CHECK_EQ_STR(c.name, "unit-vm");
    CHECK_EQ_INT(c.width, 40);
    CHECK_EQ_INT(c.height, 20);
    CHECK_EQ_INT(rfbc_fetch_screen(&c), 0);
    CHECK(c.ext_key);
    CHECK_EQ_INT(c.pixels[2 * 40 + 3], 0x123456);

    /* A change, then an incremental request: the new pixel comes. */
    display_begin(&display);
    display_row(&display, 19)[39] = 0xABCDEF;
    display_mark(&display, 39, 19, 1, 1);
    display_end(&display);
    uint8_t req[10] = {3, 1, 0, 0, 0, 0, 0, 40, 0, 20};
    CHECK_EQ_INT(fd_write(&fd, req, sizeof(req)), 0);
    uint8_t hdr[4], rect[12];
    CHECK_EQ_INT(fd_read(&fd, hdr, 4), 0);
    CHECK_EQ_INT(get_be16(hdr + 2), 1); /* one rectangle: the changed tile */
    CHECK_EQ_INT(fd_read(&fd, rect, 12), 0);
    CHECK_EQ_INT(get_be16(rect), 32);
    CHECK_EQ_INT(get_be16(rect + 2), 16);
    CHECK_EQ_INT(get_be16(rect + 4), 8);
    CHECK_EQ_INT(get_be16(rect + 6), 4);
    uint8_t px[8 * 4 * 4];
    CHECK_EQ_INT(fd_read(&fd, px, sizeof(px)), 0);
    CHECK_EQ_INT(px[(3 * 8 + 7) * 4], 0xEF);

    /* A new mode: a DesktopSize rectangle, then the whole new screen. */
    draw(64, 48, 63, 47, 0xFF0000);
    CHECK_EQ_INT(rfbc_fetch_screen(&c), 0);
    CHECK_EQ_INT(c.width, 64);
    CHECK_EQ_INT(c.height, 48);
    CHECK_EQ_INT(c.pixels[47 * 64 + 63], 0xFF0000);

    nkeys_seen = 0;
    CHECK_EQ_INT(rfbc_key(&c, 0x1D, true), 0);
    CHECK_EQ_INT(rfbc_key(&c, 0x1D, false), 0);
    uint8_t keysym[8] = {4, 1, 0, 0, 0, 0, 0, 'q'};
    CHECK_EQ_INT(fd_write(&fd, keysym, 8), 0);
    CHECK_EQ_INT(rfbc_fetch_screen(&c), 0); /* a round trip: keys are in */
    CHECK_EQ_INT(nkeys_seen, 2);
    CHECK_EQ_INT(keys_seen[0], 0x1D);
    CHECK_EQ_INT(keys_seen[1], 0x10);
    rfbc_free(&c);
    close(fd);
}

static void test_hostile_viewer_is_dropped_and_others_go_on(void)
{
    int good = connect_server(), bad = connect_server();
    struct rfbc c;
    client_init(&c, &good);
    CHECK_EQ_INT(rfbc_handshake(&c), 0);
    char buf[64];
    CHECK_EQ_INT(write(bad, "GET / HTTP/1.1\r\n\r\n", 18), 18);
    ssize_t n, total = 0;
    while ((n = read(bad, buf, sizeof(buf))) > 0)
        total += n;
    CHECK_EQ_INT(n, 0); /* closed by the server */
    CHECK_EQ_INT(total, 12);
    close(bad);
    CHECK_EQ_INT(rfbc_fetch_screen(&c), 0);
    rfbc_free(&c);
    close(good);
}

/* A static screen is looked at less and less often; a change brings the
 * full pace back. */
static void test_frame_pace_backs_off_on_a_static_screen(void)
{
    unsigned ms = RFB_FRAME_MS;
    int looks = 0;
    while (ms < RFB_IDLE_FRAME_MS) {
        unsigned next = rfb_next_frame_ms(ms, false);
        CHECK(next > ms);
        ms = next;
        looks++;
    }
    CHECK_EQ_INT(ms, RFB_IDLE_FRAME_MS);
    CHECK(looks > 3); /* a gentle slope, not a jump */
    CHECK_EQ_INT(rfb_next_frame_ms(ms, false), RFB_IDLE_FRAME_MS);
    CHECK_EQ_INT(rfb_next_frame_ms(ms, true), RFB_FRAME_MS);
    CHECK_EQ_INT(rfb_next_frame_ms(0, false), RFB_FRAME_MS);
}

static void test_ninth_viewer_is_refused(void)
{
    int fds[RFB_MAX_CLIENTS + 1];
    for (int i = 0; i <= RFB_MAX_CLIENTS; i++)
        fds[i] = connect_server();
    char buf[12];
    for (int i = 0; i < RFB_MAX_CLIENTS; i++)
        CHECK_EQ_INT(read(fds[i], buf, 12), 12);
    CHECK_EQ_INT(read(fds[RFB_MAX_CLIENTS], buf, 12), 0);
    for (int i = 0; i <= RFB_MAX_CLIENTS; i++)
        close(fds[i]);
}

/* A viewer of the largest screen that asks and asks but never reads: it
 * holds at most one update beyond what the socket took, and another viewer
 * is served at once meanwhile. */
static void test_viewer_that_never_reads_is_bounded(void)
{
    draw(DISPLAY_MAX_WIDTH, DISPLAY_MAX_HEIGHT, 0, 0, 0x010203);
    int lazy = connect_server();
    static const uint8_t hello[] = {'R', 'F', 'B', ' ', '0', '0', '3', '.', '0', '0',
                                    '8', '\n', 1, 1};
    CHECK_EQ_INT(write(lazy, hello, sizeof(hello)), (ssize_t)sizeof(hello));
    uint8_t req[10] = {3, 0, 0, 0, 0, 0, 0x0A, 0, 0x06, 0x40};
    for (int i = 0; i < 50; i++)
        CHECK_EQ_INT(write(lazy, req, sizeof(req)), (ssize_t)sizeof(req));
    usleep(300 * 1000);
    size_t queued = 0;
    for (int i = 0; i < RFB_MAX_CLIENTS; i++)
        if (server.clients[i].fd >= 0 && server.clients[i].s.out.len > queued)
            queued = server.clients[i].s.out.len;
    size_t one_update = (size_t)DISPLAY_MAX_WIDTH * DISPLAY_MAX_HEIGHT * 4 + (1u << 16);
    CHECK(queued > 0 && queued <= one_update);
    int good = connect_server();
    struct rfbc c;
    client_init(&c, &good);
    CHECK_EQ_INT(rfbc_handshake(&c), 0);
    CHECK_EQ_INT(rfbc_fetch_screen(&c), 0);
    CHECK_EQ_INT(c.pixels[0], 0x010203);
    rfbc_free(&c);
    close(good);
    close(lazy);
}

int main(void)
{
    setup();
    RUN(test_socket_is_owner_only);
    RUN(test_viewer_sees_the_screen_and_types);
    RUN(test_hostile_viewer_is_dropped_and_others_go_on);
    RUN(test_frame_pace_backs_off_on_a_static_screen);
    RUN(test_ninth_viewer_is_refused);
    RUN(test_viewer_that_never_reads_is_bounded);
    teardown();
    return check_summary("rfb");
}
