// The client's public API and its strand-side bookkeeping (calls, replies, pub/sub messages).
// The connection's loops are in client_run.cpp.
#include "client_impl.hpp"

#include <switchboard/common/log.hpp>

#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>

namespace switchboard::redis {

client::impl::impl(asio::any_io_executor ex, client_options o)
    : strand(asio::make_strand(ex)),
      opts(std::move(o)),
      endpoint_log(opts.server.to_log_string()),
      resolver(strand),
      write_wake(strand),
      supervisor_wake(strand),
      backoff_timer(strand),
      connect_watchdog(strand),
      replies(opts.limits) {
    read_buf.resize(16 * 1024);
    if (opts.server.tls) {
        tls_ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
        if (opts.tls_insecure) {
            tls_ctx->set_verify_mode(asio::ssl::verify_none);
        } else {
            tls_ctx->set_verify_mode(asio::ssl::verify_peer);
            if (opts.tls_ca_file.empty()) {
                tls_ctx->set_default_verify_paths();
            } else {
                tls_ctx->load_verify_file(opts.tls_ca_file);  // throws at startup on a bad file
            }
        }
    }
}

std::shared_ptr<client> client::create(asio::any_io_executor ex, client_options opts) {
    return std::make_shared<client>(std::make_shared<impl>(std::move(ex), std::move(opts)));
}

client::~client() {
    if (impl_) stop();
}

void client::start() {
    asio::dispatch(impl_->strand, [p = impl_] {
        if (p->started || p->stopped) return;
        p->started = true;
        asio::co_spawn(p->strand, p->run(), [p](std::exception_ptr e) {
            if (!e) return;
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                log::error("redis client loop failed", {{"name", p->opts.log_name}, {"error", ex.what()}});
            }
        });
    });
}

void client::stop() {
    asio::dispatch(impl_->strand, [p = impl_] { p->do_stop(); });
}

void client::exec(std::vector<std::string> args, completion done, std::chrono::milliseconds deadline) {
    asio::dispatch(impl_->strand,
                   [p = impl_, args = std::move(args), done = std::move(done), deadline]() mutable {
                       p->do_exec(std::move(args), std::move(done), deadline);
                   });
}

asio::awaitable<std::pair<error_code, value>> client::async_exec(std::vector<std::string> args,
                                                                 std::chrono::milliseconds deadline) {
    using result = std::pair<error_code, value>;
    auto initiate = [this](auto handler, std::vector<std::string> a, std::chrono::milliseconds d) {
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        exec(
            std::move(a),
            [h](error_code ec, value v) {
                auto ex = asio::get_associated_executor(*h);
                asio::post(ex, [h, r = result{ec, std::move(v)}]() mutable { (*h)(std::move(r)); });
            },
            d);
    };
    co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(result)>(
        initiate, asio::use_awaitable, std::move(args), deadline);
}

void client::subscribe(std::vector<std::string> channels) {
    asio::dispatch(impl_->strand, [p = impl_, c = std::move(channels)]() mutable {
        p->do_subscription("SUBSCRIBE", std::move(c));
    });
}
void client::unsubscribe(std::vector<std::string> channels) {
    asio::dispatch(impl_->strand, [p = impl_, c = std::move(channels)]() mutable {
        p->do_subscription("UNSUBSCRIBE", std::move(c));
    });
}
void client::psubscribe(std::vector<std::string> patterns) {
    asio::dispatch(impl_->strand, [p = impl_, c = std::move(patterns)]() mutable {
        p->do_subscription("PSUBSCRIBE", std::move(c));
    });
}
void client::punsubscribe(std::vector<std::string> patterns) {
    asio::dispatch(impl_->strand, [p = impl_, c = std::move(patterns)]() mutable {
        p->do_subscription("PUNSUBSCRIBE", std::move(c));
    });
}

void client::on_message(message_handler h) {
    asio::dispatch(impl_->strand, [p = impl_, h = std::move(h)]() mutable { p->on_message = std::move(h); });
}
void client::on_connect(std::function<void()> hook) {
    asio::dispatch(impl_->strand,
                   [p = impl_, h = std::move(hook)]() mutable { p->on_connect = std::move(h); });
}
void client::on_state(std::function<void(bool)> h) {
    asio::dispatch(impl_->strand, [p = impl_, h = std::move(h)]() mutable { p->on_state = std::move(h); });
}

bool client::connected() const noexcept {
    return impl_->connected.load(std::memory_order_acquire);
}

error_code client::last_error() const {
    std::lock_guard lock(impl_->error_mu);
    return impl_->last_error;
}

client_stats client::stats() const noexcept {
    client_stats s;
    s.connects = impl_->n_connects.load(std::memory_order_relaxed);
    s.reconnects = s.connects > 0 ? s.connects - 1 : 0;
    s.calls = impl_->n_calls.load(std::memory_order_relaxed);
    s.failures = impl_->n_failures.load(std::memory_order_relaxed);
    s.server_errors = impl_->n_server_errors.load(std::memory_order_relaxed);
    s.messages = impl_->n_messages.load(std::memory_order_relaxed);
    return s;
}

