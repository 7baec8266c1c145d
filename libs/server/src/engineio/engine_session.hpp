#pragma once
// One Engine.IO session: the engine_fsm shell (its timer and actions), the outbound queue and its
// admission, polling, the WebSocket transport (a ws_connection it handles), the cross-thread inbox
// of deliveries.
#include "../transport/ws_link.hpp"

#include <switchboard/server/server.hpp>

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/async_result.hpp>

namespace switchboard::server::detail {

class sio_client;
class socket_impl;

// What sits on top of an Engine.IO session: the Socket.IO client, or the raw echo of the tests.
class engine_handler {
public:
    virtual ~engine_handler() = default;
    virtual void on_message(std::string&& data, bool binary) = 0;
    virtual void on_close(protocol::errc reason) = 0;
    // The session moved from polling to WebSocket.
    virtual void on_upgraded() {}
};

class engine_session : public std::enable_shared_from_this<engine_session>, public ws_handler {
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
    // session in the order they were made, whichever threads made them. true: queued inline (the
    // caller samples its delivery latency); false: through the inbox, sampled when drained.
    bool deliver(std::shared_ptr<socket_impl> target, std::shared_ptr<const std::vector<out_item>> items,
                 bool is_volatile, std::chrono::steady_clock::time_point published);
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
    protocol::transport_kind transport() const noexcept { return fsm_.transport(); }

    // Polling (callable from any thread; they hop to the session's thread).
    template <class Token>
    auto async_poll(Token&& token);
    template <class Token>
    auto async_post(std::string body, Token&& token);

    // WebSocket: starts reading and writing `conn` (plain or TLS, on the session's thread); `probe`:
    // an upgrade attempt. `early`: bytes the client sent right behind its upgrade request, handled first.
    void start_websocket(ws_link conn, bool probe, std::string early = {});
    // On the session's thread: may a WebSocket upgrade this session?
    bool begin_upgrade();

    const std::string& sid() const noexcept { return sid_; }
    const std::string& conn_id() const noexcept { return conn_id_; }
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
    void schedule_flush();
    void drain_inbox();
    void process(protocol::engine_actions& actions);
    void on_closed_action(protocol::errc reason);
    void rearm();
    void on_timer();

    // Polling (engine_polling.cpp).
    void start_poll(poll_handler h, std::uint64_t seq);
    void cancel_poll(std::uint64_t seq);
    void complete_poll(error_code ec, std::string body);
    // Output queued while no poll is pending starts the machine's write deadline.
    void note_polling_output();
    void flush();
    std::string drain_payload();
    void handle_post(std::string body, post_handler h);
    void close_after_post(protocol::engine_packet p);

    // The WebSocket transport's reports (engine_ws.cpp).
    bool on_ws_message(ws_role role, std::string&& data, bool binary) override;
    void on_ws_closed(ws_role role) override;
    void on_ws_write(ws_write state) override;

    server::impl& srv_;
    executor_t ex_;
    std::string sid_;
    std::string conn_id_;  // "c<n>": what its log lines carry (the sid, a credential, never is)
    std::shared_ptr<const handshake> hs_;
    std::string client_address_;
    protocol::engine_fsm fsm_;
    asio::steady_timer timer_;
    protocol::millis armed_ = protocol::no_deadline;
    std::unique_ptr<engine_handler> handler_;
    outbound_queue queue_;
    poll_handler poll_;
    std::uint64_t poll_token_ = 0;
    bool flush_scheduled_ = false;
    bool slow_ = false;                 // closing as a slow consumer: refuse more
    ws_link ws_;                        // the WebSocket transport, once upgraded or opened so
    ws_link ws_probe_;                  // an upgrade in progress
    protocol::engine_actions actions_;  // scratch
    struct delivery {
        std::shared_ptr<socket_impl> target;
        std::shared_ptr<const std::vector<out_item>> items;
        bool is_volatile = false;
        std::chrono::steady_clock::time_point published;
    };
    std::vector<delivery> inbox_;            // from other threads; guarded by inbox_mutex(this)
    std::atomic<bool> inbox_posted_{false};  // a drain is posted (written under the inbox lock)
};
}  // namespace switchboard::server::detail

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
