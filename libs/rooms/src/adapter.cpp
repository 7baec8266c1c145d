#include <switchboard/rooms/adapter.hpp>
#include <switchboard/rooms/recovery.hpp>

namespace switchboard::rooms {

std::size_t memory_adapter::broadcast(const broadcast_packet& p, const broadcast_options& opts) {
    // Volatile packets are never replayed, so they get no offset (and need no ordering lock).
    if (!log_ || opts.is_volatile) return local_.broadcast(p, opts, {});
    std::lock_guard order(order_mu_);
    auto offset = log_->next_offset().second;
    return local_.broadcast(p, opts, offset);
}

}  // namespace switchboard::rooms
