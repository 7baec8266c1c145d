// TLS without a proxy: the start-up check of TLS_CERT_FILE / TLS_KEY_FILE, loading them into the
// server, and reloading them (SIGHUP) for new connections.
#include "server_impl.hpp"
#include "transport/tls_engine.hpp"

#include <switchboard/common/log.hpp>

#include <stdexcept>

namespace switchboard::server {

namespace {

bool tls_requested(const server_options& o) {
    return !o.tls_cert_file.empty() || !o.tls_key_file.empty();
}

}  // namespace

std::optional<std::string> tls_options_error(const server_options& o) {
    if (!tls_requested(o)) return std::nullopt;
    std::string why;
    if (!detail::tls_context::load(o.tls_cert_file, o.tls_key_file, why)) return why;
    return std::nullopt;
}

void server::impl::init_tls() {
    tls_failures = &metrics.add_counter("switchboard_tls_handshake_failures_total",
                                        "TLS handshakes that failed or timed out (TLS_CERT_FILE)");
    if (!tls_requested(opts)) return;
    std::string why;
    tls = detail::tls_context::load(opts.tls_cert_file, opts.tls_key_file, why);
    if (!tls) throw std::runtime_error("TLS: " + why);
    tls_enabled = true;
    tls_cert_file = opts.tls_cert_file;
    tls_key_file = opts.tls_key_file;
    log::info("TLS on", {{"cert_file", opts.tls_cert_file}, {"key_file", opts.tls_key_file}});
}

boost::system::error_code server::reload_tls() {
    std::string cert, key;
    {
        std::lock_guard lock(impl_->tls_mu);
        cert = impl_->tls_cert_file;
        key = impl_->tls_key_file;
    }
    return reload_tls(cert, key);
}

boost::system::error_code server::reload_tls(const std::string& cert_file, const std::string& key_file) {
    auto& i = *impl_;
    // The listener's kind (TLS or plain TCP) is decided at start.
    if (!i.tls_enabled) return errc::tls_not_configured;
    std::string why;
    auto fresh = detail::tls_context::load(cert_file, key_file, why);
    if (!fresh) {
        log::error("TLS reload failed: the current certificate stays", {{"error", why}});
        return errc::tls_load_failed;
    }
    {
        std::lock_guard lock(i.tls_mu);
        i.tls = std::move(fresh);
        i.tls_cert_file = cert_file;
        i.tls_key_file = key_file;
    }
    log::info("TLS reloaded: new connections use the new certificate",
              {{"cert_file", cert_file}, {"key_file", key_file}});
    return {};
}

}  // namespace switchboard::server
