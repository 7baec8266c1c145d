#pragma once
// The writer's side of permessage-deflate: replaces queued messages of at least `threshold` bytes by
// their compressed form just before the writer takes them. No context takeover, so a message's
// compressed form depends only on its bytes and the window: each thread keeps the last few it made,
// and a broadcast (one shared payload in many queues) is compressed once per thread, not once per
// connection. Off (the default), a connection has none of this: one test of `on` per batch.
#include "outbound_queue.hpp"

#include <switchboard/protocol/ws_deflate.hpp>

#include <array>
#include <memory>
#include <string>

namespace switchboard::server::detail {

struct ws_deflate_out {
    bool on = false;
    int window_bits = 15;
    std::size_t threshold = 1024;

    // Compresses the first `n` items of `q` that are due and not compressed yet.
    void prepare(outbound_queue& q, std::size_t n) const {
        n = std::min(n, q.size());
        for (std::size_t i = 0; i < n; ++i) {
            auto& item = q.at(i);
            if (item.deflated || item.data->size() < threshold) continue;
            auto c = compressed(item.data);
            if (c != item.data) q.replace(i, std::move(c), true);
        }
    }

private:
    // The thread's last compressed payloads, by source (held, so its address is not reused) and
    // window; a payload that does not shrink maps to itself (sent as it is).
    struct cached {
        std::shared_ptr<const std::string> src, out;
        int bits = 0;
    };
    std::shared_ptr<const std::string> compressed(const std::shared_ptr<const std::string>& src) const {
        static thread_local std::array<cached, 4> cache;
        static thread_local std::size_t next = 0;
        for (auto& c : cache)
            if (c.src == src && c.bits == window_bits) return c.out;
        auto z = protocol::ws::thread_deflater(window_bits).deflate(*src);
        auto out = z.size() < src->size() ? std::make_shared<const std::string>(std::move(z)) : src;
        cache[next] = {src, out, window_bits};
        next = (next + 1) % cache.size();
        return out;
    }
};

}  // namespace switchboard::server::detail
