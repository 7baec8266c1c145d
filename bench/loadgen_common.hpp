#pragma once
// What sb-loadgen's scenarios share: options, counters, the Socket.IO client handshake, small
// frame parsers, percentiles, and the CPU probes (/proc) for the measured window.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace sbload {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;
using ws_t = websocket::stream<beast::tcp_stream>;

struct options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 3300;
    std::string scenario = "echo";
    int conns = 1000;
    double rate = 2000;  // connections per second
    double duration = 10;
    double hold = 2;
    double open_rate = 0;  // echo and chat: total sends/s for the open loop (0: closed loop)
    double pubs = 10;      // fanout: publishes per second
    int threads = 1;
    int server_pid = 0;  // when set: the server's CPU over the measured window is reported
    int db_pid = 0;      // chat: the PostgreSQL postmaster, whose CPU (with its backends) is reported
    int payload = 16;
    std::string jwt_secret;  // chat: HS256 secret the users' tokens are signed with
    // fanout across two instances (scripts/bench-cluster):
    std::string room = "bench";  // the room the subscribers join and the publishes go to
    int port2 = 0;               // when set: odd-numbered subscribers connect here (side 1)
    int pub_port = 0;            // the publisher's port (0: --port)
    std::string pub_key;         // when set: publish through POST /api/broadcast/room with this key
    int other_pid = 0;           // the other instance (A), whose CPU over the publishing span is reported
};

struct stats {
    std::mutex mu;
    std::vector<std::uint32_t> latencies_us;
    std::atomic<std::uint64_t> ok_connects{0}, failed_tcp{0}, failed_ws{0}, failed_open{0}, failed_connect{0};
    std::atomic<std::uint64_t> acks{0}, deliveries{0}, duplicates{0}, errors{0};
    std::atomic<int> ready{0};
    std::int64_t last_connect_us = 0;
    std::vector<std::vector<std::uint8_t>> seen;  // fanout: per subscriber, per publish seq
    // fanout with --port2: deliveries and latencies per side (0: --port, 1: --port2).
    std::atomic<std::uint64_t> side_deliveries[2]{0, 0};
    std::vector<std::uint32_t> side_latencies_us[2];
    // ... and per publish seq, its first and its last delivery on each side, µs after the publish.
    std::vector<std::atomic<std::uint32_t>> first_us[2], last_us[2];
    std::atomic<std::uint64_t> pub_failures{0};
    std::vector<std::uint8_t> pub_ok;  // fanout: per publish seq, whether it was sent (and accepted)
    std::atomic<std::int64_t> pub_start_us{0}, pub_end_us{0};  // the publishing span (now_us)
};

std::int64_t now_us();

// TCP + WebSocket + Engine.IO open + Socket.IO CONNECT (with `auth`, a JSON object, when not
// empty). nullptr on failure (counted by stage).
asio::awaitable<std::unique_ptr<ws_t>> open_socket(const options& o, stats& st, std::string_view auth = {});

std::string_view frame_of(const beast::flat_buffer& b);
// Parses the number after `key` (e.g. "\"t\":") in `s`; -1 when absent.
std::int64_t field(std::string_view s, std::string_view key);
asio::awaitable<void> pause_until(clock_type::time_point t);
// The p-th percentile of a sorted vector (0 when empty).
std::uint32_t pct(const std::vector<std::uint32_t>& v, double p);
// This process's CPU time (user + system), seconds.
double cpu_seconds();
// A process's CPU time (utime + stime; with `children`, also what it reaped: cutime + cstime),
// seconds; -1 when it cannot be read.
double proc_cpu_seconds(int pid, bool children = false, int tid = 0);
// A process's time on a CPU from /proc/<pid>/task/*/schedstat (nanoseconds, not ticks), seconds;
// -1 when it cannot be read.
double sched_cpu_seconds(int pid);
// A process and its live children (e.g. a postmaster and its backends), seconds.
double tree_cpu_seconds(int pid);

// The CPU of the server (and the database) between `go` and `end`, read from /proc by a thread.
class cpu_window {
public:
    cpu_window(const options& o, clock_type::time_point go, clock_type::time_point end);
    ~cpu_window();
    void join();
    double server_s = -1, db_s = -1;
    // Per server thread: {tid, CPU seconds in the window}; the main thread's tid is the pid.
    std::vector<std::pair<int, double>> threads;

private:
    std::thread probe_;
};

// The chat scenario (loadgen_chat.cpp): prints its JSON line; returns the exit status.
int run_chat(const options& o);

}  // namespace sbload
