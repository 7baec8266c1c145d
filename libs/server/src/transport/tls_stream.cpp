// The TLS stream's reads and ends, and the WebSocket connection over it (the second instantiation
// of basic_ws_connection, beside plain TCP's in ws_connection.cpp).
#include "tls_stream.hpp"

#include "ws_connection_impl.hpp"

#include <boost/asio/error.hpp>

#include <array>

namespace switchboard::server::detail {

io_result tls_stream::try_read(char* buf, std::size_t size) noexcept {
    // Ciphertext goes through a per-thread buffer into the engine: an idle connection holds none.
    // Short of `size`, the socket was found empty (a short recv, or one that would block), as the
    // waits expect.
    static thread_local std::array<char, 32 * 1024> raw;
    check_first_ = false;
    if (failed_) return {0, std::exchange(failed_, {})};
    std::size_t total = 0;
    bool drained = false;  // a recv of this call took less than it could: the socket was empty
    for (;;) {
        auto r = tls_.read(buf + total, size - total);
        total += r.n;
        if (r.st == tls_engine::status::closed || r.st == tls_engine::status::failed) {
            if (total == 0) return {0, r.ec};
            failed_ = r.ec;  // the peer's close or an error behind the data: the next read's answer
            return {total, {}};
        }
        if (total == size || (total > 0 && drained)) return {total, {}};
        // The engine wants input: what the socket has now.
        auto got = ::recv(sock_.native_handle(), raw.data(), raw.size(), MSG_DONTWAIT);
        if (got > 0) {
            tls_.put_input(raw.data(), static_cast<std::size_t>(got));
            drained = static_cast<std::size_t>(got) < raw.size();
            continue;
        }
        if (got < 0 && errno == EINTR) continue;
        boost::system::error_code ec =
            got == 0 ? boost::system::error_code(boost::asio::error::eof)
                     : boost::system::error_code(errno, boost::system::system_category());
        if (total == 0) return {0, ec};
        if (got == 0) failed_ = ec;
        return {total, {}};
    }
}

void tls_stream::shutdown_send() noexcept {
    // A close_notify, best effort (the close frame before it is already out), then the TCP half-close.
    tls_.shutdown();
    std::string bye;
    tls_.take_output(bye);
    if (!bye.empty()) ::send(sock_.native_handle(), bye.data(), bye.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    boost::system::error_code ignored;
    sock_.shutdown(socket_type::shutdown_send, ignored);
}

void tls_stream::close() noexcept {
    boost::system::error_code ignored;
    sock_.shutdown(socket_type::shutdown_both, ignored);
    sock_.close(ignored);
}

template class basic_ws_connection<tls_stream>;

}  // namespace switchboard::server::detail
