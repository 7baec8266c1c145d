// permessage-deflate (RFC 7692): the negotiation of offers, the RFC's own examples, round trips at
// every window size, the decompression limit (a bomb is refused without being inflated past it),
// and RSV1 in the frame decoder.
#include <switchboard/protocol/ws_deflate.hpp>
#include <switchboard/protocol/ws_frame.hpp>

#include <catch2/catch.hpp>

#include <random>

using namespace switchboard::protocol::ws;

namespace {

constexpr const char* both_off = "permessage-deflate; server_no_context_takeover; client_no_context_takeover";

// A masked client frame (payloads under 64 KiB).
std::string client_frame(std::uint8_t b0, std::string_view payload) {
    std::string f(1, static_cast<char>(b0));
    const std::uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
    auto n = payload.size();
    if (n < 126) {
        f.push_back(static_cast<char>(0x80 | n));
    } else {
        f.push_back(static_cast<char>(0x80 | 126));
        f.push_back(static_cast<char>(n >> 8));
        f.push_back(static_cast<char>(n & 0xFF));
    }
    f.append(reinterpret_cast<const char*>(key), 4);
    for (std::size_t i = 0; i < n; ++i)
        f.push_back(static_cast<char>(static_cast<std::uint8_t>(payload[i]) ^ key[i % 4]));
    return f;
}

std::string bytes(std::initializer_list<int> b) {
    std::string s;
    for (int c : b)
        s.push_back(static_cast<char>(c));
    return s;
}

std::string random_text(std::size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::string s;
    const char* words[] = {"chat", "room", "message", "user", "typing", "{\"id\":", "\"text\":", ",", " "};
    while (s.size() < n)
        s += words[rng() % 9];
    s.resize(n);
    return s;
}

}  // namespace

TEST_CASE("deflate: the offers a server accepts") {
    auto a = negotiate_deflate("permessage-deflate");
    REQUIRE(a);
    CHECK(a->server_max_window_bits == 15);
    CHECK(a->response() == both_off);
    // What ws (Node) and browsers offer.
    CHECK(negotiate_deflate("permessage-deflate; client_max_window_bits"));
    CHECK(negotiate_deflate("permessage-deflate; client_max_window_bits=12; client_no_context_takeover"));
    CHECK(negotiate_deflate("permessage-deflate; server_no_context_takeover"));
    // Names are case-insensitive; whitespace around separators is optional.
    CHECK(negotiate_deflate("PerMessage-Deflate ;Client_Max_Window_Bits"));
    // Another extension first; two header lines joined.
    CHECK(negotiate_deflate("x-webkit-deflate-frame, permessage-deflate"));
    CHECK(negotiate_deflate("foo; a=\"b, c\", permessage-deflate"));
    // A smaller server window is kept to, and said.
    a = negotiate_deflate("permessage-deflate; server_max_window_bits=10");
    REQUIRE(a);
    CHECK(a->server_max_window_bits == 10);
    CHECK(a->response() == std::string(both_off) + "; server_max_window_bits=10");
    a = negotiate_deflate("permessage-deflate; server_max_window_bits=\"12\"");  // quoted-string form
    REQUIRE(a);
    CHECK(a->server_max_window_bits == 12);
    // The first offer we can honour wins.
    a = negotiate_deflate(
        "permessage-deflate; server_max_window_bits=8, permessage-deflate; server_max_window_bits=9");
    REQUIRE(a);
    CHECK(a->server_max_window_bits == 9);
}

