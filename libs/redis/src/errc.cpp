#include <switchboard/redis/errc.hpp>

#include <string>

namespace switchboard::redis {

namespace {
struct category_impl final : boost::system::error_category {
    const char* name() const noexcept override { return "switchboard.redis"; }
    std::string message(int ev) const override {
        switch (static_cast<errc>(ev)) {
            case errc::protocol_error:
                return "malformed RESP reply";
            case errc::too_deep:
                return "RESP reply nested too deeply";
            case errc::too_large:
                return "RESP reply too large";
            case errc::bad_url:
                return "bad Redis URL";
            case errc::not_connected:
                return "not connected to Redis";
            case errc::timeout:
                return "Redis call timed out";
            case errc::connection_lost:
                return "connection to Redis lost";
            case errc::server_error:
                return "Redis replied with an error";
            case errc::auth_failed:
                return "Redis refused the connection setup (AUTH/SELECT)";
            case errc::connect_timeout:
                return "connecting to Redis timed out";
            case errc::health_check_failed:
                return "Redis health check (PING) failed";
        }
        return "unknown redis error";
    }
};
}  // namespace

const boost::system::error_category& category() noexcept {
    static const category_impl c;
    return c;
}

}  // namespace switchboard::redis
