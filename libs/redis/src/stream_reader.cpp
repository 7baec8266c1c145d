// The stream reader of the bridge (on its strand): XREAD BLOCK from the last id it read, entries of
// other nodes handed to their namespace's adapter; after an error it waits, checks whether entries
// it had not read were trimmed (a counted, logged gap), and resumes from the same id.
#include "bridge_impl.hpp"

#include <switchboard/rooms/recovery.hpp>

#include <switchboard/common/clock.hpp>
#include <switchboard/common/log.hpp>
#include <switchboard/common/metrics.hpp>

#include <boost/asio/dispatch.hpp>

#include <charconv>

namespace switchboard::redis {

namespace cl = rooms::cluster;

namespace {

std::pair<std::uint64_t, std::uint64_t> parse_id(std::string_view id) {
    auto dash = id.find('-');
    if (dash == std::string_view::npos) return {0, 0};
    std::uint64_t ms = 0, seq = 0;
    auto a = std::from_chars(id.data(), id.data() + dash, ms);
    auto b = std::from_chars(id.data() + dash + 1, id.data() + id.size(), seq);
    if (a.ec != std::errc() || b.ec != std::errc()) return {0, 0};
    return {ms, seq};
}

// The value under `key` in a RESP2 flat reply or a RESP3 map (k, v, k, v…); null when absent.
const value* field(const value& v, std::string_view key) {
    for (std::size_t i = 0; i + 1 < v.size(); i += 2)
        if (v.at(i).as_string() == key) return &v.at(i + 1);
    return nullptr;
}
}  // namespace

void streams_bridge::impl::read_next() {
    if (stopped) return;
    auto self = shared_from_this();
    if (last_id.empty()) {
        // Where the stream ends now: entries after it are ours to read.
        reader->exec({"XREVRANGE", opts.stream, "+", "-", "COUNT", "1"}, [self](boost::system::error_code ec,
                                                                                value v) {
            if (ec || v.is_error()) return self->resume_after_error();
            self->last_id =
                v.size() > 0 && v.at(0).size() > 0 ? std::string(v.at(0).at(0).as_string()) : "0-0";
            self->last_read_ms = common::steady_ms();
            self->read_next();
        });
        return;
    }
    if (need_gap_check) return check_gap([self] { self->read_next(); });
    reader->exec({"XREAD", "COUNT", std::to_string(opts.read_count), "BLOCK",
                  std::to_string(opts.block.count()), "STREAMS", opts.stream, last_id},
                 [self](boost::system::error_code ec, value v) { self->on_read(ec, v); });
}

void streams_bridge::impl::on_read(boost::system::error_code ec, const value& v) {
    if (stopped) return;
    if (ec || v.is_error()) return resume_after_error();
    last_read_ms = common::steady_ms();
    if (v.size() > 0) {
        // RESP2: [[stream, entries]]; RESP3: {stream: entries}.
        const value& entries = v.type == kind::map ? v.at(1) : v.at(0).at(1);
        for (std::size_t i = 0; i < entries.size(); ++i) {
            const auto& e = entries.at(i);
            if (e.size() < 2) continue;
            auto id = std::string(e.at(0).as_string());
            handle_entry(id, e.at(1));
            last_id = std::move(id);
        }
    }
    read_next();
}

void streams_bridge::impl::resume_after_error() {
    if (stopped) return;
    need_gap_check = !last_id.empty();
    retry_timer.expires_after(std::chrono::milliseconds(250));
    retry_timer.async_wait([w = weak_from_this()](boost::system::error_code ec) {
        if (auto s = w.lock(); s && !ec) s->read_next();
    });
}

void streams_bridge::impl::check_gap(std::function<void()> then) {
    reader->exec({"XINFO", "STREAM", opts.stream}, [self = shared_from_this(), then = std::move(then)](
                                                       boost::system::error_code ec, value v) {
        if (ec && ec != errc::server_error) return self->resume_after_error();
        self->need_gap_check = false;
        if (ec) {
            // No stream any more (a Redis that lost its data): whatever we had not read is gone.
            if (self->last_id != "0-0") {
                ++self->gaps;
                log::warn("cluster: the stream is gone (Redis lost its data); entries may be lost",
                          {{"stream", self->opts.stream}, {"last_id", self->last_id}});
            }
            self->last_id = "0-0";
            return then();
        }
        // Redis 7 keeps the greatest id ever trimmed: beyond ours, entries we never read are gone.
        if (const auto* deleted = field(v, "max-deleted-entry-id"))
            if (parse_id(deleted->as_string()) > parse_id(self->last_id)) {
                ++self->gaps;
                log::warn("cluster: stream entries were trimmed before this node read them (a gap)",
                          {{"stream", self->opts.stream},
                           {"last_id", self->last_id},
                           {"trimmed_up_to", std::string(deleted->as_string())}});
            }
        then();
    });
}

void streams_bridge::impl::handle_entry(const std::string& id, const value& fields) {
    cl::stream_entry e;
    for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
        auto k = fields.at(i).as_string();
        if (k == "uid")
            e.uid = std::string(fields.at(i + 1).as_string());
        else if (k == "nsp")
            e.nsp = std::string(fields.at(i + 1).as_string());
        else if (k == "type")
            e.type = std::string(fields.at(i + 1).as_string());
        else if (k == "data")
            e.data = std::string(fields.at(i + 1).as_string());
    }
    if (e.uid == uid || e.nsp.empty()) return;  // ours, or not an adapter's entry
    auto wall = static_cast<std::int64_t>(parse_id(id).first);
    if (wall > 0) lag_ms = std::max<std::int64_t>(0, common::wall_ms() - wall);
    std::string error;
    auto m = cl::from_stream(e, error);
    if (!m) {
        ++dropped;
        log::warn("cluster: a stream entry is not in the adapter's format", {{"id", id}, {"error", error}});
        return;
    }
    ++entries_in;
    if (auto a = find(m->nsp)) a->on_message(std::move(*m), id);
}

