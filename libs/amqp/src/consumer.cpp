// The RabbitMQ consumer's shell (see consumer.hpp): rabbitmq-c's blocking calls on one thread.
#include <switchboard/amqp/consumer.hpp>

#include <switchboard/common/log.hpp>

#include <amqp.h>
#include <amqp_tcp_socket.h>

#include <sys/time.h>

#include <charconv>

namespace switchboard::amqp {

namespace {

amqp_bytes_t bytes(const std::string& s) {
    return {s.size(), const_cast<char*>(s.data())};
}

std::string text(amqp_bytes_t b) {
    return {static_cast<const char*>(b.bytes), b.len};
}

// The last RPC's failure as text (ours: the broker's reply text is its own, from a trusted server).
std::string describe(const amqp_rpc_reply_t& r) {
    switch (r.reply_type) {
        case AMQP_RESPONSE_NORMAL:
            return "ok";
        case AMQP_RESPONSE_NONE:
            return "no reply";
        case AMQP_RESPONSE_LIBRARY_EXCEPTION:
            return amqp_error_string2(r.library_error);
        case AMQP_RESPONSE_SERVER_EXCEPTION:
            if (r.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
                auto* m = static_cast<amqp_connection_close_t*>(r.reply.decoded);
                return "connection closed by the broker: " + std::to_string(m->reply_code) + " " +
                       text(m->reply_text);
            }
            if (r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
                auto* m = static_cast<amqp_channel_close_t*>(r.reply.decoded);
                return "channel closed by the broker: " + std::to_string(m->reply_code) + " " +
                       text(m->reply_text);
            }
            return "broker exception";
    }
    return "unknown";
}

int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::optional<std::string> percent_decode(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            out += s[i];
            continue;
        }
        if (i + 2 >= s.size()) return std::nullopt;
        int a = hex(s[i + 1]), b = hex(s[i + 2]);
        if (a < 0 || b < 0) return std::nullopt;
        out += static_cast<char>(a * 16 + b);
        i += 2;
    }
    return out;
}

}  // namespace

std::string endpoint::to_log_string() const {
    return "amqp://" + user + "@" + host + ":" + std::to_string(port) + (vhost.starts_with('/') ? "" : "/") +
           vhost;
}

std::optional<endpoint> parse_amqp_url(std::string_view url, std::string* error) {
    auto bad = [&](std::string why) -> std::optional<endpoint> {
        if (error) *error = std::move(why);
        return std::nullopt;
    };
    if (url.starts_with("amqps://")) return bad("amqps:// (TLS) is not supported");
    if (!url.starts_with("amqp://")) return bad("must start with amqp://");
    url.remove_prefix(7);
    endpoint ep;
    auto slash = url.find('/');
    auto authority = url.substr(0, slash);
    std::string_view path = slash == std::string_view::npos ? std::string_view{} : url.substr(slash + 1);
    if (auto at = authority.rfind('@'); at != std::string_view::npos) {
        auto info = authority.substr(0, at);
        authority.remove_prefix(at + 1);
        auto colon = info.find(':');
        auto u = percent_decode(info.substr(0, colon));
        auto p = colon == std::string_view::npos ? std::optional<std::string>(std::string{})
                                                 : percent_decode(info.substr(colon + 1));
        if (!u || !p) return bad("bad percent-encoding in the user or password");
        ep.user = *u;
        if (colon != std::string_view::npos) ep.password = *p;
    }
    std::string_view host = authority;
    if (auto colon = authority.rfind(':');
        colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
        host = authority.substr(0, colon);
        auto port = authority.substr(colon + 1);
        int n = 0;
        auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
        if (ec != std::errc{} || end != port.data() + port.size() || n < 1 || n > 65535)
            return bad("the port must be 1-65535");
        ep.port = n;
    }
    if (host.empty()) return bad("no host");
    ep.host = std::string(host);
    if (!path.empty()) {
        auto v = percent_decode(path);
        if (!v) return bad("bad percent-encoding in the vhost");
        ep.vhost = *v;
    }
    return ep;
}

std::chrono::milliseconds next_backoff(std::chrono::milliseconds previous, const consumer_options& o) {
    if (previous < o.backoff_min) return o.backoff_min;
    return std::min(previous * 2, o.backoff_max);
}

// One connection's life: connect, declare, consume until it fails or the consumer stops.
struct consumer::session {
    consumer& c;
    amqp_connection_state_t conn = amqp_new_connection();
    std::string failure;

    ~session() {
        amqp_connection_close(conn, AMQP_REPLY_SUCCESS);
        amqp_destroy_connection(conn);
    }

    bool rpc_ok(const char* what) {
        auto r = amqp_get_rpc_reply(conn);
        if (r.reply_type == AMQP_RESPONSE_NORMAL) return true;
        failure = std::string(what) + ": " + describe(r);
        return false;
    }

