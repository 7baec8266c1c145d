// Log records in both formats: what each line holds, and that peer text cannot break a line or
// forge a field.
#include <switchboard/common/log.hpp>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

using namespace switchboard;

TEST_CASE("log: a JSON record is one object on one line, peer text escaped") {
    auto line = log::format_line(log::format::json, "2026-12-05T08:00:00.000Z", log::level::warn,
                                 "hello \"x\"\n", {{"user", "a\nb"}, {"bytes", "\xff"}});
    REQUIRE(line.back() == '\n');
    CHECK(line.find('\n') == line.size() - 1);
    auto v = boost::json::parse(line);
    CHECK(v.at("level") == "warn");
    CHECK(v.at("msg") == "hello \"x\"\n");
    CHECK(v.at("user") == "a\nb");
    CHECK(v.at("bytes") == "\xEF\xBF\xBD");  // invalid UTF-8 → U+FFFD
}

TEST_CASE("log: a logfmt record quotes only what needs it and never lets peer bytes through raw") {
    auto line =
        log::format_line(log::format::logfmt, "2026-12-05T08:00:00.000Z", log::level::info, "listening",
                         {{"port", "3001"},
                          {"who", "a b"},
                          {"evil", "x\" forged=1\nlevel=error"},
                          {"empty", ""},
                          {"utf", "\xc3\xa9"}});
    CHECK(line ==
          "time=2026-12-05T08:00:00.000Z level=info msg=listening port=3001 who=\"a b\" "
          "evil=\"x\\\" forged=1\\nlevel=error\" empty=\"\" utf=\"\\xc3\\xa9\"\n");
    CHECK(line.find('\n') == line.size() - 1);
}

TEST_CASE("log: LOG_FORMAT values") {
    log::format f{};
    CHECK(log::parse_format("logfmt", f));
    CHECK(f == log::format::logfmt);
    CHECK(log::parse_format("json", f));
    CHECK(f == log::format::json);
    CHECK(!log::parse_format("text", f));
}
