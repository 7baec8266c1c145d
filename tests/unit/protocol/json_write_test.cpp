#include <switchboard/protocol/json_write.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include "../test_support.hpp"

using switchboard::protocol::json_write;

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
