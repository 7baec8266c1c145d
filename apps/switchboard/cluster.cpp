// The cluster settings and the bridge's life in the app.
#include "cluster.hpp"
#include "adapters.hpp"
#include "communication.hpp"
#include "gateway.hpp"

#include <switchboard/common/log.hpp>
#include <switchboard/domain/push_service.hpp>
#include <switchboard/redis/url.hpp>
#include <switchboard/server/server.hpp>

#include <boost/json/parse.hpp>

namespace switchboard::app {

std::vector<common::setting> cluster_settings_table() {
    using k = common::setting::kind;
    return {
        {"REDIS_URL",
         {},
         "redis-url",
         "",
         "Redis of the cluster: redis[s]://[user:password@]host:port[/db] (empty: a single node)",
         k::string,
         0,
         0,
         true},
        {"CLUSTER_STREAM",
         {},
         "cluster-stream",
         "socket.io",
         "Redis stream the instances share (the adapter's streamName)"},
        {"CLUSTER_STREAM_COUNT",
         {},
         "cluster-stream-count",
         "1",
         "Streams (the adapter's streamCount): only 1 is supported",
         k::integer,
         1,
         1000},
        {"CLUSTER_STREAM_MAXLEN",
         {},
         "cluster-stream-maxlen",
         "10000",
         "Entries the stream keeps (XADD MAXLEN ~): how far back a lagging node or a recovering client can "
         "read",
         k::integer,
         100,
         100000000},
        {"CLUSTER_CHANNEL_PREFIX",
         {},
         "cluster-channel-prefix",
         "socket.io",
         "Prefix of the PUB/SUB channels of requests and replies (the adapter's channelPrefix)"},
        {"CLUSTER_REQUEST_TIMEOUT",
         {},
         "cluster-request-timeout",
         "5000",
         "How long a request to the other nodes (fetch sockets) waits for their replies, ms",
         k::integer,
         100,
         120000},
        {"EVENTS_STREAM",
         {},
         "events-stream",
         "switchboard:events",
         "Stream backends XADD events to ({target, event, data, id?}), with REDIS_URL (empty: not read)"},
        {"EVENTS_GROUP",
         {},
         "events-group",
         "switchboard",
         "Consumer group the instances share on EVENTS_STREAM"},
        {"EVENTS_MAX_RETRIES",
         {},
         "events-max-retries",
         "5",
         "Deliveries of a failing event before it moves to <EVENTS_STREAM>:dead",
         k::integer,
         1,
         1000},
        {"EVENTS_CLAIM_IDLE",
         {},
         "events-claim-idle",
         "30000",
         "An event pending this long (its instance died) is claimed by another, ms",
         k::integer,
         100,
         86400000},
        {"EVENTS_DEDUPE_WINDOW",
         {},
         "events-dedupe-window",
         "3600000",
         "An event's id is delivered once within this window, ms",
         k::integer,
         1000,
         604800000},
        {"PRESENCE_TTL",
         {},
         "presence-ttl",
         "60000",
         "With REDIS_URL: an instance that stops beating is swept after this, its users offline, ms",
         k::integer,
         1000,
         86400000},
        {"PRESENCE_KEY_PREFIX",
         {},
         "presence-key-prefix",
         "switchboard:presence",
         "Prefix of the shared presence's Redis keys"},
        {"REDIS_TLS_CA_FILE", {}, "redis-tls-ca-file", "", "CA bundle for rediss:// (empty: the system's)"},
        {"REDIS_TLS_INSECURE",
         {},
         "redis-tls-insecure",
         "false",
         "rediss:// without certificate verification (tests only)",
         k::boolean},
    };
}

std::optional<std::string> load_cluster_settings(const common::config& c, cluster_settings& out) {
    out.redis_url = c.str("REDIS_URL");
    if (c.integer("CLUSTER_STREAM_COUNT") != 1)
        return "CLUSTER_STREAM_COUNT: only 1 stream is supported (the adapter's hash of namespaces to "
               "streams differs between implementations)";
    out.bridge.stream = c.str("CLUSTER_STREAM");
    if (out.bridge.stream.empty()) return "CLUSTER_STREAM: empty";
    out.bridge.max_len = static_cast<std::size_t>(c.integer("CLUSTER_STREAM_MAXLEN"));
    out.bridge.channel_prefix = c.str("CLUSTER_CHANNEL_PREFIX");
    out.bridge.request_timeout = std::chrono::milliseconds(c.integer("CLUSTER_REQUEST_TIMEOUT"));
    out.presence.ttl = std::chrono::milliseconds(c.integer("PRESENCE_TTL"));
    out.presence.prefix = c.str("PRESENCE_KEY_PREFIX");
    if (out.presence.prefix.empty()) return "PRESENCE_KEY_PREFIX: empty";
    out.tls_ca_file = c.str("REDIS_TLS_CA_FILE");
    out.tls_insecure = c.boolean("REDIS_TLS_INSECURE");
    out.events.stream = c.str("EVENTS_STREAM");
    out.events.group = c.str("EVENTS_GROUP");
    if (!out.events.stream.empty() && out.events.group.empty()) return "EVENTS_GROUP: empty";
    out.events.max_retries = static_cast<int>(c.integer("EVENTS_MAX_RETRIES"));
    out.events.claim_idle = std::chrono::milliseconds(c.integer("EVENTS_CLAIM_IDLE"));
    out.events.dedupe_window = std::chrono::milliseconds(c.integer("EVENTS_DEDUPE_WINDOW"));
    if (!out.redis_url.empty()) {
        std::string error;
        if (!redis::parse_url(out.redis_url, &error)) return "REDIS_URL: " + error;
    }
    return std::nullopt;
}

namespace {
redis::client_options client_options_of(const cluster_settings& s) {
    std::string error;
    auto ep = redis::parse_url(s.redis_url, &error);
    if (!ep) throw std::runtime_error("REDIS_URL: " + error);
    redis::client_options copts;
    copts.server = *ep;
    copts.tls_ca_file = s.tls_ca_file;
    copts.tls_insecure = s.tls_insecure;
    return copts;
}
}  // namespace

redis::event_result dispatch_backend_event(const domain::push_service& push, const redis::backend_event& ev,
                                           std::string& reason) {
    boost::json::object body;
    body["event"] = ev.event;
    if (!ev.data.empty()) {
        boost::system::error_code ec;
        auto data = boost::json::parse(ev.data, ec);
        if (ec) {
            reason = "data is not JSON";
            return redis::event_result::invalid;
        }
        body["data"] = std::move(data);
    }
    domain::outcome out;
    if (ev.target.rfind("room:", 0) == 0) {
        body["room"] = ev.target.substr(5);
        out = push.to_room(body);
    } else if (ev.target.rfind("user:", 0) == 0) {
        body["userId"] = ev.target.substr(5);
        out = push.to_user(body);
    } else if (ev.target == "global") {
        out = push.to_everyone(body);
    } else {
        reason = "target is not room:<name>, user:<id> or global";
        return redis::event_result::invalid;
    }
    if (domain::succeeded(out)) return redis::event_result::done;
    const auto* e = out.body.if_contains("error");
    reason = e && e->is_string() ? std::string(e->as_string()) : "refused";
    return redis::event_result::invalid;  // the push API's checks refuse it: it never will pass
}

cluster::cluster(server::server& srv, cluster_settings s) : srv_(srv), settings_(std::move(s)) {
    auto copts = client_options_of(settings_);
    auto ep = copts.server;
    bridge_ = std::make_unique<redis::streams_bridge>(io_.executor(), std::move(copts), settings_.bridge);
    srv.set_adapter([b = bridge_.get()](rooms::local_sockets& local, rooms::recovery_log* log) {
        return b->make_adapter(local, log);
    });
    srv.add_health_check("redis", [b = bridge_.get()] { return b->healthy(); });
    bridge_->add_metrics(srv.metrics());
    // Another instance's chat:message to user:<receiver> reached a device here: this instance
    // marks it delivered (the sending one only sees its own sockets).
    bridge_->on_remote_delivery(
        [this](const rooms::broadcast_packet& p, const rooms::broadcast_options& o, std::size_t reached) {
            if (auto* tap = tap_.load(); tap && p.nsp == "/" && !p.args.empty())
                reached += tap->send(domain::target{o.rooms, o.except, o.is_volatile}, p.event, p.args[0]);
            if (reached == 0 || p.event != "chat:message" || o.rooms.size() != 1 || p.args.empty()) return;
            auto* comm = comm_.load();
            const auto* m = p.args[0].if_object();
            if (!comm || !m) return;
            const auto* to = m->if_contains("receiverId");
            const auto* id = m->if_contains("id");
            if (!to || !to->is_string() || !id || !id->is_int64()) return;
            std::string receiver(to->as_string());
            if (o.rooms[0] != "user:" + receiver) return;  // the sender's own devices' copy
            comm->delivered_elsewhere(std::move(receiver), id->as_int64());
        });
    bridge_->start();
    io_.start();
    log::info("cluster bridge",
              {{"redis", ep.to_log_string()}, {"stream", settings_.bridge.stream}, {"uid", bridge_->uid()}});
}

void cluster::start_events(const domain::push_service& push) {
    if (settings_.events.stream.empty() || events_) return;
    events_ = std::make_unique<redis::events_consumer>(
        io_.executor(), client_options_of(settings_), settings_.events,
        [&push](const redis::backend_event& ev, std::string& reason) {
            return dispatch_backend_event(push, ev, reason);
        });
    events_->add_metrics(srv_.metrics());
    srv_.add_health_check("events", [e = events_.get()] { return e->healthy(); });
    events_->start();
    log::info("backend events", {{"stream", settings_.events.stream}, {"group", settings_.events.group}});
}

void cluster::start_presence(gateway& gw, communication& comm) {
    if (presence_) return;
    auto opts = settings_.presence;
    opts.instance = bridge_->uid();
    presence_ = std::make_unique<redis::cluster_presence>(io_.executor(), client_options_of(settings_), opts);
    presence_->sample_with([&gw] { return gw.local_counts(); });
    presence_->on_transition([this](const std::string& user, bool online, std::int64_t at_ms) {
        if (auto* c = comm_.load())
            c->presence_changed(user, online, online ? std::string{} : log::iso_time(at_ms));
    });
    presence_->add_metrics(srv_.metrics());
    srv_.add_health_check("presence", [p = presence_.get()] { return p->healthy(); });
    gw.set_shared_presence(presence_.get());
    comm_ = &comm;
    presence_->start();
}

cluster::~cluster() {
    stop();
}

void cluster::stop_presence() {
    if (presence_) presence_->stop();
}

void cluster::stop() {
    if (!io_.running()) return;
    comm_ = nullptr;
    if (events_) events_->stop();
    if (presence_) presence_->stop();
    bridge_->stop();
    io_.join();
}

}  // namespace switchboard::app
