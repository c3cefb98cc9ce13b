/* aml: a small ACPI Machine Language encoder (see aml.h). */
#include "aml.h"

#include <string.h>

#define AML_ZERO 0x00
#define AML_ONE 0x01
#define AML_NAME_OP 0x08
#define AML_BYTE_PREFIX 0x0A
#define AML_WORD_PREFIX 0x0B
#define AML_DWORD_PREFIX 0x0C
#define AML_STRING_PREFIX 0x0D
#define AML_QWORD_PREFIX 0x0E
#define AML_SCOPE_OP 0x10
#define AML_BUFFER_OP 0x11
#define AML_PACKAGE_OP 0x12
#define AML_EXT_PREFIX 0x5B
#define AML_DEVICE_OP 0x82
#define AML_ROOT_CHAR '\\'
/* Room kept for a package length until its value is known. */
#define AML_PKGLEN_MAX 4

void aml_init(struct aml *a, uint8_t *buf, size_t cap)
{
    a->buf = buf;
    a->cap = cap;
    a->len = 0;
    a->overflow = false;
}

void aml_bytes(struct aml *a, const void *p, size_t n)
{
    if (a->overflow || n > a->cap - a->len) {
        a->overflow = true;
        return;
    }
    memcpy(a->buf + a->len, p, n);
    a->len += n;
}

static void aml_byte(struct aml *a, uint8_t b)
{
    aml_bytes(a, &b, 1);
}

static void aml_le(struct aml *a, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        aml_byte(a, (uint8_t)(v >> (8 * i)));
}

void aml_integer(struct aml *a, uint64_t v)
{
    if (v == 0) {
        aml_byte(a, AML_ZERO);
    } else if (v == 1) {
        aml_byte(a, AML_ONE);
    } else if (v <= 0xFF) {
        aml_byte(a, AML_BYTE_PREFIX);
        aml_le(a, v, 1);
    } else if (v <= 0xFFFF) {
        aml_byte(a, AML_WORD_PREFIX);
        aml_le(a, v, 2);
    } else if (v <= 0xFFFFFFFFu) {
        aml_byte(a, AML_DWORD_PREFIX);
        aml_le(a, v, 4);
    } else {
        aml_byte(a, AML_QWORD_PREFIX);
        aml_le(a, v, 8);
    }
}

void aml_string(struct aml *a, const char *s)
{
    aml_byte(a, AML_STRING_PREFIX);
    aml_bytes(a, s, strlen(s) + 1);
}

void aml_namestring(struct aml *a, const char *name)
{
    char seg[4] = { '_', '_', '_', '_' };
    if (*name == AML_ROOT_CHAR) {
        aml_byte(a, AML_ROOT_CHAR);
        name++;
    }
    for (size_t i = 0; i < 4 && name[i]; i++)
        seg[i] = name[i];
    aml_bytes(a, seg, 4);
}

void aml_name(struct aml *a, const char *name)
{
    aml_byte(a, AML_NAME_OP);
    aml_namestring(a, name);
}

void aml_name_integer(struct aml *a, const char *name, uint64_t v)
{
    aml_name(a, name);
    aml_integer(a, v);
}

static bool aml_hexval(char c, unsigned *v)
{
    if (c >= '0' && c <= '9')
        *v = (unsigned)(c - '0');
    else if (c >= 'A' && c <= 'F')
        *v = (unsigned)(c - 'A' + 10);
    else
        return false;
    return true;
}

/* Three letters in 5 bits each, then four hex digits, stored big endian
 * (that byte order is what the integer's little-endian bytes must show). */
uint32_t aml_eisaid(const char *id)
{
    if (strlen(id) != 7)
        return 0;
    uint32_t v = 0;
    for (int i = 0; i < 3; i++) {
        if (id[i] < 'A' || id[i] > 'Z')
            return 0;
        v = v << 5 | (uint32_t)(id[i] - 0x40);
    }
    for (int i = 3; i < 7; i++) {
        unsigned h;
        if (!aml_hexval(id[i], &h))
            return 0;
        v = v << 4 | h;
    }
    return (v >> 24 & 0xFF) | (v >> 8 & 0xFF00) | (v << 8 & 0xFF0000) |
           (v << 24 & 0xFF000000u);
}

void aml_name_eisaid(struct aml *a, const char *name, const char *id)
{
    aml_name(a, name);
    aml_byte(a, AML_DWORD_PREFIX);
    aml_le(a, aml_eisaid(id), 4);
}

/* Opcode bytes, then room for the package length; returns where the
 * length goes. */
static size_t aml_open(struct aml *a, const uint8_t *op, size_t oplen)
{
    static const uint8_t room[AML_PKGLEN_MAX];
    aml_bytes(a, op, oplen);
    size_t mark = a->len;
    aml_bytes(a, room, sizeof(room));
    return mark;
}

size_t aml_scope_begin(struct aml *a, const char *name)
{
    static const uint8_t op[] = { AML_SCOPE_OP };
    size_t mark = aml_open(a, op, sizeof(op));
    aml_namestring(a, name);
    return mark;
}

size_t aml_device_begin(struct aml *a, const char *name)
{
    static const uint8_t op[] = { AML_EXT_PREFIX, AML_DEVICE_OP };
    size_t mark = aml_open(a, op, sizeof(op));
    aml_namestring(a, name);
    return mark;
}

