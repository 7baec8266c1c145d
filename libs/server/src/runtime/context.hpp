#pragma once
// The runtime of libs/server's shell: one io_context per I/O thread, the clocks and ids the shell
// uses, and two small containers (a FIFO that holds nothing while empty, a stored handler).
#include <switchboard/common/clock.hpp>
#include <switchboard/common/ids.hpp>
#include <switchboard/common/log.hpp>
#include <switchboard/common/metrics.hpp>
#include <switchboard/protocol/engine_fsm.hpp>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace switchboard::server {
// The metrics types by their short names inside the server.
using common::counter;
using common::counter_family;
using common::histogram;
using common::metrics_registry;
}  // namespace switchboard::server

namespace switchboard::server::detail {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
// Every session lives on one I/O thread, which runs an io_context of its own: its executor is that
// io_context's, so work for a session from its own thread runs inline and no strand is needed.
using executor_t = asio::io_context::executor_type;

// Something with output to write once the handlers of this round have run (a WebSocket
// connection: one gathered write per round, whatever number of packets its handlers queued).
class round_writer {
public:
    virtual void write_round() = 0;

protected:
    ~round_writer() = default;
};

// An io_context whose services can be shut down early: with several of them, sessions (held by
// handlers queued in one) own sockets and timers of another, so every context is shut down (its
// queued handlers destroyed) before any is destroyed.
class io_ctx : public asio::io_context {
public:
    using asio::io_context::io_context;
    void shut_down() {
        shutdown();
        dirty.clear();
        flushing.clear();
    }
    // Queues `w` for the end of this round (the caller keeps it from being queued twice).
    void defer_write(std::shared_ptr<round_writer> w) {
        dirty.push_back(std::move(w));
        if (!flush_posted) {
            flush_posted = true;
            asio::post(*this, [this] { write_round(); });
        }
    }

private:
    void write_round() {
        flush_posted = false;
        std::swap(dirty, flushing);
        for (auto& w : flushing)
            w->write_round();
        flushing.clear();
    }
    // Only the thread running this context uses these.
    std::vector<std::shared_ptr<round_writer>> dirty, flushing;
    bool flush_posted = false;
};
using error_code = boost::system::error_code;

inline protocol::millis now_ms() noexcept {
    return common::steady_ms();
}
// Seconds from `t` to now, for the latency histograms.
inline double seconds_since(std::chrono::steady_clock::time_point t) noexcept {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}
using common::random_id;  // 20 chars of base64url from the OS's random source
using common::wall_ms;
inline std::string iso_time(std::int64_t epoch_ms) {
    return log::iso_time(epoch_ms);
}

// A FIFO that holds no memory while empty (an empty std::deque keeps ~600 bytes per session).
template <class T>
class fifo {
public:
    bool empty() const noexcept { return head_ == items_.size(); }
    std::size_t size() const noexcept { return items_.size() - head_; }
    void push_back(T v) { items_.push_back(std::move(v)); }
    template <class It>
    void append(It first, It last) {
        items_.insert(items_.end(), first, last);
    }
    T& front() { return items_[head_]; }
    T& at(std::size_t i) { return items_[head_ + i]; }
    void pop_front() {
        if (++head_ == items_.size()) clear();
    }
    void clear() {
        items_.clear();
        head_ = 0;
        if (items_.capacity() > 16) items_.shrink_to_fit();
    }
    template <class F>
    void for_each(F&& f) const {
        for (std::size_t i = head_; i < items_.size(); ++i)
            f(items_[i]);
    }

private:
    std::vector<T> items_;
    std::size_t head_ = 0;
};

// A stored completion handler, completed later through its own executor. (Boost 1.81's
// any_completion_handler recurses when moved, so we keep this small one.)
template <class... Args>
class stored_handler {
    struct base {
        virtual ~base() = default;
        virtual void post(const executor_t& fallback, Args... args) = 0;
    };
    template <class H>
    struct impl final : base {
        explicit impl(H&& x) : h(std::move(x)) {}
        void post(const executor_t& fallback, Args... args) override {
            auto ex = asio::get_associated_executor(h, fallback);
            asio::post(
                ex, [h = std::move(h), ... a = std::move(args)]() mutable { std::move(h)(std::move(a)...); });
        }
        H h;
    };
    std::unique_ptr<base> p_;

public:
    stored_handler() = default;
    template <class H>
    explicit stored_handler(H&& h) : p_(std::make_unique<impl<std::decay_t<H>>>(std::forward<H>(h))) {}
    explicit operator bool() const noexcept { return p_ != nullptr; }
    // Completes (once) by posting to the handler's associated executor.
    void complete(const executor_t& fallback, Args... args) {
        auto p = std::move(p_);
        if (p) p->post(fallback, std::move(args)...);
    }
};

using poll_handler = stored_handler<error_code, std::string>;
using post_handler = stored_handler<error_code>;
}  // namespace switchboard::server::detail
