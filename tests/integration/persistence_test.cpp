// Repository tests against both backends: SQLite in a temp dir always; PostgreSQL when
// SB_TEST_DATABASE_URL names one (scripts/test starts a throwaway server and sets it).
#include <switchboard/persistence/chat_store.hpp>
#include <switchboard/persistence/conversation.hpp>
#include <switchboard/persistence/django_users.hpp>
#include <switchboard/persistence/migrations.hpp>
#include <switchboard/persistence/notification_store.hpp>

#include "support.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <random>

namespace asio = boost::asio;
using namespace switchboard::persistence;
using namespace std::string_literals;
using namespace switchboard::persistence::testing;

namespace {

chat_message msg(std::string from, std::string to, std::string body, std::optional<std::string> client = {}) {
    chat_message m;
    m.sender_id = std::move(from);
    m.receiver_id = std::move(to);
    m.body = std::move(body);
    m.client_message_id = std::move(client);
    m.created_at = 1700000000000;
    return m;
}

}  // namespace

TEST_CASE("persistence: migrations apply once and are idempotent") {
    for (const auto& b : backends()) {
        INFO(b.name);
        run([&](asio::any_io_executor ex) -> asio::awaitable<void> {
            auto db = b.open(ex);
            auto v = co_await migrate(*db, b.schema);
            REQUIRE(v.has_value());
            CHECK(*v == latest_schema_version());
            auto again = co_await migrate(*db, b.schema);  // a second instance starting later
            REQUIRE(again.has_value());
            CHECK(*again == latest_schema_version());
            auto bad = co_await migrate(*db, "bad-name; DROP"s);
            CHECK(bad.error() == errc::bad_config);
        });
    }
}

