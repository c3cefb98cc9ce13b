/* cli: `corral`, the command line interface to corrald (docs/cli.md).
 *
 * Every command that prints has --json: the reply's data exactly as corrald
 * sent it (docs/protocol.md), one line of JSON on stdout; errors then are
 * {"error":{"code":...,"message":...}} on stdout and exit status 1. */
#ifndef CORRAL_CLI_H
#define CORRAL_CLI_H

#include <stdbool.h>
#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>

#include "proto.h"
#include "vmdef.h"

struct tls_client_ops; /* tls_client.h */

struct cli {
    bool json;
    const char *socket_path;
    const char *state_dir; /* for `vm log`: $CORRAL_STATE_DIR or /var/lib/corral */
    const struct tls_client_ops *tls; /* https for image import; NULL: none */
};

/* cli_client.c */
/* Connects to corrald; fd or -errno with the reason in why. */
int cli_connect(const struct cli *cli, char *why, size_t why_len);
/* Sends the request in w on fd and reads one reply (rest keeps any bytes
 * after it, may be NULL).  0, or -errno with why. */
int cli_exchange(int fd, struct json_writer *w, struct proto_reply *rep,
                 struct proto_linebuf *rest, char *why, size_t why_len);
/* Connect + exchange + close. */
int cli_call(const struct cli *cli, struct json_writer *w, struct proto_reply *rep,
             char *why, size_t why_len);

/* Exit status 1 after printing an error (as JSON with --json). */
int cli_fail(const struct cli *cli, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prints the reply: its data as JSON with --json, else through human()
 * (may be NULL: nothing printed).  Returns the exit status. */
int cli_print_reply(const struct cli *cli, const struct proto_reply *rep,
                    void (*human)(const struct proto_reply *rep));

/* The position in the command line the handlers read their words from. */
struct cli_args {
    int argc;
    char **argv;
    int pos;
};

/* One sub-command: how it is typed, what --help says about it, and what
 * runs it.  The table of them (cli_cmd.c) is both the dispatcher and the
 * usage text, so a command cannot exist without being listed. */
struct cli_command {
    const char *group;    /* first word: "vm" */
    const char *sub;      /* second word, NULL when the group is the command */
    const char *synopsis; /* its arguments; '\n' between lines of usage */
    const char *summary;  /* what it does; '\n' between lines, may be "" */
    const char *request;  /* corrald's command it sends, NULL if none or several */
    bool takes_vm;        /* its first argument, required, names the VM */
    /* Runs it; vm is that first argument (NULL unless takes_vm), a holds
     * the words after it. */
    int (*run)(const struct cli *cli, const struct cli_command *cmd, const char *vm,
               struct cli_args *a);
    void (*human)(const struct proto_reply *rep); /* prints the reply */
};

/* cli_cmd.c */
extern const struct cli_command cli_commands[];
extern const size_t cli_command_count;
int cli_run(struct cli *cli, int argc, char **argv);

/* cli_usage.c: the usage text and the look-up, from a table (pure). */
/* Writes the whole --help text into buf (truncated to len - 1);
 * CLI_USAGE_MAX holds all of it (a unit test checks). */
#define CLI_USAGE_MAX 4096
void cli_usage_format(const struct cli_command *cmds, size_t n, char *buf, size_t len);
/* The command typed as "group sub" (sub ignored for a one-word command),
 * or NULL. */
const struct cli_command *cli_command_find(const struct cli_command *cmds, size_t n,
                                           const char *group, const char *sub);
/* Whether any command starts with the word group. */
bool cli_group_known(const struct cli_command *cmds, size_t n, const char *group);

/* cli_image.c: copy (or fetch over http:// or https://) into STATE/images;
 * ca_file (or NULL): more certificate authorities to trust for https. */
#define CLI_URL_TIMEOUT_S 30 /* a server silent this long ends the import */
int cli_image_import(const struct cli *cli, const char *from, const char *sha256,
                     const char *name, const char *ca_file);

/* cli_console.c */
int cli_console(const struct cli *cli, const char *name);

/* cli_vnc.c: the VM's screen through its VMM's RFB socket. */
int cli_vnc(const struct cli *cli, const char *name, const char *listen_arg);
int cli_screenshot(const struct cli *cli, const char *name, const char *file);
int cli_sendkey(const struct cli *cli, const char *name, char **combos, int ncombos);

/* cli_format.c: human-readable helpers (pure, unit-tested). */
/* "512M", "1.5G", "2T" from MiB. */
void cli_format_mib(long long mib, char *buf, size_t len);
/* Turns a --nic value into a nic spec: "br0" -> "bridge=br0". */
void cli_nic_spec(const char *arg, char *buf, size_t len);
/* `vm vnc --listen`: [HOST:]PORT, HOST a loopback address (127.x.x.x,
 * localhost, [::1]); the relay has no authentication, so anything else
 * is refused.  0, or -1 with why. */
struct cli_listen {
    char host[64];
    unsigned port;
    int family;         /* AF_INET or AF_INET6 (then ::1) */
    struct in_addr v4;
};
int cli_parse_listen(const char *arg, struct cli_listen *l, char *why, size_t len);
socklen_t cli_listen_sockaddr(const struct cli_listen *l, struct sockaddr_storage *ss);

#endif
