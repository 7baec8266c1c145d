// Log records in both formats: what each line holds, and that peer text cannot break a line or
// forge a field.
#include <switchboard/common/log.hpp>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

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

namespace {
std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}
}  // namespace

TEST_CASE(
    "log: LOG_FILE gets the records, rotated by size, the oldest dropped; a connection scope names the "
    "connection") {
    char tmpl[] = "/tmp/sb-log-XXXXXX";
    REQUIRE(mkdtemp(tmpl));
    std::string dir = tmpl, path = dir + "/switchboard.log";
    auto saved = log::get_level();
    log::set_level(log::level::info);
    REQUIRE_FALSE(log::set_file(path, 400, 2));
    for (int i = 0; i < 20; ++i) {
        log::connection_scope scope(i % 2 ? "c7" : "c8");
        log::info("record", {{"n", std::to_string(i)}});
    }
    log::info("outside", {{"conn", "c9"}});  // a record that names its connection itself: once
    auto current = slurp(path), one = slurp(path + ".1"), two = slurp(path + ".2");
    // Cannot open a file in a directory that is not there: an error, the sink unchanged.
    auto bad = log::set_file(dir + "/missing/x.log", 400, 2);
    log::set_file("", 0, 0);  // back to stderr for the other tests
    log::set_level(saved);
    CHECK(bad);
    CHECK(current.size() <= 400);
    CHECK(one.size() <= 400);
    CHECK(two.size() <= 400);
    CHECK_FALSE(slurp(path + ".3").size());  // LOG_FILE_KEEP=2
    CHECK(current.find("\"msg\":\"outside\",\"conn\":\"c9\"}") != std::string::npos);
    CHECK((one + current).find("\"n\":\"19\"") != std::string::npos);  // the newest kept
    CHECK(two.find("\"n\":\"0\"") == std::string::npos);               // the oldest were dropped
    // Every record a whole line, each with its connection first among the fields.
    std::stringstream all(two + one + current);
    std::string line;
    int records = 0;
    while (std::getline(all, line)) {
        auto v = boost::json::parse(line);
        if (v.at("msg") != "record") continue;
        ++records;
        auto n = std::stoi(std::string(v.at("n").as_string()));
        CHECK(v.at("conn") == (n % 2 ? "c7" : "c8"));
        CHECK(line.find("\"msg\":\"record\",\"conn\":") != std::string::npos);
    }
    CHECK(records > 0);
    CHECK(records < 20);
    std::filesystem::remove_all(dir);
}