TEST_CASE("persistence: chat store on both backends") {
    // GCC 12 coroutines: no braced lists, string-literal arrays or co_await inside assertion
    // macros within the coroutine; values are named first.
    const std::string alice = "alice", bob = "bob", carol = "carol";
    const std::string hello = "héllo 🚀 \"quoted\"\n", m4 = "m4";
    for (const auto& b : backends()) {
        INFO(b.name);
        run([&](asio::any_io_executor ex) -> asio::awaitable<void> {
            auto db = co_await open_migrated(b, ex);
            chat_store chat(db, b.schema);
            auto conv = dm_conversation(alice, bob);
            CHECK(conv == dm_conversation(bob, alice));

            // Send, and a retry with the same clientMessageId returns the stored message.
            auto m1 = msg(alice, bob, hello, "c-1");
            auto first = co_await chat.send(std::move(m1));
            REQUIRE(first.has_value());
            CHECK(first->created);
            CHECK(first->message.body == hello);
            CHECK(first->message.conversation_id == conv);
            CHECK_FALSE(first->message.delivered_at);
            auto m2 = msg(alice, bob, "ignored", "c-1");
            auto retry = co_await chat.send(std::move(m2));
            REQUIRE(retry.has_value());
            CHECK_FALSE(retry->created);
            CHECK(retry->message.id == first->message.id);
            CHECK(retry->message.body == hello);
            // The same clientMessageId from another sender is another message.
            auto m3 = msg(bob, alice, "hi", "c-1");
            auto other = co_await chat.send(std::move(m3));
            REQUIRE(other.has_value());
            CHECK(other->created);
            for (int i = 0; i < 5; ++i) {
                auto m = msg(alice, bob, "m" + std::to_string(i));
                auto sent = co_await chat.send(std::move(m));
                REQUIRE(sent.has_value());
            }
            auto m5 = msg(carol, bob, "from carol");
            auto sent5 = co_await chat.send(std::move(m5));
            REQUIRE(sent5.has_value());

            // Undelivered, oldest first; delivery marks only the receiver's messages, once.
            auto pending = co_await chat.undelivered(bob, 100);
            REQUIRE(pending.has_value());
            REQUIRE(pending->size() == 7);
            CHECK(pending->front().id == first->message.id);
            CHECK(pending->back().sender_id == carol);
            std::vector<std::int64_t> both;
            both.push_back(first->message.id);
            both.push_back(other->message.id);
            auto marked = co_await chat.mark_delivered(bob, both, 1700000000500);
            REQUIRE(marked.has_value());
            REQUIRE(marked->size() == 1);  // `other` was sent to alice
            CHECK(marked->at(0).delivered_at == 1700000000500);
            std::vector<std::int64_t> just_first(1, first->message.id);
            auto twice = co_await chat.mark_delivered(bob, just_first, 1700000000600);
            REQUIRE(twice.has_value());
            CHECK(twice->empty());

            // History: newest first, keyset pages.
            auto page1 = co_await chat.history(bob, alice, std::nullopt, 3);
            REQUIRE(page1.has_value());
            REQUIRE(page1->size() == 3);
            CHECK(page1->at(0).body == m4);
            auto page2 = co_await chat.history(alice, bob, page1->back().id, 10);
            REQUIRE(page2.has_value());
            REQUIRE(page2->size() == 4);
            CHECK(page2->back().id == first->message.id);

            // Unread counts and conversations.
            auto unread = co_await chat.unread(bob);
            REQUIRE(unread.has_value());
            REQUIRE(unread->size() == 2);
            auto convs = co_await chat.conversations(bob);
            REQUIRE(convs.has_value());
            REQUIRE(convs->size() == 2);
            CHECK(convs->at(0).other_user == carol);
            CHECK(convs->at(0).unread == 1);
            CHECK(convs->at(1).other_user == alice);
            CHECK(convs->at(1).unread == 6);
            CHECK(convs->at(1).last.body == m4);

            // Read receipts: up to an id, then explicit ids; reading implies delivery.
            std::vector<std::int64_t> none;
            auto read = co_await chat.mark_read(bob, alice, none, page2->at(0).id, 1700000001000);
            REQUIRE(read.has_value());
            CHECK(read->size() == 3);  // first, m0, m1 (bob's own "hi" is not his to read)
            for (const auto& m : *read) {
                CHECK(m.read_at == 1700000001000);
                CHECK(m.delivered_at.has_value());
            }
            std::vector<std::int64_t> newest(1, page1->at(0).id);
            auto read2 = co_await chat.mark_read(bob, alice, newest, std::nullopt, 1700000002000);
            REQUIRE(read2.has_value());
            CHECK(read2->size() == 1);
            std::vector<std::int64_t> second(1, page1->at(1).id);
            auto wrong_reader = co_await chat.mark_read(alice, bob, second, std::nullopt, 1);
            REQUIRE(wrong_reader.has_value());
            CHECK(wrong_reader->empty());  // alice cannot mark bob's incoming messages
            auto after = co_await chat.conversations(bob);
            REQUIRE(after.has_value());
            CHECK(after->at(1).unread == 2);  // m2, m3

            // Search: the caller's messages only, case-insensitive (ASCII), LIKE characters literal.
            auto found = co_await chat.search(bob, "FROM CAROL", 10);
            REQUIRE(found.has_value());
            CHECK(found->size() == 1);
            auto not_hers = co_await chat.search(carol, "m1", 10);
            REQUIRE(not_hers.has_value());
            CHECK(not_hers->empty());
            auto percent = co_await chat.search(alice, "%", 10);
            REQUIRE(percent.has_value());
            CHECK(percent->empty());
            auto quoted = co_await chat.search(alice, "\"QUOTED\"", 10);
            REQUIRE(quoted.has_value());
            CHECK(quoted->size() == 1);
        });
    }
}

TEST_CASE("audit #1: a conversation is read and marked by its participants only, NUL refused not cut",
          "[audit-1]") {
    // The audit's probe: user 9 asked for the history of "12:345\0" and got the 12-345 history,
    // because a NUL cut the parameter and the conversation id was a parsed string.
    const std::string u12 = "12", u345 = "345", u9 = "9";
    for (const auto& b : backends()) {
        INFO(b.name);
        run([&](asio::any_io_executor ex) -> asio::awaitable<void> {
            auto db = co_await open_migrated(b, ex);
            chat_store chat(db, b.schema);
            auto m = msg(u12, u345, "private");
            auto sent = co_await chat.send(std::move(m));
            REQUIRE(sent.has_value());
            // The attacker's own conversations with either participant hold nothing of theirs.
            auto h1 = co_await chat.history(u9, u345, std::nullopt, 10);
            REQUIRE(h1.has_value());
            CHECK(h1->empty());
            auto h2 = co_await chat.history(u9, u12, std::nullopt, 10);
            REQUIRE(h2.has_value());
            CHECK(h2->empty());
            // A parameter with a NUL is refused whole on both backends (libpq used to cut it).
            std::string cut = "12:345\0"s;
            auto h3 = co_await chat.history(u9, cut, std::nullopt, 10);
            REQUIRE_FALSE(h3.has_value());
            CHECK(h3.error() == errc::bad_parameter);
            auto m2 = msg(u9, cut, "into it");
            auto write = co_await chat.send(std::move(m2));
            REQUIRE_FALSE(write.has_value());
            CHECK(write.error() == errc::bad_parameter);
            // Marking read needs the reader to be the receiver and the other the sender.
            std::vector<std::int64_t> ids(1, sent->message.id);
            auto by_outsider = co_await chat.mark_read(u9, u12, ids, std::nullopt, 1);
            REQUIRE(by_outsider.has_value());
            CHECK(by_outsider->empty());
            auto by_sender = co_await chat.mark_read(u12, u345, ids, std::nullopt, 1);
            REQUIRE(by_sender.has_value());
            CHECK(by_sender->empty());
            auto own = co_await chat.history(u345, u12, std::nullopt, 10);
            REQUIRE(own.has_value());
            REQUIRE(own->size() == 1);
            CHECK(own->at(0).body == "private");
            CHECK_FALSE(own->at(0).read_at);
        });
    }
}

