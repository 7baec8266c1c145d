#pragma once
// systemd integration (Type=notify): READY=1 once listening and ready (migrations applied, Redis
// bridge up when clustered), STATUS= with the connection counts, WATCHDOG=1 fed only while every
// I/O thread turns (each tick posts a heartbeat to every thread's context and the next tick checks
// they all ran, so one stuck loop stops the feeding and systemd restarts the service), STOPPING=1
// at shutdown. Does nothing without NOTIFY_SOCKET.
#include <switchboard/server/runtime.hpp>
#include <switchboard/server/server.hpp>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace switchboard::app {

class systemd_notifier {
public:
    // `status`: the STATUS= text (e.g. connection counts), asked once a tick.
    systemd_notifier(server::runtime& rt, server::server& srv, std::function<std::string()> status);
    ~systemd_notifier();
    systemd_notifier(const systemd_notifier&) = delete;
    systemd_notifier& operator=(const systemd_notifier&) = delete;

    bool enabled() const noexcept { return enabled_; }
    // From server::run's on_ready: the listener is up.
    void listening();
    // STOPPING=1, and the ticks end.
    void stopping();

private:
    void loop();

    server::runtime& rt_;
    server::server& srv_;
    std::function<std::string()> status_;
    bool enabled_ = false;
    std::chrono::milliseconds tick_{2000};
    bool watchdog_ = false;
    std::atomic<bool> listening_{false};
    std::vector<std::unique_ptr<std::atomic<std::uint64_t>>> beats_;  // last tick each thread ran
    std::mutex mu_;
    std::condition_variable cv_;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace switchboard::app
