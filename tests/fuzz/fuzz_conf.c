/* libFuzzer target for conf_parse: any input must be parsed or refused with
 * an error, never crash; what parses must format and parse back to the same
 * entries; every value goes through the value parsers too, and the file is
 * read as system.conf (sysconf_keys.h): what a reader gets for each key is
 * a value its check passes, or the default. */
#include "conf.h"
#include "sysconf_keys.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_conf_values(const struct conf *c)
{
    for (size_t i = 0; i < c->count; i++) {
        uint64_t v;
        int b;
        conf_parse_size(c->entries[i].value, 1 << 20, &v);
        conf_parse_uint(c->entries[i].value, 1, 64, &v);
        conf_parse_bool(c->entries[i].value, &b);
    }
}

static void fuzz_conf_round_trip(const struct conf *c)
{
    char *text = conf_format(c);
    if (!text)
        abort();
    struct conf back;
    struct conf_error err;
    conf_init(&back);
    if (conf_parse(text, strlen(text), "formatted", &back, &err) != 0)
        abort();
    if (back.count != c->count)
        abort();
    for (size_t i = 0; i < c->count; i++)
        if (strcmp(back.entries[i].key, c->entries[i].key) != 0 ||
            strcmp(back.entries[i].value, c->entries[i].value) != 0)
            abort();
    conf_free(&back);
    free(text);
}

static void fuzz_system_conf(const struct conf *c)
{
    struct conf_error err;
    char value[SYSCONF_VALUE_MAX], why[256];

    sysconf_check_conf(c, "system.conf", &err);
    for (int k = 0; k < SYSCONF_KEY_COUNT; k++) {
        const char *dflt = sysconf_key_info((enum sysconf_key)k)->default_value;
        int bad = sysconf_effective_value(c, (enum sysconf_key)k, value, sizeof(value), why,
                                          sizeof(why));
        if (value[0] && sysconf_check_value((enum sysconf_key)k, value, why, sizeof(why)) != 0 &&
            strcmp(value, dflt) != 0)
            abort();
        if (bad && sysconf_key_info((enum sysconf_key)k)->type == SYSCONF_TEXT &&
            strcmp(value, dflt) != 0)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct conf c;
    struct conf_error err;
    conf_init(&c);
    if (conf_parse((const char *)data, size, "fuzz.conf", &c, &err) == 0) {
        fuzz_conf_round_trip(&c);
        fuzz_conf_values(&c);
        fuzz_system_conf(&c);
    } else {
        char msg[600];
        conf_error_format(&err, msg, sizeof(msg));
    }
    conf_free(&c);
    return 0;
}