TEST_CASE("audit #18: a SQLite call has a deadline: one running past it is interrupted", "[audit-18]") {
    auto dir = std::filesystem::temp_directory_path() / ("sb-sqlite-deadline-" + unique_suffix());
    auto opened = open_sqlite((dir / "switchboard.db").string(), nullptr, std::chrono::milliseconds(200));
    REQUIRE(opened.has_value());
    auto db = *opened;
    run([&](asio::any_io_executor) -> asio::awaitable<void> {
        // A statement that would run for minutes: counting to 10^10 in a recursive CTE.
        std::vector<param> none;
        auto slow = co_await db->query(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10000000000) "
            "SELECT COUNT(*) FROM c",
            none);
        REQUIRE_FALSE(slow.has_value());
        CHECK(slow.error() == errc::timeout);
        // The connection is usable afterwards.
        std::vector<param> one_param(1, param{std::int64_t{41}});
        auto fast = co_await db->query("SELECT $1 + 1", one_param);
        REQUIRE(fast.has_value());
        CHECK(as_int(fast->rows.at(0).at(0)) == 42);
    });
    std::filesystem::remove_all(dir);
}

notification note(audience to, std::string id, std::string title) {
    notification n;
    n.to = to;
    n.audience_id = std::move(id);
    n.type = "info";
    n.title = std::move(title);
    n.message = "body ✓";
    n.metadata = R"({"k":1})";
    n.created_at = 1700000000000;
    return n;
}

TEST_CASE("persistence: notifications with per-user read state on both backends") {
    const reader ann{"ann", "c1"}, ben{"ben", "c1"}, cid{"cid", "c2"}, dee{"dee", ""};
    for (const auto& b : backends()) {
        INFO(b.name);
        run([&](asio::any_io_executor ex) -> asio::awaitable<void> {
            auto db = co_await open_migrated(b, ex);
            notification_store store(db, b.schema);
            auto to_ann = co_await store.create(note(audience::user, "ann", "for ann"));
            REQUIRE(to_ann.has_value());
            CHECK(to_ann->id > 0);
            CHECK(to_ann->metadata == R"({"k":1})");
            CHECK(to_ann->message == "body ✓");
            auto to_c1 = co_await store.create(note(audience::college, "c1", "for c1"));
            REQUIRE(to_c1.has_value());
            auto to_all = co_await store.create(note(audience::global, "", "for all"));
            REQUIRE(to_all.has_value());

            // Who sees what.
            auto a = co_await store.list(ann, true, std::nullopt, 50);
            REQUIRE(a.has_value());
            REQUIRE(a->size() == 3);
            CHECK((*a)[0].id == to_all->id);  // newest first
            CHECK((*a)[2].id == to_ann->id);
            auto bl = co_await store.list(ben, true, std::nullopt, 50);
            REQUIRE(bl.has_value());
            CHECK(bl->size() == 2);
            auto cl = co_await store.list(cid, true, std::nullopt, 50);
            REQUIRE(cl.has_value());
            CHECK(cl->size() == 1);
            auto dl = co_await store.list(dee, true, std::nullopt, 50);  // no college: global only
            REQUIRE(dl.has_value());
            CHECK(dl->size() == 1);
            auto page = co_await store.list(ann, true, to_c1->id, 50);  // keyset
            REQUIRE(page.has_value());
            REQUIRE(page->size() == 1);
            CHECK((*page)[0].id == to_ann->id);

            // Reading a college notification is per user; other users' ids are ignored.
            std::vector<std::int64_t> ids{to_c1->id, to_ann->id};
            auto ben_read = co_await store.mark_read(ben, ids, false, 5);
            REQUIRE(ben_read.has_value());
            REQUIRE(ben_read->size() == 1);
            CHECK((*ben_read)[0] == to_c1->id);
            auto again = co_await store.mark_read(ben, ids, false, 6);
            REQUIRE(again.has_value());
            CHECK(again->empty());
            auto ann_count = co_await store.unread_count(ann);
            REQUIRE(ann_count.has_value());
            CHECK(*ann_count == 3);
            auto ben_count = co_await store.unread_count(ben);
            REQUIRE(ben_count.has_value());
            CHECK(*ben_count == 1);
            auto ben_all = co_await store.list(ben, false, std::nullopt, 50);
            REQUIRE(ben_all.has_value());
            REQUIRE(ben_all->size() == 2);
            CHECK((*ben_all)[1].read_at == std::optional<std::int64_t>(5));
            CHECK_FALSE((*ben_all)[0].read_at);

            // Dismiss hides (and reads); mark all read.
            std::vector<std::int64_t> d{to_all->id};
            auto dismissed = co_await store.dismiss(ann, d, 7);
            REQUIRE(dismissed.has_value());
            CHECK(dismissed->size() == 1);
            auto after = co_await store.list(ann, false, std::nullopt, 50);
            REQUIRE(after.has_value());
            CHECK(after->size() == 2);
            auto all = co_await store.mark_read(ann, {}, true, 8);
            REQUIRE(all.has_value());
            CHECK(all->size() == 2);
            auto zero = co_await store.unread_count(ann);
            REQUIRE(zero.has_value());
            CHECK(*zero == 0);
            auto cid_count = co_await store.unread_count(cid);  // the global one is still unread for cid
            REQUIRE(cid_count.has_value());
            CHECK(*cid_count == 1);
        });
    }
}

