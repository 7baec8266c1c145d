// The domain's runtime: one app thread (an io_context) runs every chat and notification
// operation, the migrations and the Django token lookups; the stores, the services' state and the
// token cache live there, so they need no locks.
#include "communication.hpp"
#include "adapters.hpp"
#include "util.hpp"

#include <switchboard/auth/ids.hpp>
#include <switchboard/auth/token_cache.hpp>
#include <switchboard/common/log.hpp>
#include <switchboard/domain/chat_service.hpp>
#include <switchboard/domain/dispatcher.hpp>
#include <switchboard/domain/notification_service.hpp>
#include <switchboard/persistence/django_users.hpp>
#include <switchboard/persistence/migrations.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <thread>

namespace switchboard::app {

namespace asio = boost::asio;
namespace json = boost::json;
namespace db = persistence;

caller caller_of(const auth::principal& p, std::string socket_id) {
    return caller{p.user_id, p.college_id, p.role, p.super_admin, p.anonymous, std::move(socket_id)};
}

namespace {

// Runs `op` on the app thread and hands its result to `done`; an exception is logged and
// becomes `failed`.
template <class T, class Done>
void spawn_answer(asio::io_context& ctx, asio::awaitable<T> op, Done done, T failed) {
    asio::co_spawn(ctx, std::move(op),
                   [done = std::move(done), failed = std::move(failed)](std::exception_ptr e, T r) mutable {
                       if (e) {
                           try {
                               std::rethrow_exception(e);
                           } catch (const std::exception& x) {
                               log::error("operation failed", {{"what", x.what()}});
                           } catch (...) {
                               log::error("operation failed");
                           }
                           r = std::move(failed);
                       }
                       done(std::move(r));
                   });
}

}  // namespace

struct communication::impl : std::enable_shared_from_this<impl> {
    impl(server::server& srv, data_settings s)
        : srv(srv),
          cfg(std::move(s)),
          work(asio::make_work_guard(ctx)),
          store(db::with_metrics(open_store(ctx.get_executor(), cfg), srv.metrics())),
          delivery(srv),
          tasks(ctx),
          chat_repo(store, cfg.schema),
          note_repo(store, cfg.schema),
          errors(clock,
                 &srv.metrics().add_family("switchboard_store_errors_total",
                                           "Database calls that failed, by kind", "kind"),
                 [] { return last_store_error(); }),
          chat(chat_repo, delivery, clock, tasks, errors, {cfg.max_message_length, cfg.typing_timeout_ms},
               &srv.metrics().add_counter("switchboard_chat_messages_total", "Chat messages stored")),
          notes(note_repo, delivery, clock, errors, cfg.notify_roles,
                &srv.metrics().add_counter("switchboard_notifications_total", "Notifications stored")),
          dispatch(chat, notes),
          push(notes, delivery, clock) {
        if (cfg.drf) drf.emplace(store, cfg.django_schema, cfg.drf_college_column);
        // An exception escaping a handler must not end the thread every operation runs on.
        thread = std::thread([this] {
            for (;;) {
                try {
                    ctx.run();
                    return;
                } catch (const std::exception& e) {
                    log::error("app thread: handler threw", {{"what", e.what()}});
                }
            }
        });
    }

    server::server& srv;
    data_settings cfg;
    asio::io_context ctx;
    asio::executor_work_guard<asio::io_context::executor_type> work;
    std::thread thread;
    std::shared_ptr<db::database> store;
    // The ports and the services over them.
    server_delivery delivery;
    system_clock clock;
    context_tasks tasks;
    chat_repository_adapter chat_repo;
    notification_repository_adapter note_repo;
    domain::failures errors;
    domain::chat_service chat;
    domain::notification_service notes;
    domain::dispatcher dispatch;
    domain::push_service push;
    std::optional<db::django_users> drf;
    std::atomic<bool> ready{false};
    std::atomic<int> writes{0};  // operations started by a client, the API or the bridge, not yet answered
    // DRF tokens: key → principal (or nullopt for an unknown key), bounded, with a TTL.
    auth::token_cache tokens{
        {cfg.drf_cache_ttl_s * 1000, cfg.drf_cache_max_entries, cfg.drf_cache_max_bytes}};

