/* tls_client: the CLI's https, with mbedTLS (the library corral-web serves
 * with).  The server must prove who it is: its certificate chain must end
 * at a certificate authority in CLI_CA_BUNDLE (Debian's ca-certificates,
 * shipped in the ISO) or in the --ca file, and must name the host of the
 * URL.  Anything less is refused before a byte of the body is read.
 *
 * Linked only into the musl build (mbedTLS is built for musl only): unit
 * tests and fuzz targets leave tls_*.c out, as they leave out corral-web's
 * srv_*.c, so the CLI reaches it only through tls_client_ops, which
 * main.c hands to cli_image.c (struct cli). */
#ifndef CORRAL_CLI_TLS_CLIENT_H
#define CORRAL_CLI_TLS_CLIENT_H

#include <stddef.h>
#include <sys/types.h>

#define CLI_CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"

struct tls_client;

/* Handshakes over the connected socket fd (which it then owns) with host
 * (the name to check, also sent as SNI); ca_file: extra certificates to
 * trust ("" or NULL: the bundle alone).  0 or -errno, why saying what
 * failed ("the server's certificate is not trusted: ..."). */
int tls_client_open(int fd, const char *host, const char *ca_file,
                    struct tls_client **out, char *why, size_t why_len);
/* Bytes of the decrypted stream; 0 at its end; -1 with errno. */
ssize_t tls_client_read(struct tls_client *t, void *buf, size_t len);
/* 0 or -EIO. */
int tls_client_write_all(struct tls_client *t, const void *buf, size_t len);
/* Closes the connection and the socket; NULL is fine. */
void tls_client_close(struct tls_client *t);

struct tls_client_ops {
    int (*open)(int fd, const char *host, const char *ca_file, struct tls_client **out,
                char *why, size_t why_len);
    ssize_t (*read)(struct tls_client *t, void *buf, size_t len);
    int (*write_all)(struct tls_client *t, const void *buf, size_t len);
    void (*close)(struct tls_client *t);
};
extern const struct tls_client_ops tls_client_mbedtls;

#endif
