#include <switchboard/protocol/engine_fsm.hpp>

#include "../test_support.hpp"

using namespace switchboard::protocol;

namespace Catch {
template <>
struct StringMaker<engine_action> {
    static std::string convert(const engine_action& a) {
        static const char* kinds[] = {"send",        "send_probe", "deliver",       "release_poll",
                                      "reject_poll", "upgraded",   "abort_upgrade", "close"};
        std::string s = kinds[static_cast<int>(a.kind)];
        s += "(" + std::to_string(static_cast<int>(a.type)) + a.data;
        if (a.kind == engine_action_kind::close) s += " " + make_error_code(a.reason).message();
        return s + ")";
    }
};
}  // namespace Catch

namespace {

engine_options opts() {
    engine_options o;
    o.ping_interval_ms = 300;
    o.ping_timeout_ms = 200;
    o.connect_timeout_ms = 1000;
    o.upgrade_timeout_ms = 10000;
    o.noop_interval_ms = 100;
    return o;
}

engine_action send(engine_type t, std::string d = {}) {
    return {engine_action_kind::send, t, false, errc{}, d};
}
engine_action closed(errc why) {
    return {engine_action_kind::close, engine_type::close, false, why, {}};
}
engine_packet pkt(engine_type t, std::string d = {}) {
    return {t, false, std::move(d)};
}

}  // namespace

TEST_CASE("open payload has exactly the handshake keys") {
    engine_fsm poll(opts(), transport_kind::polling, 0);
    CHECK(
        poll.open_payload("abc") ==
        R"({"sid":"abc","upgrades":["websocket"],"pingInterval":300,"pingTimeout":200,"maxPayload":1000000})");
    engine_fsm ws(opts(), transport_kind::websocket, 0);
    CHECK(ws.open_payload("abc") ==
          R"({"sid":"abc","upgrades":[],"pingInterval":300,"pingTimeout":200,"maxPayload":1000000})");
}

TEST_CASE("heartbeat: ping after the interval, pong re-arms, no pong closes") {
    engine_fsm f(opts(), transport_kind::websocket, 1000);
    f.mark_attached();
    engine_actions out;
    CHECK(f.next_deadline() == 1300);
    f.on_tick(1299, out);
    CHECK(out.empty());
    f.on_tick(1300, out);
    REQUIRE(out.size() == 1);
    CHECK(out[0] == send(engine_type::ping));
    CHECK(f.next_deadline() == 1500);
    out.clear();

    f.on_packet(1400, pkt(engine_type::pong), false, out);
    CHECK(out.empty());
    CHECK(f.next_deadline() == 1700);

    f.on_tick(1700, out);
    CHECK(out == engine_actions{send(engine_type::ping)});
    out.clear();
    f.on_tick(1899, out);
    CHECK(out.empty());
    f.on_tick(1900, out);
    CHECK(out == engine_actions{closed(errc::ping_timeout)});
    CHECK(f.closed());
    CHECK(f.next_deadline() == no_deadline);
}

TEST_CASE("audit #4: only a pong that answers our ping is a heartbeat", "[audit-4]") {
    engine_fsm f(opts(), transport_kind::websocket, 0);
    f.mark_attached();
    engine_actions out;
    // Unsolicited pongs before our ping change nothing: the ping still goes at 300.
    f.on_packet(100, pkt(engine_type::pong), false, out);
    f.on_packet(250, pkt(engine_type::pong), false, out);
    CHECK(out.empty());
    CHECK(f.next_deadline() == 300);
    f.on_tick(300, out);
    CHECK(out == engine_actions{send(engine_type::ping)});
    out.clear();
    // The answer re-arms; a second pong for the same ping does not push the next ping away.
    f.on_packet(350, pkt(engine_type::pong), false, out);
    CHECK(f.next_deadline() == 650);
    f.on_packet(600, pkt(engine_type::pong), false, out);
    CHECK(f.next_deadline() == 650);
    f.on_tick(650, out);
    CHECK(out == engine_actions{send(engine_type::ping)});
    out.clear();
    f.on_tick(850, out);
    CHECK(out == engine_actions{closed(errc::ping_timeout)});
}

