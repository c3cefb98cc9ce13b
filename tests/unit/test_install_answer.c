/* Unit tests for answer files (initramfs/installer/answer.c): every key,
 * the errors with their lines, system.conf and shadow edits, and the
 * progress lines (progress.c). */
#include "check.h"
#include "../../initramfs/installer/answer.h"
#include "../../initramfs/installer/progress.h"

#include <errno.h>
#include <stdlib.h>

#define HASH "$6$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/"
#define KEY "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHc0iBKD1l6eJJGbPAxmOQ6UYkPuTl6yIbfmDOH+WcB1 test@host"

static struct answer a;

static int parse(const char *text, struct conf_error *err)
{
    struct conf c;
    conf_init(&c);
    int rc = conf_parse(text, strlen(text), "answer.conf", &c, err);
    if (rc == 0)
        rc = answer_from_conf(&c, "answer.conf", &a, err);
    conf_free(&c);
    return rc;
}

/* Parses text expecting an error on line with want in the reason. */
static void parse_fails(const char *text, int line, const char *want)
{
    struct conf_error err;
    CHECK_EQ_INT(parse(text, &err), -EINVAL);
    CHECK_EQ_INT(err.line, line);
    if (!strstr(err.reason, want))
        fprintf(stderr, "reason \"%s\" lacks \"%s\"\n", err.reason, want);
    CHECK(strstr(err.reason, want) != NULL);
}

static void test_full_answer(void)
{
    struct conf_error err;
    const char *text = "# unattended\n"
                       "disk = largest\nwipe = yes\n"
                       "root_password_hash = " HASH "\n"
                       "ssh_key = " KEY "\nssh_key = " KEY "\n"
                       "hostname = host1.example\n"
                       "net_mode = static\nnet_address = 192.168.1.10/24\n"
                       "net_gateway = 192.168.1.1\nnet_dns = 1.1.1.1,9.9.9.9\n"
                       "net_nics = eth0,eth1\nconsole = serial\nreboot = yes\n";
    CHECK_EQ_INT(parse(text, &err), 0);
    CHECK_EQ_STR(a.disk, "largest");
    CHECK_EQ_INT(a.wipe, 1);
    CHECK_EQ_STR(a.root_password_hash, HASH);
    CHECK_EQ_INT(a.ssh_key_count, 2);
    CHECK_EQ_STR(a.ssh_keys[1], KEY);
    CHECK_EQ_STR(a.system[SYSCONF_HOSTNAME], "host1.example");
    CHECK_EQ_STR(a.system[SYSCONF_NET_ADDRESS], "192.168.1.10/24");
    CHECK_EQ_STR(a.system[SYSCONF_NET_DNS], "1.1.1.1,9.9.9.9");
    CHECK_EQ_STR(a.system[SYSCONF_NET_VLAN], "");
    CHECK_EQ_INT(a.console, BOOT_CONSOLE_SERIAL);
    CHECK_EQ_INT(a.reboot, 1);
}

static void test_minimal_answer_defaults(void)
{
    struct conf_error err;
    CHECK_EQ_INT(parse("disk = /dev/vda\nssh_key = " KEY "\n", &err), 0);
    CHECK_EQ_STR(a.disk, "/dev/vda");
    CHECK_EQ_INT(a.wipe, 0);
    CHECK_EQ_INT(a.reboot, 0);
    CHECK_EQ_INT(a.console, BOOT_CONSOLE_SCREEN);
    CHECK_EQ_STR(a.root_password_hash, "");
    CHECK_EQ_STR(a.boot_password_pbkdf2, "");
    CHECK_EQ_INT(a.ssh_key_count, 1);
    CHECK_EQ_INT(parse("disk = vda\nroot_password_hash = " HASH "\n", &err), 0);
    CHECK_EQ_INT(a.ssh_key_count, 0);
}

/* An answer file that leaves no way to log in is refused, whatever else
 * it says; the boot menu password must be GRUB's form. */
