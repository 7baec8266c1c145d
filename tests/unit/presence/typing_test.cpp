// The typing machine, scripted: inputs with their times, and what each expiry announces.
#include <switchboard/presence/typing.hpp>

#include <catch2/catch.hpp>

#include <variant>

using namespace switchboard::presence;

namespace {

struct start_at {
    std::string from, to;
    std::int64_t now;
};
struct stop_now {
    std::string from, to;
};
struct expire_at {
    std::int64_t now;
    std::vector<typing_pair> announced;
    std::optional<std::int64_t> next;
};
using step = std::variant<start_at, stop_now, expire_at>;

void play(typing& t, const std::vector<step>& script) {
    int i = 0;
    for (const auto& s : script) {
        INFO("step " << i++);
        if (auto* a = std::get_if<start_at>(&s)) t.start(a->from, a->to, a->now);
        if (auto* b = std::get_if<stop_now>(&s)) t.stop(b->from, b->to);
        if (auto* e = std::get_if<expire_at>(&s)) {
            auto got = t.expired(e->now);
            REQUIRE(got.size() == e->announced.size());
            for (std::size_t k = 0; k < got.size(); ++k) {
                CHECK(got[k].from == e->announced[k].from);
                CHECK(got[k].to == e->announced[k].to);
            }
            CHECK(t.next_deadline() == e->next);
        }
    }
}

}  // namespace

TEST_CASE("typing: a start ends at its deadline, announced once") {
    typing t(5000);
    play(t, {start_at{"a", "b", 1000}, expire_at{5999, {}, 6000}, expire_at{6000, {{"a", "b"}}, std::nullopt},
             expire_at{9000, {}, std::nullopt}});
}

TEST_CASE("typing: a refresh moves the deadline, a stop forgets the pair") {
    typing t(5000);
    play(t, {start_at{"a", "b", 1000}, start_at{"a", "b", 4000}, expire_at{6000, {}, 9000},
             start_at{"c", "b", 5000}, stop_now{"a", "b"}, expire_at{9000, {}, 10000},
             expire_at{10000, {{"c", "b"}}, std::nullopt}});
    CHECK(t.size() == 0);
}

TEST_CASE("typing: pairs are independent and expire oldest first") {
    typing t(1000);
    CHECK(t.start("a", "b", 0));
    CHECK(!t.start("a", "b", 10));  // a refresh
    CHECK(t.start("b", "a", 5));
    CHECK(t.start("a", "c", 1));
    play(t, {expire_at{1010, {{"a", "c"}, {"b", "a"}, {"a", "b"}}, std::nullopt}});
    CHECK(!t.stop("a", "b"));
}
