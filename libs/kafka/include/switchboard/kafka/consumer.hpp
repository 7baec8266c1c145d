#pragma once
// The Kafka consumer (librdkafka, on a thread of its own, never on the I/O threads): joins the
// consumer group (so N instances share the partitions), subscribes to the four topics, and hands
// each message's decision (messages.hpp) to `dispatch`. Offsets are committed only after dispatch
// (enable.auto.commit=false; the offset is stored once dispatched and committed within
// `commit_interval`, and at once when partitions are revoked or the consumer stops): at least once.
// Poison (decide() refuses it, or the push API does) is logged, counted and skipped, or produced
// to the dead-letter topic with headers giving why and where from; a failed dispatch rewinds
// (seek to the message) and is tried again after `retry_pause`. librdkafka reconnects by itself.
#include <switchboard/common/metrics.hpp>
#include <switchboard/kafka/messages.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace switchboard::kafka {

struct consumer_options {
    std::string brokers;  // bootstrap.servers
    std::string client_id = "websocket-service";
    std::string group_id = "websocket-consumers";
    topic_names topics;
    std::string dead_letter_topic;  // empty: poison is skipped
    std::string offset_reset = "earliest";
    std::chrono::milliseconds retry_pause{500};
    std::chrono::milliseconds commit_interval{200};
    limits message_limits;
    // More librdkafka properties (tests: session.timeout.ms, …).
    std::vector<std::pair<std::string, std::string>> properties;
};

// The headers of a dead-lettered message.
inline constexpr const char* header_reason = "dlt-reason";
inline constexpr const char* header_topic = "dlt-original-topic";
inline constexpr const char* header_partition = "dlt-original-partition";
inline constexpr const char* header_offset = "dlt-original-offset";

enum class dispatch_result {
    done,     // delivered: commit
    refused,  // never will pass: poison
    failed    // try again: rewind
};

class consumer {
public:
    using dispatch_fn = std::function<dispatch_result(const decision&, std::string& reason)>;
    consumer(consumer_options o, dispatch_fn dispatch);
    ~consumer();  // stop()
    consumer(const consumer&) = delete;
    consumer& operator=(const consumer&) = delete;

    // switchboard_kafka_messages_total{result}, switchboard_kafka_errors_total, switchboard_kafka_up.
    void add_metrics(common::metrics_registry& m);
    // Creates the clients and starts the thread; an error names what librdkafka refused.
    std::optional<std::string> start();
    // Ends the thread: the message being dispatched is finished, what was dispatched committed,
    // and the group left. Idempotent.
    void stop();
    // The group coordinator and a broker reachable, partitions assigned or being assigned.
    bool healthy() const noexcept { return up_.load(); }
    // Messages handled, by result (also in the metrics): dispatched, dead_lettered, skipped, rewound.
    std::uint64_t count_of(std::string_view result) const;

private:
    struct clients;
    void run();
    void count(const char* result);
    bool sleep_for(std::chrono::milliseconds d);  // false when stopping

    consumer_options opts_;
    dispatch_fn dispatch_;
    std::unique_ptr<clients> clients_;
    std::atomic<bool> up_{false}, stop_{false};
    std::atomic<std::uint64_t> dispatched_{0}, dead_lettered_{0}, skipped_{0}, rewound_{0};
    std::mutex mu_;
    std::condition_variable cv_;
    std::thread thread_;
    common::counter_family* messages_ = nullptr;
    common::counter* errors_ = nullptr;
};

}  // namespace switchboard::kafka
