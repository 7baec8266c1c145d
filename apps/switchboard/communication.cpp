// Chat and notifications: validation, the stores, and who is told what. Every operation runs as a
// coroutine on the app's one thread (the stores, the typing timers and the token cache live
// there, so they need no locks); I/O threads only post to it and get answers back through the
// thread-safe socket and responder calls.
#include "communication.hpp"
#include "util.hpp"

#include <switchboard/auth/ids.hpp>
#include <switchboard/auth/token_cache.hpp>
#include <switchboard/common/json_write.hpp>
#include <switchboard/common/log.hpp>
#include <switchboard/persistence/chat_store.hpp>
#include <switchboard/persistence/django_users.hpp>
#include <switchboard/persistence/migrations.hpp>
#include <switchboard/persistence/notification_store.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/parse.hpp>

#include <algorithm>
#include <atomic>
#include <iostream>
#include <map>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <unordered_set>

namespace switchboard::app {

namespace asio = boost::asio;
namespace json = boost::json;
namespace db = persistence;
using boost::system::error_code;

// ---- settings ---------------------------------------------------------------------------------

std::vector<common::setting> data_settings_table() {
    using k = common::setting::kind;
    return {
        {"DATABASE_URL",
         {},
         "database-url",
         "",
         "PostgreSQL URL (empty: DB_HOST…, else SQLite in DATA_DIR)",
         k::string,
         0,
         0,
         true},
        {"DB_HOST", {}, "db-host", "", "PostgreSQL host, when DATABASE_URL is not set"},
        {"DB_PORT", {}, "db-port", "5432", "PostgreSQL port", k::integer, 1, 65535},
        {"DB_NAME", {}, "db-name", "", "PostgreSQL database name"},
        {"DB_USER", {}, "db-user", "", "PostgreSQL user"},
        {"DB_PASSWORD", {}, "db-password", "", "PostgreSQL password", k::string, 0, 0, true},
        {"DB_SCHEMA", {}, "db-schema", "switchboard", "Schema of Switchboard's tables (PostgreSQL)"},
        {"DB_POOL_SIZE", {}, "db-pool-size", "10", "PostgreSQL connections at most", k::integer, 1, 200},
        {"DB_QUERY_TIMEOUT",
         {},
         "db-query-timeout",
         "2000",
         "Deadline of one database call, ms",
         k::integer,
         100,
         60000},
        {"DATA_DIR", {}, "data-dir", "./var", "Directory of the embedded SQLite database"},
        {"DRF_TOKEN_AUTH",
         {},
         "drf-token-auth",
         "false",
         "Accept Django REST Framework tokens (looked up in PostgreSQL)",
         k::boolean},
        {"DRF_TOKEN_CACHE_TTL",
         {},
         "drf-token-cache-ttl",
         "60",
         "Seconds a looked-up DRF token is trusted; connected DRF sockets are re-checked this often "
         "(0: no cache, re-checked every 60 s) and disconnected when the key is gone or the user inactive",
         k::integer,
         0,
         86400},
        {"DRF_TOKEN_CACHE_MAX_BYTES",
         {},
         "drf-token-cache-max-bytes",
         "8388608",
         "Memory the DRF token cache may use, bytes (entries closest to their end are dropped first)",
         k::integer,
         0,
         1073741824},
        {"DRF_TOKEN_CACHE_MAX_ENTRIES",
         {},
         "drf-token-cache-max-entries",
         "10000",
         "DRF tokens cached at most",
         k::integer,
         0,
         10000000},
        {"DRF_USER_COLLEGE_COLUMN",
         {},
         "drf-user-college-column",
         "college_id",
         "accounts_user column of the user's organisation (used when it exists)"},
        {"DJANGO_DB_SCHEMA",
         {},
         "django-db-schema",
         "public",
         "Schema of Django's tables (authtoken_token…)"},
        {"NOTIFY_ROLES",
         {},
         "notify-roles",
         "admin,staff",
         "Roles allowed notification:send / notification:broadcast"},
        {"CHAT_MAX_MESSAGE_LENGTH",
         {},
         "chat-max-message-length",
         "5000",
         "Characters a chat message may have",
         k::integer,
         1,
         1000000},
        {"TYPING_TIMEOUT",
         {},
         "typing-timeout",
         "5000",
         "A chat:typing without a refresh ends after this, ms",
         k::integer,
         500,
         600000},
    };
}

namespace {

// A libpq key=value string from the DB_* names ('…' quoted, \ and ' escaped).
std::string conninfo_from_parts(const common::config& c) {
    auto quote = [](const std::string& v) {
        std::string out = "'";
        for (char ch : v) {
            if (ch == '\'' || ch == '\\') out += '\\';
            out += ch;
        }
        return out + "'";
    };
    std::string s = "host=" + quote(c.str("DB_HOST")) + " port=" + std::to_string(c.integer("DB_PORT"));
    if (!c.str("DB_NAME").empty()) s += " dbname=" + quote(c.str("DB_NAME"));
    if (!c.str("DB_USER").empty()) s += " user=" + quote(c.str("DB_USER"));
    if (!c.str("DB_PASSWORD").empty()) s += " password=" + quote(c.str("DB_PASSWORD"));
    return s;
}

}  // namespace

std::optional<std::string> load_data_settings(const common::config& c, data_settings& out) {
    out.conninfo = c.str("DATABASE_URL");
    if (out.conninfo.empty() && !c.str("DB_HOST").empty()) out.conninfo = conninfo_from_parts(c);
    if (!out.conninfo.empty() && !out.conninfo.starts_with("postgres://") &&
        !out.conninfo.starts_with("postgresql://") && out.conninfo.find('=') == std::string::npos)
        return "DATABASE_URL: expected postgresql://user:password@host:port/dbname";
    out.schema = c.str("DB_SCHEMA");
    if (!db::valid_schema_name(out.schema))
        return "DB_SCHEMA: '" + out.schema + "' is not a valid schema name (letters, digits, _)";
    out.pool_size = static_cast<std::size_t>(c.integer("DB_POOL_SIZE"));
    out.query_timeout_ms = c.integer("DB_QUERY_TIMEOUT");
    out.data_dir = c.str("DATA_DIR");
    if (out.data_dir.empty()) return "DATA_DIR: must not be empty";
    out.drf = c.boolean("DRF_TOKEN_AUTH");
    if (out.drf && out.conninfo.empty())
        return "DRF_TOKEN_AUTH: Django tokens live in PostgreSQL; set DATABASE_URL or DB_HOST";
    out.drf_cache_ttl_s = c.integer("DRF_TOKEN_CACHE_TTL");
    out.drf_cache_max_bytes = static_cast<std::size_t>(c.integer("DRF_TOKEN_CACHE_MAX_BYTES"));
    out.drf_cache_max_entries = static_cast<std::size_t>(c.integer("DRF_TOKEN_CACHE_MAX_ENTRIES"));
    out.drf_college_column = c.str("DRF_USER_COLLEGE_COLUMN");
    if (!out.drf_college_column.empty() && !db::valid_schema_name(out.drf_college_column))
        return "DRF_USER_COLLEGE_COLUMN: '" + out.drf_college_column + "' is not a column name";
    out.django_schema = c.str("DJANGO_DB_SCHEMA");
    if (!db::valid_schema_name(out.django_schema))
        return "DJANGO_DB_SCHEMA: '" + out.django_schema + "' is not a valid schema name";
    out.notify_roles = c.list("NOTIFY_ROLES");
    out.max_message_length = static_cast<std::size_t>(c.integer("CHAT_MAX_MESSAGE_LENGTH"));
    out.typing_timeout_ms = c.integer("TYPING_TIMEOUT");
    return std::nullopt;
}

std::string describe_store(const data_settings& s) {
    if (s.conninfo.empty()) return "sqlite " + s.data_dir + "/switchboard.db";
    // Host, port and database only: never the password.
    std::string where = s.conninfo;
    if (auto at = where.rfind('@'); at != std::string::npos && where.starts_with("postgres"))
        where = where.substr(at + 1);
    else if (where.find('=') != std::string::npos)
        where = "(DB_HOST settings)";
    if (auto q = where.find('?'); q != std::string::npos) where.resize(q);
    return "postgresql " + where + " schema " + s.schema;
}

namespace {

std::shared_ptr<db::database> open_store(asio::any_io_executor ex, const data_settings& s) {
    if (!s.conninfo.empty()) {
        db::pg_options o;
        o.conninfo = s.conninfo;
        o.schema = s.schema;
        o.pool_size = s.pool_size;
        o.query_timeout = std::chrono::milliseconds(s.query_timeout_ms);
        return db::open_postgres(std::move(ex), o);
    }
    std::string why;
    auto r =
        db::open_sqlite(s.data_dir + "/switchboard.db", &why, std::chrono::milliseconds(s.query_timeout_ms));
    if (!r) throw std::runtime_error("cannot open " + s.data_dir + "/switchboard.db: " + why);
    return *r;
}

}  // namespace

int migrate_and_exit(const data_settings& s) {
    asio::io_context ctx;
    std::shared_ptr<db::database> store;
    try {
        store = open_store(ctx.get_executor(), s);
    } catch (const std::exception& e) {
        std::cerr << "switchboard migrate: " << e.what() << "\n";
        return 1;
    }
    auto fut = asio::co_spawn(ctx, db::migrate(*store, s.schema), asio::use_future);
    ctx.run();
    auto r = fut.get();
    if (!r) {
        std::cerr << "switchboard migrate: " << describe_store(s) << ": " << r.error().message() << ": "
                  << r.error().detail << "\n";
        return 1;
    }
    std::cout << "switchboard migrate: " << describe_store(s) << " at schema version " << *r << "\n";
    return 0;
}

caller caller_of(const auth::principal& p, std::string socket_id) {
    return caller{p.user_id, p.college_id, p.role, p.super_admin, p.anonymous, std::move(socket_id)};
}

// ---- answers ----------------------------------------------------------------------------------

namespace {

json::value iso_or_null(const std::optional<std::int64_t>& ms) {
    return ms ? json::value(log::iso_time(*ms)) : json::value(nullptr);
}

json::value parse_stored(const std::string& text, json::value fallback) {
    error_code ec;
    auto v = json::parse(text, ec);
    return ec ? fallback : v;
}

json::object message_json(const db::chat_message& m) {
    return {
        {"id", m.id},
        {"conversationId", m.conversation_id},
        {"senderId", m.sender_id},
        {"receiverId", m.receiver_id},
        {"message", m.body},
        {"attachments", parse_stored(m.attachments, json::array{})},
        {"createdAt", log::iso_time(m.created_at)},
        {"deliveredAt", iso_or_null(m.delivered_at)},
        {"readAt", iso_or_null(m.read_at)},
        {"clientMessageId", m.client_message_id ? json::value(*m.client_message_id) : json::value(nullptr)}};
}

json::array messages_json(const std::vector<db::chat_message>& ms) {
    json::array a;
    a.reserve(ms.size());
    for (const auto& m : ms)
        a.push_back(message_json(m));
    return a;
}

json::object notification_json(const db::notification& n) {
    json::object o{{"id", n.id},
                   {"type", n.type},
                   {"title", n.title},
                   {"message", n.message},
                   {"priority", n.priority},
                   {"metadata", parse_stored(n.metadata, json::object{})},
                   {"audience", db::audience_name(n.to)}};
    if (n.to == db::audience::user) o["recipientId"] = n.audience_id;
    if (n.to == db::audience::college) o["collegeId"] = n.audience_id;
    o["senderId"] = n.sender_id.empty() ? json::value(nullptr) : json::value(n.sender_id);
    o["createdAt"] = log::iso_time(n.created_at);
    o["read"] = n.read_at.has_value();
    o["readAt"] = iso_or_null(n.read_at);
    return o;
}

// A page read with limit + 1 rows: trims the extra row; true when there was one (more to read).
template <class Rows>
bool trim_page(Rows& rows, std::int64_t limit) {
    bool more = static_cast<std::int64_t>(rows.size()) > limit;
    if (more) rows.resize(static_cast<std::size_t>(limit));
    return more;
}

// Runs `op` on the app thread and hands its result to `done`; an exception is logged and
// becomes `failed`.
template <class T, class Done>
void spawn_answer(asio::io_context& ctx, asio::awaitable<T> op, Done done, T failed) {
    asio::co_spawn(ctx, std::move(op),
                   [done = std::move(done), failed = std::move(failed)](std::exception_ptr e, T r) mutable {
                       if (e) {
                           try {
                               std::rethrow_exception(e);
                           } catch (const std::exception& x) {
                               log::error("operation failed", {{"what", x.what()}});
                           } catch (...) {
                               log::error("operation failed");
                           }
                           r = std::move(failed);
                       }
                       done(std::move(r));
                   });
}

json::array ids_json(const std::vector<std::int64_t>& ids) {
    return json::array(ids.begin(), ids.end());
}

}  // namespace

// ---- the runtime ------------------------------------------------------------------------------

struct communication::impl : std::enable_shared_from_this<impl> {
    impl(server::server& srv, data_settings s)
        : srv(srv),
          cfg(std::move(s)),
          work(asio::make_work_guard(ctx)),
          store(open_store(ctx.get_executor(), cfg)),
          chat(store, cfg.schema),
          notes(store, cfg.schema) {
        if (cfg.drf) drf.emplace(store, cfg.django_schema, cfg.drf_college_column);
        auto& m = srv.metrics();
        store_errors =
            &m.add_family("switchboard_store_errors_total", "Database calls that failed, by kind", "kind");
        messages = &m.add_counter("switchboard_chat_messages_total", "Chat messages stored");
        notifications = &m.add_counter("switchboard_notifications_total", "Notifications stored");
        // An exception escaping a handler must not end the thread every operation runs on.
        thread = std::thread([this] {
            for (;;) {
                try {
                    ctx.run();
                    return;
                } catch (const std::exception& e) {
                    log::error("app thread: handler threw", {{"what", e.what()}});
                }
            }
        });
    }

