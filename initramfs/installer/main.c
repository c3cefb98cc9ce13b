/* corral-install: install Corral from the live system to a local disk,
 * upgrade an installed system into its other boot slot, or confirm a
 * boot.  See docs/install.md. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <sys/reboot.h>

#include <sodium/crypto_sign_ed25519.h>

#include "answer.h"
#include "conf.h"
#include "disk.h"
#include "install.h"
#include "isosig.h"
#include "json.h"
#include "password.h"
#include "progress.h"
#include "sha256.h"
#include "sys.h"

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_REFUSED = 2 };

static void usage(FILE *out)
{
    fprintf(out,
            "usage: corral-install                 interactive install to a local disk\n"
            "       corral-install --list [--json] the disks and whether Corral can use them\n"
            "       corral-install --disk NAME [--confirm NAME] [--answer FILE]\n"
            "                                      install to NAME; a disk with partitions\n"
            "                                      needs --confirm with its name again\n"
            "       corral-install --answer FILE   unattended install (docs/install.md)\n"
            "       corral-install --auto          at boot: install if an answer file is given\n"
            "       corral-install --upgrade ISO   put ISO's system into the other boot slot\n"
            "       corral-install --boot-ok       this boot reached the ready state\n"
            "       corral-install --boot-password the boot menu's password (the root\n"
            "                                      password, read from stdin)\n");
}

struct options {
    const char *disk, *confirm, *answer, *upgrade;
    int list, json, automatic, boot_ok, boot_password;
};

static int parse_options(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {
        {"list", no_argument, NULL, 'l'},         {"json", no_argument, NULL, 'j'},
        {"disk", required_argument, NULL, 'd'},
        {"confirm", required_argument, NULL, 'c'}, {"answer", required_argument, NULL, 'a'},
        {"auto", no_argument, NULL, 'A'},          {"upgrade", required_argument, NULL, 'u'},
        {"boot-ok", no_argument, NULL, 'b'},       {"help", no_argument, NULL, 'h'},
        {"boot-password", no_argument, NULL, 'p'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof(*o));
    for (int c; (c = getopt_long(argc, argv, "h", longopts, NULL)) != -1;) {
        switch (c) {
        case 'l': o->list = 1; break;
        case 'j': o->json = 1; break;
        case 'd': o->disk = optarg; break;
        case 'c': o->confirm = optarg; break;
        case 'a': o->answer = optarg; break;
        case 'A': o->automatic = 1; break;
        case 'u': o->upgrade = optarg; break;
        case 'b': o->boot_ok = 1; break;
        case 'p': o->boot_password = 1; break;
        case 'h': usage(stdout); exit(EXIT_OK);
        default: usage(stderr); return -1;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return -1;
    }
    return 0;
}

static void print_disk(const struct disk *d)
{
    char size[32], reason[256];
    format_size(d->size_bytes, size, sizeof(size));
    const char *refused = disk_refusal(d, reason, sizeof(reason));
    printf("  %-10s %10s  %-7s %-22.22s serial %-16.16s %s\n", d->name, size, d->transport,
           d->model[0] ? d->model : "-", d->serial[0] ? d->serial : "-",
           d->removable ? "(removable)" : "");
    if (d->partition_count)
        printf("             %zu partition(s): %s\n", d->partition_count,
               d->labels[0] ? d->labels : "no labels");
    else
        printf("             no partitions\n");
    if (refused)
        printf("             not offered: %s\n", refused);
}

static int load_disks(struct disk *disks, size_t *n)
{
    char err[512];
    if (disks_probe(disks, DISK_MAX, n, err, sizeof(err))) {
        fprintf(stderr, "corral-install: %s\n", err);
        return -1;
    }
    return 0;
}

static int cmd_list_json(void)
{
    static struct disk disks[DISK_MAX];
    struct json_writer w;
    size_t n;
    if (load_disks(disks, &n))
        return EXIT_FAILED;
    json_writer_init(&w, 1 << 20);
    disk_list_json(disks, n, &w);
    const char *text = json_writer_text(&w);
    if (text)
        printf("%s\n", text);
    else
        fprintf(stderr, "corral-install: cannot format the disk list as JSON\n");
    json_writer_free(&w);
    return text ? EXIT_OK : EXIT_FAILED;
}

static int cmd_list(void)
{
    static struct disk disks[DISK_MAX];
    size_t n;
    if (load_disks(disks, &n))
        return EXIT_FAILED;
    printf("Disks (Corral needs at least 4.0 GiB; the whole disk is used):\n");
    for (size_t i = 0; i < n; i++)
        print_disk(&disks[i]);
    if (n == 0)
        printf("  none found\n");
    return EXIT_OK;
}

static int load_answer(const char *path, struct answer *a)
{
    struct conf c;
    struct conf_error err;
    char msg[600];
    conf_init(&c);
    int rc = conf_load(path, &c, &err);
    if (!rc)
        rc = answer_from_conf(&c, path, a, &err);
    conf_free(&c);
    if (rc) {
        conf_error_format(&err, msg, sizeof(msg));
        fprintf(stderr, "corral-install: answer file %s; nothing was changed.\n", msg);
    }
    return rc;
}

/* The confirmation rule: a disk with partitions is only touched when its
 * name was typed (or given) again, or the answer file says wipe = yes. */
