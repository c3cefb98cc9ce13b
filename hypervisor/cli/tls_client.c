/* tls_client: a verifying TLS client over mbedTLS (see tls_client.h). */
#include "tls_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mbedtls/asn1.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

struct tls_client {
    int fd;
    int recv_errno; /* the socket's last read error (EAGAIN: the timeout) */
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_x509_crt trusted;
    mbedtls_ssl_config conf;
    mbedtls_ssl_context ssl;
    unsigned char ip[16]; /* the server asked for by address: its bytes */
    size_t ip_len;        /* 4 or 16; 0 when asked for by name */
};

/* subjectAltName's iPAddress entry, [7] IMPLICIT OCTET STRING (RFC 5280). */
#define TLS_SAN_IP_ADDRESS_TAG (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7)

/* The socket's bytes for mbedTLS: EINTR retried, anything else (the
 * receive timeout too) ends the connection. */
static int tls_client_send(void *ctx, const unsigned char *buf, size_t len)
{
    struct tls_client *t = ctx;
    ssize_t n;
    while ((n = write(t->fd, buf, len)) < 0 && errno == EINTR)
        ;
    return n < 0 ? MBEDTLS_ERR_NET_SEND_FAILED : (int)n;
}

static int tls_client_recv(void *ctx, unsigned char *buf, size_t len)
{
    struct tls_client *t = ctx;
    ssize_t n;
    while ((n = read(t->fd, buf, len)) < 0 && errno == EINTR)
        ;
    if (n < 0)
        t->recv_errno = errno;
    return n < 0 ? MBEDTLS_ERR_NET_RECV_FAILED : (int)n;
}

static void tls_client_error(int rc, const char *what, char *why, size_t why_len)
{
    char text[160];
    mbedtls_strerror(rc, text, sizeof(text));
    snprintf(why, why_len, "%s: %s", what, text);
}

/* The bundle, then the --ca file.  A bundle with some certificates mbedTLS
 * cannot read (rc > 0) still counts: the others are trusted. */
static int tls_client_load_trust(struct tls_client *t, const char *ca_file, char *why,
                                 size_t why_len)
{
    int rc = mbedtls_x509_crt_parse_file(&t->trusted, CLI_CA_BUNDLE);
    if (rc < 0 && (!ca_file || !ca_file[0])) {
        tls_client_error(rc, "no certificate authorities to trust (" CLI_CA_BUNDLE ")",
                         why, why_len);
        return -ENOENT;
    }
    if (ca_file && ca_file[0]) {
        rc = mbedtls_x509_crt_parse_file(&t->trusted, ca_file);
        if (rc != 0) {
            char what[300];
            snprintf(what, sizeof(what), "--ca %s: not a PEM or DER certificate file",
                     ca_file);
            if (rc > 0)
                snprintf(why, why_len, "%s (%d certificates unreadable)", what, rc);
            else
                tls_client_error(rc, what, why, why_len);
            return -EINVAL;
        }
    }
    return 0;
}

/* mbedTLS 2.28 checks a name only against DNS names and the CN, so a
 * server asked for by address would never match.  For an address, the
 * leaf certificate must list it as an iPAddress in its subjectAltName (the
 * chain is verified as for a name); 2.28 keeps those entries, unparsed. */
static bool tls_client_san_has_ip(const mbedtls_x509_crt *crt, const unsigned char *ip,
                                  size_t ip_len)
{
    for (const mbedtls_x509_sequence *san = &crt->subject_alt_names; san; san = san->next)
        if (san->buf.tag == TLS_SAN_IP_ADDRESS_TAG && san->buf.len == ip_len &&
            memcmp(san->buf.p, ip, ip_len) == 0)
            return true;
    return false;
}

static int tls_client_verify_ip(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
    const struct tls_client *t = ctx;
    if (depth == 0 && !tls_client_san_has_ip(crt, t->ip, t->ip_len))
        *flags |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
    return 0;
}

/* An IPv4 or IPv6 literal (URL brackets already gone): its bytes. */
static size_t tls_client_host_ip(const char *host, unsigned char ip[16])
{
    if (inet_pton(AF_INET, host, ip) == 1)
        return 4;
    if (inet_pton(AF_INET6, host, ip) == 1)
        return 16;
    return 0;
}

