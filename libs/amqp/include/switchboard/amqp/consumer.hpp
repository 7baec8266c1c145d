#pragma once
// The RabbitMQ consumer (rabbitmq-c, on a thread of its own, never on the I/O threads): connect,
// declare the routes' exchanges (topic, durable), the dead-letter exchange and queue, the durable
// queue and its bindings, basic.qos, consume with manual acks. Each message is routed
// (route_message) and handed to `dispatch`; it is acknowledged only once that returned `done`.
// Poison (bad JSON, no route, no room, refused by the push API) is rejected without requeue, so the
// broker dead-letters it; a failed dispatch is nacked with requeue after a short pause. A lost
// connection is retried with a capped backoff (100 ms doubling to 5 s) and everything declared again.
#include <switchboard/amqp/routes.hpp>
#include <switchboard/common/metrics.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace switchboard::amqp {

struct endpoint {
    std::string host = "localhost";
    int port = 5672;
    std::string user = "guest";
    std::string password = "guest";
    std::string vhost = "/";
    std::string to_log_string() const;  // no password
};

// amqp://user:pass@host:port/vhost (percent-decoded; amqps is not supported).
std::optional<endpoint> parse_amqp_url(std::string_view url, std::string* error);

struct consumer_options {
    endpoint server;
    std::string queue = "websocket.events";
    std::string dead_letter_exchange = "websocket.events.dlx";  // empty: rejected messages are dropped
    std::string dead_letter_queue = "websocket.events.dead";
    int prefetch = 100;
    int heartbeat_s = 10;
    std::chrono::milliseconds backoff_min{100}, backoff_max{5000};
    std::chrono::milliseconds retry_pause{500};  // before a failed dispatch is requeued
};

enum class dispatch_result {
    done,     // delivered: ack
    refused,  // never will pass: dead-letter
    failed    // try again: requeue
};

// The next reconnect delay (doubling, capped).
std::chrono::milliseconds next_backoff(std::chrono::milliseconds previous, const consumer_options& o);

class consumer {
public:
    using dispatch_fn = std::function<dispatch_result(const routed_message&, std::string& reason)>;
    consumer(consumer_options o, event_routes routes, dispatch_fn dispatch);
    ~consumer();  // stop()
    consumer(const consumer&) = delete;
    consumer& operator=(const consumer&) = delete;

    // switchboard_amqp_messages_total{result}, switchboard_amqp_reconnects_total, switchboard_amqp_up.
    void add_metrics(common::metrics_registry& m);
    void start();
    // Ends the thread (a message being dispatched is finished; unacked ones return to the queue
    // when the connection closes). Idempotent.
    void stop();
    // Connected, declared and consuming.
    bool healthy() const noexcept { return up_.load(); }
    // Failed connection attempts since the broker was last consumed from (0 while up).
    std::uint64_t reconnect_attempts() const noexcept { return attempts_.load(); }

private:
    struct session;
    void run();
    bool sleep_for(std::chrono::milliseconds d);  // false when stopping
    void count(const char* result);

    consumer_options opts_;
    event_routes routes_;
    dispatch_fn dispatch_;
    std::atomic<bool> up_{false}, stop_{false};
    std::atomic<std::uint64_t> attempts_{0};
    std::mutex mu_;
    std::condition_variable cv_;
    std::thread thread_;
    common::counter_family* messages_ = nullptr;
    common::counter* reconnects_ = nullptr;
};

}  // namespace switchboard::amqp
