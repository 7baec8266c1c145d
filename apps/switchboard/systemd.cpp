#include "systemd.hpp"

#include <switchboard/common/log.hpp>

#include <systemd/sd-daemon.h>
#include <boost/asio/post.hpp>

#include <cstdlib>

namespace switchboard::app {

systemd_notifier::systemd_notifier(server::runtime& rt, server::server& srv,
                                   std::function<std::string()> status)
    : rt_(rt), srv_(srv), status_(std::move(status)) {
    const char* socket = std::getenv("NOTIFY_SOCKET");
    enabled_ = socket && *socket;
    if (!enabled_) return;
    std::uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
        watchdog_ = true;
        // Fed twice per WatchdogSec; a heartbeat a thread has not run by the next tick is a stuck loop.
        tick_ = std::min(tick_, std::chrono::milliseconds(std::max<std::uint64_t>(usec / 2000, 50)));
    }
    for (unsigned i = 0; i < rt_.size(); ++i)
        beats_.push_back(std::make_unique<std::atomic<std::uint64_t>>(0));
    log::info("systemd notify",
              {{"watchdog", watchdog_ ? "on" : "off"}, {"tick_ms", std::to_string(tick_.count())}});
    thread_ = std::thread([this] { loop(); });
}

systemd_notifier::~systemd_notifier() {
    {
        std::lock_guard lock(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void systemd_notifier::listening() {
    listening_ = true;
    cv_.notify_all();
}

void systemd_notifier::stopping() {
    if (!enabled_) return;
    {
        std::lock_guard lock(mu_);
        if (stop_) return;
        stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    sd_notify(0, "STOPPING=1\nSTATUS=Stopping");
}

void systemd_notifier::loop() {
    bool ready_sent = false;
    std::uint64_t tick = 0;
    for (;;) {
        {
            std::unique_lock lock(mu_);
            if (cv_.wait_for(lock, tick_, [this] { return stop_; })) return;
        }
        std::string msg;
        if (!ready_sent && listening_ && srv_.ready()) {
            msg += "READY=1\n";
            ready_sent = true;
        }
        // Every thread ran the heartbeat posted a tick ago: the loops turn.
        if (watchdog_ && tick > 0) {
            bool all = true;
            for (const auto& b : beats_)
                all = all && b->load() == tick;
            if (all) msg += "WATCHDOG=1\n";
        }
        ++tick;
        for (unsigned i = 0; i < rt_.size(); ++i)
            boost::asio::post(rt_.context(i), [b = beats_[i].get(), tick] { b->store(tick); });
        if (status_) msg += "STATUS=" + status_() + "\n";
        if (!msg.empty()) sd_notify(0, msg.c_str());
    }
}

}  // namespace switchboard::app