TEST_CASE("deflate: offers declined (answered without the extension)") {
    for (const char* offer : {
             "",
             "x-webkit-deflate-frame",
             "permessage-deflate; server_max_window_bits=8",  // zlib cannot keep to 256 bytes
             "permessage-deflate; server_max_window_bits",    // needs a value
             "permessage-deflate; server_max_window_bits=16",
             "permessage-deflate; server_max_window_bits=7",
             "permessage-deflate; server_max_window_bits=010",  // leading zero
             "permessage-deflate; client_max_window_bits=abc",
             "permessage-deflate; client_max_window_bits=15; client_max_window_bits=15",  // repeated
             "permessage-deflate; server_no_context_takeover=1",                          // has no value
             "permessage-deflate; client_no_context_takeover; client_no_context_takeover",
             "permessage-deflate; mystery",  // unknown
             "permessage-deflate;",          // malformed
             "permessage-deflate; a=\"unterminated",
             "permessage-deflate,,;",
             "permessage-deflate @",
         }) {
        INFO(offer);
        CHECK_FALSE(negotiate_deflate(offer));
    }
}

TEST_CASE("deflate: the RFC 7692 examples") {
    // 7.2.3.1: "Hello" compressed.
    CHECK(thread_deflater(15).deflate("Hello") == bytes({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}));
    std::string out;
    auto& inf = thread_inflater();
    REQUIRE(inf.inflate(bytes({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}), 100, out) == inflate_result::ok);
    CHECK(out == "Hello");
    // 7.2.3.3: a stored (uncompressed) block.
    REQUIRE(inf.inflate(bytes({0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00}), 100,
                        out) == inflate_result::ok);
    CHECK(out == "Hello");
    // 7.2.3.4: a final block (BFINAL set).
    REQUIRE(inf.inflate(bytes({0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00}), 100, out) ==
            inflate_result::ok);
    CHECK(out == "Hello");
    // An empty message.
    auto empty = thread_deflater(15).deflate("");
    REQUIRE(inf.inflate(empty, 100, out) == inflate_result::ok);
    CHECK(out.empty());
}

TEST_CASE("deflate: round trips at every window size, each message on its own") {
    for (int bits = 9; bits <= 15; ++bits) {
        deflater d(bits);
        for (std::size_t n : {1u, 100u, 5000u, 70000u, 300000u}) {
            auto msg = random_text(n, static_cast<unsigned>(n + bits));
            auto z = d.deflate(msg);
            if (n >= 5000) CHECK(z.size() < msg.size() / 2);
            std::string out;
            REQUIRE(thread_inflater().inflate(z, msg.size(), out) == inflate_result::ok);
            CHECK(out == msg);
            // No context taken over: the same message compresses the same way again.
            CHECK(d.deflate(msg) == z);
        }
    }
}

