#pragma once
// One WebSocket connection (RFC 6455 framing of our own, libs/protocol/ws_frame) with one reader and
// ONE writer: the sendmsg fast path (write_now: up to 64 frames per call, no asynchronous
// operation) and the asynchronous tail (pump: one async_write in flight, gathering what is queued),
// the close handshake with its linger, and a single pending pong. Over a Stream (stream.hpp), the
// seam where TLS plugs in.
#include "conn_slot.hpp"
#include "outbound_queue.hpp"
#include "stream.hpp"
#include "ws_deflate_out.hpp"

#include <switchboard/common/metrics.hpp>
#include <switchboard/protocol/ws_deflate.hpp>
#include <switchboard/protocol/ws_frame.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <chrono>
#include <memory>
#include <optional>

namespace switchboard::server::detail {

// What a connection is to its handler: the session's transport (main: it writes the session's
// queue), an upgrade attempt (probe), or nothing any more (detached: data frames end it).
enum class ws_role : std::uint8_t { main, probe, detached };

// The main connection's writer: output waits on the peer from now (blocked), some of it went out
// (progress), or all of it did (done). The Engine.IO machine turns these into its write deadline.
enum class ws_write : std::uint8_t { blocked, progress, done };

// What sits on a connection (the Engine.IO session; a test).
class ws_handler {
public:
    // A text or binary message; false ends the reading (the connection closes).
    virtual bool on_ws_message(ws_role role, std::string&& data, bool binary) = 0;
    // The reader ended: the peer's close, EOF, an error or a protocol violation. Called once.
    virtual void on_ws_closed(ws_role role) = 0;
    virtual void on_ws_write(ws_write state) = 0;
    // A pong frame arrived (plain WebSocket routes ping their peers; Engine.IO pings in its packets).
    virtual void on_ws_pong() {}

protected:
    ~ws_handler() = default;
};

// Counters every connection adds to (the server's metrics).
struct ws_stats {
    common::counter* bytes_in = nullptr;
    common::counter* bytes_out = nullptr;
    common::counter* too_large = nullptr;  // messages over the limit
};

// The limits of the writer's batches, for both of its paths.
struct ws_write_limits {
    static constexpr std::size_t max_frames = 64;
    static constexpr std::size_t max_bytes = 256 * 1024;
};

// The reader's buffer, one per thread: an idle connection holds none.
inline std::array<char, 64 * 1024>& ws_read_buffer() {
    static thread_local std::array<char, 64 * 1024> buf;
    return buf;
}

template <class Stream>
class basic_ws_connection final : public round_writer,
                                  public std::enable_shared_from_this<basic_ws_connection<Stream>> {
public:
    basic_ws_connection(Stream s, std::size_t max_message, const ws_stats& stats)
        : stream_(std::move(s)), dec_(max_message), stats_(&stats) {}
    ~basic_ws_connection() = default;

    Stream& stream() noexcept { return stream_; }
    ws_role role() const noexcept { return role_; }
    void set_slot(conn_slot s) noexcept { slot_ = std::move(s); }
    // permessage-deflate agreed (before start): compressed messages are read, and queued messages
    // of at least `threshold` bytes are written compressed.
    void enable_deflate(const protocol::ws::deflate_agreement& a, std::size_t threshold) noexcept {
        dec_.enable_deflate();
        deflate_ = {true, a.server_max_window_bits, threshold};
    }

    // Bytes written as they are before anything else (the 101 answer).
    void write_raw(std::shared_ptr<const std::string> bytes) { raw_out_.push_back(std::move(bytes)); }
    // As the session's transport, writing `q` (main); as an upgrade attempt (probe).
    void attach(outbound_queue& q) noexcept {
        role_ = ws_role::main;
        queue_ = &q;
    }
    void set_probe() noexcept { role_ = ws_role::probe; }
    // No longer the handler's: data frames end the reading, nothing more is reported.
    void detach() noexcept {
        role_ = ws_role::detached;
        queue_ = nullptr;
    }
    // Starts writing what is queued and reading; `early`: bytes the client sent behind its upgrade
    // request (read with it), handled first. `h` may be null (a refused upgrade).
    void start(std::shared_ptr<ws_handler> h, std::string_view early = {});

    // A ping frame written before the queue (plain WebSocket routes' heartbeat).
    void send_ping() {
        if (closing_ || close_sent_ || dead_) return;  // nothing may follow a close frame
        raw_out_.push_back(
            std::make_shared<const std::string>(protocol::ws::encode_frame(protocol::ws::opcode::ping, {})));
        pump();
    }
    // A text frame written before the queue (the upgrade probe's answers).
    void send_control(std::shared_ptr<const std::string> text);
    // Data queued in the main queue: written once the handlers of this round are done.
    void schedule_write(io_ctx& ctx);
    // Writes the main queue now (sendmsg, up to 64 frames), without an asynchronous operation;
    // what the stream does not take goes through pump.
    void write_now();
    void write_round() override { write_queued_ = false, write_now(); }
    // Starts the asynchronous write of what is queued unless one is in flight (the tail of write_now).
    void pump();
    // Sends `code` once the queue is written, then waits for the peer's close (5 s); with `cut`,
    // the socket is closed that long from now whatever the peer does.
    void close(std::uint16_t code = protocol::ws::close_code::normal,
               std::optional<std::chrono::milliseconds> cut = std::nullopt);
    bool closing() const noexcept { return closing_; }
    bool dead() const noexcept { return dead_; }

private:
    struct write_batch;
    void on_written(boost::system::error_code ec, std::size_t n, bool had_close);
    void writer_done();
    void read();
    void on_readable(boost::system::error_code ec);
    // Decodes bytes and handles their frames; false when the connection ended.
    bool feed(std::string_view bytes, std::vector<protocol::ws::frame_event>& events);
    bool on_frame(protocol::ws::frame_event& e);
    void send_close(std::uint16_t code);
    void finish_reading();
    void close_socket() noexcept;
    void arm_linger(std::chrono::milliseconds after);
    void maybe_release() noexcept;
    // Drops what is left of the queue after a frame cut short, keeping its rest.
    std::size_t take_written(std::size_t written, std::size_t frames, const std::uint8_t (*headers)[10],
                             const std::size_t* header_len);

    Stream stream_;
    protocol::ws::decoder dec_;
    fifo<std::shared_ptr<const std::string>>
        raw_out_;  // bytes written as they are: 101, rest of a frame, close
    fifo<std::shared_ptr<const std::string>> control_;  // Engine.IO text of an upgrade probe
    // The pong frame for the latest ping not answered yet: one at most, whatever the number of
    // pings a peer sends without reading (RFC 6455 5.5.3 lets us answer only the most recent).
    std::shared_ptr<const std::string> pong_;
    std::unique_ptr<boost::asio::steady_timer> linger_;  // after close: the peer's answer, or the cut
    conn_slot slot_;
    std::shared_ptr<ws_handler> handler_;  // until the connection is finished (read and write ended)
    outbound_queue* queue_ = nullptr;      // main: the session's queue
    ws_deflate_out deflate_;               // permessage-deflate on the way out (off unless agreed)
    const ws_stats* stats_;
    std::uint16_t close_code_ = protocol::ws::close_code::normal;
    ws_role role_ = ws_role::probe;
    bool writing_ = false;  // an async_write is in flight
    bool write_queued_ = false;
    bool close_sent_ = false;
    bool closing_ = false;  // send a close frame once the queue is written
    bool dead_ = false;     // the reader has ended
};

using tcp_stream_t = socket_stream<boost::asio::ip::tcp::socket>;
using ws_connection = basic_ws_connection<tcp_stream_t>;
extern template class basic_ws_connection<tcp_stream_t>;

}  // namespace switchboard::server::detail