    server::server& srv;
    data_settings cfg;
    asio::io_context ctx;
    asio::executor_work_guard<asio::io_context::executor_type> work;
    std::thread thread;
    std::shared_ptr<db::database> store;
    db::chat_store chat;
    db::notification_store notes;
    std::optional<db::django_users> drf;
    std::atomic<bool> ready{false};
    common::counter_family* store_errors = nullptr;
    common::counter* messages = nullptr;
    common::counter* notifications = nullptr;

    // Typing: (sender, receiver) → the timer that ends it.
    std::map<std::pair<std::string, std::string>, std::shared_ptr<asio::steady_timer>> typing;
    // Messages delivered live whose delivery is being recorded: a retry arriving meanwhile (its
    // row still says undelivered) must not deliver them again.
    std::unordered_set<std::int64_t> marking;
    // DRF tokens: key → principal (or nullopt for an unknown key), bounded, with a TTL.
    auth::token_cache tokens{
        {cfg.drf_cache_ttl_s * 1000, cfg.drf_cache_max_entries, cfg.drf_cache_max_bytes}};
    std::chrono::steady_clock::time_point last_error_log{};
    std::uint64_t errors_unlogged = 0;

    void stop() {
        work.reset();
        ctx.stop();  // pending operations and typing timers end with the context
        if (thread.joinable()) thread.join();
    }