// The public face.

streams_bridge::streams_bridge(boost::asio::any_io_executor ex, client_options redis, bridge_options opts)
    : impl_(std::make_shared<impl>(std::move(ex), std::move(redis), std::move(opts))) {}

streams_bridge::~streams_bridge() {
    impl_->stop();
}

void streams_bridge::start() {
    impl_->start();
}

void streams_bridge::fence(std::function<void()> done) {
    boost::asio::dispatch(impl_->strand, [self = impl_, done = std::move(done)]() mutable {
        if (self->stopped || !self->backlog.empty() || !self->cmd->connected()) return done();
        // One connection, pipelined: PING answers after every XADD sent before it.
        self->cmd->exec({"PING"}, [done = std::move(done)](boost::system::error_code, value) { done(); });
    });
}

void streams_bridge::on_remote_delivery(delivered_here f) {
    impl_->delivered = std::move(f);
}

void streams_bridge::stop() {
    impl_->stop();
}

std::shared_ptr<rooms::adapter> streams_bridge::make_adapter(rooms::local_sockets& local,
                                                             rooms::recovery_log* log) {
    if (log) log->accept_foreign_offsets(true);  // offsets are stream ids
    auto a = std::make_shared<ns_adapter>(impl_, local, log);
    impl_->add_namespace(a);
    return a;
}

bool streams_bridge::healthy() const {
    return impl_->healthy();
}

const std::string& streams_bridge::uid() const noexcept {
    return impl_->uid;
}

void streams_bridge::add_metrics(common::metrics_registry& m) {
    auto i = impl_;
    auto gauge = [&](const char* name, const char* help, std::function<double()> read) {
        m.add_gauge(name, help, std::move(read));
    };
    gauge("switchboard_cluster_up", "1 while the Redis bridge is proven alive by its own traffic",
          [i] { return i->healthy() ? 1.0 : 0.0; });
    gauge("switchboard_cluster_entries_in_total", "Stream entries of other nodes handled",
          [i] { return static_cast<double>(i->entries_in.load()); });
    gauge("switchboard_cluster_entries_out_total", "Stream entries this node appended",
          [i] { return static_cast<double>(i->entries_out.load()); });
    gauge("switchboard_cluster_append_failures_total", "XADDs that failed (delivered on this node only)",
          [i] { return static_cast<double>(i->append_failures.load()); });
    gauge("switchboard_cluster_gaps_total", "Times entries were trimmed or lost before this node read them",
          [i] { return static_cast<double>(i->gaps.load()); });
    gauge("switchboard_cluster_malformed_total",
          "Stream entries and PUB/SUB messages not in the adapter's format",
          [i] { return static_cast<double>(i->dropped.load()); });
    gauge("switchboard_cluster_reconnects_total", "Reconnections of the bridge's Redis connections", [i] {
        return static_cast<double>(i->cmd->stats().reconnects + i->reader->stats().reconnects +
                                   i->sub->stats().reconnects);
    });
    gauge("switchboard_cluster_backlog",
          "Entries waiting for Redis to come back (made while it was unreachable)",
          [i] { return static_cast<double>(i->backlog_size.load()); });
    gauge("switchboard_cluster_backlog_dropped_total", "Entries dropped because the backlog was full",
          [i] { return static_cast<double>(i->backlog_dropped.load()); });
    gauge("switchboard_cluster_lag_ms", "Age of the last stream entry read when it was read (ms)",
          [i] { return static_cast<double>(i->lag_ms.load()); });
}

}  // namespace switchboard::redis
