// RFC 6455 framing: the RFC's own examples, every protocol violation a client can commit, chunking.
#include <switchboard/protocol/ws_frame.hpp>

#include <catch2/catch.hpp>

using namespace switchboard::protocol::ws;

namespace {
// A masked client frame.
std::string client_frame(std::uint8_t b0, std::string_view payload, int len_form = 0) {
    std::string f(1, static_cast<char>(b0));
    const std::uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
    auto n = payload.size();
    if (len_form == 0 && n < 126) {
        f.push_back(static_cast<char>(0x80 | n));
    } else if (len_form <= 16 && n <= 0xFFFF) {
        f.push_back(static_cast<char>(0x80 | 126));
        f.push_back(static_cast<char>(n >> 8));
        f.push_back(static_cast<char>(n & 0xFF));
    } else {
        f.push_back(static_cast<char>(0x80 | 127));
        for (int i = 7; i >= 0; --i)
            f.push_back(static_cast<char>((static_cast<std::uint64_t>(n) >> (8 * i)) & 0xFF));
    }
    f.append(reinterpret_cast<const char*>(key), 4);
    for (std::size_t i = 0; i < n; ++i)
        f.push_back(static_cast<char>(static_cast<std::uint8_t>(payload[i]) ^ key[i % 4]));
    return f;
}
}  // namespace

