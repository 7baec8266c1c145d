#include <switchboard/persistence/django_user_lookup.hpp>

#include <boost/asio/co_spawn.hpp>

namespace switchboard::persistence {

namespace asio = boost::asio;

namespace {

// A coroutine of plain parameters (GCC 12 mishandles lambdas that capture a coroutine's).
asio::awaitable<auth::lookup_result> find(std::shared_ptr<django_users> users, std::string key,
                                          std::function<void(const db_error&)> on_error) {
    auto r = co_await users->by_token(std::move(key));
    if (!r) {
        if (on_error) on_error(r.error());
        co_return r.error().code;
    }
    if (!*r) co_return std::optional<auth::principal>{};
    co_return std::optional<auth::principal>{to_principal(**r)};
}

}  // namespace

auth::principal to_principal(const django_user& u) {
    auth::principal p;
    p.user_id = u.id;
    p.anonymous = false;
    p.email = u.email;
    p.role = u.is_superuser ? "admin" : u.is_staff ? "staff" : "";
    p.super_admin = u.is_superuser;
    p.college_id = u.college_id;
    p.source = "drf";
    return p;
}

django_user_lookup::django_user_lookup(asio::any_io_executor ex, std::shared_ptr<django_users> users,
                                       std::function<void(const db_error&)> on_error)
    : ex_(std::move(ex)), users_(std::move(users)), on_error_(std::move(on_error)) {}

void django_user_lookup::by_token(std::string key, handler done) {
    asio::co_spawn(ex_, find(users_, std::move(key), on_error_),
                   [done = std::move(done)](std::exception_ptr e, auth::lookup_result r) {
                       if (e) return done(make_error_code(errc::query_failed));
                       done(std::move(r));
                   });
}

}  // namespace switchboard::persistence
