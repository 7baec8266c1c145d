#pragma once
// Key material JWTs are verified with, loaded apart from verification: shared secrets (HS*), PEM
// public keys or certificates (RSA, EC P-256/P-384) and JWK Sets. Pure: the caller reads files and
// hands their text here (at load time); nothing here touches the file system or the network.
#include <switchboard/auth/errc.hpp>

#include <boost/system/result.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::auth {

// Decodes unpadded base64url (the JWT alphabet); nullopt on any other character or length.
std::optional<std::string> base64url_decode(std::string_view text);
std::string base64url_encode(std::string_view bytes);

struct verify_options;
struct verified_token;

class key_set {
public:
    key_set();
    ~key_set();
    key_set(key_set&&) noexcept;
    key_set& operator=(key_set&&) noexcept;

    // A shared secret for HS256/384/512.
    boost::system::error_code add_secret(std::string secret);
    // A PEM public key (SubjectPublicKeyInfo) or certificate, RSA or EC P-256/P-384.
    boost::system::error_code add_pem(std::string_view pem, std::string kid = {});
    // A JWK Set ({"keys":[...]}) of RSA and EC public keys; keys of other types are skipped.
    // Returns bad_key when none is usable.
    boost::system::error_code add_jwks(std::string_view json);

    bool empty() const noexcept;
    std::size_t size() const noexcept;
    // "HS256,RS256,..." for the startup log.
    std::string describe() const;

    struct entry;  // defined in src/key_entry.hpp

private:
    friend boost::system::result<verified_token> verify_jwt(std::string_view, const key_set&,
                                                            const verify_options&, std::int64_t);
    std::vector<std::unique_ptr<entry>> keys_;
};

}  // namespace switchboard::auth