const client_options& client::options() const noexcept {
    return impl_->opts;
}
asio::any_io_executor client::get_executor() const noexcept {
    return impl_->strand;
}

// --- strand side ---

void client::impl::complete(completion& done, error_code ec, value v) {
    if (ec == errc::server_error) {
        n_server_errors.fetch_add(1, std::memory_order_relaxed);
    } else if (ec) {
        n_failures.fetch_add(1, std::memory_order_relaxed);
    }
    if (!done) return;
    try {
        done(ec, std::move(v));
    } catch (const std::exception& e) {
        log::error("redis call completion threw", {{"name", opts.log_name}, {"error", e.what()}});
    }
}

void client::impl::do_exec(std::vector<std::string> args, completion done,
                           std::chrono::milliseconds deadline) {
    n_calls.fetch_add(1, std::memory_order_relaxed);
    if (stopped || !link_up || args.empty()) {
        error_code ec = stopped        ? error_code(asio::error::operation_aborted)
                        : args.empty() ? error_code(asio::error::invalid_argument)
                                       : error_code(errc::not_connected);
        n_failures.fetch_add(1, std::memory_order_relaxed);
        // Never inline: the caller may hold locks or iterate; `done` runs later on the strand.
        asio::post(strand, [done = std::move(done), ec]() mutable {
            if (done) done(ec, value{});
        });
        return;
    }
    auto at = clock::now() + (deadline.count() > 0 ? deadline : opts.call_timeout);
    append_command(out, args);
    in_flight.push_back(pending{std::move(done), at, false});
    write_wake.cancel();
    wake_supervisor(at);
}

void client::impl::enqueue_raw(const std::vector<std::string>& args) {
    append_command(out, args);
    write_wake.cancel();
}

void client::impl::wake_supervisor(clock::time_point deadline) {
    if (deadline < supervisor_at) supervisor_wake.cancel();
}

void client::impl::do_subscription(std::string_view verb, std::vector<std::string> names) {
    if (stopped || names.empty()) return;
    subscriber = true;
    bool sub = verb == "SUBSCRIBE" || verb == "PSUBSCRIBE";
    auto& set = verb.find('P') == 0 ? patterns : channels;
    for (const auto& n : names) {
        if (sub) {
            set.insert(n);
        } else {
            set.erase(n);
        }
    }
    if (!link_up) return;  // sent by the setup of the next connection
    std::vector<std::string> args{std::string(verb)};
    args.insert(args.end(), std::make_move_iterator(names.begin()), std::make_move_iterator(names.end()));
    enqueue_raw(args);
}

void client::impl::fail_all(error_code ec) {
    auto calls = std::move(in_flight);
    in_flight.clear();
    for (auto& c : calls)
        complete(c.done, ec, value{});
}

// One reply or push from the server. An error return drops the connection.
error_code client::impl::handle_reply(value v) {
    if (v.type == kind::push) {
        deliver_message(v, 0);
        return {};
    }
    if (subscriber && v.type == kind::array && v.size() >= 1 && v.at(0).is_string()) {
        auto k = v.at(0).as_string();
        if (k == "message" || k == "pmessage" || k == "subscribe" || k == "unsubscribe" ||
            k == "psubscribe" || k == "punsubscribe") {
            deliver_message(v, 0);
            return {};
        }
    }
    if (in_flight.empty()) return errc::protocol_error;  // a reply nobody asked for
    pending p = std::move(in_flight.front());
    in_flight.pop_front();
    error_code ec = v.is_error() ? error_code(errc::server_error) : error_code{};
    complete(p.done, ec, std::move(v));
    return {};
}

void client::impl::deliver_message(const value& v, std::size_t first) {
    if (v.size() < first + 1 || !v.at(first).is_string()) return;
    auto k = v.at(first).as_string();
    std::string_view channel, payload;
    if (k == "message" && v.size() >= first + 3) {
        channel = v.at(first + 1).as_string();
        payload = v.at(first + 2).as_string();
    } else if (k == "pmessage" && v.size() >= first + 4) {
        channel = v.at(first + 2).as_string();
        payload = v.at(first + 3).as_string();
    } else {
        return;  // subscribe/unsubscribe confirmations, other pushes
    }
    n_messages.fetch_add(1, std::memory_order_relaxed);
    if (!on_message) return;
    try {
        on_message(channel, payload);
    } catch (const std::exception& e) {
        log::error("redis message handler threw", {{"name", opts.log_name}, {"error", e.what()}});
    }
}

void client::impl::set_last_error(error_code ec) {
    std::lock_guard lock(error_mu);
    last_error = ec;
}

void client::impl::notify_state(bool up) {
    if (!on_state) return;
    try {
        on_state(up);
    } catch (const std::exception& e) {
        log::error("redis state handler threw", {{"name", opts.log_name}, {"error", e.what()}});
    }
}

void client::impl::do_stop() {
    if (stopped) return;
    stopped = true;
    close_socket();
    resolver.cancel();
    write_wake.cancel();
    supervisor_wake.cancel();
    backoff_timer.cancel();
    connect_watchdog.cancel();
    fail_all(asio::error::operation_aborted);
}

}  // namespace switchboard::redis