    bool connect() {
        const auto& ep = c.opts_.server;
        auto* sock = amqp_tcp_socket_new(conn);
        if (!sock) return failure = "no socket", false;
        timeval tv{2, 0};
        amqp_set_handshake_timeout(conn, &tv);
        timeval rpc{10, 0};
        amqp_set_rpc_timeout(conn, &rpc);
        if (int st = amqp_socket_open_noblock(sock, ep.host.c_str(), ep.port, &tv); st != AMQP_STATUS_OK)
            return failure = std::string("connect: ") + amqp_error_string2(st), false;
        auto r = amqp_login(conn, ep.vhost.c_str(), 0, 131072, c.opts_.heartbeat_s, AMQP_SASL_METHOD_PLAIN,
                            ep.user.c_str(), ep.password.c_str());
        if (r.reply_type != AMQP_RESPONSE_NORMAL) return failure = "login: " + describe(r), false;
        amqp_channel_open(conn, 1);
        return rpc_ok("channel.open");
    }

    bool declare() {
        const auto& o = c.opts_;
        std::string topic = "topic", fanout = "fanout";
        for (const auto& x : c.routes_.exchanges()) {
            amqp_exchange_declare(conn, 1, bytes(x), bytes(topic), 0, 1, 0, 0, amqp_empty_table);
            if (!rpc_ok("exchange.declare")) return false;
        }
        amqp_table_entry_t entry[1];
        amqp_table_t args = amqp_empty_table;
        if (!o.dead_letter_exchange.empty()) {
            amqp_exchange_declare(conn, 1, bytes(o.dead_letter_exchange), bytes(fanout), 0, 1, 0, 0,
                                  amqp_empty_table);
            if (!rpc_ok("exchange.declare (dead letters)")) return false;
            amqp_queue_declare(conn, 1, bytes(o.dead_letter_queue), 0, 1, 0, 0, amqp_empty_table);
            if (!rpc_ok("queue.declare (dead letters)")) return false;
            std::string any;
            amqp_queue_bind(conn, 1, bytes(o.dead_letter_queue), bytes(o.dead_letter_exchange), bytes(any),
                            amqp_empty_table);
            if (!rpc_ok("queue.bind (dead letters)")) return false;
            entry[0].key = amqp_cstring_bytes("x-dead-letter-exchange");
            entry[0].value.kind = AMQP_FIELD_KIND_UTF8;
            entry[0].value.value.bytes = bytes(o.dead_letter_exchange);
            args = {1, entry};
        }
        amqp_queue_declare(conn, 1, bytes(o.queue), 0, 1, 0, 0, args);
        if (!rpc_ok("queue.declare")) return false;
        for (const auto& r : c.routes_.routes) {
            amqp_queue_bind(conn, 1, bytes(o.queue), bytes(r.exchange), bytes(r.pattern), amqp_empty_table);
            if (!rpc_ok("queue.bind")) return false;
        }
        amqp_basic_qos(conn, 1, 0, static_cast<std::uint16_t>(o.prefetch), 0);
        if (!rpc_ok("basic.qos")) return false;
        amqp_basic_consume(conn, 1, bytes(o.queue), amqp_empty_bytes, 0, /*no_ack*/ 0, 0, amqp_empty_table);
        return rpc_ok("basic.consume");
    }