static int confirmed(const struct disk *d, const char *confirm, int wipe)
{
    if (d->partition_count == 0 || wipe)
        return 1;
    return confirm && (strcmp(confirm, d->name) == 0 ||
                       (strncmp(confirm, "/dev/", 5) == 0 && strcmp(confirm + 5, d->name) == 0));
}

static void refuse_unconfirmed(const struct disk *d, int from_answer)
{
    fprintf(stderr, "corral-install: %s has %zu partition(s) (%s); nothing was changed.\n",
            d->name, d->partition_count, d->labels[0] ? d->labels : "no labels");
    if (from_answer)
        fprintf(stderr, "corral-install: set wipe = yes in the answer file to erase it\n");
    else
        fprintf(stderr, "corral-install: to erase it, confirm with --confirm %s\n", d->name);
}

static int run_install(const struct disk *target, const struct answer *a)
{
    struct progress p;
    progress_init(&p, stdout, install_step_count);
    printf("corral-install: installing Corral %s to /dev/%s\n", CORRAL_VERSION, target->name);
    int rc = install_run(target, a, &p);
    medium_unmount();
    if (rc) {
        printf("corral-install: the install did not complete; /dev/%s does not boot Corral "
               "(no boot loader was left pointing at a missing system)\n", target->name);
        return EXIT_FAILED;
    }
    progress_finish(&p);
    printf("corral-install: installation complete. Remove the installation medium and reboot.\n");
    return EXIT_OK;
}

/* 0 when the installed system can be logged in to (answer.h), else the
 * refusal is printed. */
/* The live session's shadow and authorized_keys text (NULL when absent),
 * which the install carries over; free both. */
static void read_live_login(char **shadow, char **keys)
{
    char err[256];
    *shadow = read_file("/etc/shadow", 1 << 20, NULL, err, sizeof(err));
    *keys = read_file(LIVE_STATE_DIR "/ssh/authorized_keys", 1 << 20, NULL, err, sizeof(err));
}

static int check_login(const struct answer *a)
{
    char why[512], *shadow, *keys;
    read_live_login(&shadow, &keys);
    int rc = answer_check_login(a, shadow, keys, why, sizeof(why));
    free(shadow);
    free(keys);
    if (rc)
        fprintf(stderr, "corral-install: %s; nothing was changed.\n", why);
    return rc;
}

static int install_chosen(const char *rule, const char *confirm, const struct answer *a,
                          int from_answer)
{
    static struct disk disks[DISK_MAX];
    size_t n;
    char why[512];
    if (load_disks(disks, &n))
        return EXIT_FAILED;
    int i = disk_pick(disks, n, rule, why, sizeof(why));
    if (i < 0) {
        fprintf(stderr, "corral-install: %s; nothing was changed.\n", why);
        return EXIT_REFUSED;
    }
    if (!confirmed(&disks[i], confirm, a->wipe)) {
        refuse_unconfirmed(&disks[i], from_answer);
        return EXIT_REFUSED;
    }
    if (check_login(a))
        return EXIT_REFUSED;
    return run_install(&disks[i], a);
}

static void finish_boot_action(const struct answer *a, int status)
{
    if (status != EXIT_OK || !a->reboot)
        return;
    printf("corral-install: rebooting (reboot = yes)\n");
    fflush(stdout);
    sync();
    /* init runs the shutdown scripts; its reboot is the clean one. */
    execlp("reboot", "reboot", (char *)NULL);
    reboot(RB_AUTOBOOT);
}

static int cmd_answer(const char *path, const char *disk_override, const char *confirm)
{
    static struct answer a;
    if (load_answer(path, &a))
        return EXIT_REFUSED;
    printf("corral-install: unattended install from %s\n", path);
    int status = install_chosen(disk_override ? disk_override : a.disk, confirm, &a, 1);
    finish_boot_action(&a, status);
    return status;
}

static int cmd_auto(void)
{
    char path[512], err[512];
    int found = answer_locate(path, sizeof(path), err, sizeof(err));
    if (found < 0) {
        fprintf(stderr, "corral-install: answer file: %s\n", err);
        return EXIT_FAILED;
    }
    if (found == 0) {
        medium_unmount();
        return EXIT_OK;
    }
    return cmd_answer(path, NULL, NULL);
}

