// Typed wrappers for libcurl's variadic calls, and the OpenSSL hooks that let
// one connection yield both the peer's chain and a verification verdict.
// Only STSCurl imports this module.
#ifndef STSWATCH_CCURL_SHIM_H
#define STSWATCH_CCURL_SHIM_H

#include <curl/curl.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/err.h>
#include <string.h>

// MARK: curl_easy_setopt, one wrapper per argument kind

static inline CURLcode stsc_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode stsc_setopt_off(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode stsc_setopt_string(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode stsc_setopt_pointer(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode stsc_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode stsc_setopt_write(CURL *h, CURLoption o, curl_write_callback v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode stsc_setopt_debug(CURL *h, curl_debug_callback v) { return curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, v); }
static inline CURLcode stsc_setopt_xferinfo(CURL *h, curl_xferinfo_callback v) { return curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, v); }

// MARK: curl_easy_getinfo, one wrapper per result kind

static inline CURLcode stsc_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode stsc_getinfo_off(CURL *h, CURLINFO i, curl_off_t *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode stsc_getinfo_string(CURL *h, CURLINFO i, char **v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode stsc_getinfo_socket(CURL *h, curl_socket_t *v) { return curl_easy_getinfo(h, CURLINFO_ACTIVESOCKET, v); }

// MARK: TLS recording

/// At most this many peer certificates are kept; a peer may send more, which are dropped.
#define STSC_MAX_CHAIN 10

/// What one handshake showed, filled in by OpenSSL's certificate callback.
/// Owned by the Swift caller for the whole transfer; freed with stsc_tls_record_clear.
typedef struct stsc_tls_record {
    /// Inputs: when own_trust is 1 the handshake verifies against a fresh store
    /// loaded from trust_file (or OpenSSL's default paths when trust_file is NULL)
    /// instead of curl's, so curl can run with VERIFYPEER 0 yet the verdict is real.
    int own_trust;
    const char *trust_file;
    /// When set, every handshake verifies against this store (loaded once for the process and
    /// shared), instead of one loaded per connection: a CA bundle is ~140 certificates.
    X509_STORE *shared_store;
    /// Outputs.
    int trust_load_failed;
    int verified;          // 1 once the certificate callback ran
    long verify_code;      // X509_V_OK or the first X509_V_ERR_* met
    char version[32];
    char cipher[128];
    int chain_count;
    int chain_truncated;
    unsigned char *chain_der[STSC_MAX_CHAIN];
    int chain_len[STSC_MAX_CHAIN];
} stsc_tls_record;

static inline void stsc_tls_record_clear(stsc_tls_record *r) {
    for (int i = 0; i < r->chain_count; i++) {
        OPENSSL_free(r->chain_der[i]);
        r->chain_der[i] = NULL;
    }
    r->chain_count = 0;
}

/// Verifies the chain as OpenSSL would, records the verdict and the peer's
/// certificates, and accepts the handshake whatever the verdict: whether a bad
/// chain ends the transfer is decided by curl (VERIFYPEER) from the recorded
/// SSL verify result, after it has collected what it needs.
static int stsc_cert_verify(X509_STORE_CTX *store_ctx, void *arg) {
    stsc_tls_record *r = (stsc_tls_record *)arg;
    int ok = X509_verify_cert(store_ctx);
    long code = X509_STORE_CTX_get_error(store_ctx);
    if (ok != 1 && code == X509_V_OK) code = X509_V_ERR_UNSPECIFIED;
    r->verify_code = code;
    r->verified = 1;

    stsc_tls_record_clear(r);
    STACK_OF(X509) *peer = X509_STORE_CTX_get0_untrusted(store_ctx);
    int n = peer ? sk_X509_num(peer) : 0;
    if (n == 0) {
        // Only the leaf is known: keep it.
        X509 *leaf = X509_STORE_CTX_get0_cert(store_ctx);
        if (leaf) {
            unsigned char *der = NULL;
            int len = i2d_X509(leaf, &der);
            if (len > 0) { r->chain_der[0] = der; r->chain_len[0] = len; r->chain_count = 1; }
        }
    }
    for (int i = 0; i < n; i++) {
        if (r->chain_count == STSC_MAX_CHAIN) { r->chain_truncated = 1; break; }
        unsigned char *der = NULL;
        int len = i2d_X509(sk_X509_value(peer, i), &der);
        if (len <= 0) continue;
        r->chain_der[r->chain_count] = der;
        r->chain_len[r->chain_count] = len;
        r->chain_count++;
    }

    SSL *ssl = (SSL *)X509_STORE_CTX_get_ex_data(store_ctx, SSL_get_ex_data_X509_STORE_CTX_idx());
    if (ssl) {
        const char *v = SSL_get_version(ssl);
        const SSL_CIPHER *c = SSL_get_current_cipher(ssl);
        const char *cn = c ? SSL_CIPHER_get_name(c) : NULL;
        if (v) { strncpy(r->version, v, sizeof r->version - 1); r->version[sizeof r->version - 1] = 0; }
        if (cn) { strncpy(r->cipher, cn, sizeof r->cipher - 1); r->cipher[sizeof r->cipher - 1] = 0; }
    }
    // Keep the verify result for SSL_get_verify_result (curl reads it).
    X509_STORE_CTX_set_error(store_ctx, (int)code);
    return 1;
}

/// CURLOPT_SSL_CTX_FUNCTION: curl calls it after its own CA set-up.
static CURLcode stsc_ssl_ctx_function(CURL *curl, void *ssl_ctx, void *arg) {
    (void)curl;
    SSL_CTX *ctx = (SSL_CTX *)ssl_ctx;
    stsc_tls_record *r = (stsc_tls_record *)arg;
    if (r->shared_store) {
        SSL_CTX_set1_cert_store(ctx, r->shared_store); // takes a reference of its own
    } else if (r->own_trust) {
        X509_STORE *store = X509_STORE_new();
        if (!store) return CURLE_OUT_OF_MEMORY;
        int ok = r->trust_file ? X509_STORE_load_file(store, r->trust_file)
                               : X509_STORE_set_default_paths(store);
        if (ok != 1) {
            X509_STORE_free(store);
            r->trust_load_failed = 1;
            ERR_clear_error();
            return CURLE_SSL_CACERT_BADFILE;
        }
        SSL_CTX_set_cert_store(ctx, store); // takes ownership
    }
    SSL_CTX_set_cert_verify_callback(ctx, stsc_cert_verify, r);
    return CURLE_OK;
}

/// A trust store loaded from a PEM file, or OpenSSL's default paths when file is NULL; NULL on failure.
static inline X509_STORE *stsc_load_store(const char *file) {
    X509_STORE *store = X509_STORE_new();
    if (!store) return NULL;
    int ok = file ? X509_STORE_load_file(store, file) : X509_STORE_set_default_paths(store);
    if (ok != 1) { X509_STORE_free(store); ERR_clear_error(); return NULL; }
    return store;
}

/// Installs the recording hooks on an easy handle.
static inline CURLcode stsc_install_tls_recorder(CURL *h, stsc_tls_record *r) {
    CURLcode rc = curl_easy_setopt(h, CURLOPT_SSL_CTX_FUNCTION, stsc_ssl_ctx_function);
    if (rc != CURLE_OK) return rc;
    return curl_easy_setopt(h, CURLOPT_SSL_CTX_DATA, (void *)r);
}

#endif
