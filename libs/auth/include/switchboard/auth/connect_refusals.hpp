#pragma once
// Refused CONNECTs (issue #11, finding 8): a Socket.IO client may send CONNECT again and again on
// one Engine.IO session, and each try with a Django key costs a database lookup. This counts
// refusals per session (past `per_session` the session is closed) and per client address in a
// fixed window (past `per_address`, CONNECTs from that address are refused before any lookup until
// the window ends). Bounded: at most `max_tracked` sessions and addresses each; entries idle for a
// window are swept. Pure: time is an argument (milliseconds of a monotonic clock).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace switchboard::auth {

class connect_refusals {
public:
    struct limits {
        std::uint32_t per_session = 5;   // 0: no limit
        std::uint32_t per_address = 30;  // 0: no limit
        std::int64_t window_ms = 60000;
        std::size_t max_tracked = 100000;
    };
    explicit connect_refusals(limits l) : limits_(l) {}

    // May this address try to authenticate now? false while it is over its limit.
    bool allowed(std::string_view address, std::int64_t now_ms);
    // Counts a refused CONNECT; true when the session has reached its limit and must be closed.
    // `count_address`: the refusal cost a lookup (a Django key), so it counts against the address
    // too; cheap refusals (a bad JWT, no token) count per session only, so clients sharing an
    // address (a NAT) are not locked out by one another's expired tokens. An empty `session`
    // (a REST request) counts against the address only.
    bool refused(std::string_view session, std::string_view address, std::int64_t now_ms,
                 bool count_address = true);
    // A CONNECT succeeded on this session: its count ends.
    void connected(std::string_view session);

    std::size_t tracked() const noexcept { return sessions_.size() + addresses_.size(); }

private:
    struct counter {
        std::int64_t start = 0;  // of the window (addresses) or of the last refusal (sessions)
        std::uint32_t n = 0;
    };
    void sweep(std::int64_t now_ms);

    limits limits_;
    std::unordered_map<std::string, counter> sessions_;
    std::unordered_map<std::string, counter> addresses_;
    std::int64_t last_sweep_ = 0;
};

}  // namespace switchboard::auth
