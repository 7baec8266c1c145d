#pragma once
// The domain's ports, implemented by the app: delivery over server::server, the repositories over
// libs/persistence's stores, the system clock, and tasks on the app thread's io_context.
#include <switchboard/domain/ports.hpp>
#include <switchboard/persistence/chat_store.hpp>
#include <switchboard/persistence/notification_store.hpp>
#include <switchboard/server/server.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>

namespace switchboard::app {

// A store's error → the domain's store_errc (unavailable, timeout, or failed).
boost::system::error_code domain_error(boost::system::error_code ec);
// The database's text of the last failed repository call on this thread (logs only).
std::string last_store_error();

// Connections outside Socket.IO that the same events reach (the Channels endpoints): told of every
// event the domain sends, from any thread; each answers how many of its connections it reached.
class delivery_tap {
public:
    virtual ~delivery_tap() = default;
    virtual std::size_t send(const domain::target& to, std::string_view event,
                             const boost::json::value& arg) = 0;
    // One connection by its id; false when it is not one of the tap's.
    virtual bool to_connection(const std::string& id, std::string_view event,
                               const boost::json::value& arg) = 0;
};

// Events through the server's broadcaster (namespace "/"); one socket through the socket itself.
// Thread-safe: the push API calls it from the I/O threads, the services from the app thread.
class server_delivery final : public domain::delivery {
public:
    using finder = std::function<server::socket_ptr(const std::string& socket_id)>;
    explicit server_delivery(server::server& srv) : srv_(srv) {}
    // How to find a live socket by id (the gateway's table); set before the server runs.
    void set_finder(finder f) { find_ = std::move(f); }

    // A cluster's fence: `done` runs once everything broadcast before the call is in the shared
    // stream (or could not wait: Redis away). Set before the server runs.
    using fence = std::function<void(std::function<void()> done)>;
    void set_fence(fence f) { fence_ = std::move(f); }
    // Also deliver to `t`'s connections (null: none). Set before the server runs.
    void set_tap(delivery_tap* t) { tap_.store(t, std::memory_order_release); }

    std::size_t send(const domain::target& to, std::string_view event, boost::json::value arg) override;
    bool to_socket(const std::string& socket_id, std::string_view event, boost::json::value arg) override;
    domain::task<void> settled() override;

private:
    server::server& srv_;
    finder find_;
    fence fence_;
    std::atomic<delivery_tap*> tap_{nullptr};
};

class chat_repository_adapter final : public domain::chat_repository {
public:
    chat_repository_adapter(std::shared_ptr<persistence::database> db, const std::string& schema)
        : db_(db), store_(std::move(db), schema) {}
    using message_list = domain::result<std::vector<domain::chat_message>>;
    domain::task<domain::result<domain::sent_message>> send(domain::chat_message m) override;
    domain::task<message_list> history(std::string reader, std::string other,
                                       std::optional<std::int64_t> before, std::int64_t limit) override;
    domain::task<message_list> undelivered(std::string receiver, std::int64_t limit) override;
    domain::task<message_list> mark_delivered(std::string receiver, std::vector<std::int64_t> ids,
                                              std::int64_t now) override;
    domain::task<message_list> mark_read(std::string reader, std::string other, std::vector<std::int64_t> ids,
                                         std::optional<std::int64_t> up_to, std::int64_t now) override;
    domain::task<domain::result<std::vector<domain::conversation_summary>>> conversations(
        std::string user) override;
    domain::task<domain::result<std::vector<std::pair<std::string, std::int64_t>>>> unread(
        std::string user) override;
    domain::task<message_list> search(std::string user, std::string q, std::int64_t limit) override;
    std::string last_error() const override { return last_store_error(); }

private:
    std::shared_ptr<persistence::database> db_;
    persistence::chat_store store_;
};

class notification_repository_adapter final : public domain::notification_repository {
public:
    notification_repository_adapter(std::shared_ptr<persistence::database> db, const std::string& schema)
        : db_(db), store_(std::move(db), schema) {}
    using id_list = domain::result<std::vector<std::int64_t>>;
    domain::task<domain::result<domain::notification>> create(domain::notification n) override;
    domain::task<domain::result<std::vector<domain::notification>>> list(domain::reader r, bool unread_only,
                                                                         std::optional<std::int64_t> before,
                                                                         std::int64_t limit) override;
    domain::task<domain::result<std::int64_t>> unread_count(domain::reader r) override;
    domain::task<id_list> mark_read(domain::reader r, std::vector<std::int64_t> ids, bool all,
                                    std::int64_t now) override;
    domain::task<id_list> dismiss(domain::reader r, std::vector<std::int64_t> ids, std::int64_t now) override;
    std::string last_error() const override { return last_store_error(); }

private:
    std::shared_ptr<persistence::database> db_;
    persistence::notification_store store_;
};

class system_clock final : public domain::clock {
public:
    std::int64_t wall_ms() override;
    std::int64_t steady_ms() override;
};

// Tasks on one io_context (the app thread): detached coroutines whose exceptions are logged, and
// one timer for the domain's wake-ups.
class context_tasks final : public domain::tasks {
public:
    explicit context_tasks(boost::asio::io_context& ctx) : ctx_(ctx), timer_(ctx) {}
    void spawn(domain::task<void> t) override;
    void wake_at(std::int64_t steady_ms, std::function<void()> f) override;

private:
    boost::asio::io_context& ctx_;
    boost::asio::steady_timer timer_;
};

}  // namespace switchboard::app
