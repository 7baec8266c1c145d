#include <switchboard/redis/resp.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

using namespace switchboard::redis;

namespace {

// Parses `bytes` fed all at once and, separately, one byte at a time; both must give the same
// replies. Returns them (or throws a Catch failure on an error).
std::vector<value> parse_all(std::string_view bytes, parser_limits limits = {}) {
    std::vector<value> whole, split;
    parser a(limits);
    a.feed(bytes);
    while (true) {
        auto r = a.next();
        REQUIRE(r.has_value());
        if (!*r) break;
        whole.push_back(std::move(**r));
    }
    parser b(limits);
    for (char c : bytes) {
        b.feed(std::string_view(&c, 1));
        while (true) {
            auto r = b.next();
            REQUIRE(r.has_value());
            if (!*r) break;
            split.push_back(std::move(**r));
        }
    }
    REQUIRE(whole.size() == split.size());
    for (std::size_t i = 0; i < whole.size(); ++i)
        REQUIRE(debug_string(whole[i]) == debug_string(split[i]));
    CHECK(a.buffered() == 0);
    return whole;
}

value one(std::string_view bytes) {
    auto v = parse_all(bytes);
    REQUIRE(v.size() == 1);
    return v[0];
}

boost::system::error_code error_of(std::string_view bytes, parser_limits limits = {}) {
    parser p(limits);
    p.feed(bytes);
    while (true) {
        auto r = p.next();
        if (!r) return r.error();
        if (!*r) return {};
    }
}

}  // namespace

TEST_CASE("resp: RESP2 scalars", "[redis][resp]") {
    CHECK(one("+OK\r\n") == value::simple("OK"));
    CHECK(one("-ERR wrong\r\n") == value::error_reply("ERR wrong"));
    CHECK(one("-ERR wrong\r\n").is_error());
    CHECK(one(":-42\r\n") == value::of_int(-42));
    CHECK(one("$5\r\nhe\r\no\r\n") == value::bulk("he\r\no"));
    CHECK(one("$0\r\n\r\n") == value::bulk(""));
    CHECK(one("$-1\r\n").is_null());
    CHECK(one("*-1\r\n").is_null());
    std::string bin("$3\r\na\0b\r\n", 9);
    CHECK(one(bin).str == std::string("a\0b", 3));
}

TEST_CASE("resp: aggregates", "[redis][resp]") {
    auto v = one("*3\r\n:1\r\n*2\r\n+a\r\n$1\r\nb\r\n*0\r\n");
    REQUIRE(v.type == kind::array);
    REQUIRE(v.size() == 3);
    CHECK(v.at(0).as_int() == 1);
    CHECK(v.at(1).size() == 2);
    CHECK(v.at(1).at(1).as_string() == "b");
    CHECK(v.at(2).type == kind::array);
    CHECK(v.at(2).size() == 0);
    CHECK_THROWS_AS(v.at(3), std::out_of_range);

    auto m = one("%2\r\n+k1\r\n:1\r\n+k2\r\n_\r\n");
    CHECK(m.type == kind::map);
    CHECK(m.size() == 4);
    CHECK(m.at(3).is_null());
    CHECK(one("~2\r\n+a\r\n+b\r\n").type == kind::set);
    auto push = one(">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$3\r\nhey\r\n");
    CHECK(push.type == kind::push);
    CHECK(push.at(2).as_string() == "hey");
}

TEST_CASE("resp: RESP3 scalars", "[redis][resp]") {
    CHECK(one("_\r\n").is_null());
    CHECK(one("#t\r\n").type == kind::boolean);
    CHECK(one("#t\r\n").integer == 1);
    CHECK(one("#f\r\n").integer == 0);
    CHECK(one(",3.25\r\n").number == 3.25);
    CHECK(std::isinf(one(",inf\r\n").number));
    CHECK(one(",-inf\r\n").number < 0);
    CHECK(std::isnan(one(",nan\r\n").number));
    CHECK(one("(3492890328409238509324850943850943825024385\r\n").str ==
          "3492890328409238509324850943850943825024385");
    auto vb = one("=15\r\ntxt:Some string\r\n");
    CHECK(vb.type == kind::verbatim);
    CHECK(vb.format == "txt");
    CHECK(vb.as_string() == "Some string");
    auto be = one("!21\r\nSYNTAX invalid syntax\r\n");
    CHECK(be.is_error());
    CHECK(be.as_string() == "SYNTAX invalid syntax");
}

TEST_CASE("resp: attributes are skipped", "[redis][resp]") {
    auto v = parse_all("|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.19\r\n*2\r\n:2\r\n:3\r\n");
    REQUIRE(v.size() == 1);
    CHECK(v[0].type == kind::array);
    CHECK(v[0].size() == 2);
    auto nested = one("*2\r\n|1\r\n+a\r\n+b\r\n:1\r\n:2\r\n");
    REQUIRE(nested.size() == 2);
    CHECK(nested.at(0).as_int() == 1);
    CHECK(one("|0\r\n:7\r\n").as_int() == 7);
}