TEST_CASE("persistence: Django REST Framework tokens (PostgreSQL)") {
    const char* url = std::getenv("SB_TEST_DATABASE_URL");
    if (!url || !*url) {
        WARN("SB_TEST_DATABASE_URL is not set: DRF token test skipped");
        return;
    }
    const std::string django = "sbdjango_" + unique_suffix();
    const std::string good = "a1b2c3", staff = "s1", inactive = "i1", unknown = "nope";
    run([&](asio::any_io_executor ex) -> asio::awaitable<void> {
        pg_options o;
        o.conninfo = url;
        auto db = open_postgres(ex, o);
        // The two Django tables, as Django's migrations make them (the columns we read).
        auto ec = co_await db->script(
            "CREATE SCHEMA " + django + "; CREATE TABLE " + django +
            ".accounts_user (id BIGSERIAL PRIMARY KEY, email TEXT, is_active BOOLEAN, "
            "is_superuser BOOLEAN, is_staff BOOLEAN, college_id INTEGER); CREATE TABLE " +
            django +
            ".authtoken_token (key VARCHAR(40) PRIMARY KEY, user_id BIGINT, created "
            "TIMESTAMPTZ); INSERT INTO " +
            django +
            ".accounts_user VALUES (7, 'a@x', true, false, false, 42), (8, 's@x', true, "
            "false, true, NULL), (9, 'i@x', false, true, true, 1); INSERT INTO " +
            django + ".authtoken_token VALUES ('a1b2c3', 7, now()), ('s1', 8, now()), ('i1', 9, now());");
        REQUIRE_FALSE(ec);
        django_users users(db, django, "college_id");
        auto a = co_await users.by_token(good);
        REQUIRE(a.has_value());
        REQUIRE(a->has_value());
        CHECK((*a)->id == "7");
        CHECK((*a)->email == "a@x");
        CHECK((*a)->college_id == "42");
        CHECK_FALSE((*a)->is_staff);
        auto s = co_await users.by_token(staff);
        REQUIRE(s.has_value());
        REQUIRE(s->has_value());
        CHECK((*s)->is_staff);
        CHECK((*s)->college_id.empty());
        auto i = co_await users.by_token(inactive);
        REQUIRE(i.has_value());
        CHECK_FALSE(i->has_value());
        auto u = co_await users.by_token(unknown);
        REQUIRE(u.has_value());
        CHECK_FALSE(u->has_value());
        // A college column that does not exist is not used.
        django_users no_college(db, django, "organisation_id");
        auto n = co_await no_college.by_token(good);
        REQUIRE(n.has_value());
        REQUIRE(n->has_value());
        CHECK((*n)->college_id.empty());
        auto drop = co_await db->script("DROP SCHEMA " + django + " CASCADE");
        CHECK_FALSE(drop);
    });
}
