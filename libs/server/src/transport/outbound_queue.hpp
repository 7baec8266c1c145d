#pragma once
// A session's outbound packets: bounded in packets and bytes, taken by the WebSocket writer or by a
// poll response.
#include "../runtime/context.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace switchboard::server::detail {

struct out_item {
    std::shared_ptr<const std::string> data;  // text: Engine.IO frame with its type digit; binary: raw bytes
    bool binary = false;
    bool deflated = false;  // data is its permessage-deflate form (a frame with RSV1)
};

// The bounds every session's queue shares, and the gauge of all their packets.
struct queue_policy {
    std::size_t max_packets = 4096;
    std::size_t max_bytes = 16u << 20;
    std::atomic<std::int64_t>* total = nullptr;  // queued packets of every session (a gauge)
};

class outbound_queue {
public:
    explicit outbound_queue(const queue_policy& p) noexcept : policy_(&p) {}
    outbound_queue(const outbound_queue&) = delete;
    outbound_queue& operator=(const outbound_queue&) = delete;

    // Room for `packets` more packets of `bytes` in all?
    bool fits(std::size_t packets, std::size_t bytes) const noexcept {
        return items_.size() + packets <= policy_->max_packets && bytes_ + bytes <= policy_->max_bytes;
    }
    void push(out_item item) {
        bytes_ += item.data->size();
        items_.push_back(std::move(item));
        policy_->total->fetch_add(1, std::memory_order_relaxed);
    }
    void append(const std::vector<out_item>& items, std::size_t bytes) {
        items_.append(items.begin(), items.end());
        bytes_ += bytes;
        policy_->total->fetch_add(static_cast<std::int64_t>(items.size()), std::memory_order_relaxed);
    }
    bool empty() const noexcept { return items_.empty(); }
    std::size_t size() const noexcept { return items_.size(); }
    std::size_t bytes() const noexcept { return bytes_; }
    out_item& at(std::size_t i) { return items_.at(i); }
    out_item& front() { return items_.front(); }
    // Replaces the data of item i (its compressed form), keeping the byte count right.
    void replace(std::size_t i, std::shared_ptr<const std::string> data, bool deflated) {
        auto& item = items_.at(i);
        bytes_ = bytes_ - item.data->size() + data->size();
        item.data = std::move(data);
        item.deflated = deflated;
    }
    // Removes the front item; call note_taken for a batch of them (one atomic op per batch).
    void pop_front() noexcept {
        bytes_ -= items_.front().data->size();
        items_.pop_front();
    }
    // Moves the front item out (its payload is not copied).
    out_item take_front() {
        out_item item = std::move(items_.front());
        bytes_ -= item.data->size();
        items_.pop_front();
        return item;
    }
    void note_taken(std::size_t n) noexcept {
        if (n) policy_->total->fetch_sub(static_cast<std::int64_t>(n), std::memory_order_relaxed);
    }
    template <class F>
    void for_each(F&& f) const {
        items_.for_each(std::forward<F>(f));
    }
    void clear() {
        note_taken(items_.size());
        items_.clear();
        bytes_ = 0;
    }

private:
    fifo<out_item> items_;
    std::size_t bytes_ = 0;
    const queue_policy* policy_;
};

}  // namespace switchboard::server::detail