TEST_CASE("audit #4: output the transport does not take for pingTimeout closes the session", "[audit-4]") {
    engine_fsm f(opts(), transport_kind::websocket, 0);
    f.mark_attached();
    engine_actions out;
    f.on_write_progress(10, true);
    CHECK(f.next_deadline() == 210);
    f.on_write_progress(100, true);  // still blocked: the deadline stays where it started
    CHECK(f.next_deadline() == 210);
    f.on_write_progress(150, false);  // a write completed
    CHECK(f.next_deadline() == 300);
    f.on_write_progress(160, true);
    // Pongs do not help a peer that reads nothing.
    f.on_tick(300, out);
    CHECK(out == engine_actions{send(engine_type::ping)});
    out.clear();
    f.on_packet(320, pkt(engine_type::pong), false, out);
    CHECK(out.empty());
    f.on_tick(359, out);
    CHECK(out.empty());
    f.on_tick(360, out);
    CHECK(out == engine_actions{closed(errc::write_timeout)});
    CHECK(f.next_deadline() == no_deadline);
    f.on_write_progress(400, true);  // closed: no deadline comes back
    CHECK(f.next_deadline() == no_deadline);
}

TEST_CASE("the session is gone by pingInterval + pingTimeout without a pong") {
    engine_fsm f(opts(), transport_kind::polling, 0);
    engine_actions out;
    f.on_tick(300, out);
    f.on_tick(500, out);
    CHECK(f.closed());
}

TEST_CASE("connect timeout closes a session that joins no namespace") {
    auto o = opts();
    o.ping_interval_ms = 5000;
    engine_fsm f(o, transport_kind::websocket, 0);
    engine_actions out;
    CHECK(f.next_deadline() == 1000);
    f.on_tick(1000, out);
    CHECK(out == engine_actions{closed(errc::connect_timeout)});
}

TEST_CASE("audit #11: a session that leaves its last namespace has the connect timeout again", "[audit-11]") {
    auto o = opts();
    o.ping_interval_ms = 5000;
    engine_fsm f(o, transport_kind::websocket, 0);
    engine_actions out;
    f.mark_attached();
    CHECK(f.next_deadline() == 5000);
    f.mark_detached(2000);
    CHECK(f.next_deadline() == 3000);
    f.on_tick(3000, out);
    CHECK(out == engine_actions{closed(errc::connect_timeout)});
    // No connect timeout configured (0): none comes back.
    o.connect_timeout_ms = 0;
    engine_fsm g(o, transport_kind::websocket, 0);
    g.mark_detached(100);
    CHECK(g.next_deadline() == 5000);
}

TEST_CASE("messages are delivered, client close, ping and junk end the session") {
    engine_fsm f(opts(), transport_kind::websocket, 0);
    engine_actions out;
    f.on_packet(1, pkt(engine_type::message, "hello"), false, out);
    REQUIRE(out.size() == 1);
    CHECK(out[0].kind == engine_action_kind::deliver);
    CHECK(out[0].data == "hello");
    out.clear();
    f.on_packet(1, pkt(engine_type::noop), false, out);
    CHECK(out.empty());

    SECTION("close") {
        f.on_packet(2, pkt(engine_type::close), false, out);
        CHECK(out == engine_actions{closed(errc::client_close)});
    }
    SECTION("client ping is the wrong heartbeat direction in v4") {
        f.on_packet(2, pkt(engine_type::ping), false, out);
        CHECK(out == engine_actions{closed(errc::invalid_heartbeat_direction)});
    }
    SECTION("open from a client") {
        f.on_packet(2, pkt(engine_type::open), false, out);
        CHECK(out == engine_actions{closed(errc::invalid_packet)});
    }
    SECTION("nothing after close") {
        f.close(errc::server_close, out);
        out.clear();
        f.on_packet(3, pkt(engine_type::message, "x"), false, out);
        f.on_tick(100000, out);
        CHECK(out.empty());
    }
}

