#include <switchboard/common/log.hpp>
#include <switchboard/server/errc.hpp>

#include <sys/random.h>

#include <chrono>
#include <cstdio>
#include <ctime>

namespace switchboard::server {

const boost::system::error_category& category() noexcept {
    struct cat final : boost::system::error_category {
        const char* name() const noexcept override { return "switchboard.server"; }
        std::string message(int ev) const override {
            switch (static_cast<errc>(ev)) {
                case errc::ack_timeout:
                    return "ack timeout";
                case errc::socket_disconnected:
                    return "socket disconnected";
                case errc::server_stopped:
                    return "server stopped";
                case errc::tls_not_configured:
                    return "TLS is not configured";
                case errc::tls_load_failed:
                    return "TLS certificate or key could not be loaded";
            }
            return "unknown switchboard.server error";
        }
    };
    static const cat instance;
    return instance;
}

}  // namespace switchboard::server
