/* json: bounded JSON reader and writer (see json.h). */
#include "json.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- UTF-8 ---------------------------------------------------------------- */

size_t json_utf8_len(const unsigned char *s, size_t avail)
{
    if (avail == 0)
        return 0;
    if (s[0] < 0x80)
        return 1;
    size_t len = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
    if (len == 0 || s[0] > 0xf4 || len > avail)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    /* Overlong forms, surrogates and code points above U+10FFFF. */
    if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) ||
        (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
        return 0;
    return len;
}

static size_t json_utf8_encode(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | cp >> 12);
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | cp >> 18);
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* ---- reader --------------------------------------------------------------- */

struct json_parser {
    const char *text;
    size_t len, pos;
    unsigned depth;
    struct json_doc *doc;
    char *why;
    size_t why_len;
};

static int json_fail(struct json_parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int json_fail(struct json_parser *p, const char *fmt, ...)
{
    if (p->why && p->why_len) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(p->why, p->why_len, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < p->why_len)
            snprintf(p->why + n, p->why_len - (size_t)n, " at byte %zu", p->pos);
    }
    return -EINVAL;
}

static void json_skip_space(struct json_parser *p)
{
    while (p->pos < p->len && strchr(" \t\r\n", p->text[p->pos]) &&
           p->text[p->pos] != '\0')
        p->pos++;
}

static int json_new_node(struct json_parser *p, enum json_type type,
                         uint32_t *index)
{
    struct json_doc *doc = p->doc;
    if (doc->count == doc->capacity) {
        size_t cap = doc->capacity ? doc->capacity * 2 : 16;
        struct json_node *grown = realloc(doc->nodes, cap * sizeof(*grown));
        if (!grown)
            return -ENOMEM;
        doc->nodes = grown;
        doc->capacity = cap;
    }
    *index = (uint32_t)doc->count++;
    memset(&doc->nodes[*index], 0, sizeof(doc->nodes[0]));
    doc->nodes[*index].type = type;
    return 0;
}

static int json_hex4(struct json_parser *p, uint32_t *out)
{
    if (p->len - p->pos < 4)
        return json_fail(p, "short \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char ch = p->text[p->pos++];
        int d = ch >= '0' && ch <= '9'   ? ch - '0'
                : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                         : -1;
        if (d < 0)
            return json_fail(p, "bad \\u escape");
        v = v << 4 | (uint32_t)d;
    }
    *out = v;
    return 0;
}

/* \uXXXX, with a surrogate pair when needed; pos is after the 'u'. */
static int json_unicode_escape(struct json_parser *p, char *out, size_t *n)
{
    uint32_t cp;
    if (json_hex4(p, &cp) < 0)
        return -EINVAL;
    if (cp >= 0xd800 && cp <= 0xdbff) {
        uint32_t lo;
        if (p->len - p->pos < 2 || p->text[p->pos] != '\\' ||
            p->text[p->pos + 1] != 'u')
            return json_fail(p, "lone surrogate");
        p->pos += 2;
        if (json_hex4(p, &lo) < 0)
            return -EINVAL;
        if (lo < 0xdc00 || lo > 0xdfff)
            return json_fail(p, "bad surrogate pair");
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
    } else if (cp >= 0xdc00 && cp <= 0xdfff) {
        return json_fail(p, "lone surrogate");
    }
    if (cp == 0)
        return json_fail(p, "NUL in string");
    *n = json_utf8_encode(cp, out);
    return 0;
}

static int json_escape(struct json_parser *p, char *out, size_t *n)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    if (p->pos >= p->len)
        return json_fail(p, "unterminated string");
    char ch = p->text[p->pos++];
    if (ch == 'u')
        return json_unicode_escape(p, out, n);
    const char *hit = ch ? strchr(from, ch) : NULL;
    if (!hit)
        return json_fail(p, "bad escape \\%c", ch >= 0x20 && ch < 0x7f ? ch : '?');
    out[0] = to[hit - from];
    *n = 1;
    return 0;
}