static void test_login_required(void)
{
    struct conf_error err;
    parse_fails("disk = vda\n", 0, "root_password_hash or ssh_key: one is required");
    parse_fails("disk = vda\nwipe = yes\nhostname = h\nreboot = yes\n", 0,
                "the installed system would have no way to log in");
    parse_fails("disk = vda\nssh_key = " KEY "\nboot_password_pbkdf2 = " HASH "\n", 3,
                "boot_password_pbkdf2: not grub.pbkdf2.sha512");
    CHECK_EQ_INT(parse("disk = vda\nssh_key = " KEY "\n"
                       "boot_password_pbkdf2 = grub.pbkdf2.sha512.10000.00FF.AA11\n", &err), 0);
    CHECK_EQ_STR(a.boot_password_pbkdf2, "grub.pbkdf2.sha512.10000.00FF.AA11");
}

/* The command line and the interactive install carry the live session's
 * login: its root password or an authorized key must exist. */
static void test_live_login_check(void)
{
    char why[256] = "";
    const char *locked = "root:*:19000:0:99999:7:::\nnobody:*:1:0:::::\n";
    const char *set = "root:" HASH ":19000:0:99999:7:::\n";
    answer_init(&a);
    CHECK_EQ_INT(answer_check_login(&a, locked, "", why, sizeof(why)), -EACCES);
    CHECK(strstr(why, "set a root password") != NULL);
    CHECK_EQ_INT(answer_check_login(&a, NULL, NULL, why, sizeof(why)), -EACCES);
    CHECK_EQ_INT(answer_check_login(&a, "root:!" HASH ":1::::::\n", NULL, why, sizeof(why)), -EACCES);
    CHECK_EQ_INT(answer_check_login(&a, locked, "# a comment\nnot a key\n", why, sizeof(why)), -EACCES);
    CHECK_EQ_INT(answer_check_login(&a, set, "", why, sizeof(why)), 0);
    CHECK_EQ_INT(answer_check_login(&a, locked, "# keys\n" KEY "\n", why, sizeof(why)), 0);
    CHECK_EQ_INT(answer_check_login(&a, locked, KEY, why, sizeof(why)), 0); /* no newline */
    a.ssh_key_count = 1;
    CHECK_EQ_INT(answer_check_login(&a, locked, "", why, sizeof(why)), 0);
}

static void test_answer_errors(void)
{
    parse_fails("wipe = yes\nssh_key = " KEY "\n", 0, "disk: missing");
    parse_fails("disk = vda\ncolour = blue\n", 2, "colour: unknown key");
    parse_fails("disk = vda\nwipe = maybe\n", 2, "wipe: not yes or no");
    parse_fails("disk = vda\n\nroot_password_hash = secret\n", 3, "not a crypt(3) hash");
    parse_fails("disk = vda\nssh_key = hello\n", 2, "ssh_key: starts with a key type");
    parse_fails("disk = vda\nhostname = -bad\n", 2, "hostname: a part cannot start with '-'");
    parse_fails("disk = vda\nnet_mode = auto\n", 2, "net_mode: dhcp or static");
    parse_fails("disk = vda\nnet_mode = static\n", 2, "static needs net_address");
    parse_fails("disk = vda\nnet_address = 300.1.1.1/24\n", 2, "net_address: 300 is over 255");
    parse_fails("disk = vda\nnet_gateway = 10.0.0\n", 2, "net_gateway: expected four numbers");
    parse_fails("disk = vda\nnet_dns = 1.1.1.1,x\n", 2, "net_dns: x: expected four numbers");
    parse_fails("disk = vda\nnet_nics = eth0/1\n", 2, "net_nics: eth0/1: not a NIC name");
    parse_fails("disk = vda\nnet_vlan = 4095\n", 2, "net_vlan: must be 1-4094");
    parse_fails("disk = vda\nconsole_lock = perhaps\n", 2, "console_lock: yes or no");
    parse_fails("disk = vda\nnet_mode = static\nnet_address = 10.0.0.5/24\n"
                "net_gateway = 10.0.1.1\n", 4, "net_gateway: not in the address's subnet");
    parse_fails("disk = vda\nconsole = vga\n", 2, "not screen or serial");
    parse_fails("disk = two words\n", 1, "disk:");
}

