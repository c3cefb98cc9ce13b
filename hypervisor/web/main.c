/* corral-web: the web client's server - HTTPS (and a redirect from HTTP),
 * the pages under --root, and the JSON API, which is corrald's protocol
 * behind a login (docs/web-api.md). */
#include "srv.h"

#include "proto.h"
#include "web_route.h"

#include <civetweb.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

static volatile sig_atomic_t srv_stop;

static void srv_on_signal(int sig)
{
    srv_stop = sig;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: corral-web [OPTIONS]\n"
            "Serves the web client: HTTPS with the pages and the JSON API.\n\n"
            "  --root DIR          the pages (default %s)\n"
            "  --state-dir DIR     certificate, key and fingerprint (default %s)\n"
            "  --run-dir DIR       run-time files (default /run/corral-web)\n"
            "  --listen ADDR       address to listen on (default: all)\n"
            "  --https-port N      default 443\n"
            "  --http-port N       redirects to HTTPS; 0 for none (default 80)\n"
            "  --socket PATH       corrald's socket (default $%s or %s)\n"
            "  --shadow PATH       the password file (default /etc/shadow)\n"
            "  --routes            print the API routes and exit\n"
            "  --help              this text\n",
            SRV_WEB_ROOT, WEB_STATE_DIR, PROTO_SOCKET_ENV, PROTO_SOCKET_PATH);
}

static int parse_port(const char *text, unsigned *out)
{
    char *end;
    long v = strtol(text, &end, 10);
    if (!*text || *end || v < 0 || v > 65535)
        return -1;
    *out = (unsigned)v;
    return 0;
}

static int parse_args(int argc, char **argv, struct srv_options *o)
{
    static const struct option longs[] = {
        { "root", required_argument, 0, 'r' },      { "state-dir", required_argument, 0, 's' },
        { "run-dir", required_argument, 0, 'R' },   { "listen", required_argument, 0, 'l' },
        { "https-port", required_argument, 0, 'p' }, { "http-port", required_argument, 0, 'P' },
        { "socket", required_argument, 0, 'S' },    { "shadow", required_argument, 0, 'w' },
        { "routes", no_argument, 0, 'L' },          { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    int c;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (c) {
        case 'r': o->root = optarg; break;
        case 's': o->state_dir = optarg; break;
        case 'R': o->run_dir = optarg; break;
        case 'l': o->listen = optarg; break;
        case 'S': o->socket_path = optarg; break;
        case 'w': o->shadow_path = optarg; break;
        case 'p':
        case 'P':
            if (parse_port(optarg, c == 'p' ? &o->https_port : &o->http_port) < 0) {
                fprintf(stderr, "corral-web: %s: not a port number\n", optarg);
                return 2;
            }
            break;
        case 'L': web_routes_print(stdout); exit(0);
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc || o->https_port == 0) {
        usage(stderr);
        return 2;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static struct srv s;
    char why[256] = "";
    s.opt = (struct srv_options){ .root = SRV_WEB_ROOT, .state_dir = WEB_STATE_DIR,
                                  .run_dir = "/run/corral-web", .listen = "",
                                  .https_port = 443, .http_port = 80,
                                  .socket_path = proto_socket_path(),
                                  .shadow_path = "/etc/shadow" };
    int rc = parse_args(argc, argv, &s.opt);
    if (rc)
        return rc;
    openlog("corral-web", LOG_PID, LOG_DAEMON);
    signal(SIGPIPE, SIG_IGN);
    web_sessions_init(&s.sessions, web_random_bytes);
    web_ratelimit_init(&s.ratelimit);
    web_history_init(&s.history);
    if (srv_tls_prepare(&s, why, sizeof(why)) < 0) {
        fprintf(stderr, "corral-web: %s\n", why);
        syslog(LOG_ERR, "%s", why);
        return 1;
    }
    struct mg_context *ctx = srv_http_start(&s, why, sizeof(why));
    if (!ctx) {
        fprintf(stderr, "corral-web: cannot start: %s\n", why);
        syslog(LOG_ERR, "cannot start: %s", why);
        return 1;
    }
    if (srv_history_start(&s) < 0)
        syslog(LOG_WARNING, "no host history: its thread did not start");
    syslog(LOG_NOTICE, "serving https on port %u, certificate %s", s.opt.https_port,
           s.fingerprint);
    fprintf(stderr, "corral-web: https on port %u, certificate SHA-256 %s\n",
            s.opt.https_port, s.fingerprint);
    struct sigaction sa = { .sa_handler = srv_on_signal };
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    while (!srv_stop)
        pause();
    mg_stop(ctx);
    syslog(LOG_NOTICE, "stopped (signal %d)", (int)srv_stop);
    return 0;
}
