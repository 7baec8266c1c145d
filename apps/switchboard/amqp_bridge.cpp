// The RabbitMQ settings and the consumer's life in the app (see amqp_bridge.hpp).
#include "amqp_bridge.hpp"
#include "route_files.hpp"

#include <switchboard/common/log.hpp>
#include <switchboard/domain/push_service.hpp>
#include <switchboard/server/server.hpp>

#include <fstream>
#include <sstream>

namespace switchboard::app {

std::vector<common::setting> amqp_settings_table() {
    using k = common::setting::kind;
    return {
        {"AMQP_URL",
         {},
         "amqp-url",
         "",
         "RabbitMQ to consume from: amqp://user:password@host:port/vhost (empty: RABBITMQ_HOST…, else no "
         "consumer)",
         k::string,
         0,
         0,
         true},
        {"RABBITMQ_HOST",
         {},
         "rabbitmq-host",
         "",
         "RabbitMQ host, when AMQP_URL is not set (empty: no consumer)"},
        {"RABBITMQ_PORT", {}, "rabbitmq-port", "5672", "RabbitMQ port", k::integer, 1, 65535},
        {"RABBITMQ_USER", {}, "rabbitmq-user", "guest", "RabbitMQ user"},
        {"RABBITMQ_PASSWORD", {}, "rabbitmq-password", "guest", "RabbitMQ password", k::string, 0, 0, true},
        {"RABBITMQ_VHOST", {}, "rabbitmq-vhost", "/", "RabbitMQ virtual host"},
        {"RABBITMQ_QUEUE",
         {},
         "rabbitmq-queue",
         "websocket.events",
         "Durable queue the instances share, bound to EVENT_ROUTES' exchanges and patterns"},
        {"RABBITMQ_DEAD_LETTER_EXCHANGE",
         {},
         "rabbitmq-dead-letter-exchange",
         "websocket.events.dlx",
         "Where rejected (poison) messages go; its queue is <RABBITMQ_QUEUE>.dead (empty: dropped)"},
        {"RABBITMQ_PREFETCH",
         {},
         "rabbitmq-prefetch",
         "100",
         "Unacknowledged messages the broker hands over at most (basic.qos)",
         k::integer,
         1,
         65535},
        {"EVENT_ROUTES",
         {},
         "event-routes",
         "",
         "JSON file: routing-key patterns → Socket.IO event and rooms (deploy/routes/); required with "
         "RabbitMQ"},
    };
}

std::optional<std::string> load_amqp_settings(const common::config& c, amqp_settings& out) {
    auto& o = out.consumer;
    if (const auto& url = c.str("AMQP_URL"); !url.empty()) {
        std::string error;
        auto ep = amqp::parse_amqp_url(url, &error);
        if (!ep) return "AMQP_URL: " + error;
        o.server = *ep;
    } else if (const auto& host = c.str("RABBITMQ_HOST"); !host.empty()) {
        o.server.host = host;
        o.server.port = static_cast<int>(c.integer("RABBITMQ_PORT"));
        o.server.user = c.str("RABBITMQ_USER");
        o.server.password = c.str("RABBITMQ_PASSWORD");
        o.server.vhost = c.str("RABBITMQ_VHOST");
    } else {
        return std::nullopt;  // no consumer
    }
    out.enabled = true;
    o.queue = c.str("RABBITMQ_QUEUE");
    if (o.queue.empty()) return "RABBITMQ_QUEUE: empty";
    o.dead_letter_exchange = c.str("RABBITMQ_DEAD_LETTER_EXCHANGE");
    o.dead_letter_queue = o.queue + ".dead";
    o.prefetch = static_cast<int>(c.integer("RABBITMQ_PREFETCH"));
    out.routes_file = c.str("EVENT_ROUTES");
    if (out.routes_file.empty())
        return "EVENT_ROUTES: required with AMQP_URL or RABBITMQ_HOST (see deploy/routes/)";
    std::string text;
    if (out.routes_file.starts_with("builtin:")) {
        // deploy/routes/<name>.json, embedded in the binary (a profile's default).
        auto name = out.routes_file.substr(8) + ".json";
        for (const auto& f : route_files())
            if (f.name == name) text = std::string(f.data);
        if (text.empty()) return "EVENT_ROUTES: no " + out.routes_file + " (builtin: ecommerce, hometrip)";
    } else {
        std::ifstream in(out.routes_file, std::ios::binary);
        if (!in) return "EVENT_ROUTES: cannot read " + out.routes_file;
        std::stringstream ss;
        ss << in.rdbuf();
        text = ss.str();
    }
    std::string error;
    auto routes = amqp::parse_routes(text, &error);
    if (!routes) return "EVENT_ROUTES: " + out.routes_file + ": " + error;
    out.routes = std::move(*routes);
    return std::nullopt;
}

amqp::dispatch_result dispatch_amqp_message(const domain::push_service& push, const fence_fn& fence,
                                            const amqp::routed_message& m, std::string& reason) {
    for (const auto& e : m.emits)
        if (!push_to_rooms(push, e.rooms, e.event, m.body, reason)) return amqp::dispatch_result::refused;
    // In a cluster: acknowledged once the broadcast is in the shared stream.
    return await_fence(fence, reason) ? amqp::dispatch_result::done : amqp::dispatch_result::failed;
}

amqp_bridge::amqp_bridge(server::server& srv, amqp_settings s, const domain::push_service& push,
                         fence_fn fence) {
    // Read before the settings move into the consumer.
    auto broker = s.consumer.server.to_log_string();
    auto queue = s.consumer.queue;
    auto host = s.consumer.server.host;
    auto port = s.consumer.server.port;
    auto routes = s.routes.routes.size();
    consumer_ = std::make_unique<amqp::consumer>(
        std::move(s.consumer), std::move(s.routes),
        [&push, fence = std::move(fence)](const amqp::routed_message& m, std::string& reason) {
            return dispatch_amqp_message(push, fence, m, reason);
        });
    consumer_->add_metrics(srv.metrics());
    srv.add_health_check("rabbitmq", [c = consumer_.get()] { return c->healthy(); });
    // HEALTH_FIELDS' eventBus: the travel gateway's shape of the bus's state.
    srv.add_health_field("eventBus", [c = consumer_.get(), host, port] {
        return boost::json::value(boost::json::object{{"isConnected", c->healthy()},
                                                      {"reconnectAttempts", c->reconnect_attempts()},
                                                      {"host", host},
                                                      {"port", port}});
    });
    consumer_->start();
    log::info(
        "rabbitmq consumer",
        {{"broker", broker}, {"queue", queue}, {"routes", std::to_string(routes)}, {"file", s.routes_file}});
}

amqp_bridge::~amqp_bridge() {
    stop();
}

void amqp_bridge::stop() {
    if (consumer_) consumer_->stop();
}

}  // namespace switchboard::app
