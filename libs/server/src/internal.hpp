#pragma once
// Private to libs/server: the Asio/Beast shell around the sans-io protocol core.
#include <switchboard/common/clock.hpp>
#include <switchboard/common/ids.hpp>
#include <switchboard/common/log.hpp>
#include <switchboard/protocol/engine_fsm.hpp>
#include <switchboard/protocol/sio_packet.hpp>
#include <switchboard/protocol/ws_frame.hpp>
#include <switchboard/rooms/recovery.hpp>
#include <switchboard/rooms/room_index.hpp>
#include <switchboard/server/errc.hpp>
#include <switchboard/server/server.hpp>

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <switchboard/server/admission.hpp>

#include <atomic>
#include <mutex>
#include <unordered_map>
#include <utility>

namespace switchboard::server {
// The metrics types by their short names inside the server.
using common::counter;
using common::counter_family;
using common::metrics_registry;
}  // namespace switchboard::server

namespace switchboard::server::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
// Every session lives on one I/O thread, which runs an io_context of its own: its executor is that
// io_context's, so work for a session from its own thread runs inline and no strand is needed.
using executor_t = asio::io_context::executor_type;

// An io_context whose services can be shut down early: with several of them, sessions (held by
// handlers queued in one) own sockets and timers of another, so every context is shut down (its
// queued handlers destroyed) before any is destroyed.
class engine_session;
class io_ctx : public asio::io_context {
public:
    using asio::io_context::io_context;
    void shut_down() {
        shutdown();
        dirty.clear();
        flushing.clear();
    }
    // Sessions with frames to write once the handlers of this round have run (one writev each
    // per round, whatever number of packets queued); only the thread running this context uses these.
    std::vector<std::shared_ptr<engine_session>> dirty, flushing;
    bool flush_posted = false;
};
using error_code = boost::system::error_code;

inline protocol::millis now_ms() noexcept {
    return common::steady_ms();
}
using common::random_id;  // 20 chars of base64url from the OS's random source
using common::wall_ms;
inline std::string iso_time(std::int64_t epoch_ms) {
    return log::iso_time(epoch_ms);
}

class engine_session;
class sio_client;
class socket_impl;
struct namespace_state;

// What sits on top of an Engine.IO session: the Socket.IO client, or the raw echo of the tests.
class engine_handler {
public:
    virtual ~engine_handler() = default;
    virtual void on_message(std::string&& data, bool binary) = 0;
    virtual void on_close(protocol::errc reason) = 0;
};

struct out_item {
    std::shared_ptr<const std::string> data;  // text: Engine.IO frame with its type digit; binary: raw bytes
    bool binary = false;
};

// A FIFO that holds no memory while empty (an empty std::deque keeps ~600 bytes per session).
template <class T>
class fifo {
public:
    bool empty() const noexcept { return head_ == items_.size(); }
    std::size_t size() const noexcept { return items_.size() - head_; }
    void push_back(T v) { items_.push_back(std::move(v)); }
    template <class It>
    void append(It first, It last) {
        items_.insert(items_.end(), first, last);
    }
    T& front() { return items_[head_]; }
    T& at(std::size_t i) { return items_[head_ + i]; }
    void pop_front() {
        if (++head_ == items_.size()) clear();
    }
    void clear() {
        items_.clear();
        head_ = 0;
        if (items_.capacity() > 16) items_.shrink_to_fit();
    }
    template <class F>
    void for_each(F&& f) const {
        for (std::size_t i = head_; i < items_.size(); ++i)
            f(items_[i]);
    }

private:
    std::vector<T> items_;
    std::size_t head_ = 0;
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

// A stored completion handler, completed later through its own executor. (Boost 1.81's
// any_completion_handler recurses when moved, so we keep this small one.)
template <class... Args>
class stored_handler {
    struct base {
        virtual ~base() = default;
        virtual void post(const executor_t& fallback, Args... args) = 0;
    };
    template <class H>
    struct impl final : base {
        explicit impl(H&& x) : h(std::move(x)) {}
        void post(const executor_t& fallback, Args... args) override {
            auto ex = asio::get_associated_executor(h, fallback);
            asio::post(
                ex, [h = std::move(h), ... a = std::move(args)]() mutable { std::move(h)(std::move(a)...); });
        }
        H h;
    };
    std::unique_ptr<base> p_;

public:
    stored_handler() = default;
    template <class H>
    explicit stored_handler(H&& h) : p_(std::make_unique<impl<std::decay_t<H>>>(std::forward<H>(h))) {}
    explicit operator bool() const noexcept { return p_ != nullptr; }
    // Completes (once) by posting to the handler's associated executor.
    void complete(const executor_t& fallback, Args... args) {
        auto p = std::move(p_);
        if (p) p->post(fallback, std::move(args)...);
    }
};

using poll_handler = stored_handler<error_code, std::string>;
using post_handler = stored_handler<error_code>;

class engine_session : public std::enable_shared_from_this<engine_session> {
public:
    engine_session(server::impl& srv, executor_t ex, std::string sid, protocol::transport_kind transport,
                   std::shared_ptr<const handshake> hs);
    ~engine_session();

