// The real binary under a NOTIFY_SOCKET of the test's own (what systemd gives a Type=notify
// service): READY=1 once listening and migrated, STATUS= with the connections, WATCHDOG=1 while
// every I/O thread turns and none while one is stuck (a test hook blocks thread 0), STOPPING=1 on
// SIGTERM, then a clean exit.
#include <catch2/catch.hpp>

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

struct notify_socket {
    int fd = -1;
    std::string path;
    notify_socket() {
        path =
            (std::filesystem::temp_directory_path() / ("sb-notify-" + std::to_string(::getpid()) + ".sock"))
                .string();
        ::unlink(path.c_str());
        fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        REQUIRE(fd >= 0);
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
        REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    }
    ~notify_socket() {
        ::close(fd);
        ::unlink(path.c_str());
    }
    // Every datagram that arrives within `ms`.
    std::vector<std::string> read_for(int ms) {
        std::vector<std::string> out;
        auto end = clock_type::now() + std::chrono::milliseconds(ms);
        for (;;) {
            auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(end - clock_type::now()).count();
            if (left <= 0) return out;
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
            char buf[4096];
            auto n = ::recv(fd, buf, sizeof buf, 0);
            if (n > 0) out.emplace_back(buf, static_cast<std::size_t>(n));
        }
    }
    // Datagrams until one contains `what` (and that one), within `ms`.
    bool wait_for(const std::string& what, int ms, std::vector<std::string>* seen = nullptr) {
        auto end = clock_type::now() + std::chrono::milliseconds(ms);
        while (clock_type::now() < end) {
            for (auto& m : read_for(100)) {
                if (seen) seen->push_back(m);
                if (m.find(what) != std::string::npos) return true;
            }
        }
        return false;
    }
};

std::size_t count(const std::vector<std::string>& msgs, const std::string& what) {
    std::size_t n = 0;
    for (const auto& m : msgs)
        if (m.find(what) != std::string::npos) ++n;
    return n;
}

}  // namespace

TEST_CASE("systemd: READY, STATUS, WATCHDOG only while every thread turns, STOPPING", "[systemd]") {
    notify_socket ns;
    auto data = std::filesystem::temp_directory_path() / ("sb-systemd-" + std::to_string(::getpid()));
    std::filesystem::create_directories(data);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        std::string bin = std::string(SB_BIN_DIR) + "/switchboard";
        std::vector<std::string> env{"NOTIFY_SOCKET=" + ns.path,
                                     "WATCHDOG_USEC=400000",
                                     "SWITCHBOARD_TEST_HOOKS=1",
                                     "PORT=0",
                                     "HOST=127.0.0.1",
                                     "THREADS=2",
                                     "LOG_LEVEL=warn",
                                     "DATA_DIR=" + data.string(),
                                     "JWT_SECRET=systemd-test-secret-0123456789abcdefghij",
                                     "PATH=/usr/bin:/bin"};
        std::vector<char*> envp;
        for (auto& e : env)
            envp.push_back(e.data());
        envp.push_back(nullptr);
        char* argv[] = {bin.data(), nullptr};
        ::execve(bin.c_str(), argv, envp.data());
        ::_exit(127);
    }
    std::vector<std::string> seen;
    CHECK(ns.wait_for("READY=1", 20000, &seen));
    CHECK(count(seen, "READY=1") == 1);
    auto more = ns.read_for(1500);
    seen.insert(seen.end(), more.begin(), more.end());
    CHECK(count(more, "WATCHDOG=1") >= 3);  // fed every 200 ms while the loops turn
    CHECK(count(seen, "STATUS=0 connections") >= 1);
    CHECK(count(seen, "READY=1") == 1);  // once

    // Thread 0 stuck (the test hook sleeps in it for 10 s): no more WATCHDOG=1.
    REQUIRE(::kill(pid, SIGUSR2) == 0);
    ns.read_for(600);  // what was on its way
    auto stuck = ns.read_for(2000);
    CHECK(count(stuck, "WATCHDOG=1") == 0);
    CHECK(count(stuck, "STATUS=") >= 1);  // the notifier itself still runs

    REQUIRE(::kill(pid, SIGKILL) == 0);  // the stall would delay SIGTERM by 10 s
    int status = 0;
    ::waitpid(pid, &status, 0);

    // A second run: SIGTERM gives STOPPING=1 and a clean exit.
    pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        std::string bin = std::string(SB_BIN_DIR) + "/switchboard";
        std::vector<std::string> env{"NOTIFY_SOCKET=" + ns.path,
                                     "PORT=0",
                                     "HOST=127.0.0.1",
                                     "LOG_LEVEL=warn",
                                     "DATA_DIR=" + data.string(),
                                     "JWT_SECRET=systemd-test-secret-0123456789abcdefghij",
                                     "PATH=/usr/bin:/bin"};
        std::vector<char*> envp;
        for (auto& e : env)
            envp.push_back(e.data());
        envp.push_back(nullptr);
        char* argv[] = {bin.data(), nullptr};
        ::execve(bin.c_str(), argv, envp.data());
        ::_exit(127);
    }
    std::vector<std::string> second;
    CHECK(ns.wait_for("READY=1", 20000, &second));
    CHECK(count(second, "WATCHDOG=1") == 0);  // no WATCHDOG_USEC: not fed
    REQUIRE(::kill(pid, SIGTERM) == 0);
    CHECK(ns.wait_for("STOPPING=1", 10000));
    ::waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    std::error_code ec;
    std::filesystem::remove_all(data, ec);
}