    // Consumes until a failure (false) or stop (true).
    bool consume() {
        while (!c.stop_.load()) {
            amqp_maybe_release_buffers(conn);
            amqp_envelope_t env;
            timeval tv{0, 200000};
            auto r = amqp_consume_message(conn, &env, &tv, 0);
            if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && r.library_error == AMQP_STATUS_TIMEOUT)
                continue;
            if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
                r.library_error == AMQP_STATUS_UNEXPECTED_STATE) {
                // Another frame than a delivery: a close (the broker stops), or something to skip.
                amqp_frame_t frame;
                if (amqp_simple_wait_frame(conn, &frame) != AMQP_STATUS_OK)
                    return failure = "connection lost", false;
                if (frame.frame_type == AMQP_FRAME_METHOD) {
                    switch (frame.payload.method.id) {
                        case AMQP_CONNECTION_CLOSE_METHOD: {
                            auto* m = static_cast<amqp_connection_close_t*>(frame.payload.method.decoded);
                            failure = "the broker closed the connection: " + std::to_string(m->reply_code) +
                                      " " + text(m->reply_text);
                            amqp_connection_close_ok_t ok{};
                            amqp_send_method(conn, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
                            return false;
                        }
                        case AMQP_CHANNEL_CLOSE_METHOD: {
                            auto* m = static_cast<amqp_channel_close_t*>(frame.payload.method.decoded);
                            failure = "the broker closed the channel: " + std::to_string(m->reply_code) +
                                      " " + text(m->reply_text);
                            amqp_channel_close_ok_t ok{};
                            amqp_send_method(conn, 1, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok);
                            return false;
                        }
                        case AMQP_BASIC_CANCEL_METHOD:
                            return failure = "the broker cancelled the consumer (queue deleted?)", false;
                        default:
                            break;  // basic.ack/return of a publisher: not ours
                    }
                }
                continue;
            }
            if (r.reply_type != AMQP_RESPONSE_NORMAL) return failure = "consume: " + describe(r), false;
            bool ok = handle(env);
            amqp_destroy_envelope(&env);
            if (!ok) return false;
        }
        return true;
    }

    bool handle(const amqp_envelope_t& env) {
        auto key = text(env.routing_key);
        auto tag = env.delivery_tag;
        auto v = route_message(c.routes_, key, text(env.message.body));
        std::string reason;
        dispatch_result res = dispatch_result::refused;
        if (v.routed) {
            try {
                res = c.dispatch_(*v.routed, reason);
            } catch (const std::exception& e) {
                res = dispatch_result::failed;
                reason = e.what();
            }
        } else {
            reason = v.poison;
        }
        switch (res) {
            case dispatch_result::done:
                if (amqp_basic_ack(conn, 1, tag, 0) != AMQP_STATUS_OK)
                    return failure = "basic.ack failed", false;
                c.count("dispatched");
                return true;
            case dispatch_result::refused:
                // Routing keys are the publisher's text: logged escaped by the logger.
                log::warn("amqp: message dead-lettered", {{"routing_key", key.substr(0, 255)},
                                                          {"exchange", text(env.exchange).substr(0, 255)},
                                                          {"reason", reason}});
                if (amqp_basic_reject(conn, 1, tag, 0) != AMQP_STATUS_OK)
                    return failure = "basic.reject failed", false;
                c.count("dead_lettered");
                return true;
            case dispatch_result::failed:
                log::warn("amqp: dispatch failed; the message is requeued",
                          {{"routing_key", key.substr(0, 255)}, {"reason", reason}});
                c.sleep_for(c.opts_.retry_pause);
                if (amqp_basic_nack(conn, 1, tag, 0, 1) != AMQP_STATUS_OK)
                    return failure = "basic.nack failed", false;
                c.count("requeued");
                return true;
        }
        return true;
    }
};

consumer::consumer(consumer_options o, event_routes routes, dispatch_fn dispatch)
    : opts_(std::move(o)), routes_(std::move(routes)), dispatch_(std::move(dispatch)) {}

consumer::~consumer() {
    stop();
}

void consumer::add_metrics(common::metrics_registry& m) {
    messages_ =
        &m.add_family("switchboard_amqp_messages_total",
                      "RabbitMQ messages handled: dispatched (acked), dead_lettered (rejected), requeued "
                      "(nacked after a failed dispatch)",
                      "result", 8);
    for (auto r : {"dispatched", "dead_lettered", "requeued"})
        messages_->at(r);
    reconnects_ =
        &m.add_counter("switchboard_amqp_reconnects_total", "Connections to RabbitMQ lost and tried again");
    m.add_gauge("switchboard_amqp_up", "1 while consuming from RabbitMQ",
                [this] { return up_.load() ? 1.0 : 0.0; });
}

void consumer::count(const char* result) {
    if (messages_) messages_->inc(result);
}

void consumer::start() {
    if (thread_.joinable()) return;
    thread_ = std::thread([this] { run(); });
}

void consumer::stop() {
    {
        std::lock_guard lock(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    up_ = false;
}

bool consumer::sleep_for(std::chrono::milliseconds d) {
    std::unique_lock lock(mu_);
    return !cv_.wait_for(lock, d, [this] { return stop_.load(); });
}

void consumer::run() {
    std::chrono::milliseconds backoff{0};
    while (!stop_.load()) {
        std::string failure;
        {
            session s{*this};
            if (s.connect() && s.declare()) {
                up_ = true;
                backoff = std::chrono::milliseconds{0};
                attempts_ = 0;
                log::info("amqp: consuming", {{"broker", opts_.server.to_log_string()},
                                              {"queue", opts_.queue},
                                              {"prefetch", std::to_string(opts_.prefetch)}});
                if (s.consume()) {
                    up_ = false;
                    return;  // stopping: the session closes the connection (unacked messages requeued)
                }
            }
            up_ = false;
            failure = s.failure;
        }
        if (stop_.load()) return;
        if (reconnects_) reconnects_->inc();
        ++attempts_;
        backoff = next_backoff(backoff, opts_);
        log::warn("amqp: broker unavailable; retrying", {{"broker", opts_.server.to_log_string()},
                                                         {"error", failure},
                                                         {"retry_ms", std::to_string(backoff.count())}});
        if (!sleep_for(backoff)) return;
    }
}

}  // namespace switchboard::amqp