    void set_handler(std::unique_ptr<engine_handler> h) { handler_ = std::move(h); }
    // First packet of the session, as text frame ("0{...}").
    std::string open_frame() const { return "0" + fsm_.open_payload(sid_); }
    void start();  // on the session's thread: arms the timer

    // All below run on the session's thread.
    // Queues one packet; with `is_volatile` it may be dropped under back-pressure. false: closed.
    bool send(out_item item, bool is_volatile = false);
    bool send_group(const std::vector<out_item>& items, bool is_volatile = false);
    // A broadcast's packets for `target` (a socket of this session), from any thread: queued at
    // once when called on the session's thread, else through the inbox. Deliveries reach the
    // session in the order they were made, whichever threads made them.
    void deliver(std::shared_ptr<socket_impl> target, std::shared_ptr<const std::vector<out_item>> items,
                 bool is_volatile);
    void close(protocol::errc reason);
    void mark_attached() {
        fsm_.mark_attached();
        rearm();
    }
    void mark_detached() {
        fsm_.mark_detached(now_ms());
        rearm();
    }
    bool closed() const noexcept { return fsm_.closed(); }

    // Polling (callable from any thread; they hop to the session's thread).
    template <class Token>
    auto async_poll(Token&& token);
    template <class Token>
    auto async_post(std::string body, Token&& token);

    // WebSocket: starts reading and writing `conn` (on the session's thread); `probe`: an upgrade attempt.
    // `early`: bytes the client sent right behind its upgrade request (read with it), handled first.
    void start_websocket(std::shared_ptr<ws_conn> conn, bool probe, std::string early = {});
    // On the session's thread: may a WebSocket upgrade this session?
    bool begin_upgrade();

    const std::string& sid() const noexcept { return sid_; }
    const executor_t& executor() const noexcept { return ex_; }
    const std::shared_ptr<const handshake>& handshake_ptr() const noexcept { return hs_; }
    // The address counted for MAX_CONNECTIONS_PER_IP (the peer, or the forwarded client).
    const std::string& client_address() const noexcept { return client_address_; }
    void set_client_address(std::string a) { client_address_ = std::move(a); }
    server::impl& srv() noexcept { return srv_; }

    std::atomic<std::uint64_t> poll_seq{0};

private:
    enum class admission { ok, dropped, closed };
    static std::shared_ptr<const std::string> control_frame(protocol::engine_type type,
                                                            std::string_view data);
    // Back-pressure: room in the queue, or drop (volatile), or close as a slow consumer.
    admission admit(std::size_t packets, std::size_t bytes, bool is_volatile);
    void start_poll(poll_handler h, std::uint64_t seq);
    void cancel_poll(std::uint64_t seq);
    void complete_poll(error_code ec, std::string body);
    // Output queued while no poll is pending starts the machine's write deadline.
    void note_polling_output();
    std::string drain_payload();
    void clear_queue();
    void schedule_flush();
    void flush();
    void drain_inbox();
    // Writes what is queued for the WebSocket now, with one sendmsg of up to 64 frames, without an
    // asynchronous operation; what the socket does not take goes through pump.
    void write_now(const std::shared_ptr<ws_conn>& conn);
    static void flush_dirty(io_ctx& ctx);
    void handle_post(std::string body, post_handler h);
    void process(protocol::engine_actions& actions);
    void rearm();
    void on_timer();
    void pump(const std::shared_ptr<ws_conn>& conn);
    void writer_done(const std::shared_ptr<ws_conn>& conn);
    void on_ws_closed(const std::shared_ptr<ws_conn>& conn);
    void read_ws(const std::shared_ptr<ws_conn>& conn);
    // Decodes bytes of `conn` and handles their frames; false when the connection ended.
    bool feed_ws(const std::shared_ptr<ws_conn>& conn, std::string_view bytes,
                 std::vector<protocol::ws::frame_event>& events);
    // One decoded frame; false ends the reader.
    bool on_ws_frame(const std::shared_ptr<ws_conn>& conn, protocol::ws::frame_event& e);
    void send_ws_close(const std::shared_ptr<ws_conn>& conn, std::uint16_t code);

