// The Kafka settings and the consumer's life in the app (see kafka_bridge.hpp).
#include "kafka_bridge.hpp"

#include <switchboard/common/log.hpp>
#include <switchboard/domain/push_service.hpp>
#include <switchboard/server/server.hpp>

#include <stdexcept>

namespace switchboard::app {

std::vector<common::setting> kafka_settings_table() {
    using k = common::setting::kind;
    return {
        {"KAFKA_BROKERS",
         {},
         "kafka-brokers",
         "",
         "Kafka bootstrap servers, host:port,… (the survey platform's topics; empty: no consumer)"},
        {"KAFKA_CLIENT_ID", {}, "kafka-client-id", "websocket-service", "Kafka client.id"},
        {"KAFKA_GROUP_ID",
         {},
         "kafka-group-id",
         "websocket-consumers",
         "Kafka consumer group: the instances with one group share the topics' partitions"},
        {"KAFKA_TOPIC_RESPONSES",
         {},
         "kafka-topic-responses",
         "survey.responses",
         "Topic of survey responses → response.new to survey:{surveyId} and project:{projectId}"},
        {"KAFKA_TOPIC_ANALYTICS",
         {},
         "kafka-topic-analytics",
         "survey.analytics",
         "Topic of analytics updates → analytics.update to survey:{surveyId} and project:{projectId}"},
        {"KAFKA_TOPIC_LOCATIONS",
         {},
         "kafka-topic-locations",
         "surveyor.locations",
         "Topic of surveyor locations → surveyor.location to survey:{surveyId} and project:{projectId}"},
        {"KAFKA_TOPIC_NOTIFICATIONS",
         {},
         "kafka-topic-notifications",
         "system.notifications",
         "Topic of system notifications → notification to user:{userId}, or everyone without one"},
        {"KAFKA_DEAD_LETTER_TOPIC",
         {},
         "kafka-dead-letter-topic",
         "",
         "Where poison messages go, with headers dlt-reason, dlt-original-topic, "
         "dlt-original-partition, dlt-original-offset (empty: logged, counted and skipped)"},
        {"KAFKA_OFFSET_RESET",
         {},
         "kafka-offset-reset",
         "earliest",
         "Where a group without a committed offset starts: earliest or latest"},
        {"KAFKA_RETRY_PAUSE",
         {},
         "kafka-retry-pause",
         "500",
         "ms before a message whose dispatch failed is read again",
         k::integer,
         0,
         60000},
    };
}

std::optional<std::string> load_kafka_settings(const common::config& c, kafka_settings& out) {
    auto& o = out.consumer;
    o.brokers = c.str("KAFKA_BROKERS");
    if (o.brokers.empty()) return std::nullopt;  // no consumer
    out.enabled = true;
    o.client_id = c.str("KAFKA_CLIENT_ID");
    o.group_id = c.str("KAFKA_GROUP_ID");
    if (o.group_id.empty()) return "KAFKA_GROUP_ID: empty";
    for (auto [name, field] : {std::pair{"KAFKA_TOPIC_RESPONSES", &o.topics.responses},
                               std::pair{"KAFKA_TOPIC_ANALYTICS", &o.topics.analytics},
                               std::pair{"KAFKA_TOPIC_LOCATIONS", &o.topics.locations},
                               std::pair{"KAFKA_TOPIC_NOTIFICATIONS", &o.topics.notifications}}) {
        *field = c.str(name);
        if (field->empty()) return std::string(name) + ": empty";
    }
    o.dead_letter_topic = c.str("KAFKA_DEAD_LETTER_TOPIC");
    if (o.topics.kind_of(o.dead_letter_topic))
        return "KAFKA_DEAD_LETTER_TOPIC: '" + o.dead_letter_topic + "' is a topic the consumer reads";
    o.offset_reset = c.str("KAFKA_OFFSET_RESET");
    if (o.offset_reset != "earliest" && o.offset_reset != "latest")
        return "KAFKA_OFFSET_RESET: '" + o.offset_reset + "' is not earliest or latest";
    o.retry_pause = std::chrono::milliseconds(c.integer("KAFKA_RETRY_PAUSE"));
    return std::nullopt;
}

kafka::dispatch_result dispatch_kafka_message(const domain::push_service& push, const fence_fn& fence,
                                              const kafka::decision& d, std::string& reason) {
    if (!push_to_rooms(push, d.rooms, d.event, d.payload, reason)) return kafka::dispatch_result::refused;
    // In a cluster: committed once the broadcast is in the shared stream.
    return await_fence(fence, reason) ? kafka::dispatch_result::done : kafka::dispatch_result::failed;
}

kafka_bridge::kafka_bridge(server::server& srv, kafka_settings s, const domain::push_service& push,
                           fence_fn fence) {
    auto brokers = s.consumer.brokers;
    auto group = s.consumer.group_id;
    auto topics = s.consumer.topics.all();
    auto dead = s.consumer.dead_letter_topic;
    consumer_ = std::make_unique<kafka::consumer>(
        std::move(s.consumer),
        [&push, fence = std::move(fence)](const kafka::decision& d, std::string& reason) {
            return dispatch_kafka_message(push, fence, d, reason);
        });
    consumer_->add_metrics(srv.metrics());
    srv.add_health_check("kafka", [c = consumer_.get()] { return c->healthy(); });
    if (auto e = consumer_->start()) throw std::runtime_error("kafka: " + *e);
    std::string list;
    for (const auto& t : topics)
        list += (list.empty() ? "" : ",") + t;
    log::info("kafka consumer", {{"brokers", brokers},
                                 {"group", group},
                                 {"topics", list},
                                 {"dead_letter_topic", dead.empty() ? "(none: poison is skipped)" : dead}});
}

kafka_bridge::~kafka_bridge() {
    stop();
}

void kafka_bridge::stop() {
    if (consumer_) consumer_->stop();
}

}  // namespace switchboard::app
