#pragma once
// Which rooms a principal is put in on connect, and which it may join on request.
#include <switchboard/auth/errc.hpp>
#include <switchboard/auth/identity.hpp>

#include <boost/json/value.hpp>
#include <boost/system/result.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::auth {

// What a room prefix (the part before the first ':', or a whole name without one) requires.
enum class room_rule {
    open,         // any authenticated socket
    deny,         // nobody joins on request (the server may still put sockets in it)
    self,         // user:{id} of the socket's own user
    college,      // college:{id} of the collegeId claim
    company,      // company:{id} of the companyId claim
    shop,         // shop:{id} of one of the shopIds
    role,         // role:{role} of the role claim
    super_admin,  // super admins only
    claim,        // prefix:{id} where the JWT claim named by the rule (an id, or an array of ids) holds id
    backend,      // asked of the backend (ROOM_AUTH_URL), the answer cached for a while
};

// A prefix's rule; `claim` names the claim of a room_rule::claim ("claim:surveyIds" in a rules file).
struct prefix_rule {
    prefix_rule(room_rule k = room_rule::deny, std::string c = {}) : kind(k), claim(std::move(c)) {}
    room_rule kind;
    std::string claim;
};

struct room_rules {
    // Rooms anonymous sockets may be in: exact names, or "prefix:*".
    std::vector<std::string> anonymous_rooms{"global"};
    // A bare name (no ':') is joinable only when listed here (or in anonymous_rooms): socket ids,
    // which never hold ':', can never be named by a client.
    std::vector<std::pair<std::string, prefix_rule>> prefixes{
        {"user", room_rule::self},   {"college", room_rule::college}, {"company", room_rule::company},
        {"shop", room_rule::shop},   {"role", room_rule::role},       {"super_admin", room_rule::super_admin},
        {"global", room_rule::open},
    };
    room_rule default_rule = room_rule::deny;  // for "prefix:id" names whose prefix has no rule
    bool super_admin_bypass = true;  // super admins pass college/company/shop/role rules (not "self")
    std::size_t max_rooms_per_socket = 100;
    std::size_t max_room_name = 128;
};

// Parses a rules file (JSON); keys it names replace the defaults, unknown keys are an error.
// {"anonymousRooms": ["global"], "prefixes": {"survey": "claim:surveyIds", "project": "backend",
//  "lobby": "open", "internal": "deny"}, "default": "deny", "superAdminBypass": true,
//  "maxRoomsPerSocket": 100}
// Rule names: open, deny, self, collegeId, companyId, shopIds, role, superAdmin, claim:<name>, backend.
boost::system::result<room_rules> parse_rules(std::string_view json, std::string* why = nullptr);

enum class join_verdict { allowed, invalid_name, anonymous_denied, forbidden, too_many_rooms, ask_backend };

// May `p` join `room` by request? `rooms_now`: how many rooms the socket is in already.
// ask_backend: the room's prefix has the `backend` rule; the caller asks (see room_auth.hpp).
join_verdict check_join(const room_rules& rules, const principal& p, std::string_view room,
                        std::size_t rooms_now = 0);
// What weakens the rules, for start-up warnings: "default open", and each prefix (other than
// "global") opened to every authenticated user.
std::vector<std::string> open_rules(const room_rules& rules);
// Does any prefix use the backend rule?
bool uses_backend(const room_rules& rules);
// The message a client gets for a refused join.
const char* join_refusal_message(join_verdict v) noexcept;
// A short stable name for metrics labels ("forbidden", "anonymous").
const char* join_verdict_label(join_verdict v) noexcept;

// global; then user:{id}, college:{id}, company:{id}, shop:{id}..., role:{role}, super_admin.
std::vector<std::string> auto_rooms(const principal& p);

// A room named by an event argument: "name", {room}, {roomId} or {roomType, roomId} → "type:id".
std::optional<std::string> room_from_arg(const boost::json::value& arg);

}  // namespace switchboard::auth