    server::impl& srv_;
    executor_t ex_;
    std::string sid_;
    std::shared_ptr<const handshake> hs_;
    std::string client_address_;
    protocol::engine_fsm fsm_;
    asio::steady_timer timer_;
    protocol::millis armed_ = protocol::no_deadline;
    std::unique_ptr<engine_handler> handler_;
    fifo<out_item> queue_;
    std::size_t queued_bytes_ = 0;
    poll_handler poll_;
    std::uint64_t poll_token_ = 0;
    bool flush_scheduled_ = false;
    std::shared_ptr<ws_conn> ws_;        // the WebSocket transport, once upgraded or opened so
    std::shared_ptr<ws_conn> ws_probe_;  // an upgrade in progress
    protocol::engine_actions actions_;   // scratch
    struct delivery {
        std::shared_ptr<socket_impl> target;
        std::shared_ptr<const std::vector<out_item>> items;
        bool is_volatile = false;
    };
    std::vector<delivery> inbox_;            // from other threads; guarded by inbox_mutex(this)
    std::atomic<bool> inbox_posted_{false};  // a drain is posted (written under the inbox lock)
    bool slow_ = false;                      // closing as a slow consumer: refuse more
    bool write_queued_ = false;              // in its context's dirty list
};

// Per-namespace shared state: the room index and socket lookup, guarded by one mutex held only
// for updates and target collection.
struct namespace_state {
    namespace_* api = nullptr;
    mutable std::mutex mu;
    // With recovery on: held across offset allocation, logging and delivery of one event, so
    // every receiver gets events in offset order.
    std::mutex order_mu;
    std::unique_ptr<rooms::recovery_log> recovery;
    rooms::room_index index;
    std::unordered_map<std::string, std::weak_ptr<socket_impl>> sockets;
};

class socket_impl final : public socket, public std::enable_shared_from_this<socket_impl> {
public:
    socket_impl(std::shared_ptr<engine_session> session, sio_client& client, namespace_state& ns,
                std::string id, std::string pid, boost::json::object auth);

    const std::string& id() const noexcept override { return id_; }
    const std::string& nsp() const noexcept override { return ns_.api->name(); }
    const handshake& handshake_info() const noexcept override { return *session_->handshake_ptr(); }
    const std::string& session_id() const noexcept override { return session_->sid(); }
    const boost::json::object& auth() const noexcept override { return auth_; }
    std::int64_t issued() const noexcept override { return issued_; }
    bool connected() const noexcept override { return connected_.load(); }
    void emit(std::string_view event, payload p) override;
    void emit_with_ack(std::string_view event, payload p, std::chrono::milliseconds timeout,
                       ack_callback cb) override;
    void join(const std::string& room) override;
    void leave(const std::string& room) override;
    std::vector<std::string> rooms() const override;
    void disconnect(bool close_transport) override;
    void set_timer(std::chrono::milliseconds delay, std::function<void()> f) override;
    void cancel_timer() override;
    void post(std::function<void()> f) override;

