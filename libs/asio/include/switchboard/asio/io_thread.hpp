// An io_context run on a thread of its own, stopped in two steps: join() lets the context run
// dry (the owner has already asked its components to stop: their sockets close, their timers are
// cancelled, pending calls complete with operation_aborted) and only forces ctx.stop() when work
// is still there after the grace period. Stopping at once instead leaves queued completions that
// hold shared_ptr cycles (a client's pending callback owning its owner) which are never broken.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

namespace switchboard::asio_util {

class io_thread {
public:
    io_thread() = default;
    io_thread(const io_thread&) = delete;
    io_thread& operator=(const io_thread&) = delete;
    ~io_thread() { join(); }

    boost::asio::io_context& context() { return ctx_; }
    boost::asio::io_context::executor_type executor() { return ctx_.get_executor(); }

    void start();
    // Releases the work guard, waits up to `grace` for run() to return by itself, then forces it.
    // Idempotent; not from the context's own thread.
    void join(std::chrono::milliseconds grace = std::chrono::milliseconds(2000));
    bool running() const { return thread_.joinable(); }

private:
    boost::asio::io_context ctx_;
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard_;
    std::thread thread_;
    std::mutex mu_;
    std::condition_variable cv_;
    bool done_ = false;
};

}  // namespace switchboard::asio_util
