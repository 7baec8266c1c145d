#pragma once
// The HTTP phase of a TLS connection: a tls_engine over a beast::tcp_stream (whose deadlines
// apply), with the AsyncReadStream / AsyncWriteStream operations Beast's HTTP reader and writer
// use, and the server handshake. A WebSocket upgrade takes the socket and the engine apart
// (release) into a tls_stream, so what was read and not yet decrypted goes with it.
#include "../transport/tls_engine.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <algorithm>
#include <memory>
#include <string>

namespace switchboard::server::detail {

class tls_http_stream {
public:
    using executor_type = boost::beast::tcp_stream::executor_type;
    using error_code = boost::system::error_code;
    // The largest TLS record, and the most plaintext one write encrypts.
    static constexpr std::size_t read_size = 17 * 1024;
    static constexpr std::size_t max_write = 64 * 1024;

    tls_http_stream(boost::beast::tcp_stream s, tls_engine e)
        : s_(std::move(s)), tls_(std::move(e)), in_(std::make_unique<char[]>(read_size)) {}

    executor_type get_executor() { return s_.get_executor(); }
    boost::beast::tcp_stream& next_layer() noexcept { return s_; }
    tls_engine release_engine() { return std::move(tls_); }

    template <class Token>
    auto async_handshake(Token&& token) {
        return boost::asio::async_compose<Token, void(error_code)>(handshake_op{this}, token, s_);
    }
    template <class Buffers, class Token>
    auto async_read_some(const Buffers& bufs, Token&& token) {
        return boost::asio::async_compose<Token, void(error_code, std::size_t)>(read_op<Buffers>{this, bufs},
                                                                                token, s_);
    }
    template <class Buffers, class Token>
    auto async_write_some(const Buffers& bufs, Token&& token) {
        return boost::asio::async_compose<Token, void(error_code, std::size_t)>(write_op<Buffers>{this, bufs},
                                                                                token, s_);
    }

private:
    enum class step : std::uint8_t { start, wrote, read, done };

    // Writes what the engine owes the peer; false when there is nothing.
    template <class Self>
    bool flush(Self& self, step& st) {
        out_.clear();
        tls_.take_output(out_);
        if (out_.empty()) return false;
        st = step::wrote;
        boost::asio::async_write(s_, boost::asio::buffer(out_), std::move(self));
        return true;
    }
    template <class Self>
    void read_more(Self& self, step& st) {
        st = step::read;
        s_.async_read_some(boost::asio::buffer(in_.get(), read_size), std::move(self));
    }

    struct handshake_op {
        tls_http_stream* s;
        step st = step::start;
        error_code result{};
        template <class Self>
        void operator()(Self& self, error_code ec = {}, std::size_t n = 0) {
            if (st == step::done) return self.complete(result);
            if (ec) return self.complete(ec);
            if (st == step::read) s->tls_.put_input(s->in_.get(), n);
            auto status = s->tls_.handshake(result);
            // An alert on failure, the server's flight, or the last of the handshake go first.
            if (s->flush(self, st)) return;
            if (status == tls_engine::status::want_read) return s->read_more(self, st);
            // Done (or failed) without I/O in this call: complete through the executor, never inline.
            bool first = st == step::start;
            st = step::done;
            if (first) return boost::asio::post(s->s_.get_executor(), std::move(self));
            self.complete(result);
        }
    };

    template <class Buffers>
    struct read_op {
        tls_http_stream* s;
        Buffers bufs;
        step st = step::start;
        error_code result{};
        std::size_t got = 0;
        template <class Self>
        void operator()(Self& self, error_code ec = {}, std::size_t n = 0) {
            if (st == step::done) return self.complete(result, got);
            if (ec) return self.complete(ec, 0);
            if (st == step::read) s->tls_.put_input(s->in_.get(), n);
            boost::asio::mutable_buffer b;
            for (auto it = boost::asio::buffer_sequence_begin(bufs);
                 it != boost::asio::buffer_sequence_end(bufs); ++it)
                if ((b = boost::asio::mutable_buffer(*it)).size() > 0) break;
            if (b.size() == 0) return finish(self, {}, 0);
            auto r = s->tls_.read(static_cast<char*>(b.data()), b.size());
            if (r.n > 0) return finish(self, {}, r.n);
            if (r.st != tls_engine::status::want_read) return finish(self, r.ec, 0);
            if (s->flush(self, st)) return;  // a post-handshake message owed to the peer
            s->read_more(self, st);
        }
        template <class Self>
        void finish(Self& self, error_code ec, std::size_t n) {
            if (st != step::start) return self.complete(ec, n);
            st = step::done, result = ec, got = n;
            boost::asio::post(s->s_.get_executor(), std::move(self));
        }
    };

    template <class Buffers>
    struct write_op {
        tls_http_stream* s;
        Buffers bufs;
        step st = step::start;
        error_code result{};
        std::size_t plain = 0;
        template <class Self>
        void operator()(Self& self, error_code ec = {}, std::size_t = 0) {
            if (st == step::done) return self.complete(result, 0);
            if (st == step::wrote) return self.complete(ec, ec ? 0 : plain);
            for (auto it = boost::asio::buffer_sequence_begin(bufs);
                 it != boost::asio::buffer_sequence_end(bufs) && plain < max_write; ++it) {
                boost::asio::const_buffer b(*it);
                auto take = std::min(b.size(), max_write - plain);
                if (take == 0) continue;
                if ((result = s->tls_.write(static_cast<const char*>(b.data()), take))) break;
                plain += take;
            }
            if (!result && s->flush(self, st)) return;
            st = step::done;
            boost::asio::post(s->s_.get_executor(), std::move(self));
        }
    };

    boost::beast::tcp_stream s_;
    tls_engine tls_;
    std::unique_ptr<char[]> in_;  // ciphertext read, fed to the engine at once
    std::string out_;             // ciphertext being written
};

}  // namespace switchboard::server::detail