    // On the session's thread.
    void send_packet(protocol::sio_type type, std::optional<std::uint64_t> id, const payload& p);
    void on_ack(std::uint64_t id, payload&& p);
    // Registers the socket (with `rooms` when restoring a kept session).
    void mark_connected(const std::vector<std::string>& rooms = {});
    // Leaves every room, fails pending acks, runs the namespace's disconnect handler. `keep`: the
    // transport was lost, so the session is kept for recovery.
    void finish(std::string_view reason, bool keep);
    void set_recovered() noexcept { recovered_ = true; }
    bool recovered() const noexcept override { return recovered_; }
    const std::string& pid() const noexcept { return pid_; }
    sio_client& client() noexcept { return client_; }
    engine_session& session() noexcept { return *session_; }
    namespace_state& ns() const noexcept { return ns_; }

private:
    struct pending_ack {
        ack_callback cb;
        std::shared_ptr<asio::steady_timer> timer;
    };
    std::shared_ptr<engine_session> session_;
    sio_client& client_;
    namespace_state& ns_;
    std::string id_;
    std::string pid_;
    boost::json::object auth_;
    std::int64_t issued_;
    std::atomic<bool> connected_{false};
    bool recovered_ = false;
    std::uint64_t next_ack_ = 0;
    std::unordered_map<std::uint64_t, pending_ack> acks_;
    std::unique_ptr<asio::steady_timer> app_timer_;
    std::uint64_t app_timer_gen_ = 0;
};

// The Socket.IO layer of one Engine.IO session (Node's Client): namespaces and packet dispatch.
class sio_client final : public engine_handler {
public:
    explicit sio_client(engine_session& s) : session_(s) {}
    void on_message(std::string&& data, bool binary) override;
    void on_close(protocol::errc reason) override;
    void remove(const std::string& nsp) {
        std::erase_if(sockets_, [&](auto& p) { return p.first == nsp; });
        // An Engine.IO session in no namespace is held only for the connect timeout.
        if (sockets_.empty() && connecting_.empty()) session_.mark_detached();
    }
    void finish_connect(const std::shared_ptr<socket_impl>& s, std::optional<connect_error> err);
    // CONNECT {pid, offset}: restores a kept session; false when it cannot.
    // After admission: the kept session of the CONNECT's {pid, offset} when it belongs to the owner
    // the connect hook set on `fresh` (its id, rooms and missed events); false for a fresh session.
    bool try_restore(const std::shared_ptr<socket_impl>& fresh);
    void send_connect_reply(const socket_impl& s);
    void run_connection_handler(const std::shared_ptr<socket_impl>& s);

private:
    void handle(protocol::sio_packet&& p);
    void handle_connect(protocol::sio_packet&& p);
    std::shared_ptr<socket_impl> find(const std::string& nsp) const;

    engine_session& session_;
    protocol::sio_decoder decoder_;
    std::vector<std::pair<std::string, std::shared_ptr<socket_impl>>> sockets_;
    std::vector<std::string> connecting_;
};

// HTTP/1.1 connections (server.cpp): serves requests until the connection ends or becomes a
// WebSocket (which then takes `slot`).
asio::awaitable<void> run_http(std::shared_ptr<server::impl> srv, tcp::socket sock, executor_t ex,
                               std::string remote, conn_slot slot);
// The listener (listener.cpp): accepts within MAX_CONNECTIONS, survives the descriptor limit.
asio::awaitable<void> accept_loop(std::shared_ptr<server::impl> srv, tcp::acceptor& acc);

// Reads one request (http_read.cpp): the first byte of a keep-alive request within the idle
// timeout (`first`: the connection's first request, which gets the header timeout from accept),
// the header within the header timeout, the body at the minimum rate after that grace.
asio::awaitable<error_code> read_request(beast::tcp_stream& stream, beast::flat_buffer& buf,
                                         beast::http::request_parser<beast::http::string_body>& parser,
                                         const server_options& opts, bool first);

// Encodes an event once as the frame and attachments every receiver shares.
rooms::encoded_packet encode_event(std::string_view nsp, std::optional<std::uint64_t> id,
                                   std::string_view event, const payload& p, std::string_view offset = {});
std::vector<out_item> to_items(const rooms::encoded_packet& pkt);

}  // namespace switchboard::server::detail

namespace switchboard::server {

struct server::impl : std::enable_shared_from_this<server::impl>, rooms::emitter {
    explicit impl(server& s, server_options o);

