/* tap: the host side of a guest NIC - a Linux tap device carrying
 * virtio-net headers, created by the VMM or inherited as an open fd (from
 * corrald), put on a bridge and brought up.  Non-persistent: the tap goes
 * away (and leaves the bridge) when the VMM exits. */
#ifndef CORRAL_TAP_H
#define CORRAL_TAP_H

#include <stdbool.h>

#define TAP_NAME_MAX 16 /* IFNAMSIZ */

/* Open /dev/net/tun as tap ifname ("" = the kernel picks tapN) with
 * IFF_NO_PI | IFF_VNET_HDR, non-blocking.  The real name goes to name.
 * Returns the fd or -errno. */
int tap_open(const char *ifname, char name[TAP_NAME_MAX]);
/* An inherited fd: must be a tap with IFF_NO_PI and IFF_VNET_HDR; made
 * non-blocking and close-on-exec.  Returns 0 or -errno (-EINVAL when it is
 * not such a tap). */
int tap_adopt(int fd, char name[TAP_NAME_MAX]);
/* The 12-byte virtio 1.x header; then whether the tap takes receive
 * offloads (checksum, TSO): 1 yes, 0 no, or -errno. */
int tap_setup_vnet(int fd);
/* TUN_F_* offloads for what the tap may hand us. */
int tap_set_offloads(int fd, unsigned tun_flags);
/* Add to bridge (already a port of it is fine) and bring the link up. */
int tap_attach(const char *name, const char *bridge);

#endif