/* Reads a string (pos at the opening quote) into the string buffer. */
static int json_read_string(struct json_parser *p, const char **out)
{
    char *dst = p->doc->strings + p->doc->strings_used;
    size_t used = 0;
    p->pos++;
    for (;;) {
        if (p->pos >= p->len)
            return json_fail(p, "unterminated string");
        unsigned char ch = (unsigned char)p->text[p->pos];
        if (ch == '"')
            break;
        if (ch < 0x20)
            return json_fail(p, "control character in string");
        size_t n = 0;
        if (ch == '\\') {
            p->pos++;
            if (json_escape(p, dst + used, &n) < 0)
                return -EINVAL;
        } else {
            n = json_utf8_len((const unsigned char *)p->text + p->pos,
                              p->len - p->pos);
            if (n == 0)
                return json_fail(p, "invalid UTF-8");
            memcpy(dst + used, p->text + p->pos, n);
            p->pos += n;
        }
        used += n;
    }
    p->pos++;
    dst[used] = '\0';
    p->doc->strings_used += used + 1;
    *out = dst;
    return 0;
}

static int json_read_int(struct json_parser *p, int64_t *out)
{
    bool negative = p->text[p->pos] == '-';
    size_t start = p->pos += negative;
    uint64_t limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t v = 0;
    while (p->pos < p->len && p->text[p->pos] >= '0' && p->text[p->pos] <= '9') {
        unsigned d = (unsigned)(p->text[p->pos++] - '0');
        if (v > (limit - d) / 10)
            return json_fail(p, "number out of range");
        v = v * 10 + d;
    }
    size_t digits = p->pos - start;
    if (digits == 0 || (digits > 1 && p->text[start] == '0'))
        return json_fail(p, "bad number");
    if (p->pos < p->len && strchr(".eE", p->text[p->pos]) && p->text[p->pos])
        return json_fail(p, "numbers must be integers");
    *out = negative ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

static int json_read_literal(struct json_parser *p, struct json_node *node)
{
    static const char *const words[] = { "true", "false", "null" };
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(words[i]);
        if (p->len - p->pos >= n && memcmp(p->text + p->pos, words[i], n) == 0) {
            p->pos += n;
            node->type = i == 2 ? JSON_NULL : JSON_BOOL;
            node->boolean = i == 0;
            return 0;
        }
    }
    return json_fail(p, "unexpected character");
}

static int json_read_value(struct json_parser *p, uint32_t *index);

static bool json_has_member(const struct json_doc *doc, uint32_t obj,
                            const char *key)
{
    for (uint32_t c = doc->nodes[obj].first_child; c; c = doc->nodes[c].next_sibling)
        if (strcmp(doc->nodes[c].key, key) == 0)
            return true;
    return false;
}

/* One member ("key": value) or element; links it after *last. */
static int json_read_item(struct json_parser *p, uint32_t parent, uint32_t *last)
{
    const char *key = NULL;
    json_skip_space(p);
    if (p->doc->nodes[parent].type == JSON_OBJECT) {
        if (p->pos >= p->len || p->text[p->pos] != '"')
            return json_fail(p, "expected a member name");
        if (json_read_string(p, &key) < 0)
            return -EINVAL;
        if (p->doc->nodes[parent].count >= JSON_MAX_MEMBERS)
            return json_fail(p, "more than %d members", JSON_MAX_MEMBERS);
        if (json_has_member(p->doc, parent, key))
            return json_fail(p, "duplicate member \"%.40s\"", key);
        json_skip_space(p);
        if (p->pos >= p->len || p->text[p->pos] != ':')
            return json_fail(p, "expected ':'");
        p->pos++;
    }
    uint32_t child;
    int rc = json_read_value(p, &child);
    if (rc < 0)
        return rc;
    struct json_doc *doc = p->doc;
    doc->nodes[child].key = key;
    if (*last)
        doc->nodes[*last].next_sibling = child;
    else
        doc->nodes[parent].first_child = child;
    doc->nodes[parent].count++;
    *last = child;
    return 0;
}

