#pragma once
// One Redis connection with its own run() loop (STYLE.md §4): connect (TCP, TLS for rediss://)
// → setup (AUTH, SELECT, CLIENT SETNAME, re-SUBSCRIBE, the on_connect hook) → reader + writer +
// supervisor until one fails → fail in-flight calls → capped exponential backoff with jitter → repeat.
// RESP2 is spoken (no HELLO): it works with every Redis; RESP3 pushes are understood anyway.
//
// API
//   static std::shared_ptr<client> create(asio::any_io_executor, client_options);
//   void start();                          // begins connecting; idempotent
//   void stop();                           // cancels everything; pending calls → operation_aborted;
//                                          // idempotent, any thread; no restart. ~client() stops.
//   void exec(std::vector<std::string> args, completion done, std::chrono::milliseconds deadline = {});
//   asio::awaitable<std::pair<error_code, value>> async_exec(std::vector<std::string> args,
//                                                             std::chrono::milliseconds deadline = {});
//   void subscribe(std::vector<std::string> channels);   void unsubscribe(std::vector<std::string>);
//   void psubscribe(std::vector<std::string> patterns);  void punsubscribe(std::vector<std::string>);
//   void on_message(message_handler);   // (channel, payload), on the strand
//   void on_connect(std::function<void()>);   // after setup, before on_state(true); may call exec()
//   void on_state(std::function<void(bool up)>);
//   bool connected() const;  error_code last_error() const;  client_stats stats() const;
//   const client_options& options() const;
//   asio::any_io_executor get_executor() const;   // the client's strand
//
// Calls: pipelined, replies matched in order. `done` runs exactly once, on the client's strand:
//   - ec = {} and the reply; a server error reply → ec = errc::server_error, the value (kind error) holds its
//   text;
//   - errc::not_connected at once when the connection is not up (calls are never queued);
//   - errc::timeout when the deadline passes (the connection is then dropped and re-established,
//     since the reply order is lost: the other in-flight calls get connection_lost);
//   - errc::connection_lost when the connection drops with the call in flight;
//   - asio::error::operation_aborted after stop().
// Deadline 0 = options.call_timeout. A blocking read (XREAD BLOCK n) goes on its own client with a
// deadline longer than n: the idle PING only runs when nothing is in flight.
// Subscriber mode: once subscribe()/psubscribe() is called the client is a subscriber (use a separate
// instance); it re-subscribes after each reconnect; exec() is then only for PING.
#include <switchboard/redis/errc.hpp>
#include <switchboard/redis/resp.hpp>
#include <switchboard/redis/url.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace switchboard::redis {

namespace asio = boost::asio;
using boost::system::error_code;

struct client_options {
    endpoint server;                                  // parse_url(...)
    std::chrono::milliseconds connect_timeout{5000};  // resolve + TCP + TLS + setup replies
    std::chrono::milliseconds call_timeout{5000};     // default deadline of a call
    std::chrono::milliseconds ping_interval{2000};    // PING after this long idle; its reply within 2x
    std::chrono::milliseconds backoff_min{100};
    std::chrono::milliseconds backoff_max{5000};
    std::string client_name;  // CLIENT SETNAME when not empty
    // rediss:// : the system CAs unless tls_ca_file; tls_insecure skips verification (tests only).
    std::string tls_ca_file;
    bool tls_insecure = false;
    parser_limits limits;
    std::string log_name = "redis";  // prefix of the log lines ("redis", "redis-sub"...)
};

struct client_stats {
    std::uint64_t connects = 0;    // successful setups
    std::uint64_t reconnects = 0;  // successful setups after the first
    std::uint64_t calls = 0;       // exec() calls
    std::uint64_t failures = 0;    // calls that completed with an error other than server_error
    std::uint64_t server_errors = 0;
    std::uint64_t messages = 0;  // pub/sub messages delivered
};

class client {
public:
    using completion = std::function<void(error_code, value)>;
    using message_handler = std::function<void(std::string_view channel, std::string_view payload)>;

    static std::shared_ptr<client> create(asio::any_io_executor ex, client_options opts);
    ~client();
    client(const client&) = delete;
    client& operator=(const client&) = delete;

    void start();
    void stop();

    void exec(std::vector<std::string> args, completion done, std::chrono::milliseconds deadline = {});
    asio::awaitable<std::pair<error_code, value>> async_exec(std::vector<std::string> args,
                                                             std::chrono::milliseconds deadline = {});

    void subscribe(std::vector<std::string> channels);
    void unsubscribe(std::vector<std::string> channels);
    void psubscribe(std::vector<std::string> patterns);
    void punsubscribe(std::vector<std::string> patterns);
    void on_message(message_handler h);

    void on_connect(std::function<void()> hook);
    void on_state(std::function<void(bool up)> h);

    bool connected() const noexcept;
    // Why the last connection attempt or connection failed (e.g. auth_failed); {} while none.
    error_code last_error() const;
    client_stats stats() const noexcept;
    const client_options& options() const noexcept;
    asio::any_io_executor get_executor() const noexcept;

    struct impl;
    explicit client(std::shared_ptr<impl> p) : impl_(std::move(p)) {}

private:
    std::shared_ptr<impl> impl_;  // kept alive by its run loop until stopped
};

}  // namespace switchboard::redis
