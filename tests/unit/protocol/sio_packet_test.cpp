#include <switchboard/common/json_write.hpp>
#include <switchboard/protocol/errc.hpp>
#include <switchboard/protocol/sio_packet.hpp>

#include "../test_support.hpp"

using namespace switchboard::protocol;

TEST_CASE("socket.io: CONNECT with and without namespace and auth") {
    auto p = decode_sio_text("0");
    REQUIRE(p);
    CHECK(p->type == sio_type::connect);
    CHECK(p->nsp == "/");
    CHECK_FALSE(p->has_data);

    p = decode_sio_text(R"(0{"token":"123"})");
    REQUIRE(p);
    CHECK(switchboard::common::json_write(p->data) == R"({"token":"123"})");

    p = decode_sio_text(R"(0/custom,{"token":"abc"})");
    REQUIRE(p);
    CHECK(p->nsp == "/custom");
    CHECK(p->data.at("token") == "abc");

    p = decode_sio_text("0/custom");  // no trailing comma
    REQUIRE(p);
    CHECK(p->nsp == "/custom");

    CHECK(decode_sio_text("0[1]").error() == errc::invalid_payload);
}

TEST_CASE("socket.io: EVENT with ack id, ACK, DISCONNECT") {
    auto p = decode_sio_text(R"(2456["message-with-ack",1,"2",{"3":[false]}])");
    REQUIRE(p);
    CHECK(p->type == sio_type::event);
    REQUIRE(p->id);
    CHECK(*p->id == 456);
    CHECK(p->data.as_array().size() == 4);

    p = decode_sio_text(R"(3/admin,7["x"])");
    REQUIRE(p);
    CHECK(p->type == sio_type::ack);
    CHECK(p->nsp == "/admin");
    CHECK(*p->id == 7);

    p = decode_sio_text("1/custom,");
    REQUIRE(p);
    CHECK(p->type == sio_type::disconnect);
    CHECK(p->nsp == "/custom");
    CHECK(decode_sio_text("1{}").error() == errc::invalid_payload);
}

TEST_CASE("socket.io: invalid packets are errors (the suites' cases)") {
    CHECK(decode_sio_text("abc").error() == errc::unknown_packet_type);
    CHECK(decode_sio_text("").error() == errc::empty_packet);
    CHECK(decode_sio_text("2{}").error() == errc::invalid_payload);
    CHECK(decode_sio_text(R"(2abc["message-with-ack",1])").error() == errc::bad_json);
    CHECK(decode_sio_text("2[]").error() == errc::invalid_payload);
    CHECK(decode_sio_text("2[{}]").error() == errc::invalid_payload);
    CHECK(decode_sio_text(R"(2["disconnect"])").error() == errc::reserved_event);
    CHECK(decode_sio_text("3{}").error() == errc::invalid_payload);
    CHECK(decode_sio_text(R"(21234567890123456["a"])").error() == errc::bad_ack_id);
    CHECK(decode_sio_text(R"(2["a",)").error() == errc::bad_json);
}

TEST_CASE("socket.io: nesting and attachment limits") {
    std::string deep = "2[\"a\"," + std::string(40, '[') + std::string(40, ']') + "]";
    CHECK(decode_sio_text(deep).error() == errc::json_too_deep);
    CHECK(decode_sio_text(R"(511-["a"])").error() == errc::too_many_attachments);
    CHECK(decode_sio_text(R"(5["a"])").error() == errc::bad_attachment_count);
    CHECK(decode_sio_text(R"(5x-["a"])").error() == errc::bad_attachment_count);
    CHECK(decode_sio_text(R"(51-["a",{"_placeholder":true,"num":1}])").error() == errc::bad_placeholder);
    CHECK(decode_sio_text(R"(51-["a",{"_placeholder":true,"num":"0"}])").error() == errc::bad_placeholder);
}

TEST_CASE("socket.io decoder reassembles binary events") {
    sio_decoder d;
    auto r = d.feed_text(R"(52-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])");
    REQUIRE(r);
    CHECK_FALSE(*r);
    CHECK(d.awaiting_attachments());
    CHECK_FALSE(d.feed_text("2[\"x\"]"));  // text while attachments are due
}

TEST_CASE("socket.io decoder: attachments in order, then the packet") {
    sio_decoder d;
    REQUIRE(d.feed_text(R"(62-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])"));
    auto a = d.feed_binary("\x01\x02\x03");
    REQUIRE(a);
    CHECK_FALSE(*a);
    auto b = d.feed_binary("\x04\x05\x06");
    REQUIRE(b);
    CHECK(*b);
    auto p = d.take();
    CHECK(p.type == sio_type::binary_ack);
    CHECK(*p.id == 789);
    REQUIRE(p.attachments.size() == 2);
    CHECK(p.attachments[1] == "\x04\x05\x06");
    CHECK(placeholder_index(p.data.as_array()[1]) == std::optional<std::size_t>(1));
    CHECK(d.feed_binary("x").error() == errc::unexpected_binary);
}

TEST_CASE("socket.io encoding: header forms") {
    std::string s;
    boost::json::value data = boost::json::array{"message-back", 1};
    append_sio_packet(s, sio_type::event, "/", std::nullopt, &data);
    CHECK(s == R"(2["message-back",1])");
    s.clear();
    boost::json::value err = boost::json::object{{"message", "Invalid namespace"}};
    append_sio_packet(s, sio_type::connect_error, "/random", std::nullopt, &err);
    CHECK(s == R"(4/random,{"message":"Invalid namespace"})");
    s.clear();
    boost::json::value ack = boost::json::array{make_placeholder(0), make_placeholder(1)};
    append_sio_packet(s, sio_type::ack, "/", 789, &ack, 2);
    CHECK(s == R"(62-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])");
    s.clear();
    append_sio_packet(s, sio_type::disconnect, "/admin", std::nullopt, nullptr);
    CHECK(s == "1/admin,");
    s.clear();
    append_sio_event(s, "/chat", 12, "hi", boost::json::array{"x"}, 0, "off1");
    CHECK(s == R"(2/chat,12["hi","x","off1"])");
}

TEST_CASE("socket.io: numeric event names and numbers are accepted as Node does") {
    auto p = decode_sio_text("2[5,\"x\"]");
    REQUIRE(p);
    CHECK(p->data.as_array()[0].is_number());
}