/* Reads one line from the keyboard; "" at end of input. */
static void prompt(const char *question, char *out, size_t len)
{
    printf("%s", question);
    fflush(stdout);
    if (!fgets(out, (int)len, stdin))
        out[0] = '\0';
    out[strcspn(out, "\r\n")] = '\0';
}

/* prompt() without echo when the keyboard is a terminal. */
static void prompt_secret(const char *question, char *out, size_t len)
{
    struct termios saved, quiet;
    int tty = tcgetattr(STDIN_FILENO, &saved) == 0;
    if (tty) {
        quiet = saved;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    prompt(question, out, len);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
        printf("\n");
    }
}

/* The root password (and with it the boot menu's) for this live session
 * and so for the installed system; 0 when it is set. */
static int set_root_password(const char *password, char *why, size_t len)
{
    char input[PASSWORD_MAX_LENGTH + 8], out[256];
    const char *argv[] = {"chpasswd", NULL};
    snprintf(input, sizeof(input), "root:%s\n", password);
    int rc = run_program(argv, input, out, sizeof(out), why, len);
    explicit_bzero(input, sizeof(input));
    return rc ? -1 : boot_password_set(password, why, len);
}

/* Whether the live session has a root password and an authorized SSH key
 * (answer_check_login's rules). */
static void live_login(int *has_password, int *has_key)
{
    static struct answer none;
    char why[512], *shadow, *keys;
    read_live_login(&shadow, &keys);
    answer_init(&none);
    *has_password = answer_check_login(&none, shadow, NULL, why, sizeof(why)) == 0;
    *has_key = answer_check_login(&none, NULL, keys, why, sizeof(why)) == 0;
    free(shadow);
    free(keys);
}

/* Without a root password in the live session, the install asks for one
 * (it also locks the boot menu); only with an SSH key may it be left
 * out: an installed system nobody can log in to is not installed.
 * 0 when a login exists or was set. */
static int interactive_login(void)
{
    char first[PASSWORD_MAX_LENGTH + 2], second[PASSWORD_MAX_LENGTH + 2], why[512];
    int has_password, has_key;
    live_login(&has_password, &has_key);
    if (has_password)
        return 0;
    printf("\nSet the root password of the installed system (at least %d characters).\n"
           "It is asked for by the console, SSH password login and the boot menu's editor.\n",
           PASSWORD_MIN_LENGTH);
    prompt_secret(has_key ? "Root password (empty: SSH key login only): " : "Root password: ",
                  first, sizeof(first));
    if (!first[0] && has_key)
        return 0;
    if (!first[0])
        return printf("No password and no SSH key: nobody could log in; nothing was changed.\n"),
               -1;
    prompt_secret("Again: ", second, sizeof(second));
    int rc = password_check_pair(first, second, why, sizeof(why));
    if (rc == 0)
        rc = set_root_password(first, why, sizeof(why));
    explicit_bzero(first, sizeof(first));
    explicit_bzero(second, sizeof(second));
    if (rc)
        printf("The password was not set (%s); nothing was changed.\n", why);
    else
        printf("The root password is set: %s\n", why);
    return rc ? -1 : 0;
}

static int cmd_interactive(void)
{
    static struct disk disks[DISK_MAX];
    static struct answer a;
    size_t n;
    char name[64], typed[64], why[512], size[32];
    answer_init(&a);
    if (cmd_list() != EXIT_OK || load_disks(disks, &n))
        return EXIT_FAILED;
    prompt("\nInstall Corral to which disk? (name, empty to cancel) ", name, sizeof(name));
    if (!name[0])
        return printf("Cancelled; nothing was changed.\n"), EXIT_REFUSED;
    int i = disk_pick(disks, n, name, why, sizeof(why));
    if (i < 0)
        return fprintf(stderr, "corral-install: %s; nothing was changed.\n", why), EXIT_REFUSED;
    format_size(disks[i].size_bytes, size, sizeof(size));
    if (disks[i].partition_count) {
        printf("\n%s (%s) has %zu partition(s): %s\nEVERYTHING ON IT WILL BE ERASED.\n",
               disks[i].name, size, disks[i].partition_count,
               disks[i].labels[0] ? disks[i].labels : "no labels");
        prompt("Type the disk name again to confirm: ", typed, sizeof(typed));
        if (!confirmed(&disks[i], typed, 0))
            return printf("Not confirmed; nothing was changed.\n"), EXIT_REFUSED;
    } else {
        printf("\nCorral will use all of %s (%s).\n", disks[i].name, size);
        prompt("Type yes to install: ", typed, sizeof(typed));
        if (strcmp(typed, "yes") != 0)
            return printf("Not confirmed; nothing was changed.\n"), EXIT_REFUSED;
    }
    if (interactive_login())
        return EXIT_REFUSED;
    return run_install(&disks[i], &a);
}

