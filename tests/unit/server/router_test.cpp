// The HTTP router: exact / pattern / prefix precedence, 404, 405 with the methods to allow.
#include "http/router.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace switchboard::server::detail;

namespace {
using router = basic_router<std::string>;
}

TEST_CASE("router: unknown path is not found, known path with another method lists the allowed ones",
          "[router]") {
    router r;
    r.add(route_kind::exact, "/api/stats", methods::get, "stats");
    r.add(route_kind::exact, "/api/notify", parse_methods("POST"), "notify");
    CHECK(r.find("GET", "/nothing").status == router::result::not_found);
    CHECK(r.find("GET", "/nothing").target == nullptr);
    auto ok = r.find("GET", "/api/stats");
    REQUIRE(ok.status == router::result::found);
    CHECK(*ok.target == "stats");
    auto wrong = r.find("POST", "/api/stats");
    CHECK(wrong.status == router::result::wrong_method);
    CHECK(allow_header(wrong.allowed) == "GET");
    CHECK(allow_header(r.find("DELETE", "/api/notify").allowed) == "POST");
    CHECK(r.find("BREW", "/api/notify").status == router::result::wrong_method);
}

TEST_CASE("router: exact beats pattern beats prefix, the longest prefix wins", "[router]") {
    router r;
    r.add(route_kind::prefix, "/a/", methods::any, "prefix-a");
    r.add(route_kind::prefix, "/a/b/", methods::any, "prefix-ab");
    r.add(route_kind::pattern, "/a/{x}/c", methods::any, "pattern");
    r.add(route_kind::exact, "/a/b/c", methods::any, "exact");
    CHECK(*r.find("GET", "/a/b/c").target == "exact");
    route_params params;
    auto p = r.find("GET", "/a/zz/c", &params);
    CHECK(*p.target == "pattern");
    REQUIRE(params.size() == 1);
    CHECK(params[0].first == "x");
    CHECK(params[0].second == "zz");
    CHECK(*r.find("GET", "/a/b/d").target == "prefix-ab");
    CHECK(*r.find("GET", "/a/q").target == "prefix-a");
    CHECK(r.find("GET", "/b").status == router::result::not_found);
}

TEST_CASE("router: a route for the method wins over a more specific one without it", "[router]") {
    router r;
    r.add(route_kind::exact, "/x", methods::post, "exact-post");
    r.add(route_kind::prefix, "/", methods::get, "root-get");
    CHECK(*r.find("GET", "/x").target == "root-get");
    CHECK(*r.find("POST", "/x").target == "exact-post");
    CHECK(r.find("PUT", "/x").status == router::result::wrong_method);
    CHECK(allow_header(r.find("PUT", "/x").allowed) == "GET, POST");
}

TEST_CASE("router: same path and methods replace, a lower rank wins", "[router]") {
    router r;
    r.add(route_kind::exact, "/h", methods::any, "first");
    r.add(route_kind::exact, "/h", methods::any, "second");
    CHECK(*r.find("GET", "/h").target == "second");
    r.add(route_kind::exact, "/h", methods::any, "async", 1);
    CHECK(*r.find("GET", "/h").target == "second");
    r.add(route_kind::exact, "/h", methods::any, "engine", -1);
    CHECK(*r.find("GET", "/h").target == "engine");
}

TEST_CASE("router: patterns take whole non-empty segments", "[router]") {
    route_params p;
    CHECK(match_pattern("/u/{id}", "/u/42", &p));
    CHECK_FALSE(match_pattern("/u/{id}", "/u/", nullptr));
    CHECK_FALSE(match_pattern("/u/{id}", "/u/42/x", nullptr));
    CHECK_FALSE(match_pattern("/u/{id}/", "/u/42", nullptr));
    CHECK(match_pattern("/u/{id}/", "/u/42/", nullptr));
    CHECK(parse_methods("") == methods::any);
    CHECK(parse_methods("GET, POST") == (methods::get | methods::post));
}
