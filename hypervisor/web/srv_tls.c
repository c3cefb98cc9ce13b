/* srv_tls: corral-web's certificate (see srv.h).
 *
 * The first start makes an EC P-256 key and a self-signed certificate for
 * it, valid for 20 years, named after the host, and keeps both on the data
 * partition; an administrator may replace them with their own (cert.pem,
 * key.pem) and restart.  The fingerprint file is what the console shows so
 * that the first connection from a browser can be checked. */
#include "srv.h"

#include "conf.h"
#include "sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#define SRV_PEM_MAX 16384

static int srv_read_file(const char *path, char *buf, size_t size, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = read(fd, buf, size - 1);
    int err = errno;
    close(fd);
    if (n < 0)
        return -err;
    if ((size_t)n == size - 1)
        return -EFBIG;
    buf[n] = '\0';
    *len = (size_t)n;
    return 0;
}

/* A new key and certificate as PEM into key_pem and cert_pem. */
static int srv_tls_generate(char *key_pem, char *cert_pem, char *why, size_t why_len)
{
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_pk_context key;
    mbedtls_x509write_cert crt;
    mbedtls_mpi serial;
    char host[64] = "corral", subject[128];
    unsigned char serial_bytes[16];
    int rc;

    gethostname(host, sizeof(host) - 1);
    snprintf(subject, sizeof(subject), "CN=%s,O=Corral", host);
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
    mbedtls_pk_init(&key);
    mbedtls_x509write_crt_init(&crt);
    mbedtls_mpi_init(&serial);
    rc = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy,
                               (const unsigned char *)"corral-web", 10);
    if (rc == 0)
        rc = mbedtls_pk_setup(&key, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
    if (rc == 0)
        rc = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(key),
                                 mbedtls_ctr_drbg_random, &drbg);
    if (rc == 0)
        rc = mbedtls_ctr_drbg_random(&drbg, serial_bytes, sizeof(serial_bytes));
    serial_bytes[0] &= 0x7f; /* a positive serial number */
    if (rc == 0)
        rc = mbedtls_mpi_read_binary(&serial, serial_bytes, sizeof(serial_bytes));
    mbedtls_x509write_crt_set_version(&crt, MBEDTLS_X509_CRT_VERSION_3);
    mbedtls_x509write_crt_set_md_alg(&crt, MBEDTLS_MD_SHA256);
    mbedtls_x509write_crt_set_subject_key(&crt, &key);
    mbedtls_x509write_crt_set_issuer_key(&crt, &key);
    if (rc == 0)
        rc = mbedtls_x509write_crt_set_subject_name(&crt, subject);
    if (rc == 0)
        rc = mbedtls_x509write_crt_set_issuer_name(&crt, subject);
    if (rc == 0)
        rc = mbedtls_x509write_crt_set_serial(&crt, &serial);
    if (rc == 0)
        rc = mbedtls_x509write_crt_set_validity(&crt, "20250101000000", "20441231235959");
    if (rc == 0)
        rc = mbedtls_x509write_crt_set_basic_constraints(&crt, 0, -1);
    if (rc == 0)
        rc = mbedtls_pk_write_key_pem(&key, (unsigned char *)key_pem, SRV_PEM_MAX);
    if (rc == 0)
        rc = mbedtls_x509write_crt_pem(&crt, (unsigned char *)cert_pem, SRV_PEM_MAX,
                                       mbedtls_ctr_drbg_random, &drbg);
    if (rc != 0)
        snprintf(why, why_len, "making the certificate: mbedTLS error -0x%04x", -rc);
    mbedtls_mpi_free(&serial);
    mbedtls_x509write_crt_free(&crt);
    mbedtls_pk_free(&key);
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&entropy);
    return rc ? -1 : 0;
}

