// sio_fsm scripted: messages and time in, actions out.
#include <switchboard/protocol/sio_fsm.hpp>

#include "../test_support.hpp"

using namespace switchboard::protocol;

namespace Catch {
template <>
struct StringMaker<sio_action> {
    static std::string convert(const sio_action& a) {
        static const char* kinds[] = {"connect",    "event",    "ack",      "ack_timeout",     "ack_failed",
                                      "disconnect", "attached", "detached", "connect_timeout", "close"};
        return std::string(kinds[static_cast<int>(a.kind)]) + "(" + a.nsp + " " + std::to_string(a.id) + ")";
    }
};
}  // namespace Catch

namespace {

// The kinds, namespaces and ids of `out`, then clears it.
std::vector<std::string> take(sio_actions& out) {
    std::vector<std::string> v;
    for (const auto& a : out)
        v.push_back(Catch::StringMaker<sio_action>::convert(a));
    out.clear();
    return v;
}
using strings = std::vector<std::string>;

}  // namespace

TEST_CASE("sio_fsm: CONNECT, admission, connect timeout cleared") {
    sio_fsm f(1000, 0);
    sio_actions out;
    CHECK(f.next_deadline() == 1000);
    f.on_message(10, R"(0{"token":"t"})", false, out);
    REQUIRE(out.size() == 1);
    CHECK(out[0].kind == sio_action_kind::connect);
    CHECK(out[0].packet.data.at("token") == "t");
    out.clear();
    CHECK(f.connecting("/"));
    f.on_message(20, "0", false, out);  // a second CONNECT while connecting: ignored
    CHECK(out.empty());
    f.connect_done(30, "/", true, out);
    CHECK(take(out) == strings{"attached(/ 0)"});
    CHECK(f.joined("/"));
    CHECK(f.next_deadline() == no_deadline);
    f.on_message(40, "0", false, out);  // already joined: ignored
    CHECK(out.empty());
}

TEST_CASE("sio_fsm: no namespace within the connect timeout closes the session") {
    sio_fsm f(1000, 0);
    sio_actions out;
    f.on_message(10, "0/admin,", false, out);
    out.clear();
    f.connect_done(20, "/admin", false, out);  // refused: the deadline stays
    CHECK(out.empty());
    CHECK(f.next_deadline() == 1000);
    f.expire(999, out);
    CHECK(out.empty());
    f.expire(1000, out);
    CHECK(take(out) == strings{"connect_timeout( 0)"});
    CHECK(f.next_deadline() == no_deadline);
}

TEST_CASE("sio_fsm: two namespaces, leaving the last one re-arms the connect timeout") {
    sio_fsm f(1000, 0);
    sio_actions out;
    f.on_message(1, "0", false, out);
    f.connect_done(2, "/", true, out);
    f.on_message(3, "0/chat,", false, out);
    f.connect_done(4, "/chat", true, out);
    CHECK(take(out) == strings{"connect(/ 0)", "attached(/ 0)", "connect(/chat 0)", "attached(/chat 0)"});
    f.on_message(5, R"(2/chat,["hi",1])", false, out);
    f.on_message(6, R"(2["root"])", false, out);
    f.on_message(7, R"(2/other,["nope"])", false, out);  // not joined: ignored
    REQUIRE(out.size() == 2);
    CHECK(out[0].nsp == "/chat");
    CHECK(out[0].packet.data.at(0) == "hi");
    CHECK(out[1].nsp == "/");
    out.clear();
    f.on_message(100, "1/chat,", false, out);
    CHECK(take(out) == strings{"disconnect(/chat 0)"});
    f.leave(200, "/", out);  // server-side disconnect of the last one
    CHECK(take(out) == strings{"detached(/ 0)"});
    CHECK(f.next_deadline() == 1200);
    f.on_message(300, "1/chat,", false, out);  // no longer joined: ignored
    CHECK(out.empty());
}

