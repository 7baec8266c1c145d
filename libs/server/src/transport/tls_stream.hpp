#pragma once
// The TLS side of the stream seam (stream.hpp): a tls_engine over a TCP socket, for
// basic_ws_connection<tls_stream>. try_read decrypts what has arrived (reading the socket with
// MSG_DONTWAIT); async_wait_readable completes at once while undecrypted input or plaintext is
// buffered. try_write takes nothing (would_block): every write goes through async_write, which
// encrypts the batch into the stream's own buffer and writes that, so the connection's batches and
// its progress reports work as over plain TCP. The plain stream keeps its sendmsg fast path.
#include "stream.hpp"
#include "tls_engine.hpp"
#include "ws_connection.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include <string>

namespace switchboard::server::detail {

class tls_stream {
public:
    using socket_type = boost::asio::ip::tcp::socket;
    using executor_type = socket_type::executor_type;
    tls_stream(socket_type s, tls_engine e) : sock_(std::move(s)), tls_(std::move(e)) {}

    executor_type get_executor() { return sock_.get_executor(); }
    socket_type& socket() noexcept { return sock_; }

    io_result try_write(const iovec*, std::size_t) noexcept { return {0, boost::asio::error::would_block}; }
    io_result try_read(char* buf, std::size_t size) noexcept;
    template <class Handler>
    void async_wait_readable(Handler&& h) {
        if (check_first_ || failed_ || tls_.input_buffered()) {
            boost::asio::post(sock_.get_executor(),
                              [h = std::forward<Handler>(h)]() mutable { h(boost::system::error_code{}); });
            return;
        }
        sock_.async_wait(socket_type::wait_read, std::forward<Handler>(h));
    }
    template <class Buffers, class Condition, class Handler>
    void async_write(const Buffers& bufs, Condition&& cond, Handler&& h) {
        // One write in flight (the connection's rule): the ciphertext of the batch, and whatever
        // the engine owed the peer before it, stays here until it is written.
        out_.clear();
        std::size_t plain = 0;
        boost::system::error_code ec;
        for (auto it = boost::asio::buffer_sequence_begin(bufs); it != boost::asio::buffer_sequence_end(bufs);
             ++it) {
            boost::asio::const_buffer b(*it);
            if (b.size() == 0) continue;
            if (!ec) ec = tls_.write(static_cast<const char*>(b.data()), b.size());
            plain += b.size();
        }
        tls_.take_output(out_);
        if (ec) {
            boost::asio::post(sock_.get_executor(),
                              [h = std::forward<Handler>(h), ec]() mutable { h(ec, std::size_t{0}); });
            return;
        }
        // (`this` in the completion: the handler owns the connection, which owns this stream.)
        boost::asio::async_write(
            sock_, boost::asio::buffer(out_), std::forward<Condition>(cond),
            [this, h = std::forward<Handler>(h), plain](boost::system::error_code ec, std::size_t) mutable {
                release_output();
                h(ec, ec ? std::size_t{0} : plain);
            });
    }
    void shutdown_send() noexcept;
    void close() noexcept;

private:
    // After a write: an idle connection keeps no large ciphertext buffer.
    void release_output() noexcept {
        if (out_.capacity() > 32 * 1024)
            std::string().swap(out_);
        else
            out_.clear();
    }
    socket_type sock_;
    tls_engine tls_;
    std::string out_;                   // ciphertext of the write in flight
    boost::system::error_code failed_;  // a read error seen after data: reported by the next read
    // The first wait reads at once: the socket may hold what arrived while the HTTP phase read only
    // the records it needed.
    bool check_first_ = true;
};

using tls_ws_connection = basic_ws_connection<tls_stream>;
extern template class basic_ws_connection<tls_stream>;

}  // namespace switchboard::server::detail
