// Plain WebSocket routes: a connection of the app's own protocol on the Engine.IO transport's
// ws_connection (one reader, one writer, the bounded outbound queue), with its admission (slow
// consumers closed, volatile messages dropped), the stalled-writer deadline and a cross-thread
// inbox that keeps sends in the order they were made.
#include "ws_route.hpp"

#include <switchboard/common/log.hpp>
#include "../server_impl.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <mutex>

namespace switchboard::server::detail {

namespace {

std::uint64_t next_ws_id() {
    static std::atomic<std::uint64_t> n{0};
    return n.fetch_add(1, std::memory_order_relaxed) + 1;
}

class ws_route_conn final : public ws_peer,
                            public ws_handler,
                            public std::enable_shared_from_this<ws_route_conn> {
public:
    ws_route_conn(std::shared_ptr<server::impl> srv, executor_t ex, ws_link conn)
        : srv_(std::move(srv)),
          ex_(std::move(ex)),
          conn_(std::move(conn)),
          queue_(srv_->queues),
          stall_(ex_),
          app_timer_(ex_),
          ping_timer_(ex_),
          id_("w" + std::to_string(next_ws_id())) {}

    void start(ws_callbacks cb, std::string_view early) {
        cb_ = std::move(cb);
        conn_->attach(queue_);
        conn_->start(shared_from_this(), early);
        heartbeat();
    }

    const std::string& id() const noexcept override { return id_; }
    bool open() const noexcept override { return !closing_.load(std::memory_order_relaxed); }

    bool send_text(std::string text, bool is_volatile) override {
        if (closing_.load(std::memory_order_relaxed)) return false;
        auto data = std::make_shared<const std::string>(std::move(text));
        if (ex_.running_in_this_thread()) {
            drain_inbox();  // what other threads sent before comes first
            return enqueue(std::move(data), is_volatile);
        }
        bool post = false;
        {
            std::lock_guard lock(inbox_mu_);
            inbox_.push_back({std::move(data), is_volatile});
            post = !std::exchange(inbox_posted_, true);
        }
        if (post) boost::asio::post(ex_, [self = shared_from_this()] { self->drain_inbox(); });
        return true;
    }

    void close(std::uint16_t code) override {
        if (ex_.running_in_this_thread()) return do_close(code);
        boost::asio::post(ex_, [self = shared_from_this(), code] { self->do_close(code); });
    }

    void post(std::function<void()> f) override { boost::asio::post(ex_, std::move(f)); }

    void set_timer(std::chrono::milliseconds delay, std::function<void()> f) override {
        boost::asio::post(ex_, [self = shared_from_this(), delay, f = std::move(f)]() mutable {
            if (self->closed_) return;
            auto gen = ++self->timer_gen_;
            self->app_timer_.expires_after(delay);
            self->app_timer_.async_wait([w = self->weak_from_this(), gen, f = std::move(f)](error_code ec) {
                auto self = w.lock();
                if (ec || !self || self->closed_ || self->timer_gen_ != gen) return;
                f();
            });
        });
    }

    // ws_handler: the connection's reports.
    bool on_ws_message(ws_role, std::string&& data, bool binary) override {
        if (closed_) return false;
        alive_ = true;
        if (closing_.load(std::memory_order_relaxed) || !cb_.on_message) return true;  // read to the close
        try {
            cb_.on_message(std::move(data), binary);
        } catch (const std::exception& e) {
            log::error("websocket route handler threw", {{"conn", id_}, {"what", e.what()}});
            do_close(1011);
        }
        return !closed_;
    }

    void on_ws_pong() override { alive_ = true; }

    void on_ws_closed(ws_role) override {
        if (closed_) return;
        closed_ = true;
        closing_.store(true, std::memory_order_relaxed);
        stall_.cancel();
        app_timer_.cancel();
        ping_timer_.cancel();
        {
            std::lock_guard lock(srv_->ws_routes_mu);
            srv_->ws_routes.erase(this);
        }
        srv_->ws_routes_open.fetch_sub(1, std::memory_order_relaxed);
        log::debug("websocket closed", {{"conn", id_}});
        auto cb = std::move(cb_);
        cb_ = {};
        if (cb.on_close) cb.on_close();
    }

    void on_ws_write(ws_write state) override {
        switch (state) {
            case ws_write::blocked:
                if (!stall_armed_) arm_stall();
                break;
            case ws_write::progress:
                arm_stall();
                break;
            case ws_write::done:
                if (stall_armed_) stall_.cancel();
                stall_armed_ = false;
                break;
        }
    }

private:
    struct pending {
        std::shared_ptr<const std::string> data;
        bool is_volatile;
    };

    void drain_inbox() {
        std::vector<pending> batch;
        {
            std::lock_guard lock(inbox_mu_);
            batch.swap(inbox_);
            inbox_posted_ = false;
        }
        for (auto& p : batch)
            enqueue(std::move(p.data), p.is_volatile);
    }

    bool enqueue(std::shared_ptr<const std::string> data, bool is_volatile) {
        if (closing_.load(std::memory_order_relaxed)) return false;
        if (!queue_.fits(1, data->size())) {
            if (is_volatile) {
                srv_->dropped->inc("volatile");
                return false;
            }
            srv_->dropped->inc("slow_consumer");
            log::warn("slow consumer, closing websocket",
                      {{"conn", id_}, {"queued", std::to_string(queue_.size())}});
            do_close(ws_close::try_again_later);
            return false;
        }
        queue_.push(out_item{std::move(data), false});
        srv_->queue_depth->observe(static_cast<double>(queue_.size()));
        conn_->schedule_write(static_cast<io_ctx&>(ex_.context()));
        return true;
    }

    void do_close(std::uint16_t code) {
        if (closing_.exchange(true, std::memory_order_relaxed)) return;
        // What is queued is written first; a peer that stopped reading is cut off after 3 s.
        conn_->close(code, std::chrono::seconds(3));
    }

    // Heartbeat: a ping every PING_INTERVAL; a peer from which nothing (a pong, a message) arrives
    // within PING_TIMEOUT of it is gone: the socket is closed.
    void heartbeat() {
        ping_timer_.expires_after(std::chrono::milliseconds(srv_->opts.engine.ping_interval_ms));
        ping_timer_.async_wait([w = weak_from_this()](error_code ec) {
            auto self = w.lock();
            // Closing: no frame may follow our close frame.
            if (ec || !self || self->closed_ || self->closing_.load(std::memory_order_relaxed)) return;
            self->alive_ = false;
            self->conn_->send_ping();
            self->ping_timer_.expires_after(
                std::chrono::milliseconds(self->srv_->opts.engine.ping_timeout_ms));
            self->ping_timer_.async_wait([w](error_code ec) {
                auto self = w.lock();
                if (ec || !self || self->closed_) return;
                if (self->alive_) return self->heartbeat();
                log::debug("websocket ping timeout, closing", {{"conn", self->id_}});
                self->srv_->dropped->inc("ping_timeout");
                self->closing_.store(true, std::memory_order_relaxed);
                self->conn_->close(ws_close::going_away, std::chrono::milliseconds(0));
            });
        });
    }

    // Writes that make no progress for PING_TIMEOUT: the peer stopped reading; the socket is closed.
    void arm_stall() {
        stall_armed_ = true;
        stall_.expires_after(std::chrono::milliseconds(srv_->opts.engine.ping_timeout_ms));
        stall_.async_wait([w = weak_from_this()](error_code ec) {
            auto self = w.lock();
            if (ec || !self || self->closed_) return;
            log::warn("websocket writes stalled, closing", {{"conn", self->id_}});
            self->srv_->dropped->inc("stalled");
            self->closing_.store(true, std::memory_order_relaxed);
            self->conn_->close(ws_close::try_again_later, std::chrono::milliseconds(0));
        });
    }

    std::shared_ptr<server::impl> srv_;
    executor_t ex_;
    ws_link conn_;
    outbound_queue queue_;
    boost::asio::steady_timer stall_;
    boost::asio::steady_timer app_timer_;   // set_timer's
    boost::asio::steady_timer ping_timer_;  // the heartbeat's
    bool alive_ = true;                     // something arrived since the last ping
    std::uint64_t timer_gen_ = 0;
    std::string id_;
    ws_callbacks cb_;
    std::atomic<bool> closing_{false};
    bool closed_ = false;
    bool stall_armed_ = false;
    std::mutex inbox_mu_;
    std::vector<pending> inbox_;  // guarded by inbox_mu_
    bool inbox_posted_ = false;   // guarded by inbox_mu_
};

}  // namespace

void start_ws_route(std::shared_ptr<server::impl> srv, ws_link conn, executor_t ex, http_request req,
                    const websocket_handler& handler, std::string early) {
    auto c = std::make_shared<ws_route_conn>(srv, ex, std::move(conn));
    {
        std::lock_guard lock(srv->ws_routes_mu);
        srv->ws_routes.emplace(c.get(), c);
    }
    srv->ws_routes_open.fetch_add(1, std::memory_order_relaxed);
    srv->ws_routes_opened->inc(req.path);
    log::debug("websocket opened", {{"conn", c->id()}, {"path", req.path}});
    ws_callbacks cb;
    try {
        cb = handler(req, c);
    } catch (const std::exception& e) {
        log::error("websocket route handler threw", {{"conn", c->id()}, {"what", e.what()}});
        c->close(1011);
    }
    c->start(std::move(cb), early);
}

void close_ws_routes(server::impl& srv) {
    std::vector<std::shared_ptr<ws_peer>> all;
    {
        std::lock_guard lock(srv.ws_routes_mu);
        for (auto& [_, w] : srv.ws_routes)
            if (auto p = w.lock()) all.push_back(std::move(p));
    }
    for (auto& p : all)
        p->close(ws_close::going_away);
}

}  // namespace switchboard::server::detail