TEST_CASE("sio_fsm: an ack resolves its id once, unknown and late acks are ignored") {
    sio_fsm f(1000, 0);
    sio_actions out;
    f.on_message(0, "0", false, out);
    f.connect_done(0, "/", true, out);
    out.clear();
    CHECK(f.add_ack(10, "/", 500) == 0);
    CHECK(f.add_ack(20, "/", 100) == 1);
    CHECK(f.next_deadline() == 120);
    f.on_message(30, R"(37["unknown"])", false, out);
    CHECK(out.empty());
    f.on_message(40, R"(30["yes",2])", false, out);
    REQUIRE(out.size() == 1);
    CHECK(out[0].kind == sio_action_kind::ack);
    CHECK(out[0].id == 0);
    CHECK(out[0].packet.data.at(1) == 2);
    out.clear();
    f.on_message(50, R"(30["again"])", false, out);  // resolved already
    CHECK(out.empty());
    CHECK(f.pending_acks() == 1);
}

TEST_CASE("sio_fsm: acks expire at their deadline, and a late answer is ignored") {
    sio_fsm f(0, 0);
    sio_actions out;
    f.on_message(0, "0", false, out);
    f.connect_done(0, "/", true, out);
    out.clear();
    f.add_ack(0, "/", 100);
    f.add_ack(0, "/", 300);
    f.expire(99, out);
    CHECK(out.empty());
    f.expire(100, out);
    CHECK(take(out) == strings{"ack_timeout(/ 0)"});
    CHECK(f.next_deadline() == 300);
    f.on_message(150, R"(30[])", false, out);
    CHECK(out.empty());
    f.expire(400, out);
    CHECK(take(out) == strings{"ack_timeout(/ 1)"});
    CHECK(f.next_deadline() == no_deadline);
}

TEST_CASE("sio_fsm: ack ids are per namespace, the same id in another namespace is not ours") {
    sio_fsm f(0, 0);
    sio_actions out;
    for (const char* c : {"0", "0/b,"})
        f.on_message(0, c, false, out);
    f.connect_done(0, "/", true, out);
    f.connect_done(0, "/b", true, out);
    out.clear();
    CHECK(f.add_ack(0, "/", 100) == 0);
    CHECK(f.add_ack(0, "/b", 100) == 0);
    CHECK(f.add_ack(0, "/b", 100) == 1);
    f.on_message(1, R"(3/b,1[])", false, out);
    CHECK(take(out) == strings{"ack(/b 1)"});
    f.on_message(1, R"(31[])", false, out);  // "/" has no ack 1
    CHECK(out.empty());
}

TEST_CASE("sio_fsm: leaving a namespace or closing fails its pending acks") {
    sio_fsm f(1000, 0);
    sio_actions out;
    for (const char* c : {"0", "0/b,"})
        f.on_message(0, c, false, out);
    f.connect_done(0, "/", true, out);
    f.connect_done(0, "/b", true, out);
    out.clear();
    f.add_ack(0, "/", 100);
    f.add_ack(0, "/b", 100);
    f.on_message(10, "1/b,", false, out);
    CHECK(take(out) == strings{"disconnect(/b 0)", "ack_failed(/b 0)"});
    f.on_close(out);
    CHECK(take(out) == strings{"ack_failed(/ 0)"});
    CHECK(f.next_deadline() == no_deadline);
    f.expire(5000, out);  // closed: nothing more, not even the connect timeout
    CHECK(out.empty());
}

TEST_CASE("sio_fsm: an invalid packet closes the session, as today") {
    for (const char* bad : {"abc", "9", "2{}", R"(2abc["a"])", "2"}) {
        sio_fsm f(1000, 0);
        sio_actions out;
        f.on_message(0, "0", false, out);
        f.connect_done(0, "/", true, out);
        out.clear();
        f.on_message(1, bad, false, out);
        INFO(bad);
        CHECK(take(out) == strings{"close( 0)"});
        f.on_message(2, R"(2["x"])", false, out);  // nothing after close
        CHECK(out.empty());
    }
}

TEST_CASE("sio_fsm: a binary event waits for its attachments") {
    sio_fsm f(1000, 0);
    sio_actions out;
    f.on_message(0, "0", false, out);
    f.connect_done(0, "/", true, out);
    out.clear();
    f.on_message(1, R"(51-["up",{"_placeholder":true,"num":0}])", false, out);
    CHECK(out.empty());
    f.on_message(2, "\x01\x02", true, out);
    REQUIRE(out.size() == 1);
    CHECK(out[0].kind == sio_action_kind::event);
    REQUIRE(out[0].packet.attachments.size() == 1);
    CHECK(out[0].packet.attachments[0] == "\x01\x02");
}
