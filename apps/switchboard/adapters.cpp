#include "adapters.hpp"
#include "util.hpp"

#include <switchboard/common/clock.hpp>
#include <switchboard/common/log.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace switchboard::app {

namespace asio = boost::asio;
namespace db = persistence;
using domain::result;
using domain::task;

// ---- delivery ---------------------------------------------------------------------------------

std::size_t server_delivery::send(const domain::target& to, std::string_view event, boost::json::value arg) {
    rooms::broadcast_options o;
    o.rooms = to.rooms;
    o.except = to.except;
    o.is_volatile = to.is_volatile;
    auto* tap = tap_.load(std::memory_order_acquire);
    std::size_t tapped = tap ? tap->send(to, event, arg) : 0;
    return tapped + srv_.broadcast("/", o, event, one(std::move(arg)));
}

domain::task<void> server_delivery::settled() {
    if (!fence_) co_return;
    auto ex = co_await boost::asio::this_coro::executor;
    co_await boost::asio::async_initiate<decltype(boost::asio::use_awaitable), void()>(
        [this, ex](auto handler) {
            auto h = std::make_shared<decltype(handler)>(std::move(handler));
            fence_([h, ex] { boost::asio::post(ex, [h] { (*h)(); }); });
        },
        boost::asio::use_awaitable);
}

bool server_delivery::to_socket(const std::string& socket_id, std::string_view event,
                                boost::json::value arg) {
    auto s = find_ ? find_(socket_id) : nullptr;
    if (!s || !s->connected()) {
        auto* tap = tap_.load(std::memory_order_acquire);
        return tap && tap->to_connection(socket_id, event, arg);
    }
    s->emit(event, one(std::move(arg)));
    return true;
}

// ---- repositories -----------------------------------------------------------------------------

boost::system::error_code domain_error(boost::system::error_code ec) {
    if (ec.category() != db::category()) return domain::make_error_code(domain::store_errc::failed);
    switch (static_cast<db::errc>(ec.value())) {
        case db::errc::unavailable:
            return domain::make_error_code(domain::store_errc::unavailable);
        case db::errc::timeout:
            return domain::make_error_code(domain::store_errc::timeout);
        default:
            return domain::make_error_code(domain::store_errc::failed);
    }
}

namespace {

// The database's own text of the last failed call on this thread (the app thread runs every
// repository call), for the failure log that follows it; never for clients.
thread_local std::string last_detail;

boost::system::error_code store_error(const db::db_error& e) {
    last_detail = e.detail.empty() ? e.code.message() : e.detail;
    if (!e.sqlstate.empty()) last_detail += " (SQLSTATE " + e.sqlstate + ")";
    return domain_error(e.code);
}

domain::chat_message from_row(db::chat_message m) {
    return {m.id,
            std::move(m.conversation_id),
            std::move(m.sender_id),
            std::move(m.receiver_id),
            std::move(m.body),
            std::move(m.attachments),
            std::move(m.client_message_id),
            m.created_at,
            m.delivered_at,
            m.read_at};
}

db::chat_message to_row(domain::chat_message m) {
    return {m.id,
            std::move(m.conversation_id),
            std::move(m.sender_id),
            std::move(m.receiver_id),
            std::move(m.body),
            std::move(m.attachments),
            std::move(m.client_message_id),
            m.created_at,
            m.delivered_at,
            m.read_at};
}

result<std::vector<domain::chat_message>> messages(db::db_result<std::vector<db::chat_message>> r) {
    if (!r) return store_error(r.error());
    std::vector<domain::chat_message> out;
    out.reserve(r->size());
    for (auto& m : *r)
        out.push_back(from_row(std::move(m)));
    return out;
}

domain::notification from_row(db::notification n) {
    return {n.id,
            static_cast<domain::audience>(n.to),
            std::move(n.audience_id),
            std::move(n.type),
            std::move(n.title),
            std::move(n.message),
            std::move(n.priority),
            std::move(n.metadata),
            std::move(n.sender_id),
            n.created_at,
            n.read_at};
}

db::notification to_row(domain::notification n) {
    return {n.id,
            static_cast<db::audience>(n.to),
            std::move(n.audience_id),
            std::move(n.type),
            std::move(n.title),
            std::move(n.message),
            std::move(n.priority),
            std::move(n.metadata),
            std::move(n.sender_id),
            n.created_at,
            n.read_at};
}

db::reader to_row(domain::reader r) {
    return {std::move(r.user_id), std::move(r.college_id)};
}

template <class T>
result<T> plain(db::db_result<T> r) {
    if (!r) return store_error(r.error());
    return std::move(*r);
}

}  // namespace