/* The SHA-256 of the certificate's DER as "AB:CD:...". */
static int srv_tls_fingerprint(const char *cert_pem, size_t len, char *out, char *why,
                               size_t why_len)
{
    mbedtls_x509_crt crt;
    mbedtls_x509_crt_init(&crt);
    int rc = mbedtls_x509_crt_parse(&crt, (const unsigned char *)cert_pem, len + 1);
    if (rc != 0) {
        snprintf(why, why_len, "cert.pem: not a PEM certificate (mbedTLS error -0x%04x)", -rc);
        mbedtls_x509_crt_free(&crt);
        return -1;
    }
    struct sha256 h;
    uint8_t digest[32];
    sha256_init(&h);
    sha256_update(&h, crt.raw.p, crt.raw.len);
    sha256_final(&h, digest);
    mbedtls_x509_crt_free(&crt);
    for (size_t i = 0; i < sizeof(digest); i++)
        sprintf(out + 3 * i, "%02X%s", digest[i], i + 1 < sizeof(digest) ? ":" : "");
    return 0;
}

/* Reads the pair, or makes and keeps one when neither file is there. */
static int srv_tls_pair(const struct srv *s, char *key_pem, size_t *key_len,
                        char *cert_pem, size_t *cert_len, char *why, size_t why_len)
{
    char key_path[512], cert_path[512];
    snprintf(key_path, sizeof(key_path), "%s/key.pem", s->opt.state_dir);
    snprintf(cert_path, sizeof(cert_path), "%s/cert.pem", s->opt.state_dir);
    int krc = srv_read_file(key_path, key_pem, SRV_PEM_MAX, key_len);
    int crc = srv_read_file(cert_path, cert_pem, SRV_PEM_MAX, cert_len);
    if (krc == 0 && crc == 0)
        return 0;
    if (krc != -ENOENT || crc != -ENOENT) {
        snprintf(why, why_len, "%s: %s", krc ? key_path : cert_path,
                 strerror(-(krc ? krc : crc)));
        return -1;
    }
    if (srv_tls_generate(key_pem, cert_pem, why, why_len) < 0)
        return -1;
    *key_len = strlen(key_pem);
    *cert_len = strlen(cert_pem);
    /* The key first: a crash between the two leaves a key without a
     * certificate, which the next start reports rather than overwrites. */
    if (mkdir(s->opt.state_dir, 0700) < 0 && errno != EEXIST) {
        snprintf(why, why_len, "%s: %s", s->opt.state_dir, strerror(errno));
        return -1;
    }
    int rc = write_file_atomic(key_path, key_pem, *key_len, 0600);
    if (rc == 0)
        rc = write_file_atomic(cert_path, cert_pem, *cert_len, 0644);
    if (rc < 0) {
        snprintf(why, why_len, "writing %s: %s", s->opt.state_dir, strerror(-rc));
        return -1;
    }
    return 0;
}

int srv_tls_prepare(struct srv *s, char *why, size_t why_len)
{
    static char key_pem[SRV_PEM_MAX], cert_pem[SRV_PEM_MAX], both[2 * SRV_PEM_MAX];
    size_t key_len, cert_len;
    char path[512];
    if (srv_tls_pair(s, key_pem, &key_len, cert_pem, &cert_len, why, why_len) < 0 ||
        srv_tls_fingerprint(cert_pem, cert_len, s->fingerprint, why, why_len) < 0)
        return -1;
    snprintf(path, sizeof(path), "%s/fingerprint", s->opt.state_dir);
    char line[sizeof(s->fingerprint) + 1];
    snprintf(line, sizeof(line), "%s\n", s->fingerprint);
    int rc = write_file_atomic(path, line, strlen(line), 0644);
    if (rc < 0) {
        snprintf(why, why_len, "writing %s: %s", path, strerror(-rc));
        return -1;
    }
    if (mkdir(s->opt.run_dir, 0700) < 0 && errno != EEXIST) {
        snprintf(why, why_len, "%s: %s", s->opt.run_dir, strerror(errno));
        return -1;
    }
    snprintf(s->pem_path, sizeof(s->pem_path), "%s/server.pem", s->opt.run_dir);
    memcpy(both, key_pem, key_len);
    memcpy(both + key_len, cert_pem, cert_len);
    rc = write_file_atomic(s->pem_path, both, key_len + cert_len, 0600);
    if (rc < 0) {
        snprintf(why, why_len, "writing %s: %s", s->pem_path, strerror(-rc));
        return -1;
    }
    return 0;
}
