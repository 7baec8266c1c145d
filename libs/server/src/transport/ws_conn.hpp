#pragma once
// One WebSocket connection's state, the frames queued for it, and the accepted-connection slot it
// carries (libs/server's transport).
#include "../runtime/context.hpp"

#include <switchboard/protocol/ws_frame.hpp>

#include <boost/asio/steady_timer.hpp>

#include <atomic>

namespace switchboard::server::detail {

struct out_item {
    std::shared_ptr<const std::string> data;  // text: Engine.IO frame with its type digit; binary: raw bytes
    bool binary = false;
};

// One accepted TCP connection counted against MAX_CONNECTIONS; moves with the socket (HTTP
// connection, then its WebSocket) and is given back when its owner goes.
class conn_slot {
public:
    conn_slot() = default;
    explicit conn_slot(std::atomic<std::size_t>& n) noexcept : n_(&n) {}
    conn_slot(conn_slot&& o) noexcept : n_(std::exchange(o.n_, nullptr)) {}
    conn_slot& operator=(conn_slot&& o) noexcept {
        if (this != &o) {
            release();
            n_ = std::exchange(o.n_, nullptr);
        }
        return *this;
    }
    ~conn_slot() { release(); }
    void release() noexcept {
        if (n_) n_->fetch_sub(1, std::memory_order_relaxed);
        n_ = nullptr;
    }

private:
    std::atomic<std::size_t>* n_ = nullptr;
};

// One WebSocket connection (RFC 6455 framing of our own, libs/protocol/ws_frame): the socket and
// the decoder's leftovers only. An idle connection holds no read buffer (reads go through a
// per-thread buffer after the socket reports data) and no write buffers.
struct ws_conn {
    ws_conn(tcp::socket s, std::size_t max_message) : sock(std::move(s)), dec(max_message) {}
    tcp::socket sock;
    protocol::ws::decoder dec;
    fifo<std::shared_ptr<const std::string>> raw_out;    // bytes written as they are: handshake, close
    fifo<std::shared_ptr<const std::string>> probe_out;  // Engine.IO text of an upgrade probe
    // The pong frame for the latest ping not answered yet: one at most, whatever the number of
    // pings a peer sends without reading (RFC 6455 5.5.3 lets us answer only the most recent).
    std::shared_ptr<const std::string> pong;
    std::unique_ptr<asio::steady_timer> linger;  // after our close frame: the peer's answer
    conn_slot slot;
    bool writing = false;  // an async_write is in flight
    bool close_sent = false;
    bool closing = false;  // send a close frame once the queue is written
    bool dead = false;     // the reader has ended
};
}  // namespace switchboard::server::detail
