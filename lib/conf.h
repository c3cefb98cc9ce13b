/* conf: Corral's `key = value` configuration files.
 *
 * One format for every file Corral keeps (system.conf, vm.conf, answer
 * files): one `key = value` per line, `#` starts a comment line, blank lines
 * are ignored, surrounding white space is trimmed, a value may be wrapped in
 * double quotes to keep leading/trailing spaces or a '#'.  Keys are
 * [a-z0-9_.-]+.  In an unquoted value '#' starts a comment; inside quotes,
 * \" and \\ stand for " and \.  Control characters other than tab are
 * refused (in files and in conf_set/conf_add).  A key may appear more than
 * once only where the caller asks for a list (conf_get_all), e.g.
 * `disk = ...` in a VM definition.  conf_format's output always parses back
 * to the same entries.
 *
 * Errors carry the path, the line and a reason, so that the edge can print
 * "vm.conf:12: memory: not a size" and nothing is silently rewritten.
 * Writes are atomic: temporary file, fsync, rename, fsync of the directory. */
#ifndef CORRAL_CONF_H
#define CORRAL_CONF_H

#include <stddef.h>
#include <stdint.h>

#define CONF_MAX_FILE_BYTES (1024 * 1024) /* larger files are refused */
#define CONF_MAX_LINE 4096                /* longer lines are refused */
#define CONF_MAX_KEY 64

struct conf_entry {
    char *key;
    char *value;
    int line; /* 1-based line it came from; 0 when set by a program */
};

struct conf {
    struct conf_entry *entries; /* in file order */
    size_t count;
    size_t capacity;
};

struct conf_error {
    char path[256]; /* file the error is about ("" for in-memory text) */
    int line;       /* 0 when not about one line */
    char reason[256];
};

/* Formats "path:line: reason" (or without the parts that are unknown). */
void conf_error_format(const struct conf_error *err, char *buf, size_t len);
/* Sets err (may be NULL) from a printf-style reason; returns -EINVAL. */
int conf_error_set(struct conf_error *err, const char *path, int line,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

void conf_init(struct conf *c);
void conf_free(struct conf *c);

/* Parse text of len bytes (need not be NUL terminated).  path names the
 * source in errors.  Returns 0, or -EINVAL with err filled in. */
int conf_parse(const char *text, size_t len, const char *path, struct conf *out,
               struct conf_error *err);
/* Read and parse a file; -errno (with err filled in) on failure. */
int conf_load(const char *path, struct conf *out, struct conf_error *err);

/* Last value of key, or NULL. */
const char *conf_get(const struct conf *c, const char *key);
/* Every value of key in file order; returns how many, fills up to max. */
size_t conf_get_all(const struct conf *c, const char *key, const char **values,
                    size_t max);
/* Line number of the last occurrence of key (0 when absent). */
int conf_line_of(const struct conf *c, const char *key);

/* Both return 0, -EINVAL for a bad key or a value with control characters,
 * -E2BIG when the written line would exceed CONF_MAX_LINE, or -ENOMEM. */
/* Replace every occurrence of key with one entry (kept where the first one
 * was, appended if absent). */
int conf_set(struct conf *c, const char *key, const char *value);
/* Append one more entry (for list keys). */
int conf_add(struct conf *c, const char *key, const char *value);
/* Remove every occurrence of key; returns how many were removed. */
size_t conf_unset(struct conf *c, const char *key);

/* Serialise to "key = value\n" lines (values quoted where needed).
 * Returns a malloc'd string the caller frees, or NULL on ENOMEM. */
char *conf_format(const struct conf *c);
/* Atomic write with the given mode (e.g. 0600). Returns 0 or -errno. */
int conf_write_atomic(const char *path, const struct conf *c, unsigned mode);
/* Atomic write of arbitrary bytes, the primitive conf_write_atomic uses. */
int write_file_atomic(const char *path, const void *data, size_t len,
                      unsigned mode);

/* Value parsers shared by every file: return 0, -EINVAL when the text is
 * not a value of that kind, or -ERANGE when it is but too big (or outside
 * [min, max]); *out is only written on success. */
/* Sizes: "512", "512M", "1G", "1.5G", "64K", "2T" (binary units; a plain
 * number means unit_default bytes each, e.g. 1<<20 for MiB fields).  A unit
 * may be followed by "B" or "iB"; "B" alone means bytes; case does not
 * matter; at most 6 decimals, and the result must be whole bytes.  No sign,
 * no blanks. */
int conf_parse_size(const char *s, uint64_t unit_default, uint64_t *out);
/* Unsigned decimal integer within [min, max]; no sign, no blanks. */
int conf_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* yes/no, true/false, on/off, 1/0. */
int conf_parse_bool(const char *s, int *out);

#endif
