#pragma once
// Django REST Framework token lookup: authtoken_token joined to accounts_user in the Django
// schema beside ours. Read only; PostgreSQL only.
#include <switchboard/persistence/database.hpp>

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>

namespace switchboard::persistence {

struct django_user {
    std::string id;
    std::string email;
    bool is_superuser = false;
    bool is_staff = false;
    std::string college_id;  // "" when the column is absent or NULL
};

class django_users {
public:
    // `college_column`: the accounts_user column holding the organisation, used when it exists.
    django_users(std::shared_ptr<database> db, std::string schema, std::string college_column);

    // The active user holding token `key`; nullopt when there is none (unknown key, inactive user).
    // Not thread-safe: call from one executor.
    boost::asio::awaitable<db_result<std::optional<django_user>>> by_token(std::string key);

private:
    std::shared_ptr<database> db_;
    std::string schema_;
    std::string college_column_;
    std::optional<bool> has_college_;  // learned on first use
};

}  // namespace switchboard::persistence
