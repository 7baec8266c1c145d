#pragma once
// Backend events through a Redis stream: backends XADD entries {target, event, data[, id]} to
// EVENTS_STREAM; every instance reads it in one consumer group, so each entry is handled once by
// one instance, acknowledged (XACK) only after it was dispatched. Entries left pending by an
// instance that died are claimed by another once idle; an entry that keeps failing, or cannot
// ever succeed (bad target, bad JSON), goes to `<stream>:dead` with its reason. An entry with an
// `id` is dispatched once within the dedupe window, however often it is added.
#include <switchboard/redis/client.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace switchboard::common {
class metrics_registry;
}

namespace switchboard::redis {

struct events_options {
    std::string stream = "switchboard:events";  // EVENTS_STREAM
    std::string group = "switchboard";          // EVENTS_GROUP
    std::string consumer;                       // this instance's name in the group (default: random)
    std::size_t read_count = 100;
    std::chrono::milliseconds block{5000};
    std::chrono::milliseconds claim_idle{30000};       // EVENTS_CLAIM_IDLE
    int max_retries = 5;                               // EVENTS_MAX_RETRIES
    std::chrono::milliseconds dedupe_window{3600000};  // EVENTS_DEDUPE_WINDOW
};

struct backend_event {
    std::string entry_id;  // the stream's id
    std::string target;    // room:<name>, user:<id>, global
    std::string event;
    std::string data;  // JSON text (may be empty)
    std::string id;    // idempotency key (may be empty)
};

enum class event_result {
    done,     // dispatched: acknowledged
    invalid,  // can never succeed: dead-lettered at once with the reason
    retry,    // failed for now: left pending, tried again once idle (then dead after max_retries)
};
// Runs on the consumer's thread; `reason` (our words) for invalid / retry.
using event_handler = std::function<event_result(const backend_event&, std::string& reason)>;

class events_consumer {
public:
    events_consumer(boost::asio::any_io_executor ex, client_options redis, events_options opts,
                    event_handler h);
    ~events_consumer();
    events_consumer(const events_consumer&) = delete;
    events_consumer& operator=(const events_consumer&) = delete;

    void start();
    void stop();
    // Its reads answer within their block time.
    bool healthy() const;
    // switchboard_events_*: handled, duplicates, dead-lettered, claimed.
    void add_metrics(common::metrics_registry& m);

    struct impl;

private:
    std::shared_ptr<impl> impl_;
};

}  // namespace switchboard::redis
