/* json: a small, bounded JSON reader and writer for corrald's control
 * protocol and the CLI's --json output.
 *
 * The reader accepts RFC 8259 JSON with these limits, so that a hostile
 * peer cannot make it allocate or recurse without bound: nesting at most
 * JSON_MAX_DEPTH deep, numbers must be integers that fit int64_t (no
 * fractions or exponents; the protocol has no use for them), strings must
 * be valid UTF-8 without NUL (\u0000), and an object may not repeat a key.
 * A parsed document is a tree of nodes in one array; strings live in one
 * buffer; json_doc_free releases both.  Objects hold at most
 * JSON_MAX_MEMBERS members.
 *
 * The writer builds text into a growing buffer with a size cap; strings are
 * escaped so that the output is always one line, and bytes that are not
 * valid UTF-8 (a guest's console, say) are written as U+FFFD. */
#ifndef CORRAL_JSON_H
#define CORRAL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 32
#define JSON_MAX_MEMBERS 4096 /* per object: keeps the duplicate check cheap */

enum json_type { JSON_NULL, JSON_BOOL, JSON_INT, JSON_STRING, JSON_ARRAY,
                 JSON_OBJECT };

struct json_node {
    enum json_type type;
    bool boolean;
    int64_t integer;
    const char *string; /* JSON_STRING: NUL terminated */
    const char *key;    /* member name when the parent is an object */
    uint32_t first_child, next_sibling; /* node indexes, 0 = none */
    uint32_t count;                     /* children of an array/object */
};

struct json_doc {
    struct json_node *nodes; /* nodes[0] is the root */
    size_t count, capacity;
    char *strings;
    size_t strings_used;
};

/* Parses len bytes; 0, or -EINVAL with the reason and byte offset in why,
 * or -ENOMEM.  doc needs no init; free it with json_doc_free either way. */
int json_parse(const char *text, size_t len, struct json_doc *doc, char *why,
               size_t why_len);
void json_doc_free(struct json_doc *doc);

const struct json_node *json_root(const struct json_doc *doc);
/* Children in order: first, then next until NULL. */
const struct json_node *json_first(const struct json_doc *doc,
                                   const struct json_node *parent);
const struct json_node *json_next(const struct json_doc *doc,
                                  const struct json_node *node);
/* The member of an object called key, or NULL (also when obj is not an
 * object). */
const struct json_node *json_get(const struct json_doc *doc,
                                 const struct json_node *obj, const char *key);
/* Typed member access: the value, or NULL / false when absent or another
 * type. */
const char *json_get_string(const struct json_doc *doc,
                            const struct json_node *obj, const char *key);
bool json_get_int(const struct json_doc *doc, const struct json_node *obj,
                  const char *key, int64_t *out);
bool json_get_bool(const struct json_doc *doc, const struct json_node *obj,
                   const char *key, bool *out);

struct json_writer {
    char *buf;
    size_t len, capacity, max; /* max: refuse to grow beyond (bytes) */
    int error;                 /* first error (-ENOMEM, -E2BIG, -EINVAL) */
    unsigned depth;
    uint64_t has_items;        /* bit d: level d has an item already */
    bool after_key;
};

void json_writer_init(struct json_writer *w, size_t max);
/* The finished text (NUL terminated, owned by w), or NULL after an error. */
const char *json_writer_text(struct json_writer *w);
void json_writer_free(struct json_writer *w);

void json_begin_object(struct json_writer *w);
void json_end_object(struct json_writer *w);
void json_begin_array(struct json_writer *w);
void json_end_array(struct json_writer *w);
void json_key(struct json_writer *w, const char *key);
void json_string(struct json_writer *w, const char *s);
/* The first len bytes of s (may hold any bytes, NUL included). */
void json_string_bytes(struct json_writer *w, const char *s, size_t len);
void json_int(struct json_writer *w, int64_t v);
void json_bool(struct json_writer *w, bool v);
void json_null(struct json_writer *w);
/* key + value in one call. */
void json_kv_string(struct json_writer *w, const char *key, const char *s);
void json_kv_int(struct json_writer *w, const char *key, int64_t v);
void json_kv_bool(struct json_writer *w, const char *key, bool v);
/* A parsed node (and everything below it). */
void json_node(struct json_writer *w, const struct json_doc *doc,
               const struct json_node *node);

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if it is not one. */
size_t json_utf8_len(const unsigned char *s, size_t avail);

#endif
