#pragma once
// Plain WebSocket routes (no Engine.IO): a path whose upgrade requests become connections of the
// app's own protocol (the Channels-style endpoints). They share the Engine.IO WebSocket
// transport: the RFC 6455 codec, the one writer with its bounded outbound queue (MAX_PAYLOAD per
// message, the session queue bounds, slow consumers closed), the stalled-writer deadline
// (PING_TIMEOUT), MAX_CONNECTIONS and the byte counters. Free of Asio/Beast.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace switchboard::server {

struct http_request;

// Close codes a plain WebSocket connection is closed with by the server itself.
namespace ws_close {
constexpr std::uint16_t normal = 1000;
constexpr std::uint16_t going_away = 1001;       // the server drains
constexpr std::uint16_t try_again_later = 1013;  // a slow consumer (its queue is full)
}  // namespace ws_close

// One accepted connection, as the app sees it. Thread-safe: any thread may send or close.
class ws_peer {
public:
    virtual ~ws_peer() = default;
    // "w<n>": unique in this process, never a credential.
    virtual const std::string& id() const noexcept = 0;
    // Queues a text message. `is_volatile`: dropped (not queued) when the queue is full; otherwise
    // a full queue closes the connection with ws_close::try_again_later. false: not queued (closed
    // or closing, or dropped).
    virtual bool send_text(std::string text, bool is_volatile = false) = 0;
    // Sends what is queued, then a close frame with `code` (1000, or 3000-4999 for the app's own);
    // a peer that does not answer is cut off after 3 s.
    virtual void close(std::uint16_t code) = 0;
    // Runs `f` on the connection's thread (soon, not inline).
    virtual void post(std::function<void()> f) = 0;
    // One timer for the app (a token's expiry): runs `f` on the connection's thread after `delay`,
    // unless replaced by another set_timer or the connection ends first.
    virtual void set_timer(std::chrono::milliseconds delay, std::function<void()> f) = 0;
    // Not closed nor closing (a hint when asked from another thread).
    virtual bool open() const noexcept = 0;
};
using ws_peer_ptr = std::shared_ptr<ws_peer>;

// What the app does with a connection's messages; called on the connection's thread, one at a time.
struct ws_callbacks {
    // A whole message (text, or binary when `binary`), at most MAX_PAYLOAD bytes.
    std::function<void(std::string&& data, bool binary)> on_message;
    // The connection ended (the peer's close, an error, our close); called once. Sending is over.
    std::function<void()> on_close;
};

// Called once the 101 answer is queued, on the connection's thread, with the upgrade request (its
// path, query and lower-case headers; `remote_address` the peer's) and the connection.
using websocket_handler = std::function<ws_callbacks(const http_request& req, const ws_peer_ptr& peer)>;

}  // namespace switchboard::server
