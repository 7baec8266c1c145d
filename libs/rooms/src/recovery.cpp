#include <switchboard/rooms/recovery.hpp>

#include <algorithm>

namespace switchboard::rooms {
namespace {
bool in(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}
}  // namespace

bool broadcast_reaches(const broadcast_options& opts, const std::string& id,
                       const std::vector<std::string>& rooms) {
    for (const auto& r : opts.except)
        if (r == id || in(rooms, r)) return false;
    if (opts.rooms.empty()) return true;
    for (const auto& r : opts.rooms)
        if (r == id || in(rooms, r)) return true;
    return false;
}

namespace {
constexpr char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";

// The sequence number of one of our offsets (prefix + base 36), 0 when it is not one.
std::uint64_t parse_seq(std::string_view offset, std::string_view prefix) {
    if (offset.size() <= prefix.size() || offset.substr(0, prefix.size()) != prefix) return 0;
    std::uint64_t v = 0;
    for (char c : offset.substr(prefix.size())) {
        std::uint64_t d;
        if (c >= '0' && c <= '9')
            d = static_cast<std::uint64_t>(c - '0');
        else if (c >= 'a' && c <= 'z')
            d = static_cast<std::uint64_t>(c - 'a' + 10);
        else
            return 0;
        if (v > (UINT64_MAX - d) / 36) return 0;
        v = v * 36 + d;
    }
    return v;
}
}  // namespace

std::pair<std::uint64_t, std::string> recovery_log::next_offset() {
    std::uint64_t seq;
    {
        std::lock_guard lock(mu_);
        seq = next_seq_++;
    }
    std::string s;
    for (std::uint64_t v = seq; v; v /= 36)
        s.insert(s.begin(), digits[v % 36]);
    return {seq, prefix_ + s};
}

// What a logged packet holds, roughly: its payloads (shared with the deliveries, but kept alive
// by the log alone once they are written), offset, targeting, and the map nodes.
std::size_t recovery_log::cost(const logged_packet& p) noexcept {
    std::size_t n = 2 * p.offset.size() + 160;
    if (p.packet.frame) n += p.packet.frame->size();
    for (const auto& a : p.packet.attachments)
        if (a) n += a->size() + 16;
    for (const auto& r : p.opts.rooms)
        n += r.size() + 32;
    for (const auto& r : p.opts.except)
        n += r.size() + 32;
    return n;
}

void recovery_log::drop_oldest() {
    bytes_ -= cost(packets_.begin()->second);
    by_offset_.erase(packets_.begin()->second.offset);
    packets_.erase(packets_.begin());
}

void recovery_log::append(std::uint64_t seq, logged_packet p) {
    std::lock_guard lock(mu_);
    append_locked(seq, std::move(p));
}

void recovery_log::record(std::string_view offset, const broadcast_options& opts, const encoded_packet& pkt,
                          std::int64_t now) {
    std::lock_guard lock(mu_);
    if (offset.empty() || by_offset_.count(std::string(offset))) return;
    auto seq = foreign_ ? next_seq_++ : parse_seq(offset, prefix_);
    if (seq == 0 || seq >= next_seq_) return;  // not one of ours
    append_locked(seq, logged_packet{std::string(offset), now, opts, pkt});
}

void recovery_log::append_locked(std::uint64_t seq, logged_packet p) {
    bytes_ += cost(p);
    by_offset_[p.offset] = seq;
    auto at = p.at;
    packets_.emplace(seq, std::move(p));
    trim_locked(at);
}

void recovery_log::session_live(const std::string& pid, const std::string& sid, std::string owner) {
    std::lock_guard lock(mu_);
    sessions_[pid] = kept_session{sid, pid, {}, 0, std::move(owner)};
}

void recovery_log::session_lost(const std::string& pid, std::vector<std::string> rooms, std::int64_t now,
                                bool keep) {
    std::lock_guard lock(mu_);
    if (!keep) {
        sessions_.erase(pid);
        return;
    }
    auto it = sessions_.find(pid);
    if (it == sessions_.end()) return;
    it->second.rooms = std::move(rooms);
    it->second.lost_at = now;
}

std::optional<recovery_log::restored> recovery_log::restore(
    const std::string& pid, const std::string& offset, std::int64_t now, const std::string& owner,
    const std::function<bool(const std::string&)>& keep_room) {
    std::lock_guard lock(mu_);
    trim_locked(now);
    auto sit = sessions_.find(pid);
    if (sit == sessions_.end() || sit->second.lost_at == 0 || sit->second.owner != owner) return std::nullopt;
    auto oit = by_offset_.find(offset);
    if (oit == by_offset_.end()) return std::nullopt;
    restored r;
    r.session = std::move(sit->second);
    sessions_.erase(sit);
    if (keep_room)
        std::erase_if(r.session.rooms,
                      [&](const std::string& room) { return room != r.session.sid && !keep_room(room); });
    for (auto it = packets_.upper_bound(oit->second); it != packets_.end(); ++it)
        if (broadcast_reaches(it->second.opts, r.session.sid, r.session.rooms))
            r.missed.push_back(it->second.packet);
    return r;
}

std::optional<std::vector<encoded_packet>> recovery_log::missed_after(const std::string& offset,
                                                                      const std::string& sid,
                                                                      const std::vector<std::string>& rooms,
                                                                      std::int64_t now) {
    std::lock_guard lock(mu_);
    trim_locked(now);
    auto oit = by_offset_.find(offset);
    if (oit == by_offset_.end()) return std::nullopt;
    std::vector<encoded_packet> out;
    for (auto it = packets_.upper_bound(oit->second); it != packets_.end(); ++it)
        if (broadcast_reaches(it->second.opts, sid, rooms)) out.push_back(it->second.packet);
    return out;
}

void recovery_log::trim_locked(std::int64_t now) {
    while (!packets_.empty() && packets_.begin()->second.at + window_ < now)
        drop_oldest();
    // Over the byte budget: the oldest go first (a session whose offset is gone then starts fresh,
    // as after the window). The newest packet stays whatever its size.
    while (max_bytes_ && bytes_ > max_bytes_ && packets_.size() > 1)
        drop_oldest();
    std::erase_if(sessions_, [&](const auto& kv) {
        return kv.second.lost_at != 0 && kv.second.lost_at + window_ < now;
    });
}

}  // namespace switchboard::rooms
