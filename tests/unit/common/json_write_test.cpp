#include <switchboard/common/json_write.hpp>

#include <switchboard/protocol/ws_frame.hpp>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include "../test_support.hpp"

using switchboard::common::json_write;

static std::string roundtrip(std::string_view s) {
    return json_write(boost::json::parse(s));
}

TEST_CASE("json_write keeps key order and writes compactly") {
    CHECK(roundtrip(R"({ "b": 1, "a": [true, false, null], "c": {"3": [true]} })") ==
          R"({"b":1,"a":[true,false,null],"c":{"3":[true]}})");
}

TEST_CASE("json_write formats numbers as JavaScript does") {
    CHECK(roundtrip("1.5") == "1.5");
    CHECK(roundtrip("2.0") == "2");
    CHECK(roundtrip("-0.0") == "0");
    CHECK(roundtrip("1e21") == "1e+21");
    CHECK(roundtrip("1e-7") == "1e-7");
    CHECK(roundtrip("0.1") == "0.1");
    CHECK(roundtrip("123456789012") == "123456789012");
    CHECK(roundtrip("18446744073709551615") == "18446744073709551615");
    CHECK(roundtrip("-42") == "-42");
}

TEST_CASE("json_write escapes what JSON.stringify escapes and keeps UTF-8") {
    CHECK(roundtrip(R"("a\"b\\c\n\t\u0001")") == R"("a\"b\\c\n\t\u0001")");
    CHECK(roundtrip("\"てすと 😀\"") == "\"てすと 😀\"");
    CHECK(roundtrip(R"("\/")") == R"("/")");
}

TEST_CASE("audit #3: json_write never emits invalid UTF-8, stray bytes become U+FFFD", "[audit-3]") {
    using switchboard::common::json_append_string;
    using switchboard::protocol::ws::valid_utf8;
    auto str = [](std::string_view s) {
        std::string out;
        json_append_string(out, s);
        return out;
    };
    const std::string fffd = "\xEF\xBF\xBD";
    // Well-formed text is copied unchanged, up to U+10FFFF.
    CHECK(str("h\xC3\xA9 \xE2\x82\xAC \xF4\x8F\xBF\xBF") == "\"h\xC3\xA9 \xE2\x82\xAC \xF4\x8F\xBF\xBF\"");
    // A lone byte, a stray continuation, a truncated sequence, an overlong, a surrogate, past U+10FFFF.
    CHECK(str("a\xFF"
              "b") == "\"a" + fffd + "b\"");
    CHECK(str("\x80") == "\"" + fffd + "\"");
    CHECK(str("x\xE2\x82") == "\"x" + fffd + fffd + "\"");
    CHECK(str("\xC0\xAF") == "\"" + fffd + fffd + "\"");
    CHECK(str("\xED\xA0\x80") == "\"" + fffd + fffd + fffd + "\"");
    CHECK(str("\xF4\x90\x80\x80") == "\"" + fffd + fffd + fffd + fffd + "\"");
    // Keys too, and escapes next to replaced bytes.
    boost::json::object o;
    o[std::string("k\xFE")] = std::string("\"\xFE\n");
    auto out = switchboard::common::json_write(o);
    CHECK(out == "{\"k" + fffd + "\":\"\\\"" + fffd + "\\n\"}");
    CHECK(valid_utf8(out));
    // Every single byte and every pair of bytes gives valid UTF-8.
    for (int a = 0; a < 256; ++a)
        for (int b = 0; b < 256; ++b) {
            std::string s{static_cast<char>(a), static_cast<char>(b)};
            if (!valid_utf8(str(s))) FAIL("invalid UTF-8 written for bytes " << a << ", " << b);
        }
}
