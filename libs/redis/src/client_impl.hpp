#pragma once
// The client's state and its loops; every member is used on the strand only, except the atomics
// and what the mutex guards.
#include <switchboard/redis/client.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <deque>
#include <mutex>
#include <random>
#include <set>

namespace switchboard::redis {

struct client::impl : std::enable_shared_from_this<client::impl> {
    using clock = std::chrono::steady_clock;
    using tcp = asio::ip::tcp;
    using tls_stream = asio::ssl::stream<tcp::socket>;

    struct pending {
        completion done;
        clock::time_point deadline;
        bool health_check = false;  // our idle PING
    };

    impl(asio::any_io_executor ex, client_options o);

    // Strand-only.
    void do_exec(std::vector<std::string> args, completion done, std::chrono::milliseconds deadline);
    void do_stop();
    void do_subscription(std::string_view verb, std::vector<std::string> names);
    void enqueue_raw(const std::vector<std::string>& args);
    void complete(completion& done, error_code ec, value v);
    void fail_all(error_code ec);
    error_code handle_reply(value v);
    void deliver_message(const value& v, std::size_t first);
    void wake_supervisor(clock::time_point deadline);
    void close_socket();
    void set_last_error(error_code ec);
    void notify_state(bool up);

    asio::awaitable<void> run();
    asio::awaitable<error_code> connect();
    asio::awaitable<error_code> setup();
    asio::awaitable<error_code> reader();
    asio::awaitable<error_code> writer();
    asio::awaitable<error_code> supervisor();
    asio::awaitable<std::pair<error_code, std::size_t>> read_some();
    asio::awaitable<error_code> write_all(const std::string& bytes);

    asio::strand<asio::any_io_executor> strand;
    client_options opts;
    std::string endpoint_log;  // no password
    std::unique_ptr<asio::ssl::context> tls_ctx;
    tcp::resolver resolver;
    std::unique_ptr<tcp::socket> socket;
    std::unique_ptr<tls_stream> tls;
    asio::steady_timer write_wake, supervisor_wake, backoff_timer, connect_watchdog;
    clock::time_point supervisor_at = clock::time_point::max();
    clock::time_point last_io{};
    parser replies;
    std::string read_buf;
    std::string out;  // encoded commands not yet handed to the socket
    std::deque<pending> in_flight;
    bool started = false, stopped = false, link_up = false, connect_timed_out = false;
    std::uint64_t attempt = 0;
    bool subscriber = false;
    std::set<std::string> channels, patterns;
    message_handler on_message;
    std::function<void()> on_connect;
    std::function<void(bool)> on_state;
    std::minstd_rand rng{std::random_device{}()};

    // Any thread.
    std::atomic<bool> connected{false};
    std::atomic<std::uint64_t> n_connects{0}, n_calls{0}, n_failures{0}, n_server_errors{0}, n_messages{0};
    mutable std::mutex error_mu;
    error_code last_error;
};

}  // namespace switchboard::redis
