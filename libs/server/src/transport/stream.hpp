#pragma once
// The stream seam under a WebSocket connection: where TLS plugs in. basic_ws_connection<Stream>
// needs of a Stream:
//   executor_type get_executor();
//   io_result try_write(const iovec* iov, std::size_t n);   gathered write now, never blocks
//   io_result try_read(char* buf, std::size_t size);        what has arrived, never blocks
//   void async_wait_readable(Handler);                      void(error_code)
//   void async_write(const Buffers&, CompletionCondition, Handler);  void(error_code, std::size_t)
//   void shutdown_send() noexcept;  void close() noexcept;  (close: both directions, then the descriptor)
// socket_stream maps them onto a socket with sendmsg/recv (MSG_DONTWAIT) and the socket's own
// asynchronous operations: a template point, so plain TCP pays no virtual call and no copy. The TLS
// stream (tls_stream.hpp) encrypts in async_write (into its own buffer; its try_write takes nothing)
// and decrypts in try_read, its wait_readable completing at once while input is buffered.
#include <boost/asio/write.hpp>
#include <boost/system/error_code.hpp>

#include <sys/socket.h>
#include <sys/uio.h>
#include <cerrno>
#include <cstddef>
#include <utility>

namespace switchboard::server::detail {

struct io_result {
    std::size_t n = 0;
    boost::system::error_code ec;
    bool would_block() const noexcept {
        return ec == boost::system::errc::operation_would_block ||
               ec == boost::system::errc::resource_unavailable_try_again;
    }
};

// A stream over a connected socket (tcp::socket; a local socket in the tests).
template <class Socket>
class socket_stream {
public:
    using executor_type = typename Socket::executor_type;
    explicit socket_stream(Socket s) : sock_(std::move(s)) {}

    executor_type get_executor() { return sock_.get_executor(); }
    Socket& socket() noexcept { return sock_; }

    io_result try_write(const iovec* iov, std::size_t n) noexcept {
        msghdr mh{};
        mh.msg_iov = const_cast<iovec*>(iov);
        mh.msg_iovlen = n;
        auto w = ::sendmsg(sock_.native_handle(), &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w >= 0) return {static_cast<std::size_t>(w), {}};
        return {0, boost::system::error_code(errno, boost::system::system_category())};
    }
    io_result try_read(char* buf, std::size_t size) noexcept {
        for (;;) {
            // MSG_DONTWAIT: no switch of the socket to user-level non-blocking mode (an ioctl).
            auto got = ::recv(sock_.native_handle(), buf, size, MSG_DONTWAIT);
            if (got > 0) return {static_cast<std::size_t>(got), {}};
            if (got == 0) return {0, boost::asio::error::eof};
            if (errno == EINTR) continue;
            return {0, boost::system::error_code(errno, boost::system::system_category())};
        }
    }
    template <class Handler>
    void async_wait_readable(Handler&& h) {
        sock_.async_wait(Socket::wait_read, std::forward<Handler>(h));
    }
    template <class Buffers, class Condition, class Handler>
    void async_write(const Buffers& bufs, Condition&& cond, Handler&& h) {
        boost::asio::async_write(sock_, bufs, std::forward<Condition>(cond), std::forward<Handler>(h));
    }
    void shutdown_send() noexcept {
        boost::system::error_code ignored;
        sock_.shutdown(Socket::shutdown_send, ignored);
    }
    void close() noexcept {
        boost::system::error_code ignored;
        sock_.shutdown(Socket::shutdown_both, ignored);
        sock_.close(ignored);
    }

private:
    Socket sock_;
};

}  // namespace switchboard::server::detail
