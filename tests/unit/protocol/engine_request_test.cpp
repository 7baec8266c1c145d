#include <switchboard/protocol/engine_request.hpp>
#include <switchboard/protocol/errc.hpp>

#include "../test_support.hpp"

using namespace switchboard::protocol;

TEST_CASE("query strings decode keys and values, + as space") {
    auto q = parse_query("e=f&EIO=4&transport=polling&t=b1lt&%26a=%26%3D%3Fa&s=a+b&flag").value();
    REQUIRE(q.size() == 7);
    CHECK(*find_param(q, "e") == "f");
    CHECK(*find_param(q, "&a") == "&=?a");
    CHECK(*find_param(q, "s") == "a b");
    CHECK(find_param(q, "flag")->empty());
    CHECK(find_param(q, "nope") == nullptr);
    CHECK(*find_param(parse_query("x=%zz").value(), "x") == "%zz");  // malformed escape kept literally
    CHECK_FALSE(url_decode("%4", false));
    CHECK(url_decode("%41+", false) == std::optional<std::string>("A+"));
}

TEST_CASE("audit #3: decoded query strings and path text must be UTF-8, else refused", "[audit-3]") {
    // Well-formed UTF-8, escaped or raw, decodes.
    CHECK(url_decode("%C3%A9t%C3%A9", false) == std::optional<std::string>("\xC3\xA9t\xC3\xA9"));
    CHECK(*find_param(parse_query("q=%E2%82%AC+%F0%9F%98%80").value(), "q") ==
          "\xE2\x82\xAC \xF0\x9F\x98\x80");
    CHECK(*find_param(parse_query("q=\xC3\xA9").value(), "q") == "\xC3\xA9");
    // Invalid UTF-8 after decoding: a lone byte, truncated, overlong, surrogate, past U+10FFFF.
    for (std::string_view bad : {"%FF", "a%C3", "%C0%AF", "%ED%A0%80", "%F4%90%80%80", "%80"}) {
        INFO(bad);
        CHECK_FALSE(url_decode(bad, false));
        CHECK_FALSE(url_decode(bad, true));
        CHECK(parse_query("q=" + std::string(bad)).error() == errc::invalid_utf8);
        CHECK(parse_query(std::string(bad) + "=v").error() == errc::invalid_utf8);
        CHECK(parse_query("flag&" + std::string(bad)).error() == errc::invalid_utf8);
    }
    // Raw bytes, also where a malformed escape keeps the text literally.
    CHECK(parse_query("q=\xFF").error() == errc::invalid_utf8);
    CHECK(parse_query("q=%zz\xFF").error() == errc::invalid_utf8);
    // An engine request with such a query is a bad request.
    CHECK(parse_engine_request("EIO=4&transport=polling&x=%FF", http_verb_kind::get, false).error() ==
          errc::bad_request);
}

TEST_CASE("engine requests: the handshake and its errors") {
    auto ok = parse_engine_request("EIO=4&transport=polling", http_verb_kind::get, false);
    REQUIRE(ok);
    CHECK(ok->transport == transport_kind::polling);
    CHECK(ok->sid.empty());

    CHECK(parse_engine_request("transport=polling", http_verb_kind::get, false).error() ==
          errc::unsupported_protocol_version);
    CHECK(parse_engine_request("EIO=abc&transport=polling", http_verb_kind::get, false).error() ==
          errc::unsupported_protocol_version);
    CHECK(parse_engine_request("EIO=3&transport=polling", http_verb_kind::get, false).error() ==
          errc::unsupported_protocol_version);
    CHECK(parse_engine_request("EIO=4", http_verb_kind::get, false).error() == errc::unknown_transport);
    CHECK(parse_engine_request("EIO=4&transport=abc", http_verb_kind::get, false).error() ==
          errc::unknown_transport);
    CHECK(parse_engine_request("EIO=4&transport=polling", http_verb_kind::post, false).error() ==
          errc::bad_handshake_method);
    CHECK(parse_engine_request("EIO=4&transport=polling", http_verb_kind::other, false).error() ==
          errc::bad_handshake_method);
    CHECK(parse_engine_request("EIO=4&transport=websocket", http_verb_kind::get, false).error() ==
          errc::bad_request);
    CHECK(parse_engine_request("EIO=4&transport=polling&sid=", http_verb_kind::get, false).error() ==
          errc::unknown_sid);
}

TEST_CASE("engine requests: user parameters before EIO, sid, websocket") {
    auto r = parse_engine_request("fail=1&EIO=4&transport=websocket&sid=abc", http_verb_kind::get, true);
    REQUIRE(r);
    CHECK(r->transport == transport_kind::websocket);
    CHECK(r->sid == "abc");
    CHECK(*find_param(r->query, "fail") == "1");
    auto post = parse_engine_request("EIO=4&transport=polling&sid=x", http_verb_kind::post, false);
    REQUIRE(post);
}

TEST_CASE("engine error bodies are the Node server's") {
    CHECK(engine_error_body(errc::unknown_transport) == R"({"code":0,"message":"Transport unknown"})");
    CHECK(engine_error_body(errc::unknown_sid) == R"({"code":1,"message":"Session ID unknown"})");
    CHECK(engine_error_body(errc::bad_handshake_method) == R"({"code":2,"message":"Bad handshake method"})");
    CHECK(engine_error_body(errc::bad_request) == R"({"code":3,"message":"Bad request"})");
    CHECK(engine_error_body(errc::forbidden) == R"({"code":4,"message":"Forbidden"})");
    CHECK(engine_error_body(errc::unsupported_protocol_version) ==
          R"({"code":5,"message":"Unsupported protocol version"})");
}
