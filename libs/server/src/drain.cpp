// server::drain: the sessions told to go in batches, then a wait for the last session and HTTP
// request (or the deadline).
#include <switchboard/common/log.hpp>
#include "engineio/engine_session.hpp"
#include "http/ws_route.hpp"
#include "server_impl.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <chrono>
#include <memory>
#include <vector>

namespace switchboard::server {

namespace asio = boost::asio;
using detail::error_code;

namespace {
// Tells the sessions to go, a batch every interval, then waits until no session, no HTTP
// request and no plain WebSocket connection is left (checked every 10 ms), or the deadline.
struct drain_wait : std::enable_shared_from_this<drain_wait> {
    drain_wait(std::shared_ptr<server::impl> s, std::chrono::milliseconds deadline, std::function<void()> d)
        : srv(std::move(s)),
          timer(srv->first_context()),
          end(std::chrono::steady_clock::now() + deadline),
          done(std::move(d)) {}
    // Batches: drain_batch each, grown so the last goes out within half the deadline.
    void tell(std::vector<std::shared_ptr<detail::engine_session>> all) {
        pending = std::move(all);
        const auto& o = srv->opts;
        auto interval = std::max(o.drain_interval, std::chrono::milliseconds(1));
        auto half =
            std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now()) / 2;
        std::size_t rounds = std::max<std::int64_t>(1, half / interval);
        batch =
            std::max<std::size_t>({o.drain_batch, std::size_t{1}, (pending.size() + rounds - 1) / rounds});
        this->interval = interval;
        if (!pending.empty())
            log::info("draining", {{"sessions", std::to_string(pending.size())},
                                   {"batch", std::to_string(batch)},
                                   {"interval_ms", std::to_string(interval.count())}});
        next_batch();
    }
    void next_batch() {
        std::size_t n = std::min(batch, pending.size() - told);
        for (std::size_t i = 0; i < n; ++i) {
            auto s = std::move(pending[told + i]);
            asio::dispatch(s->executor(), [s] { s->close(protocol::errc::server_close); });
        }
        told += n;
        if (told < pending.size()) {
            timer.expires_after(interval);
            timer.async_wait([self = shared_from_this()](error_code) { self->next_batch(); });
            return;
        }
        pending.clear();
        wait(std::chrono::milliseconds(1));  // the sessions close on their own threads first
    }
    void wait(std::chrono::steady_clock::duration d) {
        timer.expires_after(std::min(d, end - std::chrono::steady_clock::now()));
        timer.async_wait([self = shared_from_this()](error_code) { self->check(); });
    }
    void check() {
        // Plain WebSocket route connections too: their 1001 close frames go out before the stop.
        bool empty = srv->session_count.load() == 0 && srv->requests_in_flight.load() == 0 &&
                     srv->ws_routes_open.load() == 0;
        if (!empty && std::chrono::steady_clock::now() < end) return wait(std::chrono::milliseconds(10));
        if (!empty)
            log::warn("drain deadline reached", {{"sessions", std::to_string(srv->session_count.load())},
                                                 {"requests", std::to_string(srv->requests_in_flight.load())},
                                                 {"websockets", std::to_string(srv->ws_routes_open.load())}});
        if (done) done();
    }
    std::shared_ptr<server::impl> srv;
    asio::steady_timer timer;
    std::chrono::steady_clock::time_point end;
    std::function<void()> done;
    std::vector<std::shared_ptr<detail::engine_session>> pending;
    std::size_t told = 0, batch = 1;
    std::chrono::milliseconds interval{1};
};
}  // namespace

void server::impl::drain(std::chrono::milliseconds deadline, std::function<void()> done) {
    auto self = shared_from_this();
    asio::post(first_context(), [self, deadline, done = std::move(done)]() mutable {
        auto w = std::make_shared<drain_wait>(self, deadline, std::move(done));
        if (self->stopping.exchange(true)) return w->wait(std::chrono::milliseconds(1));
        log::info("stopping");
        error_code ignored;
        if (self->acceptor) self->acceptor->close(ignored);
        detail::close_ws_routes(*self);  // plain WebSocket routes: 1001 going away
        std::vector<std::shared_ptr<detail::engine_session>> all;
        {
            std::lock_guard lock(self->sessions_mu);
            for (auto& [sid, s] : self->sessions)
                all.push_back(s);
        }
        w->tell(std::move(all));
    });
}

}  // namespace switchboard::server
