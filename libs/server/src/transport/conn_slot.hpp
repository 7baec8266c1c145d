#pragma once
// One accepted TCP connection counted against MAX_CONNECTIONS.
#include <atomic>
#include <cstddef>
#include <utility>

namespace switchboard::server::detail {

// Moves with the socket (HTTP connection, then its WebSocket) and is given back when its owner goes.
class conn_slot {
public:
    conn_slot() = default;
    explicit conn_slot(std::atomic<std::size_t>& n) noexcept : n_(&n) {}
    conn_slot(conn_slot&& o) noexcept : n_(std::exchange(o.n_, nullptr)) {}
    conn_slot& operator=(conn_slot&& o) noexcept {
        if (this != &o) {
            release();
            n_ = std::exchange(o.n_, nullptr);
        }
        return *this;
    }
    ~conn_slot() { release(); }
    void release() noexcept {
        if (n_) n_->fetch_sub(1, std::memory_order_relaxed);
        n_ = nullptr;
    }

private:
    std::atomic<std::size_t>* n_ = nullptr;
};

}  // namespace switchboard::server::detail
