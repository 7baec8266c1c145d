#pragma once
// Who is typing to whom, with deadlines as input (sans-io): a start or refresh sets the pair's
// deadline to now + timeout, a stop ends it, and expired(now) hands back the pairs whose deadline
// has passed so the caller announces their end. The caller owns the timer: it arms it for
// next_deadline() and feeds the time back. Pure and single-threaded.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace switchboard::presence {

struct typing_pair {
    std::string from;
    std::string to;
    friend bool operator==(const typing_pair&, const typing_pair&) = default;
};

class typing {
public:
    explicit typing(std::int64_t timeout_ms) : timeout_ms_(timeout_ms) {}

    // `from` types to `to` (again): its deadline becomes now + timeout. true when it was not typing.
    bool start(const std::string& from, const std::string& to, std::int64_t now);
    // `from` stopped typing to `to`; true when it was typing.
    bool stop(const std::string& from, const std::string& to);
    // The pairs whose deadline is at or before `now`, oldest deadline first; they are forgotten.
    std::vector<typing_pair> expired(std::int64_t now);
    // The earliest deadline, when anyone is typing.
    std::optional<std::int64_t> next_deadline() const;
    std::size_t size() const noexcept { return deadlines_.size(); }
    std::int64_t timeout_ms() const noexcept { return timeout_ms_; }

private:
    using key = std::pair<std::string, std::string>;
    std::int64_t timeout_ms_;
    std::map<key, std::int64_t> deadlines_;
    std::set<std::pair<std::int64_t, key>> by_deadline_;
};

}  // namespace switchboard::presence
