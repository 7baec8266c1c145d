// A recovered session (connection-state recovery) keeps its id and rooms; the server restored it
// only after the connect hook admitted the same user (audit #17). Its rooms joined by request are
// checked again here against the new token's principal: still allowed → kept, else left.
#include "gateway.hpp"

#include <algorithm>

namespace switchboard::app {

void gateway::recheck_rooms(const server::socket_ptr& s, const auth::principal& who,
                            std::set<std::string>& requested) {
    auto autos = auth::auto_rooms(who);
    for (const auto& room : s->rooms()) {
        if (room == s->id() || std::find(autos.begin(), autos.end(), room) != autos.end()) continue;
        access_->decide(who, room, 0, [s, room, &requested](auth::join_verdict v) {
            s->post([s, room, &requested, v] {  // `requested` lives in s->app_state, kept by `s`
                if (v == auth::join_verdict::allowed)
                    requested.insert(room);
                else
                    s->leave(room);
            });
        });
    }
}

}  // namespace switchboard::app
