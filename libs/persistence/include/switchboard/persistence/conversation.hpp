#pragma once
// How a direct conversation is named: by its two participants, "dm:" smaller ":" larger. User ids
// hold no ':' (auth::valid_id), so a name stands for exactly one pair. Pure: no database here.
#include <string>
#include <string_view>

namespace switchboard::persistence {

inline std::string dm_conversation(std::string_view a, std::string_view b) {
    auto lo = a < b ? a : b, hi = a < b ? b : a;
    std::string out = "dm:";
    out.append(lo).append(":").append(hi);
    return out;
}

}  // namespace switchboard::persistence
