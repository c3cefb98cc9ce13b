/* conf: Corral's `key = value` configuration files (see conf.h). */
#include "conf.h"
#include "fdio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- errors -------------------------------------------------------------- */

void conf_error_format(const struct conf_error *err, char *buf, size_t len)
{
    if (len == 0)
        return;
    if (err->path[0] && err->line > 0)
        snprintf(buf, len, "%s:%d: %s", err->path, err->line, err->reason);
    else if (err->path[0])
        snprintf(buf, len, "%s: %s", err->path, err->reason);
    else if (err->line > 0)
        snprintf(buf, len, "line %d: %s", err->line, err->reason);
    else
        snprintf(buf, len, "%s", err->reason);
}

int conf_error_set(struct conf_error *err, const char *path, int line,
                   const char *fmt, ...)
{
    if (!err)
        return -EINVAL;
    snprintf(err->path, sizeof(err->path), "%s", path ? path : "");
    err->line = line;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->reason, sizeof(err->reason), fmt, ap);
    va_end(ap);
    return -EINVAL;
}

/* ---- the in-memory list -------------------------------------------------- */

void conf_init(struct conf *c)
{
    c->entries = NULL;
    c->count = 0;
    c->capacity = 0;
}

static void conf_entry_free(struct conf_entry *e)
{
    free(e->key);
    free(e->value);
}

void conf_free(struct conf *c)
{
    for (size_t i = 0; i < c->count; i++)
        conf_entry_free(&c->entries[i]);
    free(c->entries);
    conf_init(c);
}

static bool conf_key_char_ok(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' ||
           ch == '.' || ch == '-';
}

static bool conf_key_valid(const char *key, size_t len)
{
    if (len == 0 || len >= CONF_MAX_KEY)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!conf_key_char_ok(key[i]))
            return false;
    return true;
}

/* A value must survive a write and a re-read unchanged: no control
 * characters (a newline would split the line), tab excepted. */
static bool conf_value_valid(const char *value)
{
    for (const unsigned char *p = (const unsigned char *)value; *p; p++)
        if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
            return false;
    return true;
}

static bool conf_is_blank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r';
}

/* Unquoted values cannot keep these; conf_format quotes them. */
static bool conf_value_needs_quotes(const char *v)
{
    size_t n = strlen(v);
    return n == 0 || conf_is_blank(v[0]) || conf_is_blank(v[n - 1]) ||
           v[0] == '"' || strchr(v, '#') != NULL;
}

/* Length of "key = value\n" as conf_format writes it. */
static size_t conf_formatted_line_len(const char *key, const char *value)
{
    size_t n = strlen(key) + strlen(" = ") + strlen(value) + 1;
    if (conf_value_needs_quotes(value)) {
        n += 2;
        for (const char *p = value; *p; p++)
            if (*p == '"' || *p == '\\')
                n++;
    }
    return n;
}

static int conf_append_entry(struct conf *c, const char *key, size_t key_len,
                             const char *value, int line)
{
    if (c->count == c->capacity) {
        size_t cap = c->capacity ? c->capacity * 2 : 16;
        struct conf_entry *grown = realloc(c->entries, cap * sizeof(*grown));
        if (!grown)
            return -ENOMEM;
        c->entries = grown;
        c->capacity = cap;
    }
    struct conf_entry *e = &c->entries[c->count];
    e->key = strndup(key, key_len);
    e->value = strdup(value);
    if (!e->key || !e->value) {
        conf_entry_free(e);
        return -ENOMEM;
    }
    e->line = line;
    c->count++;
    return 0;
}

/* Checks what a program asks to store, so that the file it writes parses
 * back to the same entries. */
static int conf_check_new_entry(const char *key, const char *value)
{
    if (!key || !value || !conf_key_valid(key, strlen(key)) ||
        !conf_value_valid(value))
        return -EINVAL;
    /* The formatted line, without its newline, must fit CONF_MAX_LINE. */
    if (conf_formatted_line_len(key, value) > CONF_MAX_LINE + 1)
        return -E2BIG;
    return 0;
}

int conf_add(struct conf *c, const char *key, const char *value)
{
    int rc = conf_check_new_entry(key, value);
    if (rc < 0)
        return rc;
    return conf_append_entry(c, key, strlen(key), value, 0);
}