TEST_CASE("deflate: the limit refuses a bomb without inflating past it") {
    // 10 MB of zeros compress to about 10 KB (at level 9, as an attacker would).
    auto bomb = deflater(15, 9).deflate(std::string(10'000'000, '\0'));
    CHECK(bomb.size() < 20'000);
    std::string out;
    auto& inf = thread_inflater();
    CHECK(inf.inflate(bomb, 1'000'000, out) == inflate_result::too_big);
    CHECK(out.capacity() == std::string().capacity());  // nothing held back
    // At the limit exactly it passes, one byte over it does not.
    auto exact = thread_deflater(15).deflate(std::string(4096, 'a'));
    REQUIRE(inf.inflate(exact, 4096, out) == inflate_result::ok);
    CHECK(out.size() == 4096);
    CHECK(inf.inflate(exact, 4095, out) == inflate_result::too_big);
    // The stream is reset after a refusal: the next message inflates.
    REQUIRE(inf.inflate(thread_deflater(15).deflate("next"), 100, out) == inflate_result::ok);
    CHECK(out == "next");
}

TEST_CASE("deflate: data zlib refuses") {
    std::string out;
    auto& inf = thread_inflater();
    CHECK(inf.inflate(bytes({0xff, 0xff, 0xff, 0xff}), 1000, out) == inflate_result::bad_data);
    CHECK(inf.inflate(bytes({0x07}), 1000, out) == inflate_result::bad_data);  // reserved block type
    REQUIRE(inf.inflate(thread_deflater(15).deflate("after"), 100, out) == inflate_result::ok);
    CHECK(out == "after");
}

TEST_CASE("deflate: zlib memory of one stream (what a connection would hold with context takeover)") {
    deflater d(15);
    d.deflate(random_text(4096, 1));
    inflater i;
    std::string out;
    i.inflate(d.deflate(random_text(4096, 2)), 10000, out);
    // deflate: window 2·2^15 + hash 2^16·2·… ≈ 256 KiB; inflate: state ≈ 7 KiB + window 32 KiB.
    CHECK(d.zlib_bytes() > 200'000);
    CHECK(d.zlib_bytes() < 300'000);
    CHECK(i.zlib_bytes() > 32'768);
    CHECK(i.zlib_bytes() < 50'000);
    deflater small(9);
    CHECK(small.zlib_bytes() < d.zlib_bytes());
    WARN("zlib bytes: deflate(15) " << d.zlib_bytes() << ", deflate(9) " << small.zlib_bytes()
                                    << ", inflate(15) " << i.zlib_bytes());
}

TEST_CASE("deflate: the decoder takes RSV1 only once agreed, and only where the RFC allows") {
    auto hello = bytes({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00});
    std::vector<frame_event> out;
    SECTION("not agreed: a protocol error, as before") {
        decoder d(1000);
        CHECK(d.feed(client_frame(0xC1, hello), out) == close_code::protocol_error);
    }
    SECTION("agreed: compressed and plain messages, whole or in fragments") {
        decoder d(1000);
        d.enable_deflate();
        REQUIRE_FALSE(d.feed(client_frame(0xC1, hello), out));
        REQUIRE_FALSE(d.feed(client_frame(0x81, "plain"), out));
        // RSV1 on the first frame only; a ping between the fragments.
        REQUIRE_FALSE(d.feed(client_frame(0x41, hello.substr(0, 3)) + client_frame(0x89, "p") +
                                 client_frame(0x80, hello.substr(3)),
                             out));
        auto bin = thread_deflater(15).deflate(std::string(500, '\x01'));
        REQUIRE_FALSE(d.feed(client_frame(0xC2, bin), out));
        REQUIRE(out.size() == 5);
        CHECK(out[0].data == "Hello");
        CHECK(out[1].data == "plain");
        CHECK(out[2].type == frame_event::kind::ping);
        CHECK(out[3].type == frame_event::kind::text);
        CHECK(out[3].data == "Hello");
        CHECK(out[4].type == frame_event::kind::binary);
        CHECK(out[4].data == std::string(500, '\x01'));
        CHECK(d.idle());
    }
    SECTION("agreed: violations") {
        decoder d(1000);
        d.enable_deflate();
        SECTION("RSV1 on a continuation frame") {
            CHECK(d.feed(client_frame(0x01, "He") + client_frame(0xC0, "llo"), out) ==
                  close_code::protocol_error);
        }
        SECTION("RSV1 on a control frame") {
            CHECK(d.feed(client_frame(0xC9, ""), out) == close_code::protocol_error);
        }
        SECTION("RSV2 and RSV3") {
            CHECK(d.feed(client_frame(0xA1, hello), out) == close_code::protocol_error);
        }
        SECTION("a bomb: past max_message once inflated") {
            CHECK(d.feed(client_frame(0xC2, thread_deflater(15).deflate(std::string(100'000, 'a'))), out) ==
                  close_code::too_big);
        }
        SECTION("compressed text that is not UTF-8") {
            CHECK(d.feed(client_frame(0xC1, thread_deflater(15).deflate("\xff\xfe")), out) ==
                  close_code::invalid_payload);
        }
        SECTION("data zlib refuses") {
            CHECK(d.feed(client_frame(0xC1, bytes({0xff, 0xff, 0xff})), out) == close_code::invalid_payload);
        }
    }
}

TEST_CASE("deflate: encode_header sets RSV1 for a compressed message") {
    std::uint8_t h[10];
    REQUIRE(encode_header(opcode::text, 7, h, true) == 2);
    CHECK(h[0] == 0xC1);
    REQUIRE(encode_header(opcode::binary, 7, h) == 2);
    CHECK(h[0] == 0x82);
}
