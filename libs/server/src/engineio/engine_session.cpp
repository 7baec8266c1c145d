// The Engine.IO session shell: performs what engine_fsm decides, owns the outbound queue and its
// admission, and the inbox of deliveries from other threads. Polling is in engine_polling.cpp, the
// WebSocket transport's reports in engine_ws.cpp.
#include <switchboard/common/log.hpp>
#include "../server_impl.hpp"

#include <boost/asio/dispatch.hpp>

#include <array>
#include <atomic>
#include <mutex>

namespace switchboard::server::detail {

using protocol::engine_action_kind;
using protocol::engine_type;

namespace {
std::uint64_t next_conn_id() {
    static std::atomic<std::uint64_t> n{0};
    return n.fetch_add(1, std::memory_order_relaxed) + 1;
}
}  // namespace

engine_session::engine_session(server::impl& srv, executor_t ex, std::string sid,
                               protocol::transport_kind transport, std::shared_ptr<const handshake> hs)
    : srv_(srv),
      ex_(std::move(ex)),
      sid_(std::move(sid)),
      conn_id_("c" + std::to_string(next_conn_id())),
      hs_(std::move(hs)),
      fsm_(srv.opts.engine, transport, now_ms()),
      timer_(ex_),
      queue_(srv.queues) {}

engine_session::~engine_session() = default;

std::shared_ptr<const std::string> engine_session::control_frame(engine_type type, std::string_view data) {
    // Pings and noops go to every session at every interval: share one frame per type.
    static const std::array<std::shared_ptr<const std::string>, 7> bare = [] {
        std::array<std::shared_ptr<const std::string>, 7> a;
        for (int t = 0; t < 7; ++t)
            a[t] = std::make_shared<const std::string>(
                protocol::encode_engine_text(static_cast<engine_type>(t), {}));
        return a;
    }();
    if (data.empty()) return bare[static_cast<std::size_t>(type)];
    return std::make_shared<const std::string>(protocol::encode_engine_text(type, data));
}

void engine_session::start() {
    log::debug("session opened", {{"conn", conn_id_}, {"address", client_address()}});
    rearm();
}

void engine_session::rearm() {
    protocol::millis d = fsm_.next_deadline();
    // A deadline that moved later leaves the timer as it is: it fires early, finds nothing due and
    // arms again (the write deadline moves at every completed write; this saves a rearm each).
    if (d == armed_ || (armed_ != protocol::no_deadline && d > armed_ && d != protocol::no_deadline)) return;
    armed_ = d;
    if (d == protocol::no_deadline) {
        timer_.cancel();
        return;
    }
    timer_.expires_at(std::chrono::steady_clock::time_point(std::chrono::milliseconds(d)));
    timer_.async_wait([w = weak_from_this(), d](error_code ec) {
        if (ec) return;
        if (auto s = w.lock(); s && s->armed_ == d) {
            s->armed_ = protocol::no_deadline;
            s->on_timer();
        }
    });
}

void engine_session::on_timer() {
    actions_.clear();
    fsm_.on_tick(now_ms(), actions_);
    process(actions_);
}

void engine_session::process(protocol::engine_actions& actions) {
    log::connection_scope scope(conn_id_);  // what the engine and the app log meanwhile is this connection's
    // Handlers may feed the machine again (e.g. a socket closing the session), so iterate a copy.
    protocol::engine_actions todo;
    todo.swap(actions);
    for (auto& a : todo) {
        switch (a.kind) {
            case engine_action_kind::send:
                send(out_item{control_frame(a.type, a.data), false});
                break;
            case engine_action_kind::send_probe:
                if (ws_probe_) ws_probe_->send_control(control_frame(a.type, a.data));
                break;
            case engine_action_kind::deliver:
                if (handler_ && !fsm_.closed()) handler_->on_message(std::move(a.data), a.binary);
                break;
            case engine_action_kind::release_poll:
                if (poll_) complete_poll({}, "6");
                break;
            case engine_action_kind::reject_poll:
                if (poll_) complete_poll(protocol::errc::bad_request, {});
                break;
            case engine_action_kind::upgraded:
                ws_ = std::move(ws_probe_);
                if (ws_) {
                    ws_->attach(queue_);
                    ws_->pump();
                }
                log::debug("session upgraded", {{"conn", conn_id_}});
                if (handler_ && !fsm_.closed()) handler_->on_upgraded();
                break;
            case engine_action_kind::abort_upgrade:
                if (ws_probe_) {
                    ws_probe_->close();
                    ws_probe_->detach();
                    ws_probe_.reset();
                }
                break;
            case engine_action_kind::close:
                on_closed_action(a.reason);
                break;
        }
    }
    rearm();
}

void engine_session::on_closed_action(protocol::errc reason) {
    srv_.remove_session(sid_);
    timer_.cancel();
    armed_ = protocol::no_deadline;
    if (poll_) {
        std::string body = drain_payload();
        protocol::append_payload(body, reason == protocol::errc::client_close ? "6" : "1", false);
        complete_poll({}, std::move(body));
    }
    // The queue is written, then the close frame; a peer that stopped reading is cut off after 3 s.
    if (ws_) ws_->close(protocol::ws::close_code::normal, std::chrono::seconds(3));
    if (ws_probe_) {
        ws_probe_->close();
        ws_probe_->detach();
        ws_probe_.reset();
    }
    log::debug("session closed", {{"conn", conn_id_}, {"reason", make_error_code(reason).message()}});
    if (handler_) handler_->on_close(reason);
    if (!ws_) queue_.clear();
}

void engine_session::close(protocol::errc reason) {
    actions_.clear();
    fsm_.close(reason, actions_);
    process(actions_);
}

engine_session::admission engine_session::admit(std::size_t packets, std::size_t bytes, bool is_volatile) {
    if (fsm_.closed() || slow_) return admission::closed;
    if (queue_.fits(packets, bytes)) return admission::ok;
    if (is_volatile) {
        srv_.dropped->inc("volatile");
        return admission::dropped;
    }
    slow_ = true;
    srv_.dropped->inc("slow_consumer");
    log::warn("slow consumer, closing session",
              {{"conn", conn_id_}, {"queued", std::to_string(queue_.size())}});
    // Closed from its own handler: a send never calls back into the app (the sender may be
    // another session's handler, holding the broadcast's ordering lock).
    asio::post(ex_, [self = shared_from_this()] { self->close(protocol::errc::slow_consumer); });
    return admission::closed;
}

bool engine_session::send(out_item item, bool is_volatile) {
    auto a = admit(1, item.data->size(), is_volatile);
    if (a != admission::ok) return a == admission::dropped;
    queue_.push(std::move(item));
    schedule_flush();
    note_polling_output();
    return true;
}

bool engine_session::send_group(const std::vector<out_item>& items, bool is_volatile) {
    std::size_t bytes = 0;
    for (const auto& i : items)
        bytes += i.data->size();
    auto a = admit(items.size(), bytes, is_volatile);
    if (a != admission::ok) return a == admission::dropped;
    queue_.append(items, bytes);
    srv_.queue_depth->observe(static_cast<double>(queue_.size()));
    schedule_flush();
    note_polling_output();
    return true;
}

namespace {
// Inbox locks, striped by session (a mutex per session would cost 40 bytes per connection).
std::mutex& inbox_mutex(const void* session) {
    static std::array<std::mutex, 64> stripes;
    return stripes[(reinterpret_cast<std::uintptr_t>(session) >> 6) % stripes.size()];
}
}  // namespace

bool engine_session::deliver(std::shared_ptr<socket_impl> target,
                             std::shared_ptr<const std::vector<out_item>> items, bool is_volatile,
                             std::chrono::steady_clock::time_point published) {
    if (ex_.running_in_this_thread()) {
        // What other threads delivered before comes first.
        if (inbox_posted_.load(std::memory_order_acquire)) drain_inbox();
        return target->connected() && send_group(*items, is_volatile);
    }
    bool post = false;
    {
        std::lock_guard lock(inbox_mutex(this));
        inbox_.push_back({std::move(target), std::move(items), is_volatile, published});
        post = !inbox_posted_.exchange(true, std::memory_order_acq_rel);
    }
    if (post) asio::post(ex_, [self = shared_from_this()] { self->drain_inbox(); });
    return false;
}

void engine_session::drain_inbox() {
    std::vector<delivery> batch;
    {
        std::lock_guard lock(inbox_mutex(this));
        batch.swap(inbox_);
        inbox_posted_.store(false, std::memory_order_release);
    }
    if (batch.empty()) return;
    auto now = std::chrono::steady_clock::now();
    for (auto& d : batch)
        if (d.target->connected() && send_group(*d.items, d.is_volatile))
            srv_.delivery_latency->observe(std::chrono::duration<double>(now - d.published).count());
}

void engine_session::schedule_flush() {
    if (ws_) {
        // Written once this round of handlers is done, with whatever else they queue.
        ws_->schedule_write(static_cast<io_ctx&>(ex_.context()));
        return;
    }
    if (!poll_ || flush_scheduled_) return;
    // Batch what the current handler queues into one poll response.
    flush_scheduled_ = true;
    asio::post(ex_, [self = shared_from_this()] {
        self->flush_scheduled_ = false;
        self->flush();
    });
}

}  // namespace switchboard::server::detail
