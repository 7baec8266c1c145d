#pragma once
// A throwaway Redis for one test (scripts/redis-temp), redis-cli for what a backend would do, and
// a bounded wait for what happens on other threads.
#include <catch2/catch.hpp>

#include <unistd.h>
#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

namespace sbtest {

inline std::string run(const std::string& cmd) {
    std::string out;
    if (FILE* p = ::popen(cmd.c_str(), "r")) {
        std::array<char, 512> buf{};
        while (std::fgets(buf.data(), buf.size(), p))
            out += buf.data();
        ::pclose(p);
    }
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r'))
        out.pop_back();
    return out;
}

struct redis_server {
    std::string base;
    std::string dir;
    std::string url;
    std::string port;
    redis_server() {
        static int counter = 0;
        base = (std::filesystem::temp_directory_path() /
                ("sb-redis-" + std::to_string(::getpid()) + "-" + std::to_string(counter++)))
                   .string();
        std::filesystem::create_directories(base);
        dir = base + "/redis";
        url = run(script() + " start " + dir);
        REQUIRE(url.rfind("redis://", 0) == 0);
        port = url.substr(url.rfind(':') + 1);
    }
    ~redis_server() {
        run(script() + " stop " + dir);
        std::error_code ec;
        std::filesystem::remove_all(base, ec);
    }
    void kill() { run(script() + " kill " + dir); }
    void resume() { run(script() + " resume " + dir); }
    // One command through redis-cli (arguments as a shell would split them).
    std::string cli(const std::string& args) { return run("redis-cli -h 127.0.0.1 -p " + port + " " + args); }
    // Many commands, one per line.
    std::string cli_batch(const std::string& lines) {
        auto file = base + "/batch.txt";
        std::ofstream(file) << lines;
        return run("redis-cli -h 127.0.0.1 -p " + port + " < " + file);
    }
    static std::string script() { return std::string(SB_SCRIPTS_DIR) + "/redis-temp"; }
};

template <class F>
bool eventually(F&& f, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
        if (f()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return f();
}

}  // namespace sbtest
