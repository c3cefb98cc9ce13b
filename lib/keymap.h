/* keymap: keys of a US PC keyboard as "qnum" codes (see
 * hypervisor/vmm/input.h: the scan code set 1 make code, +0x80 for keys
 * sent with an 0xE0 prefix), from the two names the remote console gets
 * them by:
 *   - X11 keysyms, as RFB's KeyEvent carries them ('a', 'A', XK_Return...):
 *     a shifted symbol maps to the key it is on ('!' -> the 1 key), as the
 *     client also sends the Shift key itself;
 *   - key names, as `corral vm sendkey` takes them (QEMU's sendkey and
 *     virsh send-key names: ctrl, alt, del, ret, f2, a, 1...), and combos of
 *     them joined by '-' (ctrl-alt-del). */
#ifndef CORRAL_KEYMAP_H
#define CORRAL_KEYMAP_H

#include <stddef.h>
#include <stdint.h>

#define KEYMAP_MAX_COMBO 8

/* 0 when the keysym is not on a US PC keyboard. */
uint16_t keymap_keysym_to_qnum(uint32_t keysym);
/* The keysym the key gives unshifted (0 when none), for clients that
 * can only send keysyms. */
uint32_t keymap_qnum_to_keysym(uint16_t qnum);
/* A key's name (case-insensitive); 0 when unknown. */
uint16_t keymap_name_to_qnum(const char *name);
/* "ctrl-alt-del" -> the qnums in order; the count, or -EINVAL for an
 * unknown or empty name or more than max keys. */
int keymap_parse_combo(const char *combo, uint16_t *qnums, size_t max);
/* Some valid names, for error messages. */
extern const char keymap_name_examples[];

#endif
