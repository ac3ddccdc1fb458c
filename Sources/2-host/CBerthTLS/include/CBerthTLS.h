#ifndef CBERTHTLS_H
#define CBERTHTLS_H
#include <stddef.h>
#include <sys/types.h>

/// TLS client connections over OpenSSL (Debian's libssl): the system CA store plus extra CA
/// files, peer and hostname verification always on. Prefix berth_tls_.
typedef struct berth_tls berth_tls;

/// A handshake-complete connection on the connected socket `fd` (not owned: the caller closes
/// it after berth_tls_free), verifying `hostname` (a DNS name or an IP literal) against the
/// system CAs and the PEM files in `ca_files` (count `n_ca`). NULL on failure, with a message in
/// `err` (size `err_len`); *is_tls_error is 1 when a certificate or the handshake failed, 0 for
/// an I/O failure. `timeout_ms` bounds the handshake.
berth_tls *berth_tls_connect(int fd, const char *hostname, const char *const *ca_files, int n_ca,
                             int timeout_ms, char *err, size_t err_len, int *is_tls_error);

/// Bytes read (0 at a clean close), or -1 with a message (and -2 when nothing is available yet
/// on the non-blocking socket: wait for it to be readable and retry).
ssize_t berth_tls_read(berth_tls *t, void *buf, size_t len, char *err, size_t err_len);

/// 0 once all `len` bytes are written, -1 with a message.
int berth_tls_write_all(berth_tls *t, const void *buf, size_t len, int timeout_ms, char *err, size_t err_len);

/// Bytes buffered inside OpenSSL that a read returns without touching the socket.
int berth_tls_pending(berth_tls *t);

void berth_tls_free(berth_tls *t);

#endif
