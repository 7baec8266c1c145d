#pragma once
// Credentials only a database can resolve (Django REST Framework token keys): an interface, so
// libs/auth stays free of I/O. libs/persistence implements it over the Django tables
// (persistence::django_user_lookup); tests script it.
#include <switchboard/auth/identity.hpp>

#include <boost/system/result.hpp>

#include <functional>
#include <optional>
#include <string>

namespace switchboard::auth {

// The answer for one key: an error when it cannot be answered now (the database is down or slow:
// retry later); nullopt for a key no active user holds; else the user's principal.
using lookup_result = boost::system::result<std::optional<principal>>;

class user_lookup {
public:
    using handler = std::function<void(lookup_result)>;
    virtual ~user_lookup() = default;
    // Looks up `key` (already checked to be a Django key's shape). Calls `done` exactly once, on
    // whatever thread the answer arrives (perhaps before returning).
    virtual void by_token(std::string key, handler done) = 0;
};

}  // namespace switchboard::auth
