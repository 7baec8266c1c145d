#pragma once
// A throwaway Redis (scripts/redis-temp) and helpers to drive a redis::client from a test thread:
// the io_context runs on its own thread; the test waits on futures with a bound.
#include <switchboard/redis/client.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <future>
#include <string>
#include <thread>

namespace sb_test {

namespace redis = switchboard::redis;
using namespace std::chrono_literals;

inline std::string run_script(const std::string& args) {
    std::string cmd = std::string(SB_SCRIPTS_DIR) + "/redis-temp " + args;
    std::string out;
    if (FILE* f = ::popen(cmd.c_str(), "r")) {
        char buf[256];
        while (std::fgets(buf, sizeof buf, f))
            out += buf;
        ::pclose(f);
    }
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r'))
        out.pop_back();
    return out;
}

class redis_server {
public:
    explicit redis_server(const std::string& password = "") {
        char tmpl[] = "/tmp/sb-redis-test-XXXXXX";
        REQUIRE(::mkdtemp(tmpl) != nullptr);
        dir_ = tmpl;
        url_ = run_script("start " + dir_ + "/redis " + password);
        REQUIRE(url_.rfind("redis://", 0) == 0);
    }
    ~redis_server() {
        run_script("kill " + dir_ + "/redis");
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }
    redis_server(const redis_server&) = delete;
    redis_server& operator=(const redis_server&) = delete;

    const std::string& url() const { return url_; }
    void kill() { run_script("kill " + dir_ + "/redis"); }
    void resume() { run_script("resume " + dir_ + "/redis"); }

private:
    std::string dir_, url_;
};

// Runs an io_context on a thread for the test's lifetime.
class io_thread {
public:
    io_thread() : guard_(ioc_.get_executor()), thread_([this] { ioc_.run(); }) {}
    ~io_thread() {
        guard_.reset();
        ioc_.stop();
        thread_.join();
    }
    boost::asio::any_io_executor executor() { return ioc_.get_executor(); }

private:
    boost::asio::io_context ioc_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
    std::thread thread_;
};

struct reply {
    boost::system::error_code ec;
    redis::value v;
};

// A call's completion as a future.
inline std::future<reply> call(redis::client& c, std::vector<std::string> args,
                               std::chrono::milliseconds deadline = {}) {
    auto p = std::make_shared<std::promise<reply>>();
    auto f = p->get_future();
    c.exec(
        std::move(args),
        [p](boost::system::error_code ec, redis::value v) {
            p->set_value({ec, std::move(v)});
        },
        deadline);
    return f;
}

inline reply get(std::future<reply>& f, std::chrono::seconds bound = 20s) {
    REQUIRE(f.wait_for(bound) == std::future_status::ready);
    return f.get();
}

inline reply call_sync(redis::client& c, std::vector<std::string> args,
                       std::chrono::milliseconds deadline = {}) {
    auto f = call(c, std::move(args), deadline);
    return get(f);
}

// Bounded polling (reconnection takes a backoff): true once pred holds.
inline bool wait_until(const std::function<bool()>& pred, std::chrono::seconds bound = 20s) {
    auto until = std::chrono::steady_clock::now() + bound;
    while (std::chrono::steady_clock::now() < until) {
        if (pred()) return true;
        std::this_thread::sleep_for(20ms);
    }
    return pred();
}

inline redis::client_options options_for(const std::string& url) {
    redis::client_options o;
    o.server = redis::parse_url(url).value();
    o.backoff_min = 50ms;
    o.backoff_max = 400ms;
    o.connect_timeout = 2000ms;
    return o;
}

inline std::shared_ptr<redis::client> started(io_thread& io, redis::client_options o) {
    auto c = redis::client::create(io.executor(), std::move(o));
    c->start();
    REQUIRE(wait_until([&] { return c->connected(); }));
    return c;
}

}  // namespace sb_test
