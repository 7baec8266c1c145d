// The accept loop: MAX_CONNECTIONS applied at accept, a reserve descriptor to accept-and-close at
// the descriptor limit, and accept failures logged once a second with their count.
#include <switchboard/common/log.hpp>
#include "../server_impl.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fcntl.h>
#include <unistd.h>

namespace switchboard::server::detail {

using asio::as_tuple;
using asio::use_awaitable;

namespace {

// A descriptor held in reserve: at the descriptor limit it is closed to accept the pending
// connection and close it at once (so the client is told, and the listener does not spin on a
// backlog it cannot take), then opened again.
class reserve_fd {
public:
    reserve_fd() { open(); }
    ~reserve_fd() { close(); }
    reserve_fd(const reserve_fd&) = delete;
    reserve_fd& operator=(const reserve_fd&) = delete;
    void open() noexcept {
        if (fd_ < 0) fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    }
    void close() noexcept {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }
    bool held() const noexcept { return fd_ >= 0; }

private:
    int fd_ = -1;
};

bool out_of_descriptors(const error_code& ec) {
    return ec == asio::error::no_descriptors || ec == boost::system::errc::too_many_files_open_in_system;
}

// Accepts what is pending and closes it, with the reserve descriptor; how many were shed.
std::size_t shed_pending(tcp::acceptor& acc, asio::io_context& ctx, reserve_fd& reserve) {
    std::size_t shed = 0;
    reserve.close();
    error_code ec;
    acc.non_blocking(true, ec);
    for (int i = 0; i < 64; ++i) {
        tcp::socket s(ctx);
        acc.accept(s, ec);
        if (ec) break;
        s.close(ec);
        ++shed;
    }
    reserve.open();
    return shed;
}

void spawn_connection(const std::shared_ptr<server::impl>& srv, executor_t ex, tcp::socket sock,
                      std::string remote, conn_slot slot) {
    auto done = [](std::exception_ptr e) {
        if (!e) return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& x) {
            log::error("connection task failed", {{"what", x.what()}});
        }
    };
    if (srv->tls_enabled)
        asio::co_spawn(
            ex, run_https(srv, std::move(sock), ex, std::move(remote), std::move(slot), srv->current_tls()),
            std::move(done));
    else
        asio::co_spawn(ex, run_http(srv, std::move(sock), ex, std::move(remote), std::move(slot)),
                       std::move(done));
}

}  // namespace

asio::awaitable<void> accept_loop(std::shared_ptr<server::impl> srv, tcp::acceptor& acc) {
    reserve_fd reserve;
    log_throttle failures, refusals;
    for (;;) {
        auto& ctx = srv->pick_context();
        executor_t ex = ctx.get_executor();
        tcp::socket sock(ctx);
        tcp::endpoint peer;  // from accept itself: no getpeername per connection
        auto [ec] = co_await acc.async_accept(sock, peer, as_tuple(use_awaitable));
        if (ec) {
            if (ec == asio::error::operation_aborted || srv->stopping) co_return;
            std::size_t shed = 0;
            if (out_of_descriptors(ec) && reserve.held()) {
                shed = shed_pending(acc, srv->first_context(), reserve);
                srv->refused->inc("fd_limit", shed);
            }
            if (auto n = failures.hit(now_ms()))
                log::warn("accept failed",
                          {{"error", ec.message()},
                           {"count", std::to_string(*n)},
                           {"open_connections", std::to_string(srv->open_connections.load())}});
            if (shed == 0) {
                // Nothing taken off the backlog: give the process a moment before trying again.
                asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(50));
                co_await t.async_wait(as_tuple(use_awaitable));
            }
            continue;
        }
        if (srv->open_connections.load(std::memory_order_relaxed) >= srv->max_connections) {
            // Over MAX_CONNECTIONS: closed at once, before any buffer or task exists for it.
            srv->refused->inc("max_connections");
            if (auto n = refusals.hit(now_ms()))
                log::warn("connection refused: MAX_CONNECTIONS reached",
                          {{"max_connections", std::to_string(srv->max_connections)},
                           {"count", std::to_string(*n)}});
            sock.close(ec);
            continue;
        }
        srv->open_connections.fetch_add(1, std::memory_order_relaxed);
        conn_slot slot(srv->open_connections);
        sock.set_option(tcp::no_delay(true), ec);
        spawn_connection(srv, ex, std::move(sock), peer.address().to_string(), std::move(slot));
    }
}

}  // namespace switchboard::server::detail
