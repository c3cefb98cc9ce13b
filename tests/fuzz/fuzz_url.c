/* libFuzzer target for url.c: any bytes as a URL and as a reply head must
 * be parsed or refused, never crash; a URL that parses has a host without
 * brackets, a port of digits, a path starting with '/', and nothing below
 * 0x21 (it goes into a request line). */
#include "url.h"

#include "fuzz_input.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_url_check(const struct url_parts *u)
{
    if (!u->host[0] || strchr(u->host, '[') || strchr(u->host, ']') || u->path[0] != '/' ||
        !u->port[0] || strspn(u->port, "0123456789") != strlen(u->port))
        abort();
    for (const char *p = u->path; *p; p++)
        if ((unsigned char)*p < 0x21)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_input_text(data, size);
    struct url_parts u;
    if (url_parse(text, &u) == 0)
        fuzz_url_check(&u);
    int status;
    long long len;
    if (url_reply_head(text, &status, &len) == 0 && (status < 100 || status > 999 || len < -1))
        abort();
    free(text);
    return 0;
}
