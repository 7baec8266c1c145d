#include <switchboard/rooms/recovery.hpp>

#include <catch2/catch.hpp>

using namespace switchboard::rooms;

namespace {
encoded_packet pkt(std::string text) {
    return {std::make_shared<const std::string>(std::move(text)), {}};
}

std::string log_event(recovery_log& log, std::int64_t now, broadcast_options opts, std::string text) {
    auto [seq, offset] = log.next_offset();
    log.append(seq, {offset, now, std::move(opts), pkt(std::move(text))});
    return offset;
}

std::vector<std::string> texts(const recovery_log::restored& r) {
    std::vector<std::string> out;
    for (const auto& p : r.missed)
        out.push_back(*p.frame);
    return out;
}
}  // namespace

TEST_CASE("broadcast_reaches: rooms, own id, except") {
    CHECK(broadcast_reaches({}, "a", {}));
    CHECK(broadcast_reaches({{"r"}}, "a", {"r"}));
    CHECK_FALSE(broadcast_reaches({{"r"}}, "a", {"s"}));
    CHECK(broadcast_reaches({{"a"}}, "a", {}));
    CHECK_FALSE(broadcast_reaches({{"r"}, {"a"}}, "a", {"r"}));
    CHECK_FALSE(broadcast_reaches({{}, {"muted"}}, "a", {"muted"}));
}

TEST_CASE("offsets are unique and carry the prefix") {
    recovery_log log(1000, "p-");
    auto a = log.next_offset();
    auto b = log.next_offset();
    CHECK(a.second != b.second);
    CHECK(a.second.rfind("p-", 0) == 0);
    CHECK(b.first == a.first + 1);
}

TEST_CASE("restore: the kept session and what reached it after the offset, in order") {
    recovery_log log(120000, "x");
    log.session_live("pid1", "sid1");
    auto first = log_event(log, 100, {{"room"}}, "e1");
    log_event(log, 110, {{"room"}}, "e2");
    log_event(log, 120, {{"other"}}, "not for me");
    log_event(log, 130, {{"sid1"}}, "to me");
    log_event(log, 140, {{"room"}, {"sid1"}}, "except me");
    log_event(log, 150, {}, "everyone");
    CHECK_FALSE(log.restore("pid1", first, 200));  // still live: nothing to restore
    log.session_lost("pid1", {"room"}, 160, true);
    log_event(log, 170, {{"room"}}, "while away");
    auto r = log.restore("pid1", first, 200);
    REQUIRE(r);
    CHECK(r->session.sid == "sid1");
    CHECK(r->session.rooms == std::vector<std::string>{"room"});
    CHECK(texts(*r) == std::vector<std::string>{"e2", "to me", "everyone", "while away"});
    CHECK_FALSE(log.restore("pid1", first, 200));  // consumed
}

TEST_CASE("restore fails: unknown pid, unknown offset, DISCONNECT, expired window") {
    recovery_log log(1000, "x");
    log.session_live("p", "s");
    auto off = log_event(log, 0, {}, "e");
    SECTION("unknown pid") {
        log.session_lost("p", {}, 10, true);
        CHECK_FALSE(log.restore("q", off, 20));
    }
    SECTION("unknown offset keeps the session for a later try") {
        log.session_lost("p", {}, 10, true);
        CHECK_FALSE(log.restore("p", "nope", 20));
        CHECK(log.restore("p", off, 20));
    }
    SECTION("left with DISCONNECT") {
        log.session_lost("p", {}, 10, false);
        CHECK_FALSE(log.restore("p", off, 20));
        CHECK(log.session_count() == 0);
    }
    SECTION("expired") {
        log.session_lost("p", {}, 10, true);
        CHECK_FALSE(log.restore("p", off, 1011));
        CHECK(log.session_count() == 0);
        CHECK(log.packet_count() == 0);
    }
}

