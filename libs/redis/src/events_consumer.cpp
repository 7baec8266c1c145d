// The backend events consumer (see events_consumer.hpp). On one strand: the read loop (XREADGROUP
// BLOCK), one entry at a time (dedupe SET NX, dispatch, XACK or dead-letter), and the claim loop
// (XPENDING IDLE: too many deliveries → dead, else XCLAIM and handle).
#include <switchboard/redis/events_consumer.hpp>

#include <switchboard/common/clock.hpp>
#include <switchboard/common/ids.hpp>
#include <switchboard/common/log.hpp>
#include <switchboard/common/metrics.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <algorithm>
#include <atomic>
#include <deque>

namespace switchboard::redis {

namespace asio = boost::asio;

struct events_consumer::impl : std::enable_shared_from_this<impl> {
    impl(asio::any_io_executor ex, client_options redis, events_options o, event_handler h)
        : strand(asio::make_strand(ex)),
          opts(std::move(o)),
          handler(std::move(h)),
          retry_timer(strand),
          claim_timer(strand) {
        if (opts.consumer.empty()) opts.consumer = "switchboard-" + common::random_hex(6);
        redis.client_name = opts.consumer + "-events";
        redis.log_name = "redis-events";
        redis.call_timeout = opts.block + std::chrono::seconds(5);
        conn = client::create(strand, std::move(redis));
    }

    using done_fn = std::function<void()>;

    void start() {
        conn->start();
        asio::post(strand, [self = shared_from_this()] {
            self->create_group();
            self->schedule_claim();
        });
    }
    void stop() {
        if (stopped.exchange(true)) return;
        asio::post(strand, [self = shared_from_this()] {
            self->retry_timer.cancel();
            self->claim_timer.cancel();
        });
        conn->stop();
    }

    void later(std::function<void()> f) {
        if (stopped) return;
        retry_timer.expires_after(std::chrono::milliseconds(250));
        retry_timer.async_wait([self = shared_from_this(), f = std::move(f)](boost::system::error_code ec) {
            if (!ec && !self->stopped) f();
        });
    }

    // The group, created at the stream's end when it does not exist (entries added before any
    // instance ran are not replayed; create it at 0 yourself to have them).
    void create_group() {
        conn->exec({"XGROUP", "CREATE", opts.stream, opts.group, "$", "MKSTREAM"},
                   [self = shared_from_this()](boost::system::error_code ec, value v) {
                       bool exists =
                           ec == errc::server_error && v.as_string().find("BUSYGROUP") != std::string::npos;
                       if (ec && !exists) return self->later([self] { self->create_group(); });
                       self->read();
                   });
    }

    void read() {
        if (stopped) return;
        read_started_ms = common::steady_ms();  // a read in flight counts as alive until its block time
        conn->exec(
            {"XREADGROUP", "GROUP", opts.group, opts.consumer, "COUNT", std::to_string(opts.read_count),
             "BLOCK", std::to_string(opts.block.count()), "STREAMS", opts.stream, ">"},
            [self = shared_from_this()](boost::system::error_code ec, value v) {
                if (ec || v.is_error()) {
                    // The group is gone (the stream was deleted, or Redis lost its data).
                    if (ec == errc::server_error && v.as_string().find("NOGROUP") != std::string::npos)
                        return self->later([self] { self->create_group(); });
                    return self->later([self] { self->read(); });
                }
                self->last_read_ms = common::steady_ms();
                if (v.size() == 0) return self->read();
                const value& entries = v.type == kind::map ? v.at(1) : v.at(0).at(1);
                self->queue_entries(entries, false);
                self->drain([self] { self->read(); });
            });
    }

    void queue_entries(const value& entries, bool claimed) {
        for (std::size_t i = 0; i < entries.size(); ++i) {
            const auto& e = entries.at(i);
            if (e.size() < 2) continue;
            backend_event ev;
            ev.entry_id = std::string(e.at(0).as_string());
            const auto& f = e.at(1);
            for (std::size_t k = 0; k + 1 < f.size(); k += 2) {
                auto name = f.at(k).as_string();
                auto val = std::string(f.at(k + 1).as_string());
                if (name == "target")
                    ev.target = std::move(val);
                else if (name == "event")
                    ev.event = std::move(val);
                else if (name == "data")
                    ev.data = std::move(val);
                else if (name == "id")
                    ev.id = std::move(val);
            }
            if (claimed) ++claimed_total;
            queue.push_back(std::move(ev));
        }
    }