TEST_CASE("polling: one pending GET, a second one closes the session") {
    engine_fsm f(opts(), transport_kind::polling, 0);
    engine_actions out;
    CHECK(f.on_poll_get(out) == poll_verdict::ok);
    CHECK(f.poll_pending());
    CHECK(f.on_poll_get(out) == poll_verdict::close);
    CHECK(out == engine_actions{closed(errc::duplicate_poll)});
    CHECK(f.on_poll_get(out) == poll_verdict::reject);
    CHECK(f.on_post() == poll_verdict::reject);
}

TEST_CASE("upgrade: probe, noop release after 100 ms, then 5") {
    engine_fsm f(opts(), transport_kind::polling, 0);
    f.mark_attached();
    engine_actions out;
    REQUIRE(f.on_poll_get(out) == poll_verdict::ok);
    REQUIRE(f.begin_upgrade(10));
    CHECK_FALSE(f.begin_upgrade(10));  // one upgrade at a time
    f.on_packet(20, pkt(engine_type::ping, "probe"), true, out);
    CHECK(out == engine_actions{{engine_action_kind::send_probe, engine_type::pong, false, errc{}, "probe"}});
    out.clear();
    f.on_tick(119, out);
    CHECK(out.empty());
    f.on_tick(120, out);
    CHECK(out == engine_actions{{engine_action_kind::release_poll, engine_type::noop}});
    out.clear();
    f.on_poll_done();
    f.on_packet(150, pkt(engine_type::upgrade), true, out);
    CHECK(out == engine_actions{{engine_action_kind::upgraded}});
    CHECK(f.transport() == transport_kind::websocket);
    CHECK(f.on_poll_get(out) == poll_verdict::reject);
    CHECK(f.on_post() == poll_verdict::reject);
    CHECK_FALSE(f.begin_upgrade(200));
}

TEST_CASE("upgrade: a poll still pending at '5' was sent after it and is refused") {
    engine_fsm f(opts(), transport_kind::polling, 0);
    f.mark_attached();
    engine_actions out;
    REQUIRE(f.begin_upgrade(0));
    f.on_packet(1, pkt(engine_type::ping, "probe"), true, out);
    out.clear();
    REQUIRE(f.on_poll_get(out) == poll_verdict::ok);  // raced the "5" to the session
    f.on_packet(5, pkt(engine_type::upgrade), true, out);
    CHECK(out == engine_actions{{engine_action_kind::reject_poll}, {engine_action_kind::upgraded}});
    CHECK_FALSE(f.poll_pending());
    CHECK(f.transport() == transport_kind::websocket);
}

TEST_CASE("upgrade: junk on the probe, a timeout or a closed probe aborts it, the session lives") {
    engine_fsm f(opts(), transport_kind::polling, 0);
    f.mark_attached();
    engine_actions out;
    REQUIRE(f.begin_upgrade(0));
    SECTION("upgrade without probe") {
        f.on_packet(1, pkt(engine_type::upgrade), true, out);
    }
    SECTION("message on probe") {
        f.on_packet(1, pkt(engine_type::message, "x"), true, out);
    }
    SECTION("timeout") {
        f.on_packet(1, pkt(engine_type::pong), false, out);  // keep heartbeat alive
        f.on_tick(10000, out);
        std::erase_if(out, [](auto& a) { return a.kind == engine_action_kind::send; });
    }
    SECTION("probe closed") {
        f.on_transport_closed(true, errc::transport_close, out);
    }
    CHECK(out == engine_actions{{engine_action_kind::abort_upgrade}});
    CHECK_FALSE(f.closed());
    CHECK(f.transport() == transport_kind::polling);
    CHECK(f.begin_upgrade(10001));
}

TEST_CASE("transport close ends the session") {
    engine_fsm f(opts(), transport_kind::websocket, 0);
    engine_actions out;
    f.on_transport_closed(false, errc::transport_close, out);
    CHECK(out == engine_actions{closed(errc::transport_close)});
}
