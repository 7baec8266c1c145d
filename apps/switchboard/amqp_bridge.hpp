#pragma once
// The RabbitMQ consumer in the app (AMQP_URL, or the seeds' RABBITMQ_HOST/PORT/USER/PASSWORD):
// EVENT_ROUTES maps routing keys to events and rooms; each message goes through the push API's
// broadcasts (so through the cluster adapter when there is one) and is acknowledged only after
// that (and, in a cluster, once it is in the shared stream). With neither AMQP_URL nor
// RABBITMQ_HOST set, nothing of it exists.
#include <switchboard/amqp/consumer.hpp>
#include <switchboard/common/config.hpp>
#include "bus_dispatch.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace switchboard::server {
class server;
}
namespace switchboard::domain {
class push_service;
}

namespace switchboard::app {

struct amqp_settings {
    bool enabled = false;
    amqp::consumer_options consumer;
    amqp::event_routes routes;
    std::string routes_file;
};

std::vector<common::setting> amqp_settings_table();
// Reads and checks the settings and the routes file (an error names the setting).
std::optional<std::string> load_amqp_settings(const common::config& c, amqp_settings& out);

// One routed message through push_service::to_rooms (each emit), then the fence.
amqp::dispatch_result dispatch_amqp_message(const domain::push_service& push, const fence_fn& fence,
                                            const amqp::routed_message& m, std::string& reason);

class amqp_bridge {
public:
    // Registers "rabbitmq" with /health and /ready and the metrics, and starts consuming over
    // `push` (which must outlive stop()).
    amqp_bridge(server::server& srv, amqp_settings s, const domain::push_service& push, fence_fn fence);
    ~amqp_bridge();
    // Joins the consumer's thread (unacknowledged messages go back to the queue). Idempotent.
    void stop();

private:
    std::unique_ptr<amqp::consumer> consumer_;
};

}  // namespace switchboard::app
