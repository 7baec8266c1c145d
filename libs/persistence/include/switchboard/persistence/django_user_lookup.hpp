#pragma once
// auth::user_lookup over the Django tables: what auth::authenticate asks when a client presents a
// Django REST Framework token key. Answers through a callback (libs/auth stays Asio-free); the
// lookup itself runs as a coroutine on the executor given here.
#include <switchboard/auth/user_lookup.hpp>
#include <switchboard/persistence/django_users.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <functional>
#include <memory>

namespace switchboard::persistence {

// A Django user as the gateway sees them: role "admin" (superuser), "staff" or "", source "drf".
auth::principal to_principal(const django_user& u);

class django_user_lookup final : public auth::user_lookup {
public:
    // Lookups run on `ex`, one executor for `users` (django_users is not thread-safe: a strand or
    // a one-thread context). `on_error` sees each failed call's db_error, for logs (the caller
    // gets only its code: clients never see the detail).
    django_user_lookup(boost::asio::any_io_executor ex, std::shared_ptr<django_users> users,
                       std::function<void(const db_error&)> on_error = {});

    void by_token(std::string key, handler done) override;

private:
    boost::asio::any_io_executor ex_;
    std::shared_ptr<django_users> users_;
    std::function<void(const db_error&)> on_error_;
};

}  // namespace switchboard::persistence
