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
    log::info("TLS on", {{"cert_file", opts.tls_cert_file}, {"key_file", opts.tls_key_file}});
}

boost::system::error_code server::reload_tls() {
    auto& i = *impl_;
    if (!i.tls_enabled) return errc::tls_not_configured;
    std::string why;
    auto fresh = detail::tls_context::load(i.opts.tls_cert_file, i.opts.tls_key_file, why);
    if (!fresh) {
        log::error("TLS reload failed: the current certificate stays", {{"error", why}});
        return errc::tls_load_failed;
    }
    {
        std::lock_guard lock(i.tls_mu);
        i.tls = std::move(fresh);
    }
    log::info("TLS reloaded: new connections use the new certificate",
              {{"cert_file", i.opts.tls_cert_file}, {"key_file", i.opts.tls_key_file}});
    return {};
}

}  // namespace switchboard::server
