// The TLS context (certificate and key through asio::ssl::context) and the per-connection engine
// (an OpenSSL SSL over two memory BIOs).
#include "tls_engine.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>

#include <openssl/bio.h>
#include <openssl/buffer.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstdio>
#include <utility>

namespace switchboard::server::detail {

namespace ssl = boost::asio::ssl;
using boost::system::error_code;

namespace {

// TLS 1.2 suites with forward secrecy and AEAD only (TLS 1.3 keeps OpenSSL's own list).
constexpr const char* tls12_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

std::string openssl_reason(const error_code& ec) {
    if (ec.category() == boost::asio::error::get_ssl_category()) {
        char buf[256];
        ERR_error_string_n(static_cast<unsigned long>(ec.value()), buf, sizeof buf);
        return buf;
    }
    return ec.message();
}

// The error of a failed SSL call: OpenSSL's queue if it has one, else errno's, else a protocol error.
error_code last_error(int ret, int err) {
    unsigned long e = ERR_get_error();
    ERR_clear_error();
    if (e != 0) return error_code(static_cast<int>(e), boost::asio::error::get_ssl_category());
    if (err == SSL_ERROR_SYSCALL && ret != 0 && errno != 0)
        return error_code(errno, boost::system::system_category());
    return ssl::error::stream_truncated;
}

// Memory BIOs keep the capacity of their largest burst: an empty one past this is replaced, so an
// idle connection does not hold what one big message needed.
constexpr std::size_t bio_keep = 32 * 1024;

BIO* fresh_bio(bool input) {
    BIO* b = BIO_new(BIO_s_mem());
    if (input) BIO_set_mem_eof_return(b, -1);  // empty: "retry", not EOF
    return b;
}

bool oversized_and_empty(BIO* b) {
    if (BIO_ctrl_pending(b) != 0) return false;
    BUF_MEM* m = nullptr;
    BIO_get_mem_ptr(b, &m);
    return m && m->max > bio_keep;
}

}  // namespace

tls_context::~tls_context() {
    SSL_CTX_free(ctx_);
}

std::shared_ptr<const tls_context> tls_context::load(const std::string& cert_file,
                                                     const std::string& key_file, std::string& why) {
    if (cert_file.empty() || key_file.empty()) {
        why = "TLS_CERT_FILE and TLS_KEY_FILE go together: set both or neither";
        return nullptr;
    }
    for (const auto* f : {&cert_file, &key_file}) {
        if (std::FILE* fp = std::fopen(f->c_str(), "rb")) {
            std::fclose(fp);
            continue;
        }
        why = "cannot read " + *f + ": " + error_code(errno, boost::system::system_category()).message();
        return nullptr;
    }
    ssl::context ctx(ssl::context::tls_server);
    ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                    ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
    SSL_CTX* native = ctx.native_handle();
    SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
    SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
    SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);  // an idle connection holds no record buffers
    if (SSL_CTX_set_cipher_list(native, tls12_ciphers) != 1) {
        why = "no usable TLS 1.2 cipher";
        return nullptr;
    }
    error_code ec;
    ctx.use_certificate_chain_file(cert_file, ec);
    if (ec) {
        why = "TLS_CERT_FILE " + cert_file + ": not a PEM certificate (" + openssl_reason(ec) + ")";
        ERR_clear_error();
        return nullptr;
    }
    ctx.use_private_key_file(key_file, ssl::context::pem, ec);
    if (ec && ec.category() == boost::asio::error::get_ssl_category() &&
        ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == X509_R_KEY_VALUES_MISMATCH) {
        why = "TLS_KEY_FILE " + key_file + " is not the key of the certificate in " + cert_file;
        ERR_clear_error();
        return nullptr;
    }
    if (ec) {
        why = "TLS_KEY_FILE " + key_file + ": not a PEM private key (" + openssl_reason(ec) + ")";
        ERR_clear_error();
        return nullptr;
    }
    if (SSL_CTX_check_private_key(native) != 1) {
        why = "TLS_KEY_FILE " + key_file + " is not the key of the certificate in " + cert_file;
        ERR_clear_error();
        return nullptr;
    }
    // Keep the native context past the asio wrapper (which frees its reference).
    SSL_CTX_up_ref(native);
    return std::shared_ptr<const tls_context>(new tls_context(native));
}