TEST_CASE("the log keeps only the window") {
    recovery_log log(100, "x");
    log_event(log, 0, {}, "old");
    auto mid = log_event(log, 70, {}, "mid");
    log_event(log, 160, {}, "new");  // trims "old" (0 + 100 < 160)
    CHECK(log.packet_count() == 2);
    log.session_live("p", "s");
    log.session_lost("p", {}, 160, true);
    auto r = log.restore("p", mid, 160);
    REQUIRE(r);
    CHECK(texts(*r) == std::vector<std::string>{"new"});
}

TEST_CASE("audit #18: the recovery log is bounded by bytes as well as by time", "[audit-18]") {
    // A window of a day, 64 KiB of packets: a flood of 1 KiB events keeps only the newest ones.
    recovery_log log(86'400'000, "x", 64 * 1024);
    std::string first;
    for (int i = 0; i < 1000; ++i) {
        auto off = log_event(log, i, {}, std::string(1024, 'a'));
        if (i == 0) first = off;
        CHECK(log.bytes() <= 64 * 1024);
    }
    CHECK(log.packet_count() < 64);
    CHECK(log.packet_count() > 32);
    // A session whose offset was dropped starts fresh; one whose offset is kept gets the rest.
    log.session_live("p", "s");
    log.session_lost("p", {}, 1000, true);
    CHECK_FALSE(log.restore("p", first, 1000));
    auto mid = log_event(log, 1001, {}, "m");
    log_event(log, 1002, {}, "n");
    log.session_live("q", "t");
    log.session_lost("q", {}, 1002, true);
    auto r = log.restore("q", mid, 1003);
    REQUIRE(r);
    CHECK(texts(*r) == std::vector<std::string>{"n"});
    // Without a byte bound (0), only the window applies.
    recovery_log unbounded(86'400'000, "y");
    for (int i = 0; i < 1000; ++i)
        log_event(unbounded, i, {}, std::string(1024, 'a'));
    CHECK(unbounded.packet_count() == 1000);
}

TEST_CASE("audit #17: a kept session is restored only for its owner", "[audit-17]") {
    recovery_log log(1000, "o");
    log.session_live("pid1", "sid1", "user:alice");
    auto [seq, off] = log.next_offset();
    log.append(seq, logged_packet{off, 10, {}, {}});
    log.session_lost("pid1", {"room:1"}, 20, true);
    CHECK_FALSE(log.restore("pid1", off, 30, "user:mallory"));  // another user's token
    CHECK_FALSE(log.restore("pid1", off, 30));                  // anonymous
    auto r = log.restore("pid1", off, 30, "user:alice");        // still kept for its owner
    REQUIRE(r);
    CHECK(r->session.sid == "sid1");
    CHECK(r->session.rooms == std::vector<std::string>{"room:1"});
}

TEST_CASE("audit #17: a restored session takes back only the rooms kept, and replays only theirs",
          "[audit-17]") {
    recovery_log log(1000, "k");
    log.session_live("pid1", "sid1", "user:carol");
    broadcast_options to_college, to_lobby;
    to_college.rooms = {"college:1"};
    to_lobby.rooms = {"lobby"};
    auto [seq0, off0] = log.next_offset();  // the last packet the client saw
    log.append(seq0, logged_packet{off0, 19, to_lobby, {}});
    log.session_lost("pid1", {"sid1", "college:1", "lobby"}, 20, true);
    auto [seq1, off1] = log.next_offset();
    log.append(seq1, logged_packet{off1, 21, to_college, {}});
    auto [seq2, off2] = log.next_offset();
    log.append(seq2, logged_packet{off2, 22, to_lobby, {}});
    auto r = log.restore("pid1", off0, 30, "user:carol",
                         [](const std::string& room) { return room != "college:1"; });
    REQUIRE(r);
    CHECK(r->session.rooms == std::vector<std::string>{"sid1", "lobby"});
    CHECK(r->missed.size() == 1);  // the lobby packet; the one to college:1 is not replayed
}
