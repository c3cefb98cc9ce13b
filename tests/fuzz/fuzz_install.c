/* libFuzzer target for what corral-install reads from outside: answer
 * files (through conf_parse), grubenv blocks from the ESP, blkid's
 * output and release ISO signature files and keys.  Any input is accepted or refused, never a crash; an answer that
 * is accepted holds only values its validators pass, always a way to log
 * in, and a boot menu password that renders into password.cfg; a grubenv block that
 * parses formats back to a block that parses to the same variables. */
#include "../../initramfs/installer/answer.h"
#include "../../initramfs/installer/bootcfg.h"
#include "../../initramfs/installer/disk.h"
#include "../../initramfs/installer/isosig.h"
#include "validate.h"

#include "fuzz_input.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_answer(const char *text, size_t size)
{
    static struct answer a;
    struct conf c;
    struct conf_error err;
    conf_init(&c);
    if (conf_parse(text, size, "answer.conf", &c, &err) == 0 &&
        answer_from_conf(&c, "answer.conf", &a, &err) == 0) {
        char cfg[1024];
        if (a.disk[0] == '\0' ||
            (a.root_password_hash[0] && !valid_password_hash(a.root_password_hash)) ||
            (!a.root_password_hash[0] && a.ssh_key_count == 0) ||
            (a.boot_password_pbkdf2[0] &&
             bootcfg_password_render(a.boot_password_pbkdf2, cfg, sizeof(cfg)) != 0))
            abort();
        for (size_t i = 0; i < a.ssh_key_count; i++)
            if (validate_ssh_public_key(a.ssh_keys[i], NULL, 0) != 0)
                abort();
        for (int k = 0; k < SYSCONF_KEY_COUNT; k++)
            if (a.system[k][0] && sysconf_check_value((enum sysconf_key)k, a.system[k], NULL, 0))
                abort();
        answer_apply_system_conf(&a, &c);
    }
    conf_free(&c);
}

static void fuzz_grubenv(const char *data, size_t size)
{
    struct grubenv env, back;
    char block[GRUBENV_BYTES];
    if (size > GRUBENV_BYTES)
        size = GRUBENV_BYTES;
    memset(block, '#', sizeof(block));
    memcpy(block, GRUBENV_HEADER, strlen(GRUBENV_HEADER));
    size_t room = GRUBENV_BYTES - strlen(GRUBENV_HEADER);
    memcpy(block + strlen(GRUBENV_HEADER), data, size < room ? size : room);
    if (grubenv_parse(block, sizeof(block), &env) != 0)
        return;
    if (grubenv_format(&env, block) != 0 || grubenv_parse(block, sizeof(block), &back) != 0 ||
        back.count != env.count)
        abort();
    for (size_t i = 0; i < env.count; i++)
        if (strcmp(grubenv_get(&back, env.name[i]), env.value[i]) != 0)
            abort();
}

static void fuzz_blkid(const char *text)
{
    struct blkid_entry e;
    if (blkid_parse_line(text, &e) == 0 && e.device[0] == '\0')
        abort();
}

/* A parsed signature names a digest of 64 lower-case hex digits. */
static void fuzz_isosig(const char *text, size_t size)
{
    struct isosig sig;
    uint8_t key[ISOSIG_KEY_BYTES];
    char why[128], message[128];
    if (isosig_parse(text, size, &sig, why, sizeof(why)) == 0 &&
        (strlen(sig.sha256) != 64 || strspn(sig.sha256, "0123456789abcdef") != 64 ||
         isosig_message(sig.sha256, message, sizeof(message)) != 0))
        abort();
    release_key_parse(text, key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_input_text(data, size);
    fuzz_answer(text, size);
    fuzz_grubenv(text, size);
    fuzz_blkid(text);
    fuzz_isosig(text, size);
    free(text);
    return 0;
}
