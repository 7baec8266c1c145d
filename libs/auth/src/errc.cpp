#include <switchboard/auth/errc.hpp>

#include <string>

namespace switchboard::auth {

namespace {
struct category_impl final : boost::system::error_category {
    const char* name() const noexcept override { return "switchboard.auth"; }
    std::string message(int ev) const override {
        switch (static_cast<errc>(ev)) {
            case errc::missing_token:
                return "no token in the handshake";
            case errc::malformed_token:
                return "malformed token";
            case errc::unsupported_algorithm:
                return "algorithm not accepted";
            case errc::unknown_key:
                return "no key with this kid";
            case errc::bad_signature:
                return "bad signature";
            case errc::expired:
                return "token expired";
            case errc::not_yet_valid:
                return "token not yet valid";
            case errc::bad_issuer:
                return "issuer not accepted";
            case errc::bad_audience:
                return "audience not accepted";
            case errc::no_user_id:
                return "no user id claim";
            case errc::bad_key:
                return "unusable key material";
            case errc::bad_rules:
                return "unusable access rules";
            case errc::user_mismatch:
                return "token of another user";
        }
        return "unknown auth error";
    }
};
}  // namespace

const boost::system::error_category& category() noexcept {
    static const category_impl c;
    return c;
}

const char* reason_label(errc e) noexcept {
    switch (e) {
        case errc::missing_token:
            return "missing_token";
        case errc::malformed_token:
            return "malformed";
        case errc::unsupported_algorithm:
            return "algorithm";
        case errc::unknown_key:
            return "unknown_key";
        case errc::bad_signature:
            return "bad_signature";
        case errc::expired:
            return "expired";
        case errc::not_yet_valid:
            return "not_yet_valid";
        case errc::bad_issuer:
            return "issuer";
        case errc::bad_audience:
            return "audience";
        case errc::no_user_id:
            return "no_user_id";
        case errc::bad_key:
            return "bad_key";
        case errc::bad_rules:
            return "bad_rules";
        case errc::user_mismatch:
            return "user_mismatch";
    }
    return "other";
}

}  // namespace switchboard::auth