tls_engine::tls_engine(const tls_context& ctx) : ssl_(SSL_new(ctx.native())) {
    if (!ssl_) throw std::bad_alloc();
    SSL_set_bio(ssl_, fresh_bio(true), fresh_bio(false));  // the SSL owns both
    SSL_set_accept_state(ssl_);
    SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
}

tls_engine::tls_engine(tls_engine&& o) noexcept : ssl_(std::exchange(o.ssl_, nullptr)) {}

tls_engine& tls_engine::operator=(tls_engine&& o) noexcept {
    if (this != &o) {
        if (ssl_) SSL_free(ssl_);
        ssl_ = std::exchange(o.ssl_, nullptr);
    }
    return *this;
}

tls_engine::~tls_engine() {
    if (ssl_) SSL_free(ssl_);
}

tls_engine::status tls_engine::handshake(error_code& ec) {
    ERR_clear_error();
    int r = SSL_do_handshake(ssl_);
    if (r == 1) return status::ok;
    int err = SSL_get_error(ssl_, r);
    if (err == SSL_ERROR_WANT_READ) return status::want_read;
    ec = last_error(r, err);
    return status::failed;
}

void tls_engine::put_input(const char* data, std::size_t n) {
    BIO_write(SSL_get_rbio(ssl_), data, static_cast<int>(n));
}

bool tls_engine::input_buffered() const noexcept {
    return BIO_ctrl_pending(SSL_get_rbio(ssl_)) > 0 || SSL_pending(ssl_) > 0;
}

tls_engine::read_result tls_engine::read(char* buf, std::size_t size) {
    read_result res;
    while (res.n < size) {
        ERR_clear_error();
        std::size_t got = 0;
        int r = SSL_read_ex(ssl_, buf + res.n, size - res.n, &got);
        if (r == 1) {
            res.n += got;
            continue;
        }
        int err = SSL_get_error(ssl_, r);
        // With data already read, the data comes first and the reason rides along.
        if (err == SSL_ERROR_WANT_READ) {
            if (res.n == 0) res.st = status::want_read;
            if (oversized_and_empty(SSL_get_rbio(ssl_))) SSL_set0_rbio(ssl_, fresh_bio(true));
        } else if (err == SSL_ERROR_ZERO_RETURN) {
            res.st = status::closed;  // the peer's close_notify
            res.ec = boost::asio::error::eof;
        } else {
            res.st = status::failed;
            res.ec = last_error(r, err);
        }
        return res;
    }
    return res;
}

error_code tls_engine::write(const char* data, std::size_t n) {
    while (n > 0) {
        ERR_clear_error();
        std::size_t put = 0;
        int r = SSL_write_ex(ssl_, data, n, &put);
        if (r != 1) return last_error(r, SSL_get_error(ssl_, r));
        data += put;
        n -= put;
    }
    return {};
}

std::size_t tls_engine::output_size() const noexcept {
    return BIO_ctrl_pending(SSL_get_wbio(ssl_));
}

void tls_engine::take_output(std::string& out) {
    BIO* wb = SSL_get_wbio(ssl_);
    auto n = BIO_ctrl_pending(wb);
    if (n == 0) return;
    auto at = out.size();
    out.resize(at + n);
    int got = BIO_read(wb, out.data() + at, static_cast<int>(n));
    out.resize(at + (got > 0 ? static_cast<std::size_t>(got) : 0));
    if (oversized_and_empty(wb)) SSL_set0_wbio(ssl_, fresh_bio(false));
}

void tls_engine::shutdown() noexcept {
    ERR_clear_error();
    if (SSL_is_init_finished(ssl_)) SSL_shutdown(ssl_);
    ERR_clear_error();
}

}  // namespace switchboard::server::detail