    outcome store_error(const db::db_error& err, std::string_view what) {
        auto ec = err.code;
        auto e = static_cast<db::errc>(ec.value());
        bool down = ec.category() == db::category() && (e == db::errc::unavailable || e == db::errc::timeout);
        store_errors->inc(down ? (e == db::errc::timeout ? "timeout" : "unavailable") : "failed");
        // At most one line a second: an outage under load must not flood the log.
        auto now = std::chrono::steady_clock::now();
        if (now - last_error_log >= std::chrono::seconds(1)) {
            auto why = ec.message();
            auto detail = err.detail;
            auto more = std::to_string(errors_unlogged);
            log::warn("database call failed",
                      {{"op", what}, {"error", why}, {"detail", detail}, {"suppressed_since_last", more}});
            last_error_log = now;
            errors_unlogged = 0;
        } else {
            ++errors_unlogged;
        }
        if (down) return fail(503, "Service temporarily unavailable, please retry");
        return fail(500, "Internal error");
    }

    std::size_t to_user(const std::string& user, std::string_view event, json::value v,
                        const std::string& except_socket = {}, bool is_volatile = false) {
        rooms::broadcast_options to;
        to.rooms = {"user:" + user};
        if (!except_socket.empty()) to.except = {except_socket};
        to.is_volatile = is_volatile;
        return srv.broadcast("/", to, event, one(std::move(v)));
    }

