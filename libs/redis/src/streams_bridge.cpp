// The bridge's connections: XADD and PUBLISH on the command connection, XREAD BLOCK on its own,
// SUBSCRIBE on the third; the stream reader resumes from its last id after any cut.
#include "bridge_impl.hpp"
#include "cluster_sessions.hpp"

#include <switchboard/common/clock.hpp>
#include <switchboard/common/ids.hpp>
#include <switchboard/common/log.hpp>
#include <switchboard/common/metrics.hpp>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

namespace switchboard::redis {

namespace cl = rooms::cluster;
namespace asio = boost::asio;

streams_bridge::impl::impl(asio::any_io_executor ex, client_options redis, bridge_options o)
    : strand(asio::make_strand(ex)),
      opts(std::move(o)),
      uid(common::random_hex(8)),
      retry_timer(strand),
      probe_timer(strand),
      refresh_timer(strand) {
    probe_channel = opts.channel_prefix + "#~probe#" + uid + "#";
    auto named = [&](const char* role) {
        auto c = redis;
        c.client_name = "switchboard-" + uid + "-" + role;
        c.log_name = std::string("redis-") + role;
        return c;
    };
    cmd = client::create(strand, named("cmd"));
    auto rd = named("reader");
    // The reader's calls wait up to the block time: its deadline covers that.
    rd.call_timeout = opts.block + std::chrono::seconds(5);
    reader = client::create(strand, std::move(rd));
    sub = client::create(strand, named("sub"));
}

void streams_bridge::impl::start() {
    auto self = shared_from_this();
    sub->on_message([w = weak_from_this()](std::string_view channel, std::string_view payload) {
        if (auto s = w.lock()) s->on_pubsub(channel, payload);
    });
    sub->subscribe({probe_channel});
    cmd->on_state([w = weak_from_this()](bool up) {
        if (auto s = w.lock(); s && up) asio::post(s->strand, [s] { s->flush_backlog(); });
    });
    cmd->start();
    reader->start();
    sub->start();
    asio::post(strand, [self] {
        self->read_next();
        self->probe();
        self->refresh_sessions();
    });
}

void streams_bridge::impl::stop() {
    if (stopped.exchange(true)) return;
    std::vector<std::shared_ptr<ns_adapter>> all;
    {
        std::lock_guard lock(mu);
        for (auto& [nsp, w] : namespaces)
            if (auto a = w.lock()) all.push_back(std::move(a));
    }
    for (auto& a : all)
        a->close();
    asio::post(strand, [self = shared_from_this()] {
        self->retry_timer.cancel();
        self->probe_timer.cancel();
        self->refresh_timer.cancel();
    });
    cmd->stop();
    reader->stop();
    sub->stop();
}

void streams_bridge::impl::add_namespace(const std::shared_ptr<ns_adapter>& a) {
    {
        std::lock_guard lock(mu);
        namespaces[a->nsp()] = a;
    }
    sub->subscribe({public_channel(a->nsp()), private_channel(a->nsp())});
}

std::shared_ptr<ns_adapter> streams_bridge::impl::find(const std::string& nsp) {
    std::lock_guard lock(mu);
    auto it = namespaces.find(nsp);
    return it == namespaces.end() ? nullptr : it->second.lock();
}

bool streams_bridge::impl::healthy() const {
    if (stopped || !cmd->connected() || !reader->connected() || !sub->connected()) return false;
    auto now = common::steady_ms();
    auto read_ok = now - last_read_ms.load() <= (opts.block + std::chrono::seconds(3)).count();
    auto probe_ok = now - last_probe_ms.load() <= 3 * opts.probe_interval.count() + 1000;
    return read_ok && probe_ok;
}

void streams_bridge::impl::append(const cl::message& m,
                                  std::function<void(boost::system::error_code, std::string)> done) {
    auto e = cl::to_stream(m);
    std::vector<std::string> args{"XADD", opts.stream, "MAXLEN", "~",   std::to_string(opts.max_len),
                                  "*",    "uid",       e.uid,    "nsp", e.nsp,
                                  "type", e.type};
    if (!e.data.empty()) {
        args.emplace_back("data");
        args.push_back(std::move(e.data));
    }
    asio::dispatch(
        strand, [self = shared_from_this(), args = std::move(args), done = std::move(done)]() mutable {
            // Redis unreachable, or older entries still waiting: this one waits behind them (the
            // caller delivers on this node now, without an offset).
            if (!self->backlog.empty() || !self->cmd->connected()) {
                if (self->backlog.size() >= backlog_max) {
                    self->backlog.pop_front();
                    ++self->backlog_dropped;
                }
                self->backlog.push_back(std::move(args));
                self->backlog_size = self->backlog.size();
                return done(make_error_code(errc::not_connected), {});
            }
            auto retry = args;
            self->cmd->exec(std::move(args), [self, retry = std::move(retry), done = std::move(done)](
                                                 boost::system::error_code ec, value v) mutable {
                if (!ec && v.is_error()) ec = make_error_code(errc::server_error);
                if (ec == errc::not_connected) {  // never sent: appended once Redis is back
                    self->backlog.push_back(std::move(retry));
                    self->backlog_size = self->backlog.size();
                }
                if (ec) {
                    ++self->append_failures;
                    return done(ec, {});
                }
                ++self->entries_out;
                done(ec, std::string(v.as_string()));
            });
        });
}

void streams_bridge::impl::flush_backlog() {
    if (flushing || stopped || backlog.empty() || !cmd->connected()) return;
    flushing = true;
    auto args = backlog.front();
    cmd->exec(std::move(args), [self = shared_from_this()](boost::system::error_code ec, value v) {
        self->flushing = false;
        if (!ec && !v.is_error()) {
            ++self->entries_out;
            self->backlog.pop_front();
            self->backlog_size = self->backlog.size();
            return self->flush_backlog();
        }
        if (ec == errc::not_connected) return;  // never sent: again when Redis is back
        // Refused by Redis, or sent and then cut (it may be in the stream): not retried, so it is
        // never appended twice.
        ++self->append_failures;
        self->backlog.pop_front();
        self->backlog_size = self->backlog.size();
        self->flush_backlog();
    });
}

void streams_bridge::impl::publish(const cl::message& m, const std::string& to_uid) {
    auto channel = to_uid.empty() ? public_channel(m.nsp) : public_channel(m.nsp) + to_uid + "#";
    cmd->exec({"PUBLISH", std::move(channel), cl::to_pubsub(m)}, [](boost::system::error_code, value) {});
}

void streams_bridge::impl::server_count(const std::string& nsp, std::function<void(std::size_t)> done) {
    cmd->exec({"PUBSUB", "NUMSUB", public_channel(nsp)},
              [done = std::move(done)](boost::system::error_code ec, value v) {
                  // [channel, count]
                  if (ec || v.is_error() || v.size() < 2) return done(0);
                  auto n = v.at(1).as_int().value_or(0);
                  done(n > 0 ? static_cast<std::size_t>(n) : 0);
              });
}

void streams_bridge::impl::on_pubsub(std::string_view channel, std::string_view payload) {
    if (channel == probe_channel) {
        last_probe_ms = common::steady_ms();
        return;
    }
    std::string error;
    auto m = cl::from_pubsub(payload, error);
    if (!m) {
        ++dropped;
        log::warn("cluster: a PUB/SUB message is not in the adapter's format", {{"error", error}});
        return;
    }
    if (m->uid == uid) return;  // our own request on the public channel
    if (auto a = find(m->nsp)) a->on_message(std::move(*m), {});
}

void streams_bridge::impl::refresh_sessions() {
    if (stopped) return;
    std::vector<std::shared_ptr<ns_adapter>> all;
    {
        std::lock_guard lock(mu);
        for (auto& [nsp, w] : namespaces)
            if (auto a = w.lock()) all.push_back(std::move(a));
    }
    std::int64_t window_ms = 0;
    for (auto& a : all)
        if (const auto& store = a->cluster_store()) {
            if (cmd->connected()) store->refresh_all();
            window_ms = std::max(window_ms, store->window_ms());
        }
    refresh_timer.expires_after(std::chrono::milliseconds(std::max<std::int64_t>(1000, window_ms / 2)));
    refresh_timer.async_wait([w = weak_from_this()](boost::system::error_code ec) {
        if (auto s = w.lock(); s && !ec) s->refresh_sessions();
    });
}

void streams_bridge::impl::probe() {
    if (stopped) return;
    cmd->exec({"PUBLISH", probe_channel, "1"}, [](boost::system::error_code, value) {});
    probe_timer.expires_after(opts.probe_interval);
    probe_timer.async_wait([w = weak_from_this()](boost::system::error_code ec) {
        if (auto s = w.lock(); s && !ec) s->probe();
    });
}

}  // namespace switchboard::redis