int conf_set(struct conf *c, const char *key, const char *value)
{
    int rc = conf_check_new_entry(key, value);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < c->count; i++) {
        if (strcmp(c->entries[i].key, key) != 0)
            continue;
        char *copy = strdup(value);
        if (!copy)
            return -ENOMEM;
        free(c->entries[i].value);
        c->entries[i].value = copy;
        c->entries[i].line = 0;
        /* Keep the first occurrence in place, drop the others. */
        size_t removed_from = i + 1;
        struct conf tail = { c->entries + removed_from,
                             c->count - removed_from, 0 };
        size_t removed = conf_unset(&tail, key);
        c->count -= removed;
        return 0;
    }
    return conf_append_entry(c, key, strlen(key), value, 0);
}

size_t conf_unset(struct conf *c, const char *key)
{
    size_t kept = 0;
    for (size_t i = 0; i < c->count; i++) {
        if (strcmp(c->entries[i].key, key) == 0) {
            conf_entry_free(&c->entries[i]);
            continue;
        }
        c->entries[kept++] = c->entries[i];
    }
    size_t removed = c->count - kept;
    c->count = kept;
    return removed;
}

const char *conf_get(const struct conf *c, const char *key)
{
    for (size_t i = c->count; i > 0; i--)
        if (strcmp(c->entries[i - 1].key, key) == 0)
            return c->entries[i - 1].value;
    return NULL;
}

size_t conf_get_all(const struct conf *c, const char *key, const char **values,
                    size_t max)
{
    size_t found = 0;
    for (size_t i = 0; i < c->count; i++) {
        if (strcmp(c->entries[i].key, key) != 0)
            continue;
        if (found < max)
            values[found] = c->entries[i].value;
        found++;
    }
    return found;
}

int conf_line_of(const struct conf *c, const char *key)
{
    for (size_t i = c->count; i > 0; i--)
        if (strcmp(c->entries[i - 1].key, key) == 0)
            return c->entries[i - 1].line;
    return 0;
}

/* ---- parsing ------------------------------------------------------------- */

struct conf_parse_ctx {
    const char *path;
    int line;
    struct conf_error *err;
};

static int conf_parse_fail(const struct conf_parse_ctx *ctx, const char *reason)
{
    return conf_error_set(ctx->err, ctx->path, ctx->line, "%s", reason);
}

/* Reads a quoted value starting after the opening quote into out (which
 * has room for len bytes plus NUL); returns 0 or -EINVAL. */
static int conf_unquote(const struct conf_parse_ctx *ctx, const char *s,
                        size_t len, char *out)
{
    size_t i = 0, o = 0;
    while (i < len && s[i] != '"') {
        if (s[i] == '\\' && i + 1 < len && (s[i + 1] == '"' || s[i + 1] == '\\'))
            i++;
        out[o++] = s[i++];
    }
    if (i == len)
        return conf_parse_fail(ctx, "unterminated quoted value");
    out[o] = '\0';
    for (i++; i < len && conf_is_blank(s[i]); i++)
        ;
    if (i < len && s[i] != '#')
        return conf_parse_fail(ctx, "text after the closing quote");
    return 0;
}

/* Unquoted: everything up to a '#' comment, trailing blanks trimmed. */
static void conf_copy_plain_value(const char *s, size_t len, char *out)
{
    const char *hash = memchr(s, '#', len);
    if (hash)
        len = (size_t)(hash - s);
    while (len > 0 && conf_is_blank(s[len - 1]))
        len--;
    memcpy(out, s, len);
    out[len] = '\0';
}

static size_t conf_skip_blanks(const char *s, size_t i, size_t len)
{
    while (i < len && conf_is_blank(s[i]))
        i++;
    return i;
}

