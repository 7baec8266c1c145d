#pragma once
// Who a connection is: the token found in a handshake, and the principal its claims describe.
#include <switchboard/auth/errc.hpp>

#include <boost/json/object.hpp>
#include <boost/system/result.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace switchboard::auth {

// The latest token expiry kept (9999-12-31T23:59:59Z): later `exp` claims are clamped to it.
inline constexpr std::int64_t max_expiry_s = 253402300799;

struct principal {
    std::string user_id;  // empty for anonymous
    bool anonymous = true;
    std::string email;
    std::string role;
    std::string college_id;
    std::string company_id;
    std::vector<std::string> shop_ids;
    bool super_admin = false;
    std::optional<std::int64_t> expires_at;  // the token's exp, seconds since the epoch (clamped)
    std::string source;                      // "jwt", later "drf"
    // Other claims whose value is an id or an array of ids (for "claim:<name>" room rules):
    // at most max_extra_claims claims of at most max_claim_values ids each.
    std::vector<std::pair<std::string, std::vector<std::string>>> claims;
};
inline constexpr std::size_t max_extra_claims = 32;
inline constexpr std::size_t max_claim_values = 256;

struct found_token {
    std::string value;
    std::string scheme;  // "Bearer" (JWT), "Token" (DRF), or "" when it came from auth/query
    std::string where;   // "auth", "query", "header"
};

// An Authorization value "Bearer x" / "Token x" (scheme case-insensitive) → {scheme, x};
// nullopt for any other scheme or an empty credential.
std::optional<std::pair<std::string, std::string>> parse_authorization(std::string_view value);

// Handshake auth.token, then ?token=, then the Authorization header's value `authorization`
// ("Bearer x" or "Token x"; empty when there is none).
std::optional<found_token> find_token(const boost::json::object& auth,
                                      const std::vector<std::pair<std::string, std::string>>& query,
                                      std::string_view authorization);

// Claims → principal. User id from userId, user_id or sub (strings, or integers written in decimal);
// email, role, collegeId/college_id, companyId/company_id, shopIds/shop_ids (array), isSuperAdmin
// or role "super_admin"; any other claim holding an id or an array of ids into `claims` (bounded).
boost::system::result<principal> principal_from_claims(const boost::json::object& claims);

class key_set;
struct verify_options;
// verify_jwt, then principal_from_claims: the one way a JWT becomes a principal.
boost::system::result<principal> principal_from_jwt(std::string_view token, const key_set& keys,
                                                    const verify_options& opts, std::int64_t now_s);

// A JSON id (a string of the id character set, or an integer) as text; nullopt for anything else
// (see ids.hpp: 1..128 bytes of A-Z a-z 0-9 . _ - @ +).
std::optional<std::string> id_text(const boost::json::value& v);

}  // namespace switchboard::auth
