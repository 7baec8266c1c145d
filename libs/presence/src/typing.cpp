#include <switchboard/presence/typing.hpp>

namespace switchboard::presence {

bool typing::start(const std::string& from, const std::string& to, std::int64_t now) {
    key k{from, to};
    auto deadline = now + timeout_ms_;
    auto it = deadlines_.find(k);
    if (it != deadlines_.end()) {
        by_deadline_.erase({it->second, k});
        it->second = deadline;
        by_deadline_.insert({deadline, std::move(k)});
        return false;
    }
    deadlines_.emplace(k, deadline);
    by_deadline_.insert({deadline, std::move(k)});
    return true;
}

bool typing::stop(const std::string& from, const std::string& to) {
    key k{from, to};
    auto it = deadlines_.find(k);
    if (it == deadlines_.end()) return false;
    by_deadline_.erase({it->second, k});
    deadlines_.erase(it);
    return true;
}

std::vector<typing_pair> typing::expired(std::int64_t now) {
    std::vector<typing_pair> out;
    while (!by_deadline_.empty() && by_deadline_.begin()->first <= now) {
        auto node = by_deadline_.extract(by_deadline_.begin());
        deadlines_.erase(node.value().second);
        out.push_back({std::move(node.value().second.first), std::move(node.value().second.second)});
    }
    return out;
}

std::optional<std::int64_t> typing::next_deadline() const {
    if (by_deadline_.empty()) return std::nullopt;
    return by_deadline_.begin()->first;
}

}  // namespace switchboard::presence