size_t aml_package_begin(struct aml *a, uint8_t elements)
{
    static const uint8_t op[] = { AML_PACKAGE_OP };
    size_t mark = aml_open(a, op, sizeof(op));
    aml_byte(a, elements);
    return mark;
}

/* PkgLength (20.2.4): counts its own bytes; one byte up to 63, else a
 * lead byte with the count of follow bytes and the low nibble. */
void aml_end(struct aml *a, size_t mark)
{
    if (a->overflow)
        return;
    size_t body = a->len - mark - AML_PKGLEN_MAX;
    size_t n = body + 1 < 0x40 ? 1 : body + 2 < 0x1000 ? 2
             : body + 3 < 0x100000 ? 3 : 4;
    size_t total = body + n;
    uint8_t enc[AML_PKGLEN_MAX];
    if (n == 1) {
        enc[0] = (uint8_t)total;
    } else {
        enc[0] = (uint8_t)((n - 1) << 6 | (total & 0x0F));
        for (size_t i = 1; i < n; i++)
            enc[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
    }
    memmove(a->buf + mark + n, a->buf + mark + AML_PKGLEN_MAX, body);
    memcpy(a->buf + mark, enc, n);
    a->len = mark + n + body;
}

void aml_buffer(struct aml *a, const void *bytes, size_t n)
{
    static const uint8_t op[] = { AML_BUFFER_OP };
    size_t mark = aml_open(a, op, sizeof(op));
    aml_integer(a, n);
    aml_bytes(a, bytes, n);
    aml_end(a, mark);
}

/* --- resource descriptors ------------------------------------------------ */

#define RES_IRQ_NO_FLAGS 0x22 /* small item 4, length 2 */
#define RES_IO_PORT 0x47
#define RES_END_TAG 0x79
#define RES_DWORD_ADDRESS 0x87
#define RES_WORD_ADDRESS 0x88
#define RES_TYPE_MEMORY 0
#define RES_TYPE_IO 1
#define RES_TYPE_BUS 2
/* A bridge's window: producer, min and max fixed, positive decode. */
#define RES_FLAGS_WINDOW 0x0C
#define RES_IO_ENTIRE_RANGE 3
#define RES_MEM_READ_WRITE 1

static void aml_res_put(struct aml_res *r, uint64_t v, unsigned n)
{
    if (r->overflow || n > sizeof(r->buf) - r->len) {
        r->overflow = true;
        return;
    }
    for (unsigned i = 0; i < n; i++)
        r->buf[r->len++] = (uint8_t)(v >> (8 * i));
}

static void aml_res_word_address(struct aml_res *r, uint8_t type,
                                 uint8_t type_flags, uint16_t min, uint16_t max)
{
    aml_res_put(r, RES_WORD_ADDRESS, 1);
    aml_res_put(r, 13, 2); /* length of what follows */
    aml_res_put(r, type, 1);
    aml_res_put(r, RES_FLAGS_WINDOW, 1);
    aml_res_put(r, type_flags, 1);
    aml_res_put(r, 0, 2);   /* granularity */
    aml_res_put(r, min, 2);
    aml_res_put(r, max, 2);
    aml_res_put(r, 0, 2);   /* translation */
    aml_res_put(r, (uint32_t)max - min + 1, 2);
}

void aml_res_bus_numbers(struct aml_res *r, uint16_t min, uint16_t max)
{
    aml_res_word_address(r, RES_TYPE_BUS, 0, min, max);
}

void aml_res_io_window(struct aml_res *r, uint16_t min, uint16_t max)
{
    aml_res_word_address(r, RES_TYPE_IO, RES_IO_ENTIRE_RANGE, min, max);
}

void aml_res_io_fixed(struct aml_res *r, uint16_t base, uint8_t len)
{
    aml_res_put(r, RES_IO_PORT, 1);
    aml_res_put(r, 1, 1); /* 16-bit decode */
    aml_res_put(r, base, 2);
    aml_res_put(r, base, 2);
    aml_res_put(r, 1, 1); /* alignment */
    aml_res_put(r, len, 1);
}

void aml_res_irq(struct aml_res *r, uint8_t irq)
{
    aml_res_put(r, RES_IRQ_NO_FLAGS, 1);
    aml_res_put(r, irq < 16 ? 1u << irq : 0, 2); /* mask of ISA IRQs */
}

void aml_res_mem32_window(struct aml_res *r, uint32_t min, uint32_t max)
{
    aml_res_put(r, RES_DWORD_ADDRESS, 1);
    aml_res_put(r, 23, 2);
    aml_res_put(r, RES_TYPE_MEMORY, 1);
    aml_res_put(r, RES_FLAGS_WINDOW, 1);
    aml_res_put(r, RES_MEM_READ_WRITE, 1);
    aml_res_put(r, 0, 4);
    aml_res_put(r, min, 4);
    aml_res_put(r, max, 4);
    aml_res_put(r, 0, 4);
    aml_res_put(r, (uint64_t)max - min + 1, 4);
}

void aml_res_end(struct aml_res *r)
{
    aml_res_put(r, RES_END_TAG, 1);
    aml_res_put(r, 0, 1); /* checksum 0: "treat as correct" */
}