static int tls_client_setup(struct tls_client *t, const char *host, const char *ca_file,
                            char *why, size_t why_len)
{
    static const char personal[] = "corral image import";
    int rc = mbedtls_ctr_drbg_seed(&t->drbg, mbedtls_entropy_func, &t->entropy,
                                   (const unsigned char *)personal, sizeof(personal) - 1);
    if (rc != 0) {
        tls_client_error(rc, "random generator", why, why_len);
        return -EIO;
    }
    int e = tls_client_load_trust(t, ca_file, why, why_len);
    if (e < 0)
        return e;
    rc = mbedtls_ssl_config_defaults(&t->conf, MBEDTLS_SSL_IS_CLIENT,
                                     MBEDTLS_SSL_TRANSPORT_STREAM,
                                     MBEDTLS_SSL_PRESET_DEFAULT);
    if (rc == 0) {
        /* TLS 1.2, the newest mbedTLS 2.28 speaks; the chain and the name
         * must check out (REQUIRED: a failure ends the handshake) */
        mbedtls_ssl_conf_min_version(&t->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
                                     MBEDTLS_SSL_MINOR_VERSION_3);
        mbedtls_ssl_conf_authmode(&t->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
        mbedtls_ssl_conf_ca_chain(&t->conf, &t->trusted, NULL);
        mbedtls_ssl_conf_rng(&t->conf, mbedtls_ctr_drbg_random, &t->drbg);
        t->ip_len = tls_client_host_ip(host, t->ip);
        if (t->ip_len) /* no name to send (SNI is for names) or to match */
            mbedtls_ssl_conf_verify(&t->conf, tls_client_verify_ip, t);
        rc = mbedtls_ssl_setup(&t->ssl, &t->conf);
    }
    if (rc == 0 && !t->ip_len)
        rc = mbedtls_ssl_set_hostname(&t->ssl, host);
    if (rc != 0) {
        tls_client_error(rc, "TLS setup", why, why_len);
        return -EIO;
    }
    mbedtls_ssl_set_bio(&t->ssl, t, tls_client_send, tls_client_recv, NULL);
    return 0;
}

static int tls_client_handshake(struct tls_client *t, const char *host, char *why,
                                size_t why_len)
{
    int rc;
    while ((rc = mbedtls_ssl_handshake(&t->ssl)) == MBEDTLS_ERR_SSL_WANT_READ ||
           rc == MBEDTLS_ERR_SSL_WANT_WRITE)
        ;
    if (rc == 0)
        return 0;
    uint32_t flags = mbedtls_ssl_get_verify_result(&t->ssl);
    if (rc == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED && flags) {
        char info[512] = "", address[300] = "";
        if (t->ip_len && (flags & MBEDTLS_X509_BADCERT_CN_MISMATCH)) {
            /* mbedTLS would say "Common Name": the address is what failed */
            flags &= ~(uint32_t)MBEDTLS_X509_BADCERT_CN_MISMATCH;
            snprintf(address, sizeof(address),
                     "%sits subjectAltName does not list the address %s", flags ? "; " : "",
                     host);
        }
        if (flags)
            mbedtls_x509_crt_verify_info(info, sizeof(info), "", flags);
        for (char *nl; (nl = strchr(info, '\n'));) /* one line: "a; b" */
            nl[1] ? (void)(*nl = ';') : (void)(*nl = '\0');
        snprintf(why, why_len, "%s: the server's certificate is not trusted (%s%s)%s", host,
                 info, address, flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED
                           ? "; to trust a certificate authority of your own, give --ca FILE"
                           : "");
        return -EACCES;
    }
    char what[300];
    snprintf(what, sizeof(what), "%s: TLS handshake failed", host);
    tls_client_error(rc, what, why, why_len);
    return -EPROTO;
}

int tls_client_open(int fd, const char *host, const char *ca_file,
                    struct tls_client **out, char *why, size_t why_len)
{
    struct tls_client *t = calloc(1, sizeof(*t));
    if (!t) {
        close(fd);
        snprintf(why, why_len, "out of memory");
        return -ENOMEM;
    }
    t->fd = fd;
    mbedtls_entropy_init(&t->entropy);
    mbedtls_ctr_drbg_init(&t->drbg);
    mbedtls_x509_crt_init(&t->trusted);
    mbedtls_ssl_config_init(&t->conf);
    mbedtls_ssl_init(&t->ssl);
    int rc = tls_client_setup(t, host, ca_file, why, why_len);
    if (rc == 0)
        rc = tls_client_handshake(t, host, why, why_len);
    if (rc < 0) {
        tls_client_close(t);
        return rc;
    }
    *out = t;
    return 0;
}

ssize_t tls_client_read(struct tls_client *t, void *buf, size_t len)
{
    for (;;) {
        int n = mbedtls_ssl_read(&t->ssl, buf, len);
        if (n >= 0)
            return n;
        if (n == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY)
            return 0;
        if (n != MBEDTLS_ERR_SSL_WANT_READ && n != MBEDTLS_ERR_SSL_WANT_WRITE) {
            errno = t->recv_errno ? t->recv_errno : EIO;
            return -1;
        }
    }
}

int tls_client_write_all(struct tls_client *t, const void *buf, size_t len)
{
    const unsigned char *p = buf;
    while (len > 0) {
        int n = mbedtls_ssl_write(&t->ssl, p, len);
        if (n == MBEDTLS_ERR_SSL_WANT_READ || n == MBEDTLS_ERR_SSL_WANT_WRITE)
            continue;
        if (n <= 0)
            return -EIO;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

void tls_client_close(struct tls_client *t)
{
    if (!t)
        return;
    mbedtls_ssl_close_notify(&t->ssl);
    mbedtls_ssl_free(&t->ssl);
    mbedtls_ssl_config_free(&t->conf);
    mbedtls_x509_crt_free(&t->trusted);
    mbedtls_ctr_drbg_free(&t->drbg);
    mbedtls_entropy_free(&t->entropy);
    close(t->fd);
    free(t);
}

const struct tls_client_ops tls_client_mbedtls = {
    tls_client_open, tls_client_read, tls_client_write_all, tls_client_close,
};