static int json_read_container(struct json_parser *p, uint32_t index)
{
    char close = p->doc->nodes[index].type == JSON_OBJECT ? '}' : ']';
    if (++p->depth > JSON_MAX_DEPTH)
        return json_fail(p, "nested deeper than %d", JSON_MAX_DEPTH);
    p->pos++;
    json_skip_space(p);
    if (p->pos < p->len && p->text[p->pos] == close) {
        p->pos++;
        p->depth--;
        return 0;
    }
    uint32_t last = 0;
    for (;;) {
        int rc = json_read_item(p, index, &last);
        if (rc < 0)
            return rc;
        json_skip_space(p);
        if (p->pos < p->len && p->text[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->len && p->text[p->pos] == close)
            break;
        return json_fail(p, "expected ',' or '%c'", close);
    }
    p->pos++;
    p->depth--;
    return 0;
}

static int json_read_value(struct json_parser *p, uint32_t *index)
{
    json_skip_space(p);
    if (p->pos >= p->len)
        return json_fail(p, "unexpected end");
    char ch = p->text[p->pos];
    enum json_type type = ch == '{'   ? JSON_OBJECT
                          : ch == '[' ? JSON_ARRAY
                          : ch == '"' ? JSON_STRING
                          : (ch == '-' || (ch >= '0' && ch <= '9')) ? JSON_INT
                                                                    : JSON_NULL;
    int rc = json_new_node(p, type, index);
    if (rc < 0)
        return rc;
    struct json_node *node = &p->doc->nodes[*index];
    switch (type) {
    case JSON_OBJECT:
    case JSON_ARRAY:
        return json_read_container(p, *index);
    case JSON_STRING:
        return json_read_string(p, &node->string);
    case JSON_INT:
        return json_read_int(p, &node->integer);
    default:
        return json_read_literal(p, node);
    }
}

int json_parse(const char *text, size_t len, struct json_doc *doc, char *why,
               size_t why_len)
{
    memset(doc, 0, sizeof(*doc));
    /* Decoded strings plus their NULs never exceed the input's length. */
    doc->strings = malloc(len + 1);
    if (!doc->strings)
        return -ENOMEM;
    struct json_parser p = { text, len, 0, 0, doc, why, why_len };
    uint32_t root;
    int rc = json_read_value(&p, &root);
    if (rc == -ENOMEM)
        snprintf(why, why_len, "out of memory");
    if (rc < 0)
        return rc;
    json_skip_space(&p);
    if (p.pos != len)
        return json_fail(&p, "text after the value");
    return 0;
}

void json_doc_free(struct json_doc *doc)
{
    free(doc->nodes);
    free(doc->strings);
    memset(doc, 0, sizeof(*doc));
}

const struct json_node *json_root(const struct json_doc *doc)
{
    return doc->count ? &doc->nodes[0] : NULL;
}

const struct json_node *json_first(const struct json_doc *doc,
                                   const struct json_node *parent)
{
    return parent && parent->first_child ? &doc->nodes[parent->first_child]
                                         : NULL;
}

const struct json_node *json_next(const struct json_doc *doc,
                                  const struct json_node *node)
{
    return node->next_sibling ? &doc->nodes[node->next_sibling] : NULL;
}

const struct json_node *json_get(const struct json_doc *doc,
                                 const struct json_node *obj, const char *key)
{
    if (!obj || obj->type != JSON_OBJECT)
        return NULL;
    for (const struct json_node *c = json_first(doc, obj); c; c = json_next(doc, c))
        if (strcmp(c->key, key) == 0)
            return c;
    return NULL;
}

const char *json_get_string(const struct json_doc *doc,
                            const struct json_node *obj, const char *key)
{
    const struct json_node *n = json_get(doc, obj, key);
    return n && n->type == JSON_STRING ? n->string : NULL;
}

bool json_get_int(const struct json_doc *doc, const struct json_node *obj,
                  const char *key, int64_t *out)
{
    const struct json_node *n = json_get(doc, obj, key);
    if (!n || n->type != JSON_INT)
        return false;
    *out = n->integer;
    return true;
}

bool json_get_bool(const struct json_doc *doc, const struct json_node *obj,
                   const char *key, bool *out)
{
    const struct json_node *n = json_get(doc, obj, key);
    if (!n || n->type != JSON_BOOL)
        return false;
    *out = n->boolean;
    return true;
}

/* ---- writer --------------------------------------------------------------- */

void json_writer_init(struct json_writer *w, size_t max)
{
    memset(w, 0, sizeof(*w));
    w->max = max;
}

void json_writer_free(struct json_writer *w)
{
    free(w->buf);
    w->buf = NULL;
}

const char *json_writer_text(struct json_writer *w)
{
    if (w->error == 0 && (w->depth != 0 || !w->buf))
        w->error = -EINVAL; /* unbalanced, or nothing written */
    return w->error ? NULL : w->buf;
}

static void json_put(struct json_writer *w, const char *s, size_t n)
{
    if (w->error)
        return;
    if (w->len + n + 1 > w->max) {
        w->error = -E2BIG;
        return;
    }
    if (w->len + n + 1 > w->capacity) {
        size_t cap = w->capacity ? w->capacity : 256;
        while (cap < w->len + n + 1)
            cap *= 2;
        char *grown = realloc(w->buf, cap);
        if (!grown) {
            w->error = -ENOMEM;
            return;
        }
        w->buf = grown;
        w->capacity = cap;
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

/* The ',' between items, or nothing after a key or as the first item. */
static void json_before_item(struct json_writer *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    uint64_t bit = (uint64_t)1 << (w->depth % 64);
    if (w->depth > 0 && (w->has_items & bit))
        json_put(w, ",", 1);
    w->has_items |= bit;
}

static void json_open(struct json_writer *w, const char *bracket)
{
    json_before_item(w);
    if (w->depth >= 63) {
        w->error = w->error ? w->error : -EINVAL;
        return;
    }
    json_put(w, bracket, 1);
    w->depth++;
    w->has_items &= ~((uint64_t)1 << w->depth);
}

static void json_close(struct json_writer *w, const char *bracket)
{
    if (w->depth == 0) {
        w->error = w->error ? w->error : -EINVAL;
        return;
    }
    json_put(w, bracket, 1);
    w->depth--;
}

void json_begin_object(struct json_writer *w) { json_open(w, "{"); }
void json_end_object(struct json_writer *w) { json_close(w, "}"); }
void json_begin_array(struct json_writer *w) { json_open(w, "["); }
void json_end_array(struct json_writer *w) { json_close(w, "]"); }

static void json_put_escaped(struct json_writer *w, const char *s, size_t len)
{
    json_put(w, "\"", 1);
    size_t i = 0;
    while (i < len && !w->error) {
        unsigned char ch = (unsigned char)s[i];
        size_t n = json_utf8_len((const unsigned char *)s + i, len - i);
        char esc[8];
        if (ch == '"' || ch == '\\') {
            esc[0] = '\\';
            esc[1] = (char)ch;
            json_put(w, esc, 2);
        } else if (ch < 0x20 || ch == 0x7f) {
            snprintf(esc, sizeof(esc), "\\u%04x", ch);
            json_put(w, esc, 6);
        } else if (n == 0) {
            json_put(w, "\xef\xbf\xbd", 3); /* U+FFFD for a bad byte */
            n = 1;
        } else {
            json_put(w, s + i, n);
        }
        i += n ? n : 1;
    }
    json_put(w, "\"", 1);
}

void json_key(struct json_writer *w, const char *key)
{
    json_before_item(w);
    json_put_escaped(w, key, strlen(key));
    json_put(w, ":", 1);
    w->after_key = true;
}

void json_string_bytes(struct json_writer *w, const char *s, size_t len)
{
    json_before_item(w);
    json_put_escaped(w, s, len);
}

void json_string(struct json_writer *w, const char *s)
{
    json_string_bytes(w, s, strlen(s));
}

void json_int(struct json_writer *w, int64_t v)
{
    char buf[24];
    int n = snprintf(buf, sizeof(buf), "%" PRId64, v);
    json_before_item(w);
    json_put(w, buf, (size_t)n);
}

void json_bool(struct json_writer *w, bool v)
{
    json_before_item(w);
    json_put(w, v ? "true" : "false", v ? 4 : 5);
}

void json_null(struct json_writer *w)
{
    json_before_item(w);
    json_put(w, "null", 4);
}

void json_kv_string(struct json_writer *w, const char *key, const char *s)
{
    json_key(w, key);
    json_string(w, s);
}

void json_kv_int(struct json_writer *w, const char *key, int64_t v)
{
    json_key(w, key);
    json_int(w, v);
}

void json_kv_bool(struct json_writer *w, const char *key, bool v)
{
    json_key(w, key);
    json_bool(w, v);
}

void json_node(struct json_writer *w, const struct json_doc *doc,
               const struct json_node *node)
{
    switch (node->type) {
    case JSON_NULL:
        json_null(w);
        return;
    case JSON_BOOL:
        json_bool(w, node->boolean);
        return;
    case JSON_INT:
        json_int(w, node->integer);
        return;
    case JSON_STRING:
        json_string(w, node->string);
        return;
    case JSON_ARRAY:
    case JSON_OBJECT:
        break;
    }
    bool object = node->type == JSON_OBJECT;
    json_open(w, object ? "{" : "[");
    for (const struct json_node *c = json_first(doc, node); c; c = json_next(doc, c)) {
        if (object)
            json_key(w, c->key);
        json_node(w, doc, c);
    }
    json_close(w, object ? "}" : "]");
}