    // Marks delivered and tells each sender (chat:delivered {messageIds, deliveredAt}).
    static asio::awaitable<void> mark_delivered(std::shared_ptr<impl> self, std::string receiver,
                                                std::vector<std::int64_t> ids) {
        auto now = wall_ms();
        auto r = co_await self->chat.mark_delivered(receiver, ids, now);
        for (auto id : ids)
            self->marking.erase(id);
        if (!r) {
            self->store_error(r.error(), "mark_delivered");  // stays undelivered: resent on next connect
            co_return;
        }
        std::map<std::string, std::vector<std::int64_t>> by_sender;
        for (const auto& m : *r)
            by_sender[m.sender_id].push_back(m.id);
        for (auto& [sender, list] : by_sender)
            self->to_user(sender, "chat:delivered",
                          json::object{{"messageIds", ids_json(list)},
                                       {"receiverId", receiver},
                                       {"conversationId", dm_conversation(sender, receiver)},
                                       {"deliveredAt", log::iso_time(now)}});
    }

    static asio::awaitable<outcome> send(std::shared_ptr<impl> self, caller who, json::object a) {
        if (auto e = need_member(who)) co_return *e;
        db::chat_message m;
        if (auto e = need_user(a, "receiverId", m.receiver_id)) co_return *e;
        if (m.receiver_id == who.user_id) co_return fail(400, "receiverId must be another user");
        if (auto e = need_string(a, "message", self->cfg.max_message_length, m.body)) co_return *e;
        if (auto e = attachments_of(a, m.attachments)) co_return *e;
        if (auto e = client_message_id(a, m.client_message_id)) co_return *e;
        // The retry key: the client's, or one made here and returned in every answer, so that a
        // send whose outcome is unknown can be retried without storing a second copy.
        if (!m.client_message_id) m.client_message_id = "sb-" + random_hex(16);
        auto key = *m.client_message_id;
        m.sender_id = who.user_id;
        m.created_at = wall_ms();
        auto r = co_await self->chat.send(std::move(m));
        if (!r) {
            auto answer = self->store_error(r.error(), "chat.send");
            if (answer.status == 503) {
                // Timed out or lost mid-call: the row may have been committed. The same key finds it.
                answer = fail(503, "Outcome unknown: retry with the same clientMessageId");
                answer.body["clientMessageId"] = key;
            }
            co_return answer;
        }
        auto msg = message_json(r->message);
        if (!r->created) {
            // A retry. If the first attempt was stored but never told (its answer was lost), the
            // receiver hears of it now, once: delivery marks it, so a third attempt does not resend.
            if (!r->message.delivered_at && !self->marking.contains(r->message.id))
                deliver_new(self, who, r->message, msg, false);
            co_return ok({{"message", std::move(msg)}, {"duplicate", true}});
        }
        self->messages->inc();
        deliver_new(self, who, r->message, msg, true);
        co_return ok({{"message", std::move(msg)}}, 201);
    }

