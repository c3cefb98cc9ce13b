/* tap: tap devices for guest NICs (see tap.h). */
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define TAP_VNET_HDR_LEN 12
#define TAP_FLAGS (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR)

int tap_open(const char *ifname, char name[TAP_NAME_MAX])
{
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_flags = TAP_FLAGS;
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    snprintf(name, TAP_NAME_MAX, "%s", ifr.ifr_name);
    return fd;
}

int tap_adopt(int fd, char name[TAP_NAME_MAX])
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    if (ioctl(fd, TUNGETIFF, &ifr) < 0)
        return errno == EBADF ? -EBADF : -EINVAL;
    if ((ifr.ifr_flags & TAP_FLAGS) != TAP_FLAGS)
        return -EINVAL;
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
        fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
        return -errno;
    snprintf(name, TAP_NAME_MAX, "%s", ifr.ifr_name);
    return 0;
}

int tap_set_offloads(int fd, unsigned tun_flags)
{
    return ioctl(fd, TUNSETOFFLOAD, (unsigned long)tun_flags) < 0 ? -errno : 0;
}

int tap_setup_vnet(int fd)
{
    int len = TAP_VNET_HDR_LEN;
    if (ioctl(fd, TUNSETVNETHDRSZ, &len) < 0)
        return -errno;
    bool offloads = tap_set_offloads(fd, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 |
                                             TUN_F_TSO_ECN) == 0;
    /* Nothing until the guest's driver says what it takes. */
    tap_set_offloads(fd, 0);
    return offloads;
}

static int tap_ioctl(unsigned long req, struct ifreq *ifr)
{
    int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -errno;
    int rc = ioctl(s, req, ifr) < 0 ? -errno : 0;
    close(s);
    return rc;
}

int tap_attach(const char *name, const char *bridge)
{
    struct ifreq ifr;
    int rc;
    if (bridge[0]) {
        memset(&ifr, 0, sizeof(ifr));
        snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", bridge);
        ifr.ifr_ifindex = (int)if_nametoindex(name);
        if (ifr.ifr_ifindex == 0)
            return -errno;
        rc = tap_ioctl(SIOCBRADDIF, &ifr);
        if (rc < 0 && rc != -EBUSY) /* EBUSY: already a port */
            return rc;
    }
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
    if ((rc = tap_ioctl(SIOCGIFFLAGS, &ifr)) < 0)
        return rc;
    ifr.ifr_flags |= IFF_UP;
    return tap_ioctl(SIOCSIFFLAGS, &ifr);
}
