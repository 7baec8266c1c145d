#pragma once
// What the domain asks of the world: delivery to sockets, the chat and notification repositories,
// the clock, and a place to run background tasks. The app implements them (delivery over the
// server's broadcaster, repositories over libs/persistence); tests implement them in memory.
#include <switchboard/domain/records.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>
#include <boost/system/result.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace switchboard::domain {

template <class T>
using task = boost::asio::awaitable<T>;
template <class T>
using result = boost::system::result<T>;

// How a repository call failed, as callers branch on it: the store is down or slow (503, retry)
// or the call failed (500).
enum class store_errc { unavailable = 1, timeout, failed };
const boost::system::error_category& store_category() noexcept;
inline boost::system::error_code make_error_code(store_errc e) noexcept {
    return {static_cast<int>(e), store_category()};
}

// Who gets an event: sockets in any of `rooms` (empty: everyone in the namespace), minus those in
// `except`; volatile events may be dropped under backpressure.
struct target {
    std::vector<std::string> rooms;
    std::vector<std::string> except;
    bool is_volatile = false;
};

class delivery {
public:
    virtual ~delivery() = default;
    // `event` with one argument to `to`; the sockets reached on this node.
    virtual std::size_t send(const target& to, std::string_view event, boost::json::value arg) = 0;
    // `event` to one socket (not through the broadcaster); false when the socket is gone.
    virtual bool to_socket(const std::string& socket_id, std::string_view event, boost::json::value arg) = 0;
    // Resolves once what was sent so far no longer depends on this process living: in a cluster,
    // once it is in the shared stream (another instance delivers it if this one dies now). On a
    // single node at once.
    virtual task<void> settled() { co_return; }

    std::size_t to_user(const std::string& user, std::string_view event, boost::json::value arg,
                        const std::string& except_socket = {}, bool is_volatile = false) {
        target t{{"user:" + user}, {}, is_volatile};
        if (!except_socket.empty()) t.except.push_back(except_socket);
        return send(t, event, std::move(arg));
    }
    std::size_t to_room(const std::string& room, std::string_view event, boost::json::value arg) {
        return send(target{{room}, {}, false}, event, std::move(arg));
    }
    std::size_t to_everyone(std::string_view event, boost::json::value arg) {
        return send(target{}, event, std::move(arg));
    }
};

class chat_repository {
public:
    virtual ~chat_repository() = default;
    virtual task<result<sent_message>> send(chat_message m) = 0;
    // Between `reader` and `other`, newest first; up to `limit` older than `before_id`.
    virtual task<result<std::vector<chat_message>>> history(std::string reader, std::string other,
                                                            std::optional<std::int64_t> before_id,
                                                            std::int64_t limit) = 0;
    // The receiver's undelivered messages, oldest first.
    virtual task<result<std::vector<chat_message>>> undelivered(std::string receiver, std::int64_t limit) = 0;
    // Marks delivered; those that changed.
    virtual task<result<std::vector<chat_message>>> mark_delivered(std::string receiver,
                                                                   std::vector<std::int64_t> ids,
                                                                   std::int64_t now) = 0;
    // Marks read what `other` sent to `reader` (the ids, or all up to `up_to_id`, or all); those that
    // changed.
    virtual task<result<std::vector<chat_message>>> mark_read(std::string reader, std::string other,
                                                              std::vector<std::int64_t> ids,
                                                              std::optional<std::int64_t> up_to_id,
                                                              std::int64_t now) = 0;
    virtual task<result<std::vector<conversation_summary>>> conversations(std::string user) = 0;
    // conversation → unread count.
    virtual task<result<std::vector<std::pair<std::string, std::int64_t>>>> unread(std::string user) = 0;
    virtual task<result<std::vector<chat_message>>> search(std::string user, std::string q,
                                                           std::int64_t limit) = 0;
    // The store's last error text, for logs (never for clients).
    virtual std::string last_error() const { return {}; }
};

class notification_repository {
public:
    virtual ~notification_repository() = default;
    virtual task<result<notification>> create(notification n) = 0;
    // Newest first, not dismissed; only unread ones when `unread_only`.
    virtual task<result<std::vector<notification>>> list(reader r, bool unread_only,
                                                         std::optional<std::int64_t> before_id,
                                                         std::int64_t limit) = 0;
    virtual task<result<std::int64_t>> unread_count(reader r) = 0;
    // Marks read those of `ids` (or, with `all` and no ids, every unread one); their ids.
    virtual task<result<std::vector<std::int64_t>>> mark_read(reader r, std::vector<std::int64_t> ids,
                                                              bool all, std::int64_t now) = 0;
    // Hides those of `ids` the reader can see; their ids.
    virtual task<result<std::vector<std::int64_t>>> dismiss(reader r, std::vector<std::int64_t> ids,
                                                            std::int64_t now) = 0;
    virtual std::string last_error() const { return {}; }
};

class clock {
public:
    virtual ~clock() = default;
    virtual std::int64_t wall_ms() = 0;    // timestamps on the wire and in the store
    virtual std::int64_t steady_ms() = 0;  // deadlines and log throttling
};

// Where background work runs: the domain owns no executor or timer.
class tasks {
public:
    virtual ~tasks() = default;
    // Runs `t` detached (on the thread that runs the services); its exception is logged.
    virtual void spawn(task<void> t) = 0;
    // Calls `f` (on that thread) at `steady_ms`; a later call replaces the earlier one.
    virtual void wake_at(std::int64_t steady_ms, std::function<void()> f) = 0;
};

}  // namespace switchboard::domain

namespace boost::system {
template <>
struct is_error_code_enum<switchboard::domain::store_errc> : std::true_type {};
}  // namespace boost::system