    // A stored message to the receiver's devices (and, when new, the sender's other devices);
    // marked delivered when a device of the receiver got it.
    static void deliver_new(const std::shared_ptr<impl>& self, const caller& who, const db::chat_message& m,
                            const json::object& msg, bool to_sender) {
        auto reached = self->to_user(m.receiver_id, "chat:message", msg);
        if (to_sender) self->to_user(who.user_id, "chat:message", msg, who.socket_id);
        if (reached == 0) return;
        self->marking.insert(m.id);
        asio::co_spawn(self->ctx, mark_delivered(self, m.receiver_id, {m.id}), asio::detached);
    }

    static asio::awaitable<outcome> typing_op(std::shared_ptr<impl> self, caller who, json::object a) {
        if (auto e = need_member(who)) co_return *e;
        std::string to;
        if (auto e = need_user(a, "receiverId", to)) co_return *e;
        bool on = true;
        if (auto* t = field(a, "isTyping")) {
            if (!t->is_bool()) co_return fail(400, "isTyping must be true or false");
            on = t->get_bool();
        }
        self->set_typing(who.user_id, to, on);
        co_return ok({{"receiverId", to}, {"isTyping", on}});
    }

    void set_typing(const std::string& from, const std::string& to, bool on) {
        auto key = std::make_pair(from, to);
        auto it = typing.find(key);
        if (it != typing.end()) {
            it->second->cancel();
            typing.erase(it);
        }
        to_user(to, "chat:typing", json::object{{"senderId", from}, {"isTyping", on}}, {}, true);
        if (!on) return;
        auto t = std::make_shared<asio::steady_timer>(ctx, std::chrono::milliseconds(cfg.typing_timeout_ms));
        typing[key] = t;
        t->async_wait([w = weak_from_this(), t, key](error_code ec) {
            auto self = w.lock();
            if (ec || !self) return;
            auto it = self->typing.find(key);
            if (it == self->typing.end() || it->second != t) return;
            self->typing.erase(it);
            self->to_user(key.second, "chat:typing",
                          json::object{{"senderId", key.first}, {"isTyping", false}}, {}, true);
        });
    }

    static asio::awaitable<outcome> mark_read(std::shared_ptr<impl> self, caller who, json::object a) {
        if (auto e = need_member(who)) co_return *e;
        std::string conv, other;
        if (auto e = conversation_of(a, who, conv, other)) co_return *e;
        std::vector<std::int64_t> ids;
        if (auto e = id_list(a, "messageIds", ids, true)) co_return *e;
        std::optional<std::int64_t> up_to;
        if (auto e = opt_int(a, "upToId", up_to)) co_return *e;
        auto now = wall_ms();
        auto r = co_await self->chat.mark_read(who.user_id, other, ids, up_to, now);
        if (!r) co_return self->store_error(r.error(), "chat.mark_read");
        std::vector<std::int64_t> changed;
        for (const auto& m : *r)
            changed.push_back(m.id);
        std::sort(changed.begin(), changed.end());
        auto read_at = changed.empty() ? json::value(nullptr) : json::value(log::iso_time(now));
        if (!changed.empty())
            self->to_user(other, "chat:readReceipt",
                          json::object{{"readerId", who.user_id},
                                       {"conversationId", conv},
                                       {"messageIds", ids_json(changed)},
                                       {"readAt", read_at}});
        co_return ok({{"conversationId", conv},
                      {"messageIds", ids_json(changed)},
                      {"count", changed.size()},
                      {"readAt", read_at}});
    }

