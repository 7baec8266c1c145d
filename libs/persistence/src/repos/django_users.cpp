#include <switchboard/persistence/django_users.hpp>
#include <switchboard/persistence/migrations.hpp>

namespace switchboard::persistence {

django_users::django_users(std::shared_ptr<database> db, std::string schema, std::string college_column)
    : db_(std::move(db)), schema_(std::move(schema)), college_column_(std::move(college_column)) {}

boost::asio::awaitable<db_result<std::optional<django_user>>> django_users::by_token(std::string key) {
    if (db_->kind() != backend::postgres || !valid_schema_name(schema_))
        co_return db_error{errc::bad_config, "Django tokens need PostgreSQL and a valid schema name"};
    if (!has_college_) {
        if (college_column_.empty() || !valid_schema_name(college_column_)) {
            has_college_ = false;
        } else {
            std::vector<param> p{schema_, college_column_};
            auto r = co_await db_->query(
                "SELECT 1 FROM information_schema.columns WHERE table_schema = $1 AND table_name = "
                "'accounts_user' AND column_name = $2",
                std::move(p));
            if (!r) co_return r.error();
            has_college_ = !r->rows.empty();
        }
    }
    std::string q = "\"" + schema_ + "\".";
    std::string college = *has_college_ ? "u.\"" + college_column_ + "\"::text" : std::string("NULL");
    std::string sql = "SELECT u.id::text, u.email, u.is_superuser, u.is_staff, " + college + " FROM " + q +
                      "authtoken_token t JOIN " + q +
                      "accounts_user u ON u.id = t.user_id WHERE t.key = $1 AND u.is_active";
    std::vector<param> p{std::move(key)};
    auto r = co_await db_->query(std::move(sql), std::move(p));
    if (!r) co_return r.error();
    if (r->rows.empty()) co_return std::optional<django_user>{};
    const auto& row = r->rows[0];
    django_user u;
    u.id = as_text(row.at(0));
    u.email = as_text(row.at(1));
    u.is_superuser = as_text(row.at(2)) == "t";
    u.is_staff = as_text(row.at(3)) == "t";
    u.college_id = as_text(row.at(4));
    co_return u;
}

}  // namespace switchboard::persistence