TEST_CASE("resp: several replies, and a reply split anywhere", "[redis][resp]") {
    auto v = parse_all("+OK\r\n:1\r\n$3\r\nabc\r\n*1\r\n$-1\r\n");
    REQUIRE(v.size() == 4);
    CHECK(v[3].at(0).is_null());
    parser p;
    p.feed("$10\r\n01234");
    CHECK(p.next().value() == std::nullopt);
    p.feed("56789\r");
    CHECK(p.next().value() == std::nullopt);
    p.feed("\n");
    CHECK(p.next().value()->as_string() == "0123456789");
}

TEST_CASE("resp: as_int", "[redis][resp]") {
    CHECK(value::bulk("123").as_int() == 123);
    CHECK(value::bulk("-5").as_int() == -5);
    CHECK(value::bulk("12a").as_int() == std::nullopt);
    CHECK(value::bulk("").as_int() == std::nullopt);
    CHECK(value{}.as_int() == std::nullopt);
}

TEST_CASE("resp: limits", "[redis][resp]") {
    std::string deep;
    for (int i = 0; i < 33; ++i)
        deep += "*1\r\n";
    deep += ":1\r\n";
    CHECK(error_of(deep) == errc::too_deep);
    std::string ok_deep;
    for (int i = 0; i < 32; ++i)
        ok_deep += "*1\r\n";
    ok_deep += ":1\r\n";
    CHECK(!error_of(ok_deep));

    parser_limits small;
    small.max_bulk = 10;
    small.max_elements = 4;
    small.max_line = 16;
    small.max_buffered = 64;
    CHECK(error_of("$11\r\n", small) == errc::too_large);
    CHECK(!error_of("$10\r\n0123456789\r\n", small));
    CHECK(error_of("*5\r\n", small) == errc::too_large);
    CHECK(error_of("%3\r\n", small) == errc::too_large);
    CHECK(!error_of("%2\r\n", small));
    CHECK(error_of("+" + std::string(40, 'a'), small) == errc::too_large);
    CHECK(error_of(std::string(65, '+'), small) == errc::too_large);
    CHECK(error_of("$99999999999999999999\r\n") == errc::protocol_error);
    CHECK(error_of("$600000000\r\n") == errc::too_large);
    CHECK(error_of("*99999999999\r\n") == errc::too_large);
}

TEST_CASE("resp: malformed input", "[redis][resp]") {
    for (std::string_view bad : {"?x\r\n", "\r\n", ":abc\r\n", ":\r\n", ":1x\r\n", "$-2\r\n", "$abc\r\n",
                                 "$3\r\nabcd\r\n", "$3\r\nabc\n\n", "+OK\rX", "#x\r\n", ",abc\r\n",
                                 "(12a\r\n", "=3\r\ntxt\r\n", "%-1\r\n", "_x\r\n", "*-2\r\n"}) {
        INFO(bad);
        CHECK(error_of(bad) == errc::protocol_error);
    }
    // The error is sticky: the stream cannot be resynchronised.
    parser p;
    p.feed("?\r\n+OK\r\n");
    CHECK(p.next().error() == errc::protocol_error);
    CHECK(p.next().error() == errc::protocol_error);
    p.reset();
    p.feed("+OK\r\n");
    CHECK(p.next().value()->as_string() == "OK");
}

TEST_CASE("resp: a large bulk fed in small pieces", "[redis][resp]") {
    std::string body(1 << 20, 'x');
    std::string wire = "$" + std::to_string(body.size()) + "\r\n" + body + "\r\n+OK\r\n";
    parser p;
    std::size_t got = 0;
    for (std::size_t i = 0; i < wire.size(); i += 100) {
        p.feed(std::string_view(wire).substr(i, 100));
        while (auto r = p.next().value())
            ++got;
    }
    CHECK(got == 2);
    CHECK(p.buffered() == 0);
}

TEST_CASE("resp: encoder", "[redis][resp]") {
    std::string out;
    std::vector<std::string_view> args{"SET", "k", std::string_view("a\0\r\n", 4)};
    append_command(out, args);
    CHECK(out == std::string("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\na\0\r\n\r\n", 30));
    CHECK(command("GET").arg("key").encode() == "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n");
    CHECK(command("EXPIRE").arg("k").arg(10LL).args() == std::vector<std::string>{"EXPIRE", "k", "10"});
    CHECK(command("PING").encode() == "*1\r\n$4\r\nPING\r\n");
    std::vector<std::string> none;
    std::string empty_arg;
    append_command(empty_arg, std::vector<std::string>{"ECHO", ""});
    CHECK(empty_arg == "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n");
}

TEST_CASE("resp: debug_string", "[redis][resp]") {
    CHECK(debug_string(one("*2\r\n+a\"\r\n:1\r\n")) == "array[simple_string:\"a\\x22\", 1]");
}