    static asio::awaitable<outcome> get_messages(std::shared_ptr<impl> self, caller who, json::object a) {
        if (auto e = need_member(who)) co_return *e;
        std::string conv, other;
        if (auto e = conversation_of(a, who, conv, other)) co_return *e;
        std::optional<std::int64_t> before;
        if (auto e = opt_int(a, "before", before)) co_return *e;
        std::int64_t limit = 50;
        if (auto e = limit_of(a, 50, 100, limit)) co_return *e;
        auto r = co_await self->chat.history(who.user_id, other, before, limit + 1);
        if (!r) co_return self->store_error(r.error(), "chat.history");
        bool more = trim_page(*r, limit);
        co_return ok({{"conversationId", conv}, {"messages", messages_json(*r)}, {"hasMore", more}});
    }

    static asio::awaitable<outcome> conversations(std::shared_ptr<impl> self, caller who, json::object) {
        if (auto e = need_member(who)) co_return *e;
        auto r = co_await self->chat.conversations(who.user_id);
        if (!r) co_return self->store_error(r.error(), "chat.conversations");
        json::array list;
        for (const auto& c : *r)
            list.push_back(json::object{{"conversationId", c.conversation_id},
                                        {"userId", c.other_user},
                                        {"lastMessage", message_json(c.last)},
                                        {"unreadCount", c.unread},
                                        {"updatedAt", log::iso_time(c.last.created_at)}});
        co_return ok({{"conversations", std::move(list)}});
    }

    static asio::awaitable<outcome> unread_count(std::shared_ptr<impl> self, caller who, json::object) {
        if (auto e = need_member(who)) co_return *e;
        auto r = co_await self->chat.unread(who.user_id);
        if (!r) co_return self->store_error(r.error(), "chat.unread");
        std::int64_t total = 0;
        json::object by;
        for (const auto& [conv, n] : *r) {
            total += n;
            by[conv] = n;
        }
        co_return ok({{"total", total}, {"byConversation", std::move(by)}});
    }

    static asio::awaitable<outcome> search(std::shared_ptr<impl> self, caller who, json::object a) {
        if (auto e = need_member(who)) co_return *e;
        std::string q;
        if (auto e = need_string(a, "q", 200, q)) co_return *e;
        std::int64_t limit = 20;
        if (auto e = limit_of(a, 20, 100, limit)) co_return *e;
        auto r = co_await self->chat.search(who.user_id, q, limit);
        if (!r) co_return self->store_error(r.error(), "chat.search");
        co_return ok({{"q", q}, {"messages", messages_json(*r)}});
    }

    static db::reader reader_of(const caller& who) { return {who.user_id, who.college_id}; }

    static asio::awaitable<outcome> list_notes(std::shared_ptr<impl> self, caller who, json::object a,
                                               bool unread_only) {
        if (auto e = need_member(who)) co_return *e;
        std::optional<std::int64_t> before;
        if (auto e = opt_int(a, "before", before)) co_return *e;
        std::int64_t limit = 20;
        if (auto e = limit_of(a, 20, 100, limit)) co_return *e;
        if (auto* u = field(a, "unreadOnly"); u && u->is_bool()) unread_only = unread_only || u->get_bool();
        auto r = co_await self->notes.list(reader_of(who), unread_only, before, limit + 1);
        if (!r) co_return self->store_error(r.error(), "notifications.list");
        bool more = trim_page(*r, limit);
        json::array list;
        for (const auto& n : *r)
            list.push_back(notification_json(n));
        co_return ok({{"notifications", std::move(list)}, {"hasMore", more}});
    }

    static asio::awaitable<outcome> note_count(std::shared_ptr<impl> self, caller who, json::object) {
        if (auto e = need_member(who)) co_return *e;
        auto r = co_await self->notes.unread_count(reader_of(who));
        if (!r) co_return self->store_error(r.error(), "notifications.unread_count");
        co_return ok({{"count", *r}});
    }

    static asio::awaitable<outcome> note_read(std::shared_ptr<impl> self, caller who, json::object a,
                                              bool all, bool dismiss) {
        if (auto e = need_member(who)) co_return *e;
        std::vector<std::int64_t> ids;
        if (!all) {
            const char* key = field(a, "ids")               ? "ids"
                              : field(a, "notificationIds") ? "notificationIds"
                                                            : "ids";
            if (auto e = id_list(a, key, ids, false)) co_return *e;
        }
        auto now = wall_ms();
        // (GCC 12: no co_await inside a conditional expression — it double-destroys the result.)
        db::db_result<std::vector<std::int64_t>> r = std::vector<std::int64_t>{};
        if (dismiss)
            r = co_await self->notes.dismiss(reader_of(who), ids, now);
        else
            r = co_await self->notes.mark_read(reader_of(who), ids, all, now);
        if (!r)
            co_return self->store_error(r.error(),
                                        dismiss ? "notifications.dismiss" : "notifications.mark_read");
        // The user's other devices update their badges.
        if (!r->empty())
            self->to_user(who.user_id, dismiss ? "notification:dismissed" : "notification:read",
                          json::object{{"ids", ids_json(*r)}, {"at", log::iso_time(now)}}, who.socket_id);
        co_return ok({{"ids", ids_json(*r)}, {"count", r->size()}});
    }