/* The SHA-256 of a file, streamed, in hex: 0 or -1 with why. */
static int file_sha256(const char *path, char hex[65], char *why, size_t len)
{
    static uint8_t buf[1 << 16];
    uint8_t digest[32];
    struct sha256 h;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(why, len, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    sha256_init(&h);
    for (size_t n; (n = fread(buf, 1, sizeof(buf), f)) > 0;)
        sha256_update(&h, buf, n);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        snprintf(why, len, "cannot read %s", path);
        return -1;
    }
    sha256_final(&h, digest);
    sha256_hex(digest, hex);
    return 0;
}

__attribute__((format(printf, 3, 4))) static int refuse(char *why, size_t len, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    vsnprintf(why, len, f, ap);
    va_end(ap);
    return -1;
}

/* Nothing is installed without proof: ISO.sig must hold the ISO's SHA-256
 * and this system's release key's Ed25519 signature of it (isosig.h).
 * 0, or -1 with why. */
static int verify_iso(const char *iso, char *why, size_t len)
{
    char path[4096], err[256], hex[65], message[128];
    uint8_t key[ISOSIG_KEY_BYTES];
    struct isosig sig;
    size_t n;
    char *text = read_file(RELEASE_KEY_PATH, 4096, NULL, err, sizeof(err));
    int rc = text ? release_key_parse(text, key) : -1;
    free(text);
    if (rc)
        return refuse(why, len, "this system has no usable release key (%s)", RELEASE_KEY_PATH);
    snprintf(path, sizeof(path), "%s" ISOSIG_SUFFIX, iso);
    if (!(text = read_file(path, 8192, &n, err, sizeof(err))))
        return refuse(why, len, "%s is not signed: no %s beside it (release ISOs come with one)",
                      iso, path);
    rc = isosig_parse(text, n, &sig, err, sizeof(err));
    free(text);
    if (rc)
        return refuse(why, len, "%s is not a signature file: %s", path, err);
    if (file_sha256(iso, hex, why, len))
        return -1;
    if (strcmp(hex, sig.sha256) != 0)
        return refuse(why, len, "%s does not match its signature (sha256 %.16s..., signed "
                      "%.16s...): it was changed or damaged", iso, hex, sig.sha256);
    isosig_message(hex, message, sizeof(message));
    if (crypto_sign_ed25519_verify_detached(sig.signature, (const unsigned char *)message,
                                            strlen(message), key) != 0)
        return refuse(why, len, "the signature of %s is not from this system's release key", iso);
    return 0;
}

static int cmd_upgrade(const char *iso)
{
    char why[1024];
    if (verify_iso(iso, why, sizeof(why))) {
        fprintf(stderr, "corral-install: %s; nothing was changed.\n", why);
        return EXIT_REFUSED;
    }
    printf("corral-install: %s: signature good (this system's release key)\n", iso);
    struct progress p;
    progress_init(&p, stdout, upgrade_step_count);
    if (upgrade_run(iso, &p))
        return EXIT_FAILED;
    progress_finish(&p);
    printf("corral-install: the new system boots once at the next reboot; it becomes the "
           "default when it reaches the ready state, else the current one comes back.\n");
    return EXIT_OK;
}

/* The root password on stdin (as chpasswd takes it, but the password
 * alone); the console UI's password screen runs this after chpasswd. */
static int cmd_boot_password(void)
{
    char password[PASSWORD_MAX_LENGTH + 2], msg[600];
    if (!fgets(password, sizeof(password), stdin))
        password[0] = '\0';
    password[strcspn(password, "\n")] = '\0';
    int rc = boot_password_set(password, msg, sizeof(msg));
    explicit_bzero(password, sizeof(password));
    fprintf(rc ? stderr : stdout, "corral-install: %s\n", msg);
    return rc ? EXIT_FAILED : EXIT_OK;
}

static int cmd_boot_ok(void)
{
    char msg[600];
    int rc = boot_ok(msg, sizeof(msg));
    fprintf(rc ? stderr : stdout, "corral-install: %s\n", msg);
    return rc ? EXIT_FAILED : EXIT_OK;
}

int main(int argc, char **argv)
{
    struct options o;
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (parse_options(argc, argv, &o))
        return EXIT_REFUSED;
    if (o.list)
        return o.json ? cmd_list_json() : cmd_list();
    if (o.boot_ok)
        return cmd_boot_ok();
    if (o.boot_password)
        return cmd_boot_password();
    if (o.upgrade)
        return cmd_upgrade(o.upgrade);
    if (o.automatic)
        return cmd_auto();
    if (o.answer)
        return cmd_answer(o.answer, o.disk, o.confirm);
    if (o.disk) {
        static struct answer a;
        answer_init(&a);
        return install_chosen(o.disk, o.confirm, &a, 0);
    }
    return cmd_interactive();
}
