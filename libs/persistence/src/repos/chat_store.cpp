#include <switchboard/persistence/chat_store.hpp>

namespace switchboard::persistence {

namespace {

constexpr const char* columns =
    "id, conversation_id, sender_id, receiver_id, body, attachments, client_message_id, created_at, "
    "delivered_at, "
    "read_at";

chat_message from_row(const std::vector<cell>& r) {
    chat_message m;
    m.id = as_int(r.at(0));
    m.conversation_id = as_text(r.at(1));
    m.sender_id = as_text(r.at(2));
    m.receiver_id = as_text(r.at(3));
    m.body = as_text(r.at(4));
    m.attachments = as_text(r.at(5));
    m.client_message_id = r.at(6);
    m.created_at = as_int(r.at(7));
    m.delivered_at = as_opt_int(r.at(8));
    m.read_at = as_opt_int(r.at(9));
    return m;
}

std::vector<chat_message> all(const result_set& rs) {
    std::vector<chat_message> out;
    out.reserve(rs.rows.size());
    for (const auto& r : rs.rows)
        out.push_back(from_row(r));
    return out;
}

}  // namespace

chat_store::chat_store(std::shared_ptr<database> db, const std::string& schema)
    : db_(std::move(db)), prefix_(db_->kind() == backend::postgres ? "\"" + schema + "\"." : std::string{}) {}

std::string chat_store::table(const char* name) const {
    return prefix_ + name;
}

boost::asio::awaitable<db_result<sent_message>> chat_store::send(chat_message m) {
    m.conversation_id = dm_conversation(m.sender_id, m.receiver_id);
    param client = m.client_message_id ? param{*m.client_message_id} : param{nullptr};
    std::vector<param> r_params{m.conversation_id, m.sender_id, m.receiver_id, m.body,
                                m.attachments,     client,      m.created_at};
    std::string r_sql =
        "INSERT INTO " + table("chat_messages") +
        " (conversation_id, sender_id, receiver_id, body, attachments, client_message_id, created_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING " +
        columns;
    auto r = co_await db_->query(std::move(r_sql), std::move(r_params));
    if (!r) co_return r.error();
    if (!r->rows.empty()) co_return sent_message{from_row(r->rows[0]), true};
    // A retry: the first attempt's row.
    std::vector<param> again_params{m.sender_id, client};
    std::string again_sql = "SELECT " + std::string(columns) + " FROM " + table("chat_messages") +
                            " WHERE sender_id = $1 AND client_message_id = $2";
    auto again = co_await db_->query(std::move(again_sql), std::move(again_params));
    if (!again) co_return again.error();
    if (again->rows.empty()) co_return db_error{errc::query_failed, "a retried send found no stored message"};
    co_return sent_message{from_row(again->rows[0]), false};
}

boost::asio::awaitable<db_result<std::vector<chat_message>>> chat_store::history(
    std::string reader, std::string other, std::optional<std::int64_t> before_id, std::int64_t limit) {
    // The conversation's index finds the rows; the participant test keeps them the reader's own.
    std::string sql = "SELECT " + std::string(columns) + " FROM " + table("chat_messages") +
                      " WHERE conversation_id = $1 AND ((sender_id = $2 AND receiver_id = $3) OR"
                      " (sender_id = $3 AND receiver_id = $2)) AND id < $4 ORDER BY id DESC LIMIT $5";
    std::vector<param> p{dm_conversation(reader, other), reader, other, before_id.value_or(INT64_MAX), limit};
    auto r = co_await db_->query(std::move(sql), std::move(p));
    if (!r) co_return r.error();
    co_return all(*r);
}

boost::asio::awaitable<db_result<std::vector<chat_message>>> chat_store::undelivered(std::string receiver,
                                                                                     std::int64_t limit) {
    std::vector<param> r_params{receiver, limit};
    std::string r_sql = "SELECT " + std::string(columns) + " FROM " + table("chat_messages") +
                        " WHERE receiver_id = $1 AND delivered_at IS NULL ORDER BY id LIMIT $2";
    auto r = co_await db_->query(std::move(r_sql), std::move(r_params));
    if (!r) co_return r.error();
    co_return all(*r);
}

boost::asio::awaitable<db_result<std::vector<chat_message>>> chat_store::mark_delivered(
    std::string receiver, std::vector<std::int64_t> ids, std::int64_t now) {
    if (ids.empty()) co_return std::vector<chat_message>{};
    std::vector<param> p{now, receiver};
    for (auto id : ids)
        p.emplace_back(id);
    std::string sql = "UPDATE " + table("chat_messages") +
                      " SET delivered_at = $1 WHERE receiver_id = $2 AND delivered_at IS NULL AND id IN (" +
                      sql_placeholders(3, ids.size()) + ") RETURNING " + columns;
    auto r = co_await db_->query(std::move(sql), std::move(p));
    if (!r) co_return r.error();
    co_return all(*r);
}

boost::asio::awaitable<db_result<std::vector<chat_message>>> chat_store::mark_read(
    std::string reader, std::string other, std::vector<std::int64_t> ids,
    std::optional<std::int64_t> up_to_id, std::int64_t now) {
    std::vector<param> p{now, reader, dm_conversation(reader, other), other};
    std::string where =
        " WHERE receiver_id = $2 AND conversation_id = $3 AND sender_id = $4 AND read_at IS NULL";
    if (!ids.empty()) {
        where += " AND id IN (" + sql_placeholders(5, ids.size()) + ")";
        for (auto id : ids)
            p.emplace_back(id);
    } else if (up_to_id) {
        where += " AND id <= $5";
        p.emplace_back(*up_to_id);
    }
    // Reading implies delivery.
    std::string sql = "UPDATE " + table("chat_messages") +
                      " SET read_at = $1, delivered_at = COALESCE(delivered_at, $1)" + where + " RETURNING " +
                      columns;
    auto r = co_await db_->query(std::move(sql), std::move(p));
    if (!r) co_return r.error();
    co_return all(*r);
}

boost::asio::awaitable<db_result<std::vector<conversation_summary>>> chat_store::conversations(
    std::string user) {
    auto t = table("chat_messages");
    auto sql =
        "SELECT " + std::string(columns) + ", (SELECT COUNT(*) FROM " + t +
        " u WHERE u.conversation_id = m.conversation_id AND u.receiver_id = $1 AND u.read_at IS NULL)"
        " FROM " +
        t + " m WHERE m.id IN (SELECT MAX(id) FROM " + t +
        " WHERE sender_id = $1 OR receiver_id = $1 GROUP BY conversation_id) ORDER BY m.id DESC LIMIT 200";
    std::vector<param> p{user};
    auto r = co_await db_->query(std::move(sql), std::move(p));
    if (!r) co_return r.error();
    std::vector<conversation_summary> out;
    for (const auto& row : r->rows) {
        conversation_summary c;
        c.last = from_row(row);
        c.conversation_id = c.last.conversation_id;
        c.other_user = c.last.sender_id == user ? c.last.receiver_id : c.last.sender_id;
        c.unread = as_int(row.at(10));
        out.push_back(std::move(c));
    }
    co_return out;
}

boost::asio::awaitable<db_result<std::vector<std::pair<std::string, std::int64_t>>>> chat_store::unread(
    std::string user) {
    std::vector<param> r_params{user};
    std::string r_sql = "SELECT conversation_id, COUNT(*) FROM " + table("chat_messages") +
                        " WHERE receiver_id = $1 AND read_at IS NULL GROUP BY conversation_id"
                        " ORDER BY conversation_id";
    auto r = co_await db_->query(std::move(r_sql), std::move(r_params));
    if (!r) co_return r.error();
    std::vector<std::pair<std::string, std::int64_t>> out;
    for (const auto& row : r->rows)
        out.emplace_back(as_text(row.at(0)), as_int(row.at(1)));
    co_return out;
}

boost::asio::awaitable<db_result<std::vector<chat_message>>> chat_store::search(std::string user,
                                                                                std::string q,
                                                                                std::int64_t limit) {
    std::string pattern = "%";
    for (char c : q) {
        if (c == '%' || c == '_' || c == '\\') pattern += '\\';
        pattern += c;
    }
    pattern += "%";
    std::vector<param> r_params{user, pattern, limit};
    std::string r_sql = "SELECT " + std::string(columns) + " FROM " + table("chat_messages") +
                        " WHERE (sender_id = $1 OR receiver_id = $1) AND LOWER(body) LIKE LOWER($2) "
                        "ESCAPE '\\' ORDER BY id DESC LIMIT $3";
    auto r = co_await db_->query(std::move(r_sql), std::move(r_params));
    if (!r) co_return r.error();
    co_return all(*r);
}

}  // namespace switchboard::persistence
