/* validate: the rules for the values of system.conf's keys and for SSH
 * public keys, wherever they are typed: the console UI's fields and the
 * installer's answer file both come here (through sysconf_keys.h for the
 * keys), so that the two never give different verdicts.
 *
 * Each validator returns 0 when the text is acceptable, else -EINVAL (or
 * -ERANGE for a number out of range) with a short reason in why, written
 * to be shown next to the field ("300 is over 255").  The reasons never
 * repeat the field's name: the screen shows it already, and the answer
 * file's errors put it in front.  Nothing here does I/O, so every rule is
 * unit-tested. */
#ifndef CORRAL_VALIDATE_H
#define CORRAL_VALIDATE_H

#include <stddef.h>
#include <stdint.h>

#define VALIDATE_WHY_MAX 128
#define HOSTNAME_MAX 63
#define VLAN_MIN 1
#define VLAN_MAX 4094

/* Dotted quad, four decimal parts 0..255, no leading zeros (010 would be
 * octal to some tools).  *addr (may be NULL) gets the address in host
 * byte order. */
int validate_ipv4(const char *text, uint32_t *addr, char *why, size_t len);
/* ADDRESS/PREFIX with a prefix of 1..32 (e.g. 192.168.1.10/24); the
 * address must be a usable host address in that subnet (not the network
 * or broadcast address, for prefixes up to /30). */
int validate_ipv4_cidr(const char *text, uint32_t *addr, unsigned *prefix,
                       char *why, size_t len);
/* A gateway for the address cidr: an IPv4 address inside its subnet and
 * not the address itself.  Empty text means "no gateway" and is valid. */
int validate_gateway(const char *gateway, const char *cidr, char *why, size_t len);
/* DNS servers: IPv4 addresses separated by commas and/or blanks, at most
 * DNS_MAX_SERVERS; empty is valid. */
#define DNS_MAX_SERVERS 3
int validate_dns_list(const char *text, char *why, size_t len);
/* Host name: labels of letters, digits and '-', not starting or ending in
 * '-', separated by dots, at most HOSTNAME_MAX characters in all. */
int validate_hostname(const char *text, char *why, size_t len);
/* VLAN tag VLAN_MIN..VLAN_MAX; empty means untagged and is valid. */
int validate_vlan(const char *text, char *why, size_t len);
/* NIC list for the bridge: "auto", or interface names (at most
 * NIC_NAME_MAX characters of letters, digits, '.', '-' and '_') separated
 * by commas and/or blanks.  Only the form: which NICs exist is known where
 * the list is used, not where it is written down. */
#define NIC_NAME_MAX 15 /* IFNAMSIZ less its NUL */
int validate_nic_names(const char *text, char *why, size_t len);
/* The same, and each name one of names[] (the NICs present; count of
 * them): the console UI's check, made on the machine the list is for. */
int validate_nic_list(const char *text, const char *const *names, size_t count,
                      char *why, size_t len);
/* yes/no (or true/false, on/off, 1/0, as conf_parse_bool reads them). */
int validate_yes_no(const char *text, char *why, size_t len);
/* An SSH public key line: TYPE BASE64 [comment], TYPE one of the key types
 * Corral's dropbear accepts in authorized_keys (ssh-ed25519, ssh-rsa,
 * ecdsa-sha2-nistp256/384/521, and the security-key types
 * sk-ssh-ed25519@openssh.com and sk-ecdsa-sha2-nistp256@openssh.com, which
 * dropbear has read since 2020.79 with DROPBEAR_SK_KEYS on by default;
 * ssh-dss is off in configs/dropbear-localoptions.h); BASE64 must decode
 * to a blob that starts with TYPE (a truncated or mangled paste, or a key
 * of another type under this name, fails here, not at the next login). */
int validate_ssh_public_key(const char *text, char *why, size_t len);

/* A hex digit's value (either case), or -1. */
int hex_digit_value(char c);

#endif
