#pragma once
// TLS without a proxy (TLS_CERT_FILE / TLS_KEY_FILE): the loaded certificate and key, and one
// connection's OpenSSL state as a sans-io engine over memory buffers (ciphertext in, plaintext out
// and the reverse). The engine owns no socket: the HTTP phase (http/tls_http_stream.hpp) and the
// WebSocket seam (tls_stream.hpp) move the bytes, and the engine moves with the connection from
// one I/O thread to another (an upgrade), which an asio::ssl::stream bound to its executor cannot.
// This header stays free of OpenSSL and Asio's ssl headers (tls_engine.cpp has them).
#include <boost/system/error_code.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

struct ssl_st;
struct ssl_ctx_st;

namespace switchboard::server::detail {

// A certificate chain and its private key, loaded and checked: the context new connections are
// made from. Shared: a reload replaces the server's pointer, connections keep the one they began with.
class tls_context {
public:
    ~tls_context();
    tls_context(const tls_context&) = delete;
    tls_context& operator=(const tls_context&) = delete;
    // Reads both PEM files; on failure, `why` says which file and what OpenSSL found wrong.
    static std::shared_ptr<const tls_context> load(const std::string& cert_file, const std::string& key_file,
                                                   std::string& why);
    ssl_ctx_st* native() const noexcept { return ctx_; }

private:
    explicit tls_context(ssl_ctx_st* ctx) noexcept : ctx_(ctx) {}
    ssl_ctx_st* ctx_;
};

// One server-side TLS connection's state: what the peer sent is fed in (put_input), what we send
// is taken out (take_output). Reads and writes never block and never touch a socket.
class tls_engine {
public:
    enum class status : std::uint8_t { ok, want_read, closed, failed };
    struct read_result {
        std::size_t n = 0;
        status st = status::ok;  // why the read stopped short: more input needed (n == 0), closed, failed
        boost::system::error_code ec;
    };

    explicit tls_engine(const tls_context& ctx);
    tls_engine(tls_engine&& o) noexcept;
    tls_engine& operator=(tls_engine&& o) noexcept;
    ~tls_engine();

    // One step of the server handshake: ok when done, want_read for more input (after the output
    // is written), failed (ec says why).
    status handshake(boost::system::error_code& ec);
    void put_input(const char* data, std::size_t n);
    // Input fed but not decrypted yet, or plaintext decrypted but not read: a read may progress
    // without waiting for the socket.
    bool input_buffered() const noexcept;
    read_result read(char* buf, std::size_t size);
    // Encrypts all of `data` into the output (a memory buffer: never short).
    boost::system::error_code write(const char* data, std::size_t n);
    std::size_t output_size() const noexcept;
    // Appends the pending output to `out` and forgets it.
    void take_output(std::string& out);
    // Queues a close_notify in the output.
    void shutdown() noexcept;

private:
    ssl_st* ssl_ = nullptr;
};

}  // namespace switchboard::server::detail
