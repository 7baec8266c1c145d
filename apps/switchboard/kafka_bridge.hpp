#pragma once
// The Kafka consumer in the app (KAFKA_BROKERS; the survey platform, seed 002): each topic's
// message becomes its event (libs/kafka messages), sent through the push API's broadcasts (so
// through the cluster adapter when there is one), and its offset is committed only after that
// (and, in a cluster, once it is in the shared stream). With KAFKA_BROKERS empty, nothing of it
// exists.
#include <switchboard/common/config.hpp>
#include <switchboard/kafka/consumer.hpp>
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

struct kafka_settings {
    bool enabled = false;
    kafka::consumer_options consumer;
};

std::vector<common::setting> kafka_settings_table();
// Reads and checks the settings (an error names the setting).
std::optional<std::string> load_kafka_settings(const common::config& c, kafka_settings& out);

// One decided message through push_service::to_rooms, then the fence.
kafka::dispatch_result dispatch_kafka_message(const domain::push_service& push, const fence_fn& fence,
                                              const kafka::decision& d, std::string& reason);

class kafka_bridge {
public:
    // Registers "kafka" with /health and /ready and the metrics, and starts consuming over `push`
    // (which must outlive stop()). Throws when librdkafka refuses the settings.
    kafka_bridge(server::server& srv, kafka_settings s, const domain::push_service& push, fence_fn fence);
    ~kafka_bridge();
    // Joins the consumer's thread (what was dispatched is committed, the group left). Idempotent.
    void stop();

private:
    std::unique_ptr<kafka::consumer> consumer_;
};

}  // namespace switchboard::app
