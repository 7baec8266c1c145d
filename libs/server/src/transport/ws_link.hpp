#pragma once
// A session's handle on its WebSocket connection, over plain TCP or TLS: two pointers, one of them
// set. Each call is a branch on which one, not a virtual call, so the plain connection keeps its
// inlined fast path. `->` gives the link itself: call sites read as they did with a pointer.
#include "tls_stream.hpp"
#include "ws_connection.hpp"

#include <memory>

namespace switchboard::server::detail {

class ws_link {
public:
    ws_link() = default;
    ws_link(std::shared_ptr<ws_connection> c) noexcept : plain_(std::move(c)) {}
    ws_link(std::shared_ptr<tls_ws_connection> c) noexcept : tls_(std::move(c)) {}

    explicit operator bool() const noexcept { return plain_ || tls_; }
    void reset() noexcept { plain_.reset(), tls_.reset(); }
    ws_link* operator->() noexcept { return this; }

    // Calls f with the connection (ws_connection& or tls_ws_connection&).
    template <class F>
    decltype(auto) visit(F&& f) {
        if (plain_) return f(*plain_);
        return f(*tls_);
    }

    void start(std::shared_ptr<ws_handler> h, std::string_view early = {}) {
        visit([&](auto& c) { c.start(std::move(h), early); });
    }
    void attach(outbound_queue& q) noexcept {
        visit([&](auto& c) { c.attach(q); });
    }
    void set_probe() noexcept {
        visit([](auto& c) { c.set_probe(); });
    }
    void detach() noexcept {
        visit([](auto& c) { c.detach(); });
    }
    void send_control(std::shared_ptr<const std::string> text) {
        visit([&](auto& c) { c.send_control(std::move(text)); });
    }
    void schedule_write(io_ctx& ctx) {
        visit([&](auto& c) { c.schedule_write(ctx); });
    }
    void send_ping() {
        visit([](auto& c) { c.send_ping(); });
    }
    void pump() {
        visit([](auto& c) { c.pump(); });
    }
    void close(std::uint16_t code = protocol::ws::close_code::normal,
               std::optional<std::chrono::milliseconds> cut = std::nullopt) {
        visit([&](auto& c) { c.close(code, cut); });
    }

private:
    std::shared_ptr<ws_connection> plain_;
    std::shared_ptr<tls_ws_connection> tls_;
};

}  // namespace switchboard::server::detail
