/* web_import: image.import's arguments (see web_import.h). */
#include "web_import.h"

#include "image_name.h"
#include "json.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int web_import_fail(char *why, size_t why_len, const char *reason)
{
    snprintf(why, why_len, "%s", reason);
    return -EINVAL;
}

static int web_import_check(struct web_import *imp, const char *url, const char *sha,
                            const char *name, char *why, size_t why_len)
{
    if (!url || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) ||
        strlen(url) > WEB_IMPORT_URL_MAX)
        return web_import_fail(why, why_len, "\"url\": an http:// or https:// URL");
    for (const char *p = url; *p; p++) {
        if (*p <= ' ' || *p >= 0x7f)
            return web_import_fail(why, why_len, "\"url\": printable ASCII without spaces "
                                                 "(percent-encode the rest)");
    }
    if (!sha || strlen(sha) != 64 || strspn(sha, "0123456789abcdefABCDEF") != 64)
        return web_import_fail(why, why_len, "\"sha256\": the image's SHA-256, 64 hex digits");
    if (name && (!image_name_valid(name) || strstr(name, ".part.")))
        return web_import_fail(why, why_len, "\"name\": an image name (letters, digits, . _ - +)");
    snprintf(imp->url, sizeof(imp->url), "%s", url);
    snprintf(imp->sha256, sizeof(imp->sha256), "%s", sha);
    snprintf(imp->name, sizeof(imp->name), "%s", name ? name : "");
    return 0;
}

int web_import_parse(const char *body, size_t len, struct web_import *imp, char *why,
                     size_t why_len)
{
    struct json_doc doc;
    char reason[128];
    memset(imp, 0, sizeof(*imp));
    if (json_parse(body, len, &doc, reason, sizeof(reason)) != 0 ||
        json_root(&doc)->type != JSON_OBJECT) {
        json_doc_free(&doc);
        return web_import_fail(why, why_len, "the body must be {\"url\",\"sha256\",\"name\"}");
    }
    const struct json_node *root = json_root(&doc);
    int rc = web_import_check(imp, json_get_string(&doc, root, "url"),
                              json_get_string(&doc, root, "sha256"),
                              json_get_string(&doc, root, "name"), why, why_len);
    json_doc_free(&doc);
    if (rc < 0)
        return rc;
    size_t n = 0;
    const char *fixed[] = { "corral", "--json", "image", "import", imp->url, "--sha256",
                            imp->sha256 };
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        imp->argv[n++] = fixed[i];
    if (imp->name[0]) {
        imp->argv[n++] = "--name";
        imp->argv[n++] = imp->name;
    }
    imp->argv[n] = NULL;
    return 0;
}
