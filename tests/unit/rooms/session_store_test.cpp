// session_store through its interface, with recovery_log (the in-memory store) behind it.
#include <switchboard/rooms/recovery.hpp>

#include <catch2/catch.hpp>

using namespace switchboard::rooms;

namespace {
encoded_packet pkt(std::string text) {
    return {std::make_shared<const std::string>(std::move(text)), {}};
}
std::vector<std::string> texts(const restored_session& r) {
    std::vector<std::string> out;
    for (const auto& p : r.missed)
        out.push_back(*p.frame);
    return out;
}
broadcast_options to(std::string room) {
    broadcast_options o;
    o.rooms = {std::move(room)};
    return o;
}
}  // namespace

TEST_CASE("session_store: persist at connect, keep on transport loss, restore what was missed") {
    recovery_log log(60000, "m-");
    session_store& store = log;
    store.session_live("pid", "sid", "user:1");
    auto o1 = log.next_offset().second;
    store.record(o1, to("room"), pkt("e1"), 10);
    store.session_lost("pid", {"room"}, 20, true);
    auto o2 = log.next_offset().second;
    store.record(o2, to("room"), pkt("e2"), 30);
    auto o3 = log.next_offset().second;
    store.record(o3, to("elsewhere"), pkt("e3"), 31);
    auto r = store.restore("pid", o1, 40, "user:1");
    REQUIRE(r);
    CHECK(r->session.sid == "sid");
    CHECK(r->session.rooms == std::vector<std::string>{"room"});
    CHECK(texts(*r) == std::vector<std::string>{"e2"});
    CHECK_FALSE(store.restore("pid", o1, 41, "user:1"));  // consumed
}

TEST_CASE("session_store: offsets recorded out of order are replayed in offset order") {
    recovery_log log(60000, "m-");
    session_store& store = log;
    store.session_live("p", "s");
    auto o0 = log.next_offset().second;
    store.record(o0, {}, pkt("seen"), 1);
    auto o1 = log.next_offset().second;
    auto o2 = log.next_offset().second;
    store.record(o2, {}, pkt("second"), 2);
    store.record(o1, {}, pkt("first"), 2);
    store.session_lost("p", {}, 3, true);
    auto r = store.restore("p", o0, 4);
    REQUIRE(r);
    CHECK(texts(*r) == std::vector<std::string>{"first", "second"});
}

TEST_CASE("session_store: offsets that are not the store's are ignored") {
    recovery_log log(60000, "m-");
    session_store& store = log;
    store.record("1700000000000-0", {}, pkt("stream id"), 1);
    store.record("other-1", {}, pkt("other prefix"), 1);
    store.record("m-zz", {}, pkt("never handed out"), 1);
    store.record("m-", {}, pkt("no number"), 1);
    CHECK(log.packet_count() == 0);
    auto o = log.next_offset().second;
    store.record(o, {}, pkt("mine"), 1);
    store.record(o, {}, pkt("again"), 1);  // recorded once
    CHECK(log.packet_count() == 1);
}

TEST_CASE("session_store: under a cluster adapter, stream ids are kept in the order given") {
    recovery_log log(60000, "m-");
    log.accept_foreign_offsets(true);
    session_store& store = log;
    store.session_live("p", "s");
    store.record("1700000000000-0", {}, pkt("first"), 1);
    store.session_lost("p", {}, 2, true);
    store.record("1700000000000-1", {}, pkt("second"), 3);
    store.record("1700000000000-1", {}, pkt("again"), 3);  // recorded once
    store.record("1700000000005-0", {}, pkt("third"), 4);
    CHECK(log.packet_count() == 3);
    auto r = store.restore("p", "1700000000000-0", 5);
    REQUIRE(r);
    CHECK(texts(*r) == std::vector<std::string>{"second", "third"});
    CHECK_FALSE(store.restore("q", "unknown-0", 5));
}

TEST_CASE("session_store: refused for another owner, after a DISCONNECT, after the window") {
    recovery_log log(100, "m-");
    session_store& store = log;
    auto o = log.next_offset().second;
    store.record(o, {}, pkt("e"), 0);
    store.session_live("a", "sa", "alice");
    store.session_lost("a", {}, 10, true);
    CHECK_FALSE(store.restore("a", o, 20, "mallory"));
    store.session_live("b", "sb");
    store.session_lost("b", {}, 10, false);
    CHECK_FALSE(store.restore("b", o, 20));
    CHECK_FALSE(store.restore("a", o, 111, "alice"));  // lost at 10, window 100
}