    // Handles the queued entries one after the other, then `then`.
    void drain(done_fn then) {
        if (stopped) return;
        if (queue.empty()) return then();
        auto ev = std::move(queue.front());
        queue.pop_front();
        auto next = [self = shared_from_this(), then = std::move(then)]() mutable {
            self->drain(std::move(then));
        };
        if (ev.id.empty()) return dispatch(std::move(ev), std::move(next));
        // Seen within the window: acknowledged without dispatching it again.
        conn->exec({"SET", opts.stream + ":seen:" + ev.id, ev.entry_id, "NX", "PX",
                    std::to_string(opts.dedupe_window.count())},
                   [self = shared_from_this(), ev, next](boost::system::error_code ec, value v) mutable {
                       if (ec || v.is_error()) return next();  // left pending: claimed and tried again
                       if (v.type == kind::null) {
                           ++self->duplicates;
                           return self->ack(ev.entry_id, std::move(next));
                       }
                       self->dispatch(std::move(ev), std::move(next));
                   });
    }

    void dispatch(backend_event ev, done_fn next) {
        std::string reason;
        event_result r = event_result::retry;
        try {
            r = handler(ev, reason);
        } catch (const std::exception& e) {
            reason = "handler failed";
            log::error("events: handler threw", {{"what", e.what()}});
        }
        switch (r) {
            case event_result::done:
                ++handled;
                return ack(ev.entry_id, std::move(next));
            case event_result::invalid:
                return dead_letter(ev.entry_id, reason, std::move(next));
            case event_result::retry:
                ++retries;
                log::warn("events: entry failed; it stays pending and is tried again",
                          {{"entry", ev.entry_id}, {"reason", reason}});
                return next();
        }
    }

    void ack(const std::string& entry_id, done_fn next) {
        conn->exec({"XACK", opts.stream, opts.group, entry_id},
                   [next = std::move(next)](boost::system::error_code, value) { next(); });
    }

    // Copies the entry to <stream>:dead with the reason, then acknowledges it.
    void dead_letter(const std::string& entry_id, const std::string& reason, done_fn next) {
        conn->exec({"XRANGE", opts.stream, entry_id, entry_id}, [self = shared_from_this(), entry_id, reason,
                                                                 next = std::move(next)](
                                                                    boost::system::error_code ec,
                                                                    value v) mutable {
            if (ec || v.is_error()) return next();  // still pending: again later
            std::vector<std::string> args{
                "XADD", self->opts.stream + ":dead", "*", "entry", entry_id, "reason", reason};
            if (v.size() > 0 && v.at(0).size() > 1) {
                const auto& f = v.at(0).at(1);
                for (std::size_t k = 0; k + 1 < f.size(); k += 2) {
                    args.emplace_back(f.at(k).as_string());
                    args.emplace_back(f.at(k + 1).as_string());
                }
            }
            self->conn->exec(std::move(args), [self, entry_id, reason, next = std::move(next)](
                                                  boost::system::error_code ec2, value v2) mutable {
                if (ec2 || v2.is_error()) return next();
                ++self->dead;
                log::warn("events: entry moved to the dead-letter stream",
                          {{"entry", entry_id}, {"reason", reason}, {"stream", self->opts.stream + ":dead"}});
                self->ack(entry_id, std::move(next));
            });
        });
    }