    void deliver_local(const rooms::broadcast_message& msg) override;
    // Delivers to the sockets of `ns` that the broadcast targets.
    std::size_t deliver_to(detail::namespace_state& ns, const rooms::broadcast_message& msg);
    // The one broadcast path (server::broadcast and recovery-logged single emits): encode once
    // (with an offset when `ns` logs for recovery), deliver locally, publish to the cluster bus.
    std::size_t broadcast(detail::namespace_state* ns, std::string_view nsp,
                          const rooms::broadcast_options& opts, std::string_view event, const payload& p);
    std::shared_ptr<detail::engine_session> find_session(const std::string& sid);
    // Admits and registers a new session under MAX_CONNECTIONS and MAX_CONNECTIONS_PER_IP; false:
    // refused (counted in `refused`), nothing registered.
    bool add_session(const std::shared_ptr<detail::engine_session>& s);
    void remove_session(const std::string& sid);
    detail::namespace_state* find_namespace(std::string_view name);

    server& api;
    server_options opts;
    detail::io_ctx ioc;  // the first I/O thread's: acceptor, signals, stop
    // The other I/O threads' (THREADS - 1), each run by one thread. Connections are dealt
    // round-robin over ioc and these.
    std::vector<std::unique_ptr<detail::io_ctx>> workers;
    std::atomic<unsigned> next_context{0};
    boost::asio::io_context& pick_context();
    string_map<std::unique_ptr<namespace_>> namespaces;
    string_map<std::unique_ptr<detail::namespace_state>> ns_state;
    std::vector<std::pair<std::string, http_route>> routes;
    std::vector<std::pair<std::string, http_route>> prefix_routes;
    std::vector<std::pair<std::string, async_http_route>> async_routes;
    std::vector<std::pair<std::string, async_http_route>> async_prefix_routes;
    std::function<bool(std::string_view)> no_cors;  // paths answered without CORS headers

    // Metrics of the engine (registered in `metrics`).
    metrics_registry metrics;
    counter_family* handshakes = nullptr;  // by transport
    counter_family* events_in = nullptr;   // by event name
    counter* unhandled_in = nullptr;       // events_in{event="unhandled"}
    counter_family* events_out = nullptr;  // by event name (one per emit or broadcast)
    counter_family* dropped = nullptr;     // by reason
    counter* deliveries = nullptr;         // packets queued for a socket by broadcasts
    counter* broadcasts = nullptr;
    counter* bytes_in = nullptr;
    counter* bytes_out = nullptr;
    std::atomic<std::int64_t> queued_packets{0};
    std::atomic<bool> ready{false};
    std::atomic<bool> ready_set_by_app{false};
    std::shared_ptr<rooms::cluster_bus> bus;

    // Open TCP connections (conn_slot) and the limit applied to them and to sessions; declared
    // before the sessions, whose WebSockets give their slots back here when they go.
    std::atomic<std::size_t> open_connections{0};
    std::size_t max_connections = 0;
    counter_family* refused = nullptr;  // by reason: max_connections, per_ip, fd_limit

    std::mutex sessions_mu;
    address_counts per_address{0};  // guarded by sessions_mu
    std::unordered_map<std::string, std::shared_ptr<detail::engine_session>> sessions;
    std::atomic<std::size_t> session_count{0};
    std::atomic<std::uint16_t> port{0};
    std::atomic<bool> stopping{false};
    std::int64_t started_ms = 0;
};

}  // namespace switchboard::server

// Template definitions of the polling operations.
namespace switchboard::server::detail {

template <class Token>
auto engine_session::async_poll(Token&& token) {
    return asio::async_initiate<Token, void(error_code, std::string)>(
        [self = shared_from_this()](auto handler) {
            std::uint64_t seq = ++self->poll_seq;
            auto slot = asio::get_associated_cancellation_slot(handler);
            if (slot.is_connected()) {
                slot.assign(
                    [w = std::weak_ptr<engine_session>(self), ex = self->ex_, seq](asio::cancellation_type) {
                        asio::post(ex, [w, seq] {
                            if (auto s = w.lock()) s->cancel_poll(seq);
                        });
                    });
            }
            asio::post(self->ex_, [self, seq, h = poll_handler(std::move(handler))]() mutable {
                self->start_poll(std::move(h), seq);
            });
        },
        token);
}

template <class Token>
auto engine_session::async_post(std::string body, Token&& token) {
    return asio::async_initiate<Token, void(error_code)>(
        [self = shared_from_this()](auto handler, std::string body) {
            asio::post(self->ex_,
                       [self, body = std::move(body), h = post_handler(std::move(handler))]() mutable {
                           self->handle_post(std::move(body), std::move(h));
                       });
        },
        token, std::move(body));
}

}  // namespace switchboard::server::detail
