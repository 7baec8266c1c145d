// Repository tests against both backends: SQLite in a temp dir always; PostgreSQL when
// SB_TEST_DATABASE_URL names one (scripts/test starts a throwaway server and sets it).
#include <switchboard/persistence/chat_store.hpp>
#include <switchboard/persistence/migrations.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
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

namespace {

// Runs a coroutine to completion on a fresh io_context.
template <class F>
void run(F f) {
    asio::io_context ioc;
    auto fut = asio::co_spawn(ioc, f(ioc.get_executor()), asio::use_future);
    ioc.run();
    fut.get();
}

std::string unique_suffix() {
    std::random_device rd;
    return std::to_string(rd() % 1000000000);
}

struct backend_under_test {
    std::string name;
    std::function<std::shared_ptr<database>(asio::any_io_executor)> open;
    std::string schema;
};

std::vector<backend_under_test> backends() {
    std::vector<backend_under_test> out;
    auto dir = std::filesystem::temp_directory_path() / ("sb-sqlite-" + unique_suffix());
    out.push_back({"sqlite",
                   [dir](asio::any_io_executor) {
                       auto db = open_sqlite((dir / "switchboard.db").string());
                       REQUIRE(db.has_value());
                       return *db;
                   },
                   "switchboard"});
    if (const char* url = std::getenv("SB_TEST_DATABASE_URL"); url && *url) {
        // A schema per run, so runs never see each other's rows.
        std::string schema = "sbtest_" + unique_suffix();
        out.push_back({"postgres",
                       [url, schema](asio::any_io_executor ex) {
                           pg_options o;
                           o.conninfo = url;
                           o.schema = schema;
                           o.pool_size = 4;
                           return open_postgres(ex, o);
                       },
                       schema});
    } else {
        WARN("SB_TEST_DATABASE_URL is not set: PostgreSQL repository tests skipped (scripts/test sets it)");
    }
    return out;
}

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
            auto db = b.open(ex);
            auto migrated = co_await migrate(*db, b.schema);
            REQUIRE(migrated.has_value());
            chat_store chat(db, b.schema);
            auto conv = chat_store::conversation_of(alice, bob);
            CHECK(conv == chat_store::conversation_of(bob, alice));

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
            auto page1 = co_await chat.history(conv, std::nullopt, 3);
            REQUIRE(page1.has_value());
            REQUIRE(page1->size() == 3);
            CHECK(page1->at(0).body == m4);
            auto page2 = co_await chat.history(conv, page1->back().id, 10);
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
            auto read = co_await chat.mark_read(bob, conv, none, page2->at(0).id, 1700000001000);
            REQUIRE(read.has_value());
            CHECK(read->size() == 3);  // first, m0, m1 (bob's own "hi" is not his to read)
            for (const auto& m : *read) {
                CHECK(m.read_at == 1700000001000);
                CHECK(m.delivered_at.has_value());
            }
            std::vector<std::int64_t> newest(1, page1->at(0).id);
            auto read2 = co_await chat.mark_read(bob, conv, newest, std::nullopt, 1700000002000);
            REQUIRE(read2.has_value());
            CHECK(read2->size() == 1);
            std::vector<std::int64_t> second(1, page1->at(1).id);
            auto wrong_reader = co_await chat.mark_read(alice, conv, second, std::nullopt, 1);
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

TEST_CASE("persistence: an unreachable PostgreSQL fails fast with `unavailable`") {
    run([&](asio::any_io_executor ex) -> asio::awaitable<void> {
        pg_options o;
        o.conninfo = "postgresql://nobody@127.0.0.1:1/none";
        auto db = open_postgres(ex, o);
        auto t0 = std::chrono::steady_clock::now();
        auto r = co_await db->query("SELECT 1"s, std::vector<param>{});
        CHECK(r.error() == errc::unavailable);
        auto r2 =
            co_await db->query("SELECT 1"s, std::vector<param>{});  // inside the backoff: no new attempt
        CHECK(r2.error() == errc::unavailable);
        CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(3));
        CHECK_FALSE(db->last_error().empty());
    });
}
