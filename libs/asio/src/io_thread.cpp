#include <switchboard/asio/io_thread.hpp>

namespace switchboard::asio_util {

void io_thread::start() {
    if (thread_.joinable()) return;
    guard_.emplace(ctx_.get_executor());
    done_ = false;
    thread_ = std::thread([this] {
        ctx_.run();
        std::lock_guard lock(mu_);
        done_ = true;
        cv_.notify_all();
    });
}

void io_thread::join(std::chrono::milliseconds grace) {
    if (!thread_.joinable()) return;
    guard_.reset();
    {
        std::unique_lock lock(mu_);
        if (!cv_.wait_for(lock, grace, [this] { return done_; })) ctx_.stop();
    }
    thread_.join();
}

}  // namespace switchboard::asio_util
