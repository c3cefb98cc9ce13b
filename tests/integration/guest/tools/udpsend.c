/* corral-udpsend: UDP datagrams from a chosen source port, for the hostile
 * guest of test_guard.py (BusyBox's nc has no UDP here).
 *   corral-udpsend SRC_PORT DST_IP DST_PORT TEXT COUNT */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: corral-udpsend SRC_PORT DST_IP DST_PORT TEXT COUNT\n");
        return 2;
    }
    int s = socket(AF_INET, SOCK_DGRAM, 0), one = 1;
    struct sockaddr_in src = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1]))};
    struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[3]))};
    if (s < 0 || inet_pton(AF_INET, argv[2], &dst.sin_addr) != 1) {
        perror("corral-udpsend");
        return 1;
    }
    setsockopt(s, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one));
    if (bind(s, (struct sockaddr *)&src, sizeof(src)) < 0) {
        perror("corral-udpsend: bind");
        return 1;
    }
    int sent = 0;
    for (int i = 0; i < atoi(argv[5]); i++, usleep(200000))
        sent += sendto(s, argv[4], strlen(argv[4]), 0, (struct sockaddr *)&dst, sizeof(dst)) > 0;
    printf("UDP-SENT %d\n", sent);
    return sent > 0 ? 0 : 1;
}