static int conf_parse_line(const struct conf_parse_ctx *ctx, const char *s,
                           size_t len, struct conf *out)
{
    size_t i = conf_skip_blanks(s, 0, len);
    if (i == len || s[i] == '#')
        return 0;
    const char *eq = memchr(s + i, '=', len - i);
    if (!eq)
        return conf_parse_fail(ctx, "expected 'key = value'");
    size_t key_end = (size_t)(eq - s);
    while (key_end > i && conf_is_blank(s[key_end - 1]))
        key_end--;
    if (!conf_key_valid(s + i, key_end - i))
        return conf_error_set(ctx->err, ctx->path, ctx->line,
                              "bad key '%.*s': keys are 1-%d of a-z 0-9 _ . -",
                              (int)(key_end - i > 64 ? 64 : key_end - i), s + i,
                              CONF_MAX_KEY - 1);
    size_t v = conf_skip_blanks(s, (size_t)(eq - s) + 1, len);
    char value[CONF_MAX_LINE + 1];
    if (v < len && s[v] == '"') {
        int rc = conf_unquote(ctx, s + v + 1, len - v - 1, value);
        if (rc < 0)
            return rc;
    } else {
        conf_copy_plain_value(s + v, len - v, value);
    }
    if (!conf_value_valid(value))
        return conf_parse_fail(ctx, "control character in value");
    if (conf_append_entry(out, s + i, key_end - i, value, ctx->line) < 0)
        return conf_error_set(ctx->err, ctx->path, ctx->line, "out of memory");
    return 0;
}

int conf_parse(const char *text, size_t len, const char *path, struct conf *out,
               struct conf_error *err)
{
    struct conf_parse_ctx ctx = { path, 0, err };
    if (len > CONF_MAX_FILE_BYTES)
        return conf_error_set(err, path, 0, "file larger than %d bytes",
                              CONF_MAX_FILE_BYTES);
    size_t pos = 0;
    while (pos < len) {
        ctx.line++;
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t line_len = nl ? (size_t)(nl - (text + pos)) : len - pos;
        if (line_len > CONF_MAX_LINE)
            return conf_error_set(err, path, ctx.line,
                                  "line longer than %d bytes", CONF_MAX_LINE);
        if (memchr(text + pos, '\0', line_len))
            return conf_parse_fail(&ctx, "NUL byte in line");
        int rc = conf_parse_line(&ctx, text + pos, line_len, out);
        if (rc < 0)
            return rc;
        pos += line_len + 1;
    }
    return 0;
}

/* Reads at most max bytes of fd; *len > max means the file is too big. */
static int conf_read_bounded(int fd, char *buf, size_t max, size_t *len)
{
    size_t have = 0;
    for (;;) {
        ssize_t n = read(fd, buf + have, max + 1 - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0 || (have += (size_t)n) > max)
            break;
    }
    *len = have;
    return 0;
}

int conf_load(const char *path, struct conf *out, struct conf_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int rc = -errno;
        conf_error_set(err, path, 0, "%s", strerror(-rc));
        return rc;
    }
    char *buf = malloc(CONF_MAX_FILE_BYTES + 1);
    if (!buf) {
        close(fd);
        conf_error_set(err, path, 0, "out of memory");
        return -ENOMEM;
    }
    size_t len = 0;
    int rc = conf_read_bounded(fd, buf, CONF_MAX_FILE_BYTES, &len);
    close(fd);
    if (rc < 0)
        conf_error_set(err, path, 0, "%s", strerror(-rc));
    else
        rc = conf_parse(buf, len, path, out, err);
    free(buf);
    return rc;
}

/* ---- writing ------------------------------------------------------------- */

static char *conf_format_line(char *o, const struct conf_entry *e)
{
    o += sprintf(o, "%s = ", e->key);
    if (!conf_value_needs_quotes(e->value))
        return o + sprintf(o, "%s\n", e->value);
    *o++ = '"';
    for (const char *p = e->value; *p; p++) {
        if (*p == '"' || *p == '\\')
            *o++ = '\\';
        *o++ = *p;
    }
    *o++ = '"';
    *o++ = '\n';
    return o;
}

char *conf_format(const struct conf *c)
{
    size_t total = 1;
    for (size_t i = 0; i < c->count; i++)
        total += conf_formatted_line_len(c->entries[i].key, c->entries[i].value);
    char *text = malloc(total);
    if (!text)
        return NULL;
    char *o = text;
    for (size_t i = 0; i < c->count; i++)
        o = conf_format_line(o, &c->entries[i]);
    *o = '\0';
    return text;
}

