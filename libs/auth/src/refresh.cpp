#include <switchboard/auth/refresh.hpp>

#include <algorithm>

namespace switchboard::auth {

namespace {
bool has(const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
}
}  // namespace

refresh_plan plan_refresh(const room_rules& rules, const principal& old, const principal& next,
                          const std::vector<std::string>& rooms_now) {
    refresh_plan plan;
    using v = refresh_plan::verdict;
    if (old.anonymous || next.anonymous) {
        plan.result = v::anonymous;
        return plan;
    }
    if (next.user_id != old.user_id) {
        plan.result = v::other_user;
        return plan;
    }
    if (old.expires_at && !next.expires_at) {
        plan.result = v::drops_expiry;
        return plan;
    }
    auto old_auto = auto_rooms(old);
    auto new_auto = auto_rooms(next);
    std::size_t kept = 0;  // rooms joined by request that stay, for the per-socket room limit
    for (const auto& r : rooms_now) {
        if (has(new_auto, r)) continue;
        if (has(old_auto, r)) {
            plan.leave.push_back(r);
            continue;
        }
        auto verdict = check_join(rules, next, r, kept);
        if (verdict == join_verdict::allowed || verdict == join_verdict::ask_backend) ++kept;
        if (verdict == join_verdict::ask_backend) plan.recheck.push_back(r);
        if (verdict != join_verdict::allowed && verdict != join_verdict::ask_backend) plan.leave.push_back(r);
    }
    for (const auto& r : new_auto)
        if (!has(rooms_now, r)) plan.join.push_back(r);
    return plan;
}

const char* refresh_refusal_message(refresh_plan::verdict v) noexcept {
    switch (v) {
        case refresh_plan::verdict::replace:
            return "";
        case refresh_plan::verdict::anonymous:
        case refresh_plan::verdict::other_user:
            return "Token belongs to another user";
        case refresh_plan::verdict::drops_expiry:
            return "Token has no expiry; this session needs one";
    }
    return "";
}

}  // namespace switchboard::auth
