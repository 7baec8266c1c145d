#include <switchboard/rooms/room_index.hpp>

#include <catch2/catch.hpp>

#include <algorithm>

using namespace switchboard::rooms;

static std::vector<std::string> targets(const room_index& idx, broadcast_options o) {
    std::vector<std::string> out;
    idx.for_each_target(o, [&](const std::string& id) { out.push_back(id); });
    std::sort(out.begin(), out.end());
    return out;
}

TEST_CASE("room index: join, leave, membership") {
    room_index idx;
    CHECK_FALSE(idx.join("a", "r1"));  // not a member yet
    idx.add("a");
    idx.add("b");
    CHECK(idx.join("a", "r1"));
    CHECK(idx.join("a", "r1"));  // idempotent
    CHECK(idx.join("b", "r1"));
    CHECK(idx.join("b", "r2"));
    CHECK(idx.room_size("r1") == 2);
    CHECK(idx.room_size("a") == 1);  // own-id room
    CHECK(idx.rooms_of("b") == std::vector<std::string>{"r1", "r2"});
    CHECK(idx.leave("b", "r1"));
    CHECK_FALSE(idx.leave("b", "r1"));
    CHECK(idx.room_size("r1") == 1);
    CHECK(idx.remove("b") == std::vector<std::string>{"r2"});
    CHECK(idx.room_count() == 1);  // r2 is gone with its last member
    CHECK_FALSE(idx.contains("b"));
}

TEST_CASE("room index: broadcast targets each member once, honours except") {
    room_index idx;
    for (auto id : {"a", "b", "c", "d"})
        idx.add(id);
    idx.join("a", "r1");
    idx.join("b", "r1");
    idx.join("b", "r2");
    idx.join("c", "r2");
    idx.join("d", "muted");

    CHECK(targets(idx, {}) == std::vector<std::string>{"a", "b", "c", "d"});
    CHECK(targets(idx, {{"r1"}}) == std::vector<std::string>{"a", "b"});
    CHECK(targets(idx, {{"r1", "r2"}}) == std::vector<std::string>{"a", "b", "c"});
    CHECK(targets(idx, {{"r1", "r2"}, {"b"}}) == std::vector<std::string>{"a", "c"});
    CHECK(targets(idx, {{}, {"muted", "r1"}}) == std::vector<std::string>{"c"});
    CHECK(targets(idx, {{"c"}}) == std::vector<std::string>{"c"});  // a socket id as a room
    CHECK(targets(idx, {{"nobody"}}).empty());
}

TEST_CASE("audit #2: a socket's own-id room reaches that socket only, and cannot be joined", "[audit-2]") {
    room_index idx;
    idx.add("attacker");
    // A room named like a socket that does not exist yet (or lives on another node)...
    CHECK(idx.join("attacker", "victim"));
    idx.add("victim");
    // ...never takes that socket's deliveries once it is here.
    CHECK(targets(idx, {{"victim"}}) == std::vector<std::string>{"victim"});
    CHECK(idx.room_size("victim") == 1);
    // Joining a live member's id is refused, and membership of it is never reported.
    idx.add("other");
    CHECK_FALSE(idx.join("attacker", "other"));
    CHECK_FALSE(idx.in_room("attacker", "other"));
    CHECK(targets(idx, {{"other"}}) == std::vector<std::string>{"other"});
    CHECK(idx.in_room("other", "other"));
    CHECK(idx.join("other", "other"));  // its own room: already in it
}