/* The system.conf values are checked by lib/ (test_setup_validate.c,
 * test_sysconf_keys.c); the password hash is the installer's own. */
static void test_password_hash_check(void)
{
    CHECK(valid_password_hash(HASH));
    CHECK(valid_password_hash("$1$abc$0123456789abcdefghijkl"));
    CHECK(!valid_password_hash("$6$short"));
    CHECK(!valid_password_hash("plaintextpassword123456"));
    CHECK(!valid_password_hash("$6$salt$has:colon0123456789"));
}

static void test_system_conf_merge(void)
{
    struct conf sys;
    struct conf_error err;
    const char *live = "hostname = live\nnet_mode = dhcp\nssh_password = yes\n";
    conf_init(&sys);
    CHECK_EQ_INT(conf_parse(live, strlen(live), "system.conf", &sys, &err), 0);
    CHECK_EQ_INT(parse("disk = vda\nssh_key = " KEY "\nhostname = h2\nnet_mode = static\nnet_address = 10.1.1.2/24\n"
                       "net_vlan = 7\nconsole_lock = no\n", &err), 0);
    CHECK_EQ_INT(answer_apply_system_conf(&a, &sys), 0);
    CHECK_EQ_STR(conf_get(&sys, "hostname"), "h2");
    CHECK_EQ_STR(conf_get(&sys, "net_mode"), "static");
    CHECK_EQ_STR(conf_get(&sys, "net_address"), "10.1.1.2/24");
    CHECK_EQ_STR(conf_get(&sys, "net_vlan"), "7");
    CHECK_EQ_STR(conf_get(&sys, "console_lock"), "no");
    CHECK_EQ_STR(conf_get(&sys, "ssh_password"), "yes"); /* kept */
    CHECK(conf_get(&sys, "net_gateway") == NULL);         /* not invented */
    conf_free(&sys);
}

static void test_shadow_root_hash(void)
{
    char *s = shadow_with_root_hash("root:*:19000:0:99999:7:::\nnobody:*:19000:0:99999:7:::\n", "$6$x$y");
    CHECK_EQ_STR(s, "root:$6$x$y:19000:0:99999:7:::\nnobody:*:19000:0:99999:7:::\n");
    free(s);
    s = shadow_with_root_hash("sshd:*:1::::::\nroot::19000::::::\n", "$6$x$y");
    CHECK_EQ_STR(s, "sshd:*:1::::::\nroot:$6$x$y:19000::::::\n");
    free(s);
    CHECK(shadow_with_root_hash("sshd:*:1::::::\nxroot:*:1::::::\n", "$6$x$y") == NULL);
}

static void test_progress_lines(void)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    struct progress p;
    progress_init(&p, f, 2);
    progress_step(&p, "first");
    double took = progress_step_done(&p);
    CHECK(took >= 0 && took < 5);
    progress_step(&p, "second");
    progress_fail(&p, "mke2fs exited with status 1: no space");
    fclose(f);
    CHECK(strstr(text, "corral-install: [1/2] first\ncorral-install: [1/2] ok (") == text);
    CHECK(strstr(text, "corral-install: [2/2] second\n") != NULL);
    CHECK(strstr(text, "corral-install: FAILED at step 2/2 (second): mke2fs exited with status 1: no space\n") != NULL);
    free(text);
}

int main(void)
{
    RUN(test_full_answer);
    RUN(test_minimal_answer_defaults);
    RUN(test_answer_errors);
    RUN(test_login_required);
    RUN(test_live_login_check);
    RUN(test_password_hash_check);
    RUN(test_system_conf_merge);
    RUN(test_shadow_root_hash);
    RUN(test_progress_lines);
    return check_summary("install_answer");
}