TEST_CASE("ws: the RFC's accept key example") {
    CHECK(accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    CHECK(valid_client_key("dGhlIHNhbXBsZSBub25jZQ=="));
    CHECK_FALSE(valid_client_key("dGhlIHNhbXBsZQ=="));  // 11 bytes
    CHECK_FALSE(valid_client_key(""));
}

TEST_CASE("ws: the RFC's masked 'Hello' and a fragmented message") {
    decoder d(1000);
    std::vector<frame_event> out;
    const char hello[] = "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58";
    REQUIRE_FALSE(d.feed(std::string_view(hello, 11), out));
    REQUIRE(out.size() == 1);
    CHECK(out[0].type == frame_event::kind::text);
    CHECK(out[0].data == "Hello");
    out.clear();
    auto msg = client_frame(0x01, "Hel") + client_frame(0x89, "ping!") + client_frame(0x80, "lo 🚀");
    REQUIRE_FALSE(d.feed(msg, out));
    REQUIRE(out.size() == 2);
    CHECK(out[0].type == frame_event::kind::ping);  // control frames may come between fragments
    CHECK(out[0].data == "ping!");
    CHECK(out[1].data == "Hello 🚀");
    CHECK(d.idle());
}

TEST_CASE("ws: any chunking gives the same events") {
    auto stream = client_frame(0x81, "first") + client_frame(0x82, std::string(300, '\x01')) +
                  client_frame(0x82, std::string(70000, 'x'), 64) + client_frame(0x8A, "") +
                  client_frame(0x88, std::string("\x03\xe8"
                                                 "bye",
                                                 5));
    for (std::size_t chunk : {1u, 2u, 3u, 7u, 100u, 1000u, 100000u}) {
        decoder d(100000);
        std::vector<frame_event> out;
        for (std::size_t i = 0; i < stream.size(); i += chunk)
            REQUIRE_FALSE(d.feed(std::string_view(stream).substr(i, chunk), out));
        REQUIRE(out.size() == 5);
        CHECK(out[0].data == "first");
        CHECK(out[1].type == frame_event::kind::binary);
        CHECK(out[1].data.size() == 300);
        CHECK(out[2].data == std::string(70000, 'x'));
        CHECK(out[3].type == frame_event::kind::pong);
        CHECK(out[4].type == frame_event::kind::close);
        CHECK(out[4].code == 1000);
        CHECK(out[4].data == "bye");
        CHECK(d.idle());
    }
}

TEST_CASE("ws: protocol violations give the close code to send") {
    auto violation = [](const std::string& bytes, std::size_t max = 1000) {
        decoder d(max);
        std::vector<frame_event> out;
        return d.feed(bytes, out);
    };
    CHECK(violation("\x81\x05Hello") == close_code::protocol_error);          // unmasked
    CHECK(violation(client_frame(0xC1, "x")) == close_code::protocol_error);  // RSV1
    CHECK(violation(client_frame(0x83, "x")) == close_code::protocol_error);  // opcode 3
    CHECK(violation(client_frame(0x8B, "x")) == close_code::protocol_error);  // opcode 11
    CHECK(violation(client_frame(0x80, "x")) == close_code::protocol_error);  // nothing to continue
    CHECK(violation(client_frame(0x01, "a") + client_frame(0x81, "b")) == close_code::protocol_error);
    CHECK(violation(client_frame(0x09, "x")) == close_code::protocol_error);  // fragmented ping
    CHECK(violation(client_frame(0x89, std::string(126, 'x'))) == close_code::protocol_error);
    CHECK(violation(client_frame(0x81, "abc", 16)) == close_code::protocol_error);  // 126 form for 3 bytes
    CHECK(violation(client_frame(0x81, std::string(1001, 'x'))) == close_code::too_big);
    CHECK(violation(client_frame(0x01, std::string(600, 'x')) + client_frame(0x80, std::string(600, 'x'))) ==
          close_code::too_big);
    CHECK(violation(client_frame(0x81, "\xc0\xaf")) == close_code::invalid_payload);      // overlong
    CHECK(violation(client_frame(0x81, "\xed\xa0\x80")) == close_code::invalid_payload);  // surrogate
    CHECK(violation(client_frame(0x88, "\x03")) == close_code::protocol_error);           // 1-byte close
    CHECK(violation(client_frame(0x88, "\x03\xed")) == close_code::protocol_error);       // code 1005
    CHECK(violation(client_frame(0x88, "\x03\xe8\xff")) == close_code::invalid_payload);
    // A huge declared length is refused before any payload arrives.
    std::string huge = "\x82\xff";
    huge += std::string("\x00\x00\x01\x00\x00\x00\x00\x00", 8);
    CHECK(violation(huge) == close_code::too_big);
    // Binary data need not be UTF-8; an empty close is code 1005 (none given).
    decoder d(10);
    std::vector<frame_event> out;
    CHECK_FALSE(d.feed(client_frame(0x82, "\xff\xfe") + client_frame(0x88, ""), out));
    REQUIRE(out.size() == 2);
    CHECK(out[1].code == 1005);
}

TEST_CASE("ws: server frames") {
    std::uint8_t h[10];
    CHECK(encode_header(opcode::text, 5, h) == 2);
    CHECK(h[0] == 0x81);
    CHECK(h[1] == 5);
    CHECK(encode_header(opcode::binary, 300, h) == 4);
    CHECK((h[0] == 0x82 && h[1] == 126 && h[2] == 1 && h[3] == 44));
    CHECK(encode_header(opcode::text, 70000, h) == 10);
    CHECK((h[1] == 127 && h[7] == 1 && h[8] == 0x11 && h[9] == 0x70));
    CHECK(close_frame(1000) == std::string("\x88\x02\x03\xe8", 4));
    CHECK(encode_frame(opcode::pong, "ab") ==
          "\x8a\x02"
          "ab");
}

TEST_CASE("ws: UTF-8 validation") {
    CHECK(valid_utf8("héllo 🚀 你好"));
    CHECK(valid_utf8(""));
    CHECK_FALSE(valid_utf8("\xff"));
    CHECK_FALSE(valid_utf8("\xe4\xbd"));          // truncated
    CHECK_FALSE(valid_utf8("\xf4\x90\x80\x80"));  // past U+10FFFF
    CHECK_FALSE(valid_utf8("\xe0\x80\xaf"));      // overlong
    CHECK(valid_utf8("\xf4\x8f\xbf\xbf"));        // U+10FFFF
}