task<result<domain::sent_message>> chat_repository_adapter::send(domain::chat_message m) {
    auto r = co_await store_.send(to_row(std::move(m)));
    if (!r) co_return store_error(r.error());
    co_return domain::sent_message{from_row(std::move(r->message)), r->created};
}

task<chat_repository_adapter::message_list> chat_repository_adapter::history(
    std::string reader, std::string other, std::optional<std::int64_t> before, std::int64_t limit) {
    co_return messages(co_await store_.history(std::move(reader), std::move(other), before, limit));
}

task<chat_repository_adapter::message_list> chat_repository_adapter::undelivered(std::string receiver,
                                                                                 std::int64_t limit) {
    co_return messages(co_await store_.undelivered(std::move(receiver), limit));
}

task<chat_repository_adapter::message_list> chat_repository_adapter::mark_delivered(
    std::string receiver, std::vector<std::int64_t> ids, std::int64_t now) {
    co_return messages(co_await store_.mark_delivered(std::move(receiver), std::move(ids), now));
}

task<chat_repository_adapter::message_list> chat_repository_adapter::mark_read(
    std::string reader, std::string other, std::vector<std::int64_t> ids, std::optional<std::int64_t> up_to,
    std::int64_t now) {
    co_return messages(
        co_await store_.mark_read(std::move(reader), std::move(other), std::move(ids), up_to, now));
}

task<result<std::vector<domain::conversation_summary>>> chat_repository_adapter::conversations(
    std::string user) {
    auto r = co_await store_.conversations(std::move(user));
    if (!r) co_return store_error(r.error());
    std::vector<domain::conversation_summary> out;
    for (auto& c : *r)
        out.push_back(
            {std::move(c.conversation_id), std::move(c.other_user), from_row(std::move(c.last)), c.unread});
    co_return out;
}

task<result<std::vector<std::pair<std::string, std::int64_t>>>> chat_repository_adapter::unread(
    std::string user) {
    co_return plain(co_await store_.unread(std::move(user)));
}

task<chat_repository_adapter::message_list> chat_repository_adapter::search(std::string user, std::string q,
                                                                            std::int64_t limit) {
    co_return messages(co_await store_.search(std::move(user), std::move(q), limit));
}

task<result<domain::notification>> notification_repository_adapter::create(domain::notification n) {
    auto r = co_await store_.create(to_row(std::move(n)));
    if (!r) co_return store_error(r.error());
    co_return from_row(std::move(*r));
}

task<result<std::vector<domain::notification>>> notification_repository_adapter::list(
    domain::reader r, bool unread_only, std::optional<std::int64_t> before, std::int64_t limit) {
    auto rows = co_await store_.list(to_row(std::move(r)), unread_only, before, limit);
    if (!rows) co_return store_error(rows.error());
    std::vector<domain::notification> out;
    out.reserve(rows->size());
    for (auto& n : *rows)
        out.push_back(from_row(std::move(n)));
    co_return out;
}

task<result<std::int64_t>> notification_repository_adapter::unread_count(domain::reader r) {
    co_return plain(co_await store_.unread_count(to_row(std::move(r))));
}

task<notification_repository_adapter::id_list> notification_repository_adapter::mark_read(
    domain::reader r, std::vector<std::int64_t> ids, bool all, std::int64_t now) {
    co_return plain(co_await store_.mark_read(to_row(std::move(r)), std::move(ids), all, now));
}

task<notification_repository_adapter::id_list> notification_repository_adapter::dismiss(
    domain::reader r, std::vector<std::int64_t> ids, std::int64_t now) {
    co_return plain(co_await store_.dismiss(to_row(std::move(r)), std::move(ids), now));
}

// ---- clock and tasks --------------------------------------------------------------------------

std::int64_t system_clock::wall_ms() {
    return common::wall_ms();
}

std::int64_t system_clock::steady_ms() {
    return common::steady_ms();
}

void context_tasks::spawn(task<void> t) {
    asio::co_spawn(ctx_, std::move(t), [](std::exception_ptr e) {
        if (!e) return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& x) {
            log::error("background task failed", {{"what", x.what()}});
        } catch (...) {
            log::error("background task failed");
        }
    });
}

void context_tasks::wake_at(std::int64_t steady_ms, std::function<void()> f) {
    auto delay = std::max<std::int64_t>(0, steady_ms - common::steady_ms());
    timer_.expires_after(std::chrono::milliseconds(delay));
    timer_.async_wait([f = std::move(f)](boost::system::error_code ec) {
        if (!ec) f();
    });
}

}  // namespace switchboard::app

namespace switchboard::app {
std::string last_store_error() {
    return last_detail;
}
}  // namespace switchboard::app