/* The directory entry of a rename is only durable once the directory is. */
static int conf_fsync_dir_of(const char *path)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof(dir), ".");
    else if (slash == path)
        snprintf(dir, sizeof(dir), "/");
    else
        snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = fsync(fd) < 0 ? -errno : 0;
    close(fd);
    return rc;
}

static int conf_fill_temp(int fd, const void *data, size_t len, unsigned mode)
{
    if (fchmod(fd, (mode_t)mode) < 0)
        return -errno;
    int rc = fdio_write_all(fd, data, len);
    if (rc < 0)
        return rc;
    return fsync(fd) < 0 ? -errno : 0;
}

int write_file_atomic(const char *path, const void *data, size_t len,
                      unsigned mode)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= (int)sizeof(tmp))
        return -ENAMETOOLONG;
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = conf_fill_temp(fd, data, len, mode);
    if (close(fd) < 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && rename(tmp, path) < 0)
        rc = -errno;
    if (rc < 0) {
        unlink(tmp);
        return rc;
    }
    return conf_fsync_dir_of(path);
}

int conf_write_atomic(const char *path, const struct conf *c, unsigned mode)
{
    char *text = conf_format(c);
    if (!text)
        return -ENOMEM;
    int rc = write_file_atomic(path, text, strlen(text), mode);
    free(text);
    return rc;
}

/* ---- value parsers ------------------------------------------------------- */

/* Decimal digits only (no sign, no blanks); -EINVAL on overflow. */
static int conf_parse_digits(const char **sp, uint64_t *out, int *ndigits)
{
    const char *s = *sp;
    uint64_t v = 0;
    int n = 0;
    for (; *s >= '0' && *s <= '9'; s++, n++) {
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -EINVAL;
        v = v * 10 + d;
    }
    *sp = s;
    *out = v;
    *ndigits = n;
    return 0;
}

int conf_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    uint64_t v;
    int n;
    if (conf_parse_digits(&s, &v, &n) < 0 || n == 0 || *s != '\0')
        return -EINVAL;
    if (v < min || v > max)
        return -ERANGE;
    *out = v;
    return 0;
}

/* Multiplier of a unit suffix (K, M, G, T, optionally "iB" or "B"; "B"
 * alone is bytes); 0 when the suffix is not one. */
static uint64_t conf_size_unit(const char *s)
{
    static const char units[] = "BKMGT";
    const char *u = *s ? strchr(units, *s & ~0x20) : NULL;
    if (!u)
        return 0;
    uint64_t mult = (uint64_t)1 << (10 * (u - units));
    const char *rest = s + 1;
    if (mult > 1 && (strcasecmp(rest, "iB") == 0 || strcasecmp(rest, "B") == 0))
        rest += strlen(rest);
    return *rest == '\0' ? mult : 0;
}

int conf_parse_size(const char *s, uint64_t unit_default, uint64_t *out)
{
    uint64_t whole, frac = 0, frac_div = 1;
    int nwhole, nfrac = 0;
    if (conf_parse_digits(&s, &whole, &nwhole) < 0 || nwhole == 0)
        return -EINVAL;
    /* At most 6 decimals: frac * unit then stays below 10^6 * 2^40 < 2^64. */
    if (*s == '.') {
        s++;
        if (conf_parse_digits(&s, &frac, &nfrac) < 0 || nfrac == 0 || nfrac > 6)
            return -EINVAL;
        for (int i = 0; i < nfrac; i++)
            frac_div *= 10;
    }
    uint64_t unit = *s ? conf_size_unit(s) : unit_default;
    if (unit == 0)
        return -EINVAL;
    if (whole > UINT64_MAX / unit)
        return -ERANGE;
    if (frac * unit % frac_div != 0)
        return -EINVAL; /* not a whole number of bytes */
    uint64_t frac_bytes = frac * unit / frac_div;
    if (whole * unit > UINT64_MAX - frac_bytes)
        return -ERANGE;
    *out = whole * unit + frac_bytes;
    return 0;
}

int conf_parse_bool(const char *s, int *out)
{
    static const char *const yes[] = { "yes", "true", "on", "1" };
    static const char *const no[] = { "no", "false", "off", "0" };
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    return -EINVAL;
}
