// The gateway's HTTP helpers (apps/switchboard/util.hpp): JSON bodies only as application/json.
#include "../../../apps/switchboard/util.hpp"

#include <catch2/catch.hpp>

using namespace switchboard::app;

namespace {
struct fake_request {
    std::string type;
    std::string body;
    std::string_view header(std::string_view name) const {
        return name == "content-type" ? std::string_view(type) : std::string_view();
    }
};
}  // namespace

TEST_CASE("audit #10: JSON routes take only application/json bodies", "[audit-10]") {
    CHECK(is_json_type("application/json"));
    CHECK(is_json_type("Application/JSON; charset=utf-8"));
    CHECK(is_json_type(" application/json ;charset=UTF-8"));
    for (std::string_view t : {"", "text/plain", "text/plain;charset=UTF-8",
                               "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                               "application/jsonx", "application/json5", "text/json", "application/ json"}) {
        INFO(t);
        CHECK_FALSE(is_json_type(t));
    }
    boost::json::object out;
    auto refused = parse_body(fake_request{"text/plain", R"({"event":"e"})"}, out);
    REQUIRE(refused);
    CHECK(refused->status == 415);
    CHECK(refused->body == R"({"success":false,"error":"Content-Type must be application/json"})");
    CHECK_FALSE(parse_body(fake_request{"application/json", R"({"event":"e"})"}, out));
    CHECK(out.at("event") == "e");
    CHECK(parse_body(fake_request{"application/json", "[1]"}, out)->status == 400);
}
