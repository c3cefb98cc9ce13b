/* web_import: POST /api/cmd/image.import {"url","sha256","name"} - an
 * image fetched from a URL into STATE/images by the same code as the CLI's
 * `corral image import URL --sha256 SUM --name NAME`, which corral-web runs
 * (a download takes minutes: corrald's loop must not wait for it). */
#ifndef CORRAL_WEB_IMPORT_H
#define CORRAL_WEB_IMPORT_H

#include <stddef.h>

#define WEB_IMPORT_URL_MAX 2048
#define WEB_IMPORT_ARGS 10

struct web_import {
    char url[WEB_IMPORT_URL_MAX + 1];
    char sha256[65];
    char name[129];
    const char *argv[WEB_IMPORT_ARGS]; /* corral --json image import ... */
};

/* Checks a JSON body and fills imp, argv included: url http:// or https://
 * (printable ASCII, no spaces), sha256 64 hex digits (required: the only
 * check an https download gets), name optional, an image name.  0 or
 * -EINVAL with why. */
int web_import_parse(const char *body, size_t len, struct web_import *imp, char *why,
                     size_t why_len);

#endif