    void stop(std::chrono::steady_clock::time_point finish_by) {
        // What was asked before the stop (a message being stored, a receipt) is finished first.
        while (writes.load() > 0 && std::chrono::steady_clock::now() < finish_by)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        if (int left = writes.load(); left > 0)
            log::warn("stopping with operations unfinished", {{"operations", std::to_string(left)}});
        work.reset();
        ctx.stop();  // pending operations and the typing timer end with the context
        if (thread.joinable()) thread.join();
    }

    static asio::awaitable<outcome> perform(std::shared_ptr<impl> self, operation op, caller who,
                                            json::object a) {
        if (!self->ready) co_return fail(503, "Service is starting, please retry");
        co_return co_await self->dispatch.run(op, std::move(who), std::move(a));
    }

    static asio::awaitable<outcome> service_note(std::shared_ptr<impl> self, bool broadcast,
                                                 json::object body) {
        if (!self->ready) co_return fail(503, "Service is starting, please retry");
        co_return co_await self->push.notify(std::move(body), broadcast);
    }

    // Delivers what arrived while the user was away, once the database is ready.
    static asio::awaitable<void> catch_up(std::shared_ptr<impl> self, std::string user,
                                          std::weak_ptr<server::socket> w) {
        asio::steady_timer wait(self->ctx);
        for (int i = 0; i < 300 && !self->ready; ++i) {  // migrations still running: up to a minute
            wait.expires_after(std::chrono::milliseconds(200));
            co_await wait.async_wait(asio::use_awaitable);
            if (w.expired()) co_return;
        }
        auto s = w.lock();
        if (!s || !s->connected()) co_return;
        auto id = s->id();
        s.reset();
        co_await self->chat.catch_up(std::move(user), std::move(id));
    }

    // Applies migrations, retrying with backoff until the database answers.
    static asio::awaitable<void> migrate_loop(std::shared_ptr<impl> self) {
        asio::steady_timer wait(self->ctx);
        auto delay = std::chrono::milliseconds(250);
        for (;;) {
            auto r = co_await db::migrate(*self->store, self->cfg.schema);
            if (r) {
                auto where = describe_store(self->cfg);
                auto version = std::to_string(*r);
                log::info("database ready", {{"store", where}, {"schema_version", version}});
                self->ready = true;
                self->srv.set_ready(true);
                co_return;
            }
            auto why = r.error().message();
            auto detail = r.error().detail;
            auto retry = std::to_string(delay.count());
            log::warn("migrations failed; retrying",
                      {{"error", why}, {"detail", detail}, {"retry_ms", retry}});
            wait.expires_after(delay);
            co_await wait.async_wait(asio::use_awaitable);
            delay = std::min(delay * 2, std::chrono::milliseconds(5000));
        }
    }