    void schedule_claim() {
        if (stopped) return;
        claim_timer.expires_after(
            std::max<std::chrono::milliseconds>(opts.claim_idle / 2, std::chrono::milliseconds(100)));
        claim_timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
            if (!ec && !self->stopped) self->claim();
        });
    }

    // Entries another consumer (or this one) left pending for claim_idle.
    void claim() {
        conn->exec({"XPENDING", opts.stream, opts.group, "IDLE", std::to_string(opts.claim_idle.count()), "-",
                    "+", "100"},
                   [self = shared_from_this()](boost::system::error_code ec, value v) {
                       if (ec || v.is_error() || v.size() == 0) return self->schedule_claim();
                       std::vector<std::string> take;
                       std::vector<std::string> exhausted;
                       for (std::size_t i = 0; i < v.size(); ++i) {
                           const auto& p = v.at(i);  // [id, consumer, idle ms, deliveries]
                           if (p.size() < 4) continue;
                           if (p.at(3).as_int().value_or(0) > self->opts.max_retries)
                               exhausted.emplace_back(p.at(0).as_string());
                           else
                               take.emplace_back(p.at(0).as_string());
                       }
                       self->dead_all(std::move(exhausted), [self, take = std::move(take)]() mutable {
                           self->claim_entries(std::move(take));
                       });
                   });
    }

    void dead_all(std::vector<std::string> ids, done_fn then) {
        if (ids.empty()) return then();
        auto id = ids.back();
        ids.pop_back();
        auto reason = "failed " + std::to_string(opts.max_retries) + " times";
        dead_letter(id, reason,
                    [self = shared_from_this(), ids = std::move(ids), then = std::move(then)]() mutable {
                        self->dead_all(std::move(ids), std::move(then));
                    });
    }

    void claim_entries(std::vector<std::string> ids) {
        if (ids.empty()) return schedule_claim();
        std::vector<std::string> args{"XCLAIM", opts.stream, opts.group, opts.consumer,
                                      std::to_string(opts.claim_idle.count())};
        for (auto& id : ids)
            args.push_back(std::move(id));
        conn->exec(std::move(args), [self = shared_from_this()](boost::system::error_code ec, value v) {
            if (ec || v.is_error()) return self->schedule_claim();
            self->queue_entries(v, true);
            // The read loop may be draining too: claimed entries join the same queue, and this
            // drain only starts when nothing else is being handled.
            self->drain([self] { self->schedule_claim(); });
        });
    }

    asio::strand<asio::any_io_executor> strand;
    events_options opts;
    event_handler handler;
    std::shared_ptr<client> conn;
    asio::steady_timer retry_timer;
    asio::steady_timer claim_timer;
    std::deque<backend_event> queue;
    std::atomic<bool> stopped{false};
    std::atomic<std::int64_t> last_read_ms{0};
    std::atomic<std::int64_t> read_started_ms{0};
    std::atomic<std::uint64_t> handled{0}, duplicates{0}, dead{0}, retries{0}, claimed_total{0};
};

events_consumer::events_consumer(asio::any_io_executor ex, client_options redis, events_options opts,
                                 event_handler h)
    : impl_(std::make_shared<impl>(std::move(ex), std::move(redis), std::move(opts), std::move(h))) {}

events_consumer::~events_consumer() {
    impl_->stop();
}

void events_consumer::start() {
    impl_->start();
}

void events_consumer::stop() {
    impl_->stop();
}

bool events_consumer::healthy() const {
    return !impl_->stopped && impl_->conn->connected() &&
           common::steady_ms() - std::max(impl_->last_read_ms.load(), impl_->read_started_ms.load()) <=
               (impl_->opts.block + std::chrono::seconds(3)).count();
}

void events_consumer::add_metrics(common::metrics_registry& m) {
    auto i = impl_;
    m.add_gauge("switchboard_events_handled_total", "Backend events dispatched from the events stream",
                [i] { return static_cast<double>(i->handled.load()); });
    m.add_gauge("switchboard_events_duplicates_total",
                "Backend events skipped: their id was seen in the window",
                [i] { return static_cast<double>(i->duplicates.load()); });
    m.add_gauge("switchboard_events_dead_total", "Backend events moved to the dead-letter stream",
                [i] { return static_cast<double>(i->dead.load()); });
    m.add_gauge("switchboard_events_claimed_total", "Pending backend events claimed from an idle consumer",
                [i] { return static_cast<double>(i->claimed_total.load()); });
}

}  // namespace switchboard::redis