    static asio::awaitable<outcome> create_note(std::shared_ptr<impl> self, json::object a, bool broadcast,
                                                std::string sender) {
        db::notification n;
        if (auto e = notification_audience(a, broadcast, n)) co_return *e;
        if (auto e = notification_fields(a, n)) co_return *e;
        n.sender_id = std::move(sender);
        n.created_at = wall_ms();
        auto r = co_await self->notes.create(std::move(n));
        if (!r) co_return self->store_error(r.error(), "notifications.create");
        self->notifications->inc();
        auto body = notification_json(*r);
        rooms::broadcast_options to;
        to.rooms = {r->to == db::audience::user      ? "user:" + r->audience_id
                    : r->to == db::audience::college ? "college:" + r->audience_id
                                                     : std::string("global")};
        auto n_sent = self->srv.broadcast("/", to, "notification:new", one(body));
        co_return ok({{"notification", std::move(body)}, {"recipients", n_sent}}, 201);
    }

    // A backend service's notification: no role check; 200 as the Node services answer.
    static asio::awaitable<outcome> service_note(std::shared_ptr<impl> self, bool broadcast,
                                                 json::object body) {
        if (!self->ready) co_return fail(503, "Service is starting, please retry");
        auto o = co_await create_note(self, camel_keys(std::move(body)), broadcast, {});
        if (o.status == 201) o.status = 200;
        co_return o;
    }

    static asio::awaitable<outcome> perform(std::shared_ptr<impl> self, operation op, caller who,
                                            json::object a) {
        if (!self->ready) co_return fail(503, "Service is starting, please retry");
        a = camel_keys(std::move(a));
        switch (op) {
            case operation::chat_send:
                co_return co_await send(self, std::move(who), std::move(a));
            case operation::chat_typing:
                co_return co_await typing_op(self, std::move(who), std::move(a));
            case operation::chat_mark_read:
                co_return co_await mark_read(self, std::move(who), std::move(a));
            case operation::chat_get_messages:
                co_return co_await get_messages(self, std::move(who), std::move(a));
            case operation::chat_get_conversations:
                co_return co_await conversations(self, std::move(who), std::move(a));
            case operation::chat_unread_count:
                co_return co_await unread_count(self, std::move(who), std::move(a));
            case operation::chat_search:
                co_return co_await search(self, std::move(who), std::move(a));
            case operation::notification_list:
                co_return co_await list_notes(self, std::move(who), std::move(a), false);
            case operation::notification_unread:
                co_return co_await list_notes(self, std::move(who), std::move(a), true);
            case operation::notification_unread_count:
                co_return co_await note_count(self, std::move(who), std::move(a));
            case operation::notification_mark_read:
                co_return co_await note_read(self, std::move(who), std::move(a), false, false);
            case operation::notification_mark_all_read:
                co_return co_await note_read(self, std::move(who), std::move(a), true, false);
            case operation::notification_dismiss:
                co_return co_await note_read(self, std::move(who), std::move(a), false, true);
            case operation::online_users:
                break;  // answered by the gateway (presence)
            case operation::notification_send:
            case operation::notification_broadcast: {
                if (auto e = need_member(who)) co_return *e;
                const auto& roles = self->cfg.notify_roles;
                if (!who.super_admin && std::find(roles.begin(), roles.end(), who.role) == roles.end())
                    co_return fail(403, "Insufficient permissions to send notifications");
                co_return co_await create_note(self, std::move(a), op == operation::notification_broadcast,
                                               who.user_id);
            }
        }
        co_return fail(400, "Unknown operation");
    }

    // Delivers what arrived while the user was away, oldest first, then the receipts.
    static asio::awaitable<void> catch_up(std::shared_ptr<impl> self, std::string user,
                                          std::weak_ptr<server::socket> w) {
        asio::steady_timer wait(self->ctx);
        for (int i = 0; i < 300 && !self->ready; ++i) {  // migrations still running: up to a minute
            wait.expires_after(std::chrono::milliseconds(200));
            co_await wait.async_wait(asio::use_awaitable);
            if (w.expired()) co_return;
        }
        for (int round = 0; round < 50; ++round) {
            auto r = co_await self->chat.undelivered(user, 200);
            if (!r) {
                self->store_error(r.error(), "chat.undelivered");
                co_return;
            }
            auto s = w.lock();
            if (r->empty() || !s || !s->connected()) co_return;
            // Rows being delivered live right now are the live path's: sent once, not twice.
            std::vector<std::int64_t> ids;
            for (const auto& m : *r) {
                if (!self->marking.insert(m.id).second) continue;
                s->emit("chat:message", one(message_json(m)));
                ids.push_back(m.id);
            }
            co_await mark_delivered(self, user, std::move(ids));
            if (r->size() < 200) co_return;
        }
    }