    static asio::awaitable<boost::system::result<std::optional<auth::principal>>> lookup(
        std::shared_ptr<impl> self, std::string key, bool fresh) {
        using result = boost::system::result<std::optional<auth::principal>>;
        // Not a Django key (40 hex digits): unknown, without a lookup or a cache entry.
        if (!auth::valid_drf_key(key)) co_return result(std::optional<auth::principal>{});
        if (!fresh)
            if (auto hit = self->tokens.find(key, steady_ms())) co_return result(std::move(*hit));
        if (!self->drf) co_return result(std::optional<auth::principal>{});
        auto r = co_await self->drf->by_token(key);
        if (!r) {
            self->errors.report(domain_error(r.error().code), "drf.by_token");
            co_return r.error().code;
        }
        std::optional<auth::principal> who;
        if (*r) {
            auth::principal p;
            p.user_id = (*r)->id;
            p.anonymous = false;
            p.email = (*r)->email;
            p.role = (*r)->is_superuser ? "admin" : (*r)->is_staff ? "staff" : "";
            p.super_admin = (*r)->is_superuser;
            p.college_id = (*r)->college_id;
            p.source = "drf";
            who = std::move(p);
        }
        self->tokens.put(std::move(key), who, steady_ms());
        co_return result(std::move(who));
    }
};

communication::communication(server::server& srv, data_settings s)
    : impl_(std::make_shared<impl>(srv, std::move(s))) {}

communication::~communication() {
    impl_->stop({});
}

void communication::stop(std::chrono::steady_clock::time_point finish_by) {
    impl_->stop(finish_by);
}

void communication::start() {
    impl_->srv.set_ready(false);
    asio::co_spawn(impl_->ctx, impl::migrate_loop(impl_), asio::detached);
}

bool communication::drf_enabled() const noexcept {
    return impl_->drf.has_value();
}

namespace {
// `done`, counted in the operations a stop waits for.
template <class Self, class Done>
auto counted(const std::shared_ptr<Self>& self, Done done) {
    self->writes.fetch_add(1);
    return [self, done = std::move(done)](auto r) mutable {
        struct uncount {
            std::atomic<int>& n;
            ~uncount() { n.fetch_sub(1); }
        } u{self->writes};
        done(std::move(r));
    };
}
}  // namespace

void communication::run(operation op, caller who, json::object args, outcome_handler done) {
    spawn_answer(impl_->ctx, impl::perform(impl_, op, std::move(who), std::move(args)),
                 counted(impl_, std::move(done)), fail(500, "Internal error"));
}

void communication::service_notify(bool broadcast, json::object body, outcome_handler done) {
    spawn_answer(impl_->ctx, impl::service_note(impl_, broadcast, std::move(body)),
                 counted(impl_, std::move(done)), fail(500, "Internal error"));
}

const domain::push_service& communication::push() const noexcept {
    return impl_->push;
}

void communication::set_socket_finder(std::function<server::socket_ptr(const std::string&)> f) {
    impl_->delivery.set_finder(std::move(f));
}

void communication::on_connected(const caller& who, const server::socket_ptr& s) {
    if (who.anonymous || who.user_id.empty()) return;
    asio::co_spawn(impl_->ctx, impl::catch_up(impl_, who.user_id, s), asio::detached);
}

void communication::catch_up(std::string user, std::string conn_id) {
    if (user.empty()) return;
    asio::co_spawn(
        impl_->ctx,
        [](std::shared_ptr<impl> self, std::string u, std::string id) -> asio::awaitable<void> {
            asio::steady_timer wait(self->ctx);
            for (int i = 0; i < 300 && !self->ready; ++i) {  // migrations still running: up to a minute
                wait.expires_after(std::chrono::milliseconds(200));
                co_await wait.async_wait(asio::use_awaitable);
            }
            if (self->ready) co_await self->chat.catch_up(std::move(u), std::move(id));
        }(impl_, std::move(user), std::move(conn_id)),
        asio::detached);
}

void communication::set_delivery_tap(delivery_tap* t) {
    impl_->delivery.set_tap(t);
}

void communication::set_delivery_fence(std::function<void(std::function<void()>)> f) {
    impl_->delivery.set_fence(std::move(f));
}

void communication::presence_changed(std::string user, bool online, std::string last_seen) {
    asio::co_spawn(
        impl_->ctx,
        [](std::shared_ptr<impl> self, std::string u, bool on, std::string seen) -> asio::awaitable<void> {
            co_await self->chat.presence_changed(std::move(u), on, std::move(seen));
        }(impl_, std::move(user), online, std::move(last_seen)),
        asio::detached);
}

void communication::delivered_elsewhere(std::string receiver, std::int64_t id) {
    impl_->writes.fetch_add(1);
    asio::co_spawn(
        impl_->ctx,
        [](std::shared_ptr<impl> self, std::string r, std::int64_t i) -> asio::awaitable<void> {
            if (!self->ready) co_return;  // the receiver's catch-up will deliver and mark it
            co_await self->chat.delivered_elsewhere(std::move(r), i);
        }(impl_, std::move(receiver), id),
        [self = impl_](std::exception_ptr) { self->writes.fetch_sub(1); });
}

void communication::lookup_drf_token(std::string key, token_handler done, bool fresh) {
    using result = boost::system::result<std::optional<auth::principal>>;
    spawn_answer(impl_->ctx, impl::lookup(impl_, std::move(key), fresh), std::move(done),
                 result(make_error_code(db::errc::query_failed)));
}

void communication::forget_drf_user(std::string user_id) {
    asio::post(impl_->ctx,
               [self = impl_, user_id = std::move(user_id)] { self->tokens.erase_user(user_id); });
}

std::int64_t communication::drf_recheck_s() const noexcept {
    return impl_->cfg.drf_cache_ttl_s > 0 ? impl_->cfg.drf_cache_ttl_s : 60;
}

}  // namespace switchboard::app
