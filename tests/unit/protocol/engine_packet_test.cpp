#include <switchboard/protocol/base64.hpp>
#include <switchboard/protocol/engine_packet.hpp>
#include <switchboard/protocol/errc.hpp>

#include "../test_support.hpp"

using namespace switchboard::protocol;

TEST_CASE("engine text packets decode by type digit") {
    auto p = decode_engine_text("4hello");
    REQUIRE(p);
    CHECK(p->type == engine_type::message);
    CHECK(p->data == "hello");
    CHECK_FALSE(p->binary);
    CHECK(decode_engine_text("2probe")->type == engine_type::ping);
    CHECK(decode_engine_text("2probe")->data == "probe");
    CHECK(decode_engine_text("6")->type == engine_type::noop);
    CHECK(decode_engine_text("3")->type == engine_type::pong);
}

TEST_CASE("engine text packets: invalid input is an error, never a throw") {
    CHECK(decode_engine_text("").error() == errc::empty_packet);
    CHECK(decode_engine_text("abc").error() == errc::unknown_packet_type);
    CHECK(decode_engine_text("7x").error() == errc::unknown_packet_type);
    CHECK(decode_engine_text("b4").error() == errc::unknown_packet_type);
}

TEST_CASE("binary frames are binary messages") {
    auto p = decode_engine_binary(std::string("\x01\x02\x00\x04", 4));
    CHECK(p.binary);
    CHECK(p.type == engine_type::message);
    CHECK(p.data.size() == 4);
}

TEST_CASE("polling payload: text and binary packets") {
    auto r = decode_payload(
        "4hello\x1e"
        "bAQIDBA==\x1e"
        "2");
    REQUIRE(r);
    REQUIRE(r->size() == 3);
    CHECK((*r)[0] == engine_packet{engine_type::message, false, "hello"});
    CHECK((*r)[1] == engine_packet{engine_type::message, true, std::string("\x01\x02\x03\x04")});
    CHECK((*r)[2].type == engine_type::ping);
}

TEST_CASE("polling payload: errors") {
    CHECK(decode_payload("").error() == errc::empty_packet);
    CHECK(decode_payload("4a\x1e").error() == errc::empty_packet);
    CHECK(decode_payload("4a\x1e"
                         "x")
              .error() == errc::unknown_packet_type);
    CHECK(decode_payload("b!!!").error() == errc::bad_base64);
    payload_limits small{10, 2};
    CHECK(decode_payload("4aaaaaaaaaaaaaaa", small).error() == errc::payload_too_large);
    CHECK(decode_payload("4a\x1e"
                         "4b\x1e"
                         "4c",
                         small)
              .error() == errc::too_many_packets);
}

TEST_CASE("audit #3: a polling body with invalid UTF-8 is refused, as a WebSocket text frame is",
          "[audit-3]") {
    CHECK(decode_payload("4caf\xC3\xA9\x1e"
                         "42[\"m\",\"\xE2\x82\xAC\"]")
              .has_value());
    CHECK(decode_payload("42[\"chat:send\",{\"message\":\"\xFF\"}]").error() == errc::invalid_utf8);
    CHECK(decode_payload("4ok\x1e"
                         "4\xC0\xAF")
              .error() == errc::invalid_utf8);
    CHECK(decode_payload("4\xED\xA0\x80").error() == errc::invalid_utf8);
    // Binary packets stay possible: their bytes travel base64-encoded.
    CHECK(decode_payload("b/w==").value().front().data == "\xFF");
}

TEST_CASE("polling payload: encoding joins with 0x1e and base64s binary") {
    std::string body;
    append_payload(body, "4hello", false);
    append_payload(body, std::string("\x01\x02\x03\x04"), true);
    append_payload(body, "6", false);
    CHECK(body ==
          "4hello\x1e"
          "bAQIDBA==\x1e"
          "6");
    auto back = decode_payload(body);
    REQUIRE(back);
    CHECK(back->size() == 3);
}

TEST_CASE("base64 round trip for every length and byte") {
    std::string bytes;
    for (int n = 0; n < 70; ++n) {
        std::string enc;
        base64_append(enc, bytes);
        auto dec = base64_decode(enc);
        REQUIRE(dec);
        CHECK(*dec == bytes);
        bytes += static_cast<char>(n * 37);
    }
    CHECK(base64_decode("AQIDBA") == std::optional<std::string>("\x01\x02\x03\x04"));
    CHECK_FALSE(base64_decode("A"));
    CHECK_FALSE(base64_decode("AQ*D"));
}

TEST_CASE("engine WebSocket messages decode from an owned string, as text decodes") {
    auto t = decode_engine_message(std::string("4hello"), false);
    REQUIRE(t);
    CHECK(t->type == engine_type::message);
    CHECK(t->data == "hello");
    CHECK_FALSE(t->binary);
    CHECK(decode_engine_message(std::string("2probe"), false)->type == engine_type::ping);
    CHECK(decode_engine_message(std::string(""), false).error() == errc::empty_packet);
    CHECK(decode_engine_message(std::string("7x"), false).error() == errc::unknown_packet_type);
    auto b = decode_engine_message(std::string("\x00\x01\xff", 3), true);
    REQUIRE(b);
    CHECK(b->binary);
    CHECK(b->type == engine_type::message);
    CHECK(b->data == std::string("\x00\x01\xff", 3));
}
