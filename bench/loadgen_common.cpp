#include "loadgen_common.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/websocket.hpp>

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <map>
#include <sstream>

namespace sbload {

using asio::as_tuple;
using asio::use_awaitable;

std::int64_t now_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now().time_since_epoch())
        .count();
}

asio::awaitable<std::unique_ptr<ws_t>> open_socket(const options& o, stats& st, std::string_view auth) {
    auto ex = co_await asio::this_coro::executor;
    auto ws = std::make_unique<ws_t>(ex);
    tcp::endpoint ep(asio::ip::make_address(o.host), o.port);
    auto& layer = beast::get_lowest_layer(*ws);
    layer.expires_after(std::chrono::seconds(30));
    auto [ec] = co_await layer.async_connect(ep, as_tuple(use_awaitable));
    if (ec) {
        ++st.failed_tcp;
        co_return nullptr;
    }
    layer.expires_never();
    ws->set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
    std::tie(ec) =
        co_await ws->async_handshake(o.host + ":" + std::to_string(o.port),
                                     "/socket.io/?EIO=4&transport=websocket", as_tuple(use_awaitable));
    if (ec) {
        ++st.failed_ws;
        co_return nullptr;
    }
    beast::flat_buffer buf;
    auto [rec, n] = co_await ws->async_read(buf, as_tuple(use_awaitable));
    if (rec || buf.size() == 0 || static_cast<const char*>(buf.data().data())[0] != '0') {
        ++st.failed_open;
        co_return nullptr;
    }
    buf.consume(buf.size());
    ws->text(true);
    // socket.io-client sends the auth object as the CONNECT packet's data: 40{"token":"…"}.
    std::string connect = "40" + std::string(auth);
    std::tie(ec, n) = co_await ws->async_write(asio::buffer(connect), as_tuple(use_awaitable));
    std::tie(rec, n) = co_await ws->async_read(buf, as_tuple(use_awaitable));
    std::string_view reply(static_cast<const char*>(buf.data().data()), buf.size());
    if (ec || rec || reply.substr(0, 2) != "40") {
        ++st.failed_connect;
        co_return nullptr;
    }
    ++st.ok_connects;
    co_return ws;
}

std::string_view frame_of(const beast::flat_buffer& b) {
    return {static_cast<const char*>(b.data().data()), b.size()};
}

std::int64_t field(std::string_view s, std::string_view key) {
    auto p = s.find(key);
    if (p == std::string_view::npos) return -1;
    std::int64_t v = -1;
    std::from_chars(s.data() + p + key.size(), s.data() + s.size(), v);
    return v;
}

asio::awaitable<void> pause_until(clock_type::time_point t) {
    asio::steady_timer timer(co_await asio::this_coro::executor, t);
    co_await timer.async_wait(as_tuple(use_awaitable));
}

std::uint32_t pct(const std::vector<std::uint32_t>& v, double p) {
    if (v.empty()) return 0;
    auto i = static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size() - 1));
    return v[i];
}

double cpu_seconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

namespace {

// Fields 3.. of /proc/<pid>[/task/<tid>]/stat (after the command name); empty when unreadable.
std::vector<std::string> stat_fields(int pid, int tid = 0) {
    std::string path = "/proc/" + std::to_string(pid) + "/";
    if (tid) path += "task/" + std::to_string(tid) + "/";
    std::ifstream f(path + "stat");
    std::string line;
    std::getline(f, line);
    auto rp = line.rfind(')');
    if (rp == std::string::npos) return {};
    std::istringstream rest(line.substr(rp + 2));
    std::vector<std::string> out{"", "", ""};  // so that out[i] is field i (1-based, as in proc(5))
    for (std::string x; rest >> x;)
        out.push_back(x);
    return out;
}

std::vector<int> numeric_entries(const std::string& dir) {
    std::vector<int> out;
    if (DIR* d = opendir(dir.c_str())) {
        while (auto* e = readdir(d)) {
            int v = 0;
            auto* end = e->d_name + std::char_traits<char>::length(e->d_name);
            if (std::from_chars(e->d_name, end, v).ptr == end && v > 0) out.push_back(v);
        }
        closedir(d);
    }
    return out;
}

const double ticks_per_s = static_cast<double>(sysconf(_SC_CLK_TCK));

}  // namespace

double proc_cpu_seconds(int pid, bool children, int tid) {
    auto f = stat_fields(pid, tid);
    if (f.size() < 18) return -1;
    double ticks = std::stod(f[14]) + std::stod(f[15]);
    if (children) ticks += std::stod(f[16]) + std::stod(f[17]);
    return ticks / ticks_per_s;
}

double sched_cpu_seconds(int pid) {
    auto tids = numeric_entries("/proc/" + std::to_string(pid) + "/task");
    if (tids.empty()) return -1;
    double ns = 0;
    for (int tid : tids) {
        std::ifstream f("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/schedstat");
        double v = 0;
        if (f >> v) ns += v;
    }
    return ns / 1e9;
}

double tree_cpu_seconds(int pid) {
    // The parent's own and reaped children's time, plus each live child's: a backend that exits
    // between two readings moves from the second sum into the first, and is counted once.
    double total = proc_cpu_seconds(pid, true);
    if (total < 0) return -1;
    for (int child : numeric_entries("/proc")) {
        auto f = stat_fields(child);
        if (f.size() >= 16 && f[4] == std::to_string(pid))
            total += (std::stod(f[14]) + std::stod(f[15])) / ticks_per_s;
    }
    return total;
}

cpu_window::cpu_window(const options& o, clock_type::time_point go, clock_type::time_point end) {
    if (o.server_pid <= 0) return;
    probe_ = std::thread([this, o, go, end] {
        auto per_thread = [&] {
            std::map<int, double> m;
            for (int tid : numeric_entries("/proc/" + std::to_string(o.server_pid) + "/task"))
                m[tid] = proc_cpu_seconds(o.server_pid, false, tid);
            return m;
        };
        std::this_thread::sleep_until(go);
        double a = proc_cpu_seconds(o.server_pid), da = o.db_pid > 0 ? tree_cpu_seconds(o.db_pid) : -1;
        auto ta = per_thread();
        std::this_thread::sleep_until(end);
        double b = proc_cpu_seconds(o.server_pid), db = o.db_pid > 0 ? tree_cpu_seconds(o.db_pid) : -1;
        auto tb = per_thread();
        if (a >= 0 && b >= 0) server_s = b - a;
        if (da >= 0 && db >= 0) db_s = db - da;
        for (auto& [tid, cpu] : tb)
            if (cpu >= 0) threads.emplace_back(tid, cpu - (ta.contains(tid) ? ta[tid] : 0.0));
    });
}

cpu_window::~cpu_window() {
    join();
}

void cpu_window::join() {
    if (probe_.joinable()) probe_.join();
}

}  // namespace sbload
