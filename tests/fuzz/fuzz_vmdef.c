/* libFuzzer target for the VM definition: any conf text must be accepted
 * or refused with an error, never crash; an accepted definition written
 * back with vmdef_to_conf must parse to the same struct vmdef. */
#include "vmdef.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fuzz_vmdef_parse(const char *text, size_t len, struct vmdef *d)
{
    struct conf c;
    struct conf_error err;
    conf_init(&c);
    int rc = conf_parse(text, len, "/fuzz/vm.conf", &c, &err);
    if (rc == 0)
        rc = vmdef_from_conf(&c, "/fuzz/vm.conf", d, &err);
    conf_free(&c);
    return rc;
}

static void fuzz_vmdef_round_trip(const struct vmdef *d)
{
    struct conf c;
    conf_init(&c);
    if (vmdef_to_conf(d, &c) != 0)
        abort();
    char *text = conf_format(&c);
    conf_free(&c);
    if (!text)
        abort();
    static struct vmdef back;
    if (fuzz_vmdef_parse(text, strlen(text), &back) != 0 ||
        memcmp(d, &back, sizeof(back)) != 0)
        abort();
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct vmdef d; /* large: keep it off the stack */
    if (fuzz_vmdef_parse((const char *)data, size, &d) == 0)
        fuzz_vmdef_round_trip(&d);
    return 0;
}