    // Applies migrations, retrying with backoff until the database answers.
    static asio::awaitable<void> migrate_loop(std::shared_ptr<impl> self) {
        asio::steady_timer wait(self->ctx);
        auto delay = std::chrono::milliseconds(250);
        for (;;) {
            auto r = co_await db::migrate(*self->store, self->cfg.schema);
            if (r) {
                auto where = describe_store(self->cfg);
                auto version = std::to_string(*r);
                log::info("database ready", {{"store", where}, {"schema_version", version}});
                self->ready = true;
                self->srv.set_ready(true);
                co_return;
            }
            auto why = r.error().message();
            auto detail = r.error().detail;
            auto retry = std::to_string(delay.count());
            log::warn("migrations failed; retrying",
                      {{"error", why}, {"detail", detail}, {"retry_ms", retry}});
            wait.expires_after(delay);
            co_await wait.async_wait(asio::use_awaitable);
            delay = std::min(delay * 2, std::chrono::milliseconds(5000));
        }
    }

    static asio::awaitable<boost::system::result<std::optional<auth::principal>>> lookup(
        std::shared_ptr<impl> self, std::string key, bool fresh) {
        using result = boost::system::result<std::optional<auth::principal>>;
        // Not a Django key (40 hex digits): unknown, without a lookup or a cache entry.
        if (!auth::valid_drf_key(key)) co_return result(std::optional<auth::principal>{});
        auto now_ms = [] {
            return std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now().time_since_epoch())
                .count();
        };
        if (!fresh)
            if (auto hit = self->tokens.find(key, now_ms())) co_return result(std::move(*hit));
        if (!self->drf) co_return result(std::optional<auth::principal>{});
        auto r = co_await self->drf->by_token(key);
        if (!r) {
            self->store_error(r.error(), "drf.by_token");
            co_return r.error().code;
        }
        std::optional<auth::principal> who;
        if (*r) {
            auth::principal p;
            p.user_id = (*r)->id;
            p.anonymous = false;
            p.email = (*r)->email;
            p.role = (*r)->is_superuser ? "admin" : (*r)->is_staff ? "staff" : "";
            p.super_admin = (*r)->is_superuser;
            p.college_id = (*r)->college_id;
            p.source = "drf";
            who = std::move(p);
        }
        self->tokens.put(std::move(key), who, now_ms());
        co_return result(std::move(who));
    }
};

communication::communication(server::server& srv, data_settings s)
    : impl_(std::make_shared<impl>(srv, std::move(s))) {}

communication::~communication() {
    impl_->stop();
}

void communication::stop() {
    impl_->stop();
}

void communication::start() {
    impl_->srv.set_ready(false);
    asio::co_spawn(impl_->ctx, impl::migrate_loop(impl_), asio::detached);
}

bool communication::drf_enabled() const noexcept {
    return impl_->drf.has_value();
}

void communication::run(operation op, caller who, json::object args, outcome_handler done) {
    spawn_answer(impl_->ctx, impl::perform(impl_, op, std::move(who), std::move(args)), std::move(done),
                 fail(500, "Internal error"));
}

void communication::service_notify(bool broadcast, json::object body, outcome_handler done) {
    spawn_answer(impl_->ctx, impl::service_note(impl_, broadcast, std::move(body)), std::move(done),
                 fail(500, "Internal error"));
}

void communication::on_connected(const caller& who, const server::socket_ptr& s) {
    if (who.anonymous || who.user_id.empty()) return;
    asio::co_spawn(impl_->ctx, impl::catch_up(impl_, who.user_id, s), asio::detached);
}

void communication::lookup_drf_token(std::string key, token_handler done, bool fresh) {
    using result = boost::system::result<std::optional<auth::principal>>;
    spawn_answer(impl_->ctx, impl::lookup(impl_, std::move(key), fresh), std::move(done),
                 result(make_error_code(db::errc::query_failed)));
}

void communication::forget_drf_user(std::string user_id) {
    asio::post(impl_->ctx,
               [self = impl_, user_id = std::move(user_id)] { self->tokens.erase_user(user_id); });
}

std::int64_t communication::drf_recheck_s() const noexcept {
    return impl_->cfg.drf_cache_ttl_s > 0 ? impl_->cfg.drf_cache_ttl_s : 60;
}

}  // namespace switchboard::app
