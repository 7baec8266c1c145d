#include <switchboard/persistence/notification_store.hpp>

#include <algorithm>

namespace switchboard::persistence {

namespace {

constexpr const char* columns =
    "n.id, n.audience, n.audience_id, n.type, n.title, n.message, n.priority, n.metadata, n.sender_id, "
    "n.created_at";

// Rows of `columns` followed by the reader's read_at.
notification from_row(const std::vector<cell>& r) {
    notification n;
    n.id = as_int(r.at(0));
    const auto& a = as_text(r.at(1));
    n.to = a == "college" ? audience::college : a == "global" ? audience::global : audience::user;
    n.audience_id = as_text(r.at(2));
    n.type = as_text(r.at(3));
    n.title = as_text(r.at(4));
    n.message = as_text(r.at(5));
    n.priority = as_text(r.at(6));
    n.metadata = as_text(r.at(7));
    n.sender_id = as_text(r.at(8));
    n.created_at = as_int(r.at(9));
    if (r.size() > 10) n.read_at = as_opt_int(r.at(10));
    return n;
}

// What a reader sees: $1 is the user, $2 the college ("" matches no college notification).
constexpr const char* visible =
    "(n.audience = 'global' OR (n.audience = 'user' AND n.audience_id = $1) OR "
    "(n.audience = 'college' AND n.audience_id = $2 AND $2 <> ''))";

std::vector<std::int64_t> ids_of(const result_set& rs) {
    std::vector<std::int64_t> out;
    for (const auto& r : rs.rows)
        out.push_back(as_int(r.at(0)));
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

std::string_view audience_name(audience a) noexcept {
    switch (a) {
        case audience::user:
            return "user";
        case audience::college:
            return "college";
        case audience::global:
            return "global";
    }
    return "user";
}

notification_store::notification_store(std::shared_ptr<database> db, const std::string& schema)
    : db_(std::move(db)) {
    std::string prefix = db_->kind() == backend::postgres ? "\"" + schema + "\"." : std::string{};
    notifications_ = prefix + "notifications";
    state_ = prefix + "notification_state";
}

boost::asio::awaitable<db_result<notification>> notification_store::create(notification n) {
    std::vector<param> p{std::string(audience_name(n.to)),
                         n.audience_id,
                         n.type,
                         n.title,
                         n.message,
                         n.priority,
                         n.metadata,
                         n.sender_id,
                         n.created_at};
    std::string sql =
        "INSERT INTO " + notifications_ +
        " (audience, audience_id, type, title, message, priority, metadata, sender_id, "
        "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id, audience, audience_id, "
        "type, title, message, priority, metadata, sender_id, created_at";
    auto r = co_await db_->query(std::move(sql), std::move(p));
    if (!r) co_return r.error();
    if (r->rows.empty()) co_return db_error{errc::query_failed, "INSERT returned no row"};
    co_return from_row(r->rows[0]);
}

boost::asio::awaitable<db_result<std::vector<notification>>> notification_store::list(
    reader rd, bool unread_only, std::optional<std::int64_t> before_id, std::int64_t limit) {
    std::vector<param> p{rd.user_id, rd.college_id, before_id.value_or(INT64_MAX), limit};
    std::string sql = "SELECT " + std::string(columns) + ", s.read_at FROM " + notifications_ +
                      " n LEFT JOIN " + state_ + " s ON s.notification_id = n.id AND s.user_id = $1 WHERE " +
                      visible + " AND s.dismissed_at IS NULL AND n.id < $3" +
                      (unread_only ? " AND s.read_at IS NULL" : "") + " ORDER BY n.id DESC LIMIT $4";
    auto r = co_await db_->query(std::move(sql), std::move(p));
    if (!r) co_return r.error();
    std::vector<notification> out;
    out.reserve(r->rows.size());
    for (const auto& row : r->rows)
        out.push_back(from_row(row));
    co_return out;
}

boost::asio::awaitable<db_result<std::int64_t>> notification_store::unread_count(reader rd) {
    std::vector<param> p{rd.user_id, rd.college_id};
    std::string sql = "SELECT COUNT(*) FROM " + notifications_ + " n LEFT JOIN " + state_ +
                      " s ON s.notification_id = n.id AND s.user_id = $1 WHERE " + visible +
                      " AND s.dismissed_at IS NULL AND s.read_at IS NULL";
    auto r = co_await db_->query(std::move(sql), std::move(p));
    if (!r) co_return r.error();
    co_return as_int(r->rows.at(0).at(0));
}

boost::asio::awaitable<db_result<std::vector<std::int64_t>>> notification_store::mark_read(
    reader rd, std::vector<std::int64_t> ids, bool all, std::int64_t now) {
    if (ids.empty() && !all) co_return std::vector<std::int64_t>{};
    co_return co_await set_state(std::move(rd), std::move(ids), now, false);
}

boost::asio::awaitable<db_result<std::vector<std::int64_t>>> notification_store::dismiss(
    reader rd, std::vector<std::int64_t> ids, std::int64_t now) {
    if (ids.empty()) co_return std::vector<std::int64_t>{};
    co_return co_await set_state(std::move(rd), std::move(ids), now, true);
}

// One statement: the visible notifications among `ids` (all when empty) that are not dismissed
// (and, when reading, not read) get a state row, or their row's read_at / dismissed_at; a
// dismissal also reads. Returns the ids that changed.
boost::asio::awaitable<db_result<std::vector<std::int64_t>>> notification_store::set_state(
    reader rd, std::vector<std::int64_t> ids, std::int64_t now, bool dismiss) {
    std::vector<param> p{rd.user_id, rd.college_id, now, dismiss ? param{now} : param{nullptr}};
    std::string which;
    if (!ids.empty()) {
        which = " AND n.id IN (" + sql_placeholders(5, ids.size()) + ")";
        for (auto id : ids)
            p.emplace_back(id);
    }
    std::string sql =
        "INSERT INTO " + state_ +
        " AS st (notification_id, user_id, read_at, dismissed_at) SELECT n.id, $1, $3, $4 FROM " +
        notifications_ + " n LEFT JOIN " + state_ +
        " s ON s.notification_id = n.id AND s.user_id = $1 WHERE " + visible + " AND s.dismissed_at IS NULL" +
        (dismiss ? "" : " AND s.read_at IS NULL") + which +
        " ON CONFLICT (notification_id, user_id) DO UPDATE SET"
        " read_at = COALESCE(st.read_at, excluded.read_at),"
        " dismissed_at = COALESCE(st.dismissed_at, excluded.dismissed_at) RETURNING notification_id";
    auto r = co_await db_->query(std::move(sql), std::move(p));
    if (!r) co_return r.error();
    co_return ids_of(*r);
}

}  // namespace switchboard::persistence
