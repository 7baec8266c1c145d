#pragma once
// auth:refresh (issue #11, finding 6): a new token replaces the socket's whole principal, so its
// rooms must follow: auto-rooms that no longer apply are left, new ones joined, and each room
// joined by request is checked again under the new principal. A token without `exp` cannot
// extend a session that had one.
#include <switchboard/auth/access.hpp>
#include <switchboard/auth/identity.hpp>

#include <string>
#include <vector>

namespace switchboard::auth {

struct refresh_plan {
    enum class verdict { replace, anonymous, other_user, drops_expiry };
    verdict result = verdict::replace;
    std::vector<std::string> leave;  // old auto-rooms that no longer apply, requested rooms now refused
    std::vector<std::string> join;   // auto-rooms of the new principal not joined yet
    // Requested rooms the backend decides (the `backend` rule): kept for now, asked again.
    std::vector<std::string> recheck;
};

// `rooms_now`: the socket's rooms (its own-id room excluded). Only a `replace` verdict has rooms.
refresh_plan plan_refresh(const room_rules& rules, const principal& old, const principal& next,
                          const std::vector<std::string>& rooms_now);

// The message a client gets for a refused refresh.
const char* refresh_refusal_message(refresh_plan::verdict v) noexcept;

}  // namespace switchboard::auth
