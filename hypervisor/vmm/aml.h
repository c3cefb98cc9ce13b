/* aml: just enough of an ACPI Machine Language encoder (ACPI 6.x, 20.2)
 * for the DSDT corral-vmm gives its guests: scopes, devices, named
 * integers, strings, packages, buffers and resource templates.
 *
 * Writes into a caller's buffer; running out of room sets overflow and
 * stops writing, so a caller checks once at the end.  Objects with a
 * package length (scope, device, package, buffer) are opened with
 * aml_*_begin(), which returns a mark, and closed with aml_end(mark): the
 * length is only known then, and is written in the shortest encoding. */
#ifndef CORRAL_AML_H
#define CORRAL_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct aml {
    uint8_t *buf;
    size_t cap, len;
    bool overflow;
};

void aml_init(struct aml *a, uint8_t *buf, size_t cap);

/* Raw bytes (resource descriptors and the like). */
void aml_bytes(struct aml *a, const void *p, size_t n);
/* An integer in its shortest encoding (Zero, One, Byte/Word/DWord/QWord). */
void aml_integer(struct aml *a, uint64_t v);
void aml_string(struct aml *a, const char *s);
/* A name: optional leading '\' then one segment of up to 4 characters
 * (padded with '_'), e.g. "\\_SB_", "PCI0", "_S5". */
void aml_namestring(struct aml *a, const char *name);

/* Name(NAME, ...): follow with exactly one data object. */
void aml_name(struct aml *a, const char *name);
void aml_name_integer(struct aml *a, const char *name, uint64_t v);
/* Name(NAME, EisaId("PNP0A03")) */
void aml_name_eisaid(struct aml *a, const char *name, const char *id);
/* EisaId("AAA####") as its DWord: 0 for a malformed id. */
uint32_t aml_eisaid(const char *id);

size_t aml_scope_begin(struct aml *a, const char *name);
size_t aml_device_begin(struct aml *a, const char *name);
size_t aml_package_begin(struct aml *a, uint8_t elements);
void aml_end(struct aml *a, size_t mark);
/* Buffer(){ bytes } */
void aml_buffer(struct aml *a, const void *bytes, size_t n);

/* Resource template descriptors (6.4), appended to a byte array that
 * aml_buffer() then wraps; running out of room sets overflow. */
struct aml_res {
    uint8_t buf[256];
    size_t len;
    bool overflow;
};
void aml_res_bus_numbers(struct aml_res *r, uint16_t min, uint16_t max);
void aml_res_io_fixed(struct aml_res *r, uint16_t base, uint8_t len);
void aml_res_io_window(struct aml_res *r, uint16_t min, uint16_t max);
void aml_res_mem32_window(struct aml_res *r, uint32_t min, uint32_t max);
/* IRQNoFlags(){irq}: an ISA IRQ (0-15), edge, active high. */
void aml_res_irq(struct aml_res *r, uint8_t irq);
/* End tag; call last. */
void aml_res_end(struct aml_res *r);

#endif
