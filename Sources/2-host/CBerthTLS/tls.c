#include "CBerthTLS.h"
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct berth_tls {
    SSL_CTX *ctx;
    SSL *ssl;
    int fd;
};

static void put_error(char *err, size_t len, const char *what) {
    unsigned long code = ERR_get_error();
    if (code != 0) {
        char buf[256];
        ERR_error_string_n(code, buf, sizeof buf);
        snprintf(err, len, "%s: %s", what, buf);
    } else {
        snprintf(err, len, "%s", what);
    }
    ERR_clear_error();
}

static int wait_fd(int fd, int want_write, int timeout_ms) {
    struct pollfd p = {.fd = fd, .events = want_write ? POLLOUT : POLLIN};
    int rc;
    do { rc = poll(&p, 1, timeout_ms); } while (rc < 0 && errno == EINTR);
    return rc;
}

berth_tls *berth_tls_connect(int fd, const char *hostname, const char *const *ca_files, int n_ca,
                             int timeout_ms, char *err, size_t err_len, int *is_tls_error) {
    *is_tls_error = 1;
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) { put_error(err, err_len, "TLS context"); return NULL; }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    if (SSL_CTX_set_default_verify_paths(ctx) != 1) { put_error(err, err_len, "system CA store"); SSL_CTX_free(ctx); return NULL; }
    for (int i = 0; i < n_ca; i++) {
        if (SSL_CTX_load_verify_locations(ctx, ca_files[i], NULL) != 1) {
            char what[512];
            snprintf(what, sizeof what, "CA file %s", ca_files[i]);
            put_error(err, err_len, what);
            SSL_CTX_free(ctx);
            return NULL;
        }
    }
    SSL *ssl = SSL_new(ctx);
    if (!ssl) { put_error(err, err_len, "TLS session"); SSL_CTX_free(ctx); return NULL; }
    unsigned char addr[16];
    int is_ip = inet_pton(AF_INET, hostname, addr) == 1 || inet_pton(AF_INET6, hostname, addr) == 1;
    X509_VERIFY_PARAM *param = SSL_get0_param(ssl);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    int ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, hostname) : X509_VERIFY_PARAM_set1_host(param, hostname, 0);
    if (!is_ip) ok = ok && SSL_set_tlsext_host_name(ssl, hostname);
    if (!ok || SSL_set_fd(ssl, fd) != 1) { put_error(err, err_len, "TLS setup"); SSL_free(ssl); SSL_CTX_free(ctx); return NULL; }
    for (;;) {
        int rc = SSL_connect(ssl);
        if (rc == 1) break;
        int e = SSL_get_error(ssl, rc);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            int w = wait_fd(fd, e == SSL_ERROR_WANT_WRITE, timeout_ms);
            if (w > 0) continue;
            snprintf(err, err_len, "TLS handshake with %s timed out", hostname);
            *is_tls_error = 0;
        } else {
            long v = SSL_get_verify_result(ssl);
            if (v != X509_V_OK) {
                snprintf(err, err_len, "TLS handshake with %s: certificate verify failed: %s", hostname, X509_verify_cert_error_string(v));
                ERR_clear_error();
            } else if (e == SSL_ERROR_SYSCALL || e == SSL_ERROR_ZERO_RETURN) {
                snprintf(err, err_len, "TLS handshake with %s: connection closed by the server", hostname);
                ERR_clear_error();
                *is_tls_error = 0;
            } else {
                char what[300];
                snprintf(what, sizeof what, "TLS handshake with %s", hostname);
                put_error(err, err_len, what);
            }
        }
        SSL_free(ssl);
        SSL_CTX_free(ctx);
        return NULL;
    }
    berth_tls *t = malloc(sizeof *t);
    if (!t) { SSL_free(ssl); SSL_CTX_free(ctx); snprintf(err, err_len, "out of memory"); return NULL; }
    t->ctx = ctx; t->ssl = ssl; t->fd = fd;
    return t;
}

ssize_t berth_tls_read(berth_tls *t, void *buf, size_t len, char *err, size_t err_len) {
    int n = SSL_read(t->ssl, buf, len > 1 << 30 ? 1 << 30 : (int)len);
    if (n > 0) return n;
    int e = SSL_get_error(t->ssl, n);
    if (e == SSL_ERROR_ZERO_RETURN) return 0;
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return -2;
    if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
        snprintf(err, err_len, "connection reset (%s)", errno ? strerror(errno) : "unexpected end of stream");
        return -1;
    }
    put_error(err, err_len, "TLS read");
    return -1;
}

int berth_tls_write_all(berth_tls *t, const void *buf, size_t len, int timeout_ms, char *err, size_t err_len) {
    const char *p = buf;
    while (len > 0) {
        int n = SSL_write(t->ssl, p, len > 1 << 30 ? 1 << 30 : (int)len);
        if (n > 0) { p += n; len -= (size_t)n; continue; }
        int e = SSL_get_error(t->ssl, n);
        if ((e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) && wait_fd(t->fd, e == SSL_ERROR_WANT_WRITE, timeout_ms) > 0) continue;
        put_error(err, err_len, "TLS write");
        return -1;
    }
    return 0;
}

int berth_tls_pending(berth_tls *t) { return SSL_pending(t->ssl); }

void berth_tls_free(berth_tls *t) {
    if (!t) return;
    SSL_free(t->ssl);
    SSL_CTX_free(t->ctx);
    free(t);
}
