#pragma once
// Fake ports for the domain services: repositories in memory, a delivery that records, a fixed
// clock, and tasks run on a plain io_context. No sockets, no database.
#include <switchboard/domain/ports.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

namespace sbtest {

namespace domain = switchboard::domain;
namespace json = boost::json;

struct sent {
    domain::target to;
    std::string event;
    json::value arg;
    std::string socket;  // to_socket only
};

class recording_delivery final : public domain::delivery {
public:
    std::vector<sent> log;
    std::map<std::string, std::size_t> reach;  // room → sockets reached (default 1)
    std::vector<std::string> gone;             // socket ids to_socket does not reach

    std::size_t send(const domain::target& to, std::string_view event, json::value arg) override {
        log.push_back({to, std::string(event), std::move(arg), {}});
        std::size_t n = 0;
        for (const auto& r : to.rooms)
            n += reach.count(r) ? reach[r] : 1;
        return n;
    }
    bool to_socket(const std::string& id, std::string_view event, json::value arg) override {
        if (std::find(gone.begin(), gone.end(), id) != gone.end()) return false;
        log.push_back({{}, std::string(event), std::move(arg), id});
        return true;
    }
    // Each settled() call, with how much had been sent before it.
    std::vector<std::size_t> settled_after;
    domain::task<void> settled() override {
        settled_after.push_back(log.size());
        co_return;
    }
    std::vector<sent> events(std::string_view name) const {
        std::vector<sent> out;
        for (const auto& s : log)
            if (s.event == name) out.push_back(s);
        return out;
    }
};

class fixed_clock final : public domain::clock {
public:
    std::int64_t wall = 1700000000000;
    std::int64_t steady = 1000;
    std::int64_t wall_ms() override { return wall; }
    std::int64_t steady_ms() override { return steady; }
};

class loop_tasks final : public domain::tasks {
public:
    explicit loop_tasks(boost::asio::io_context& ctx) : ctx_(ctx) {}
    std::optional<std::int64_t> wake;
    std::function<void()> on_wake;
    void spawn(domain::task<void> t) override {
        boost::asio::co_spawn(ctx_, std::move(t), boost::asio::detached);
    }
    void wake_at(std::int64_t at, std::function<void()> f) override {
        wake = at;
        on_wake = std::move(f);
    }

private:
    boost::asio::io_context& ctx_;
};

class memory_chat final : public domain::chat_repository {
public:
    std::vector<domain::chat_message> rows;
    std::optional<domain::store_errc> fail_next;
    bool suspend_reads = false;      // conversations() yields once, as a real store does
    std::vector<std::string> calls;  // "op reader other" as asked

    domain::task<domain::result<domain::sent_message>> send(domain::chat_message m) override {
        calls.push_back("send " + m.sender_id + " " + m.receiver_id);
        if (auto e = take_failure()) co_return *e;
        for (const auto& r : rows)
            if (r.sender_id == m.sender_id && r.client_message_id == m.client_message_id)
                co_return domain::sent_message{r, false};
        m.id = static_cast<std::int64_t>(rows.size()) + 1;
        m.conversation_id = domain::dm_conversation(m.sender_id, m.receiver_id);
        rows.push_back(m);
        co_return domain::sent_message{m, true};
    }
    domain::task<domain::result<std::vector<domain::chat_message>>> history(
        std::string reader, std::string other, std::optional<std::int64_t> before,
        std::int64_t limit) override {
        calls.push_back("history " + reader + " " + other);
        if (auto e = take_failure()) co_return *e;
        std::vector<domain::chat_message> out;
        for (auto it = rows.rbegin(); it != rows.rend(); ++it)
            if (between(*it, reader, other) && (!before || it->id < *before) &&
                static_cast<std::int64_t>(out.size()) < limit)
                out.push_back(*it);
        co_return out;
    }
    domain::task<domain::result<std::vector<domain::chat_message>>> undelivered(std::string receiver,
                                                                                std::int64_t limit) override {
        calls.push_back("undelivered " + receiver);
        std::vector<domain::chat_message> out;
        for (const auto& r : rows)
            if (r.receiver_id == receiver && !r.delivered_at && static_cast<std::int64_t>(out.size()) < limit)
                out.push_back(r);
        co_return out;
    }
    domain::task<domain::result<std::vector<domain::chat_message>>> mark_delivered(
        std::string receiver, std::vector<std::int64_t> ids, std::int64_t now) override {
        calls.push_back("mark_delivered " + receiver);
        std::vector<domain::chat_message> out;
        for (auto& r : rows)
            if (r.receiver_id == receiver && !r.delivered_at &&
                std::find(ids.begin(), ids.end(), r.id) != ids.end()) {
                r.delivered_at = now;
                out.push_back(r);
            }
        co_return out;
    }
    domain::task<domain::result<std::vector<domain::chat_message>>> mark_read(
        std::string reader, std::string other, std::vector<std::int64_t> ids,
        std::optional<std::int64_t> up_to, std::int64_t now) override {
        calls.push_back("mark_read " + reader + " " + other);
        std::vector<domain::chat_message> out;
        for (auto& r : rows)
            if (r.receiver_id == reader && r.sender_id == other && !r.read_at &&
                (ids.empty() || std::find(ids.begin(), ids.end(), r.id) != ids.end()) &&
                (!up_to || r.id <= *up_to)) {
                r.read_at = now;
                out.push_back(r);
            }
        co_return out;
    }
    domain::task<domain::result<std::vector<domain::conversation_summary>>> conversations(
        std::string user) override {
        calls.push_back("conversations " + user);
        if (suspend_reads)
            co_await boost::asio::post(co_await boost::asio::this_coro::executor, boost::asio::use_awaitable);
        if (auto e = take_failure()) co_return *e;
        std::map<std::string, domain::conversation_summary> by;
        for (const auto& r : rows) {
            if (r.sender_id != user && r.receiver_id != user) continue;
            auto other = r.sender_id == user ? r.receiver_id : r.sender_id;
            auto& c = by[other];
            c.other_user = other;
            c.conversation_id = r.conversation_id;
            c.last = r;
        }
        std::vector<domain::conversation_summary> out;
        for (auto& [k, c] : by)
            out.push_back(std::move(c));
        co_return out;
    }
    domain::task<domain::result<std::vector<std::pair<std::string, std::int64_t>>>> unread(
        std::string user) override {
        calls.push_back("unread " + user);
        std::map<std::string, std::int64_t> by;
        for (const auto& r : rows)
            if (r.receiver_id == user && !r.read_at) ++by[r.conversation_id];
        co_return std::vector<std::pair<std::string, std::int64_t>>(by.begin(), by.end());
    }
    domain::task<domain::result<std::vector<domain::chat_message>>> search(std::string user, std::string q,
                                                                           std::int64_t) override {
        calls.push_back("search " + user + " " + q);
        co_return std::vector<domain::chat_message>{};
    }

private:
    static bool between(const domain::chat_message& m, const std::string& a, const std::string& b) {
        return (m.sender_id == a && m.receiver_id == b) || (m.sender_id == b && m.receiver_id == a);
    }
    std::optional<boost::system::error_code> take_failure() {
        if (!fail_next) return std::nullopt;
        auto e = domain::make_error_code(*fail_next);
        fail_next.reset();
        return e;
    }
};

class memory_notifications final : public domain::notification_repository {
public:
    std::vector<domain::notification> rows;
    std::map<std::pair<std::string, std::int64_t>, std::int64_t> read;  // (user, id) → at

    domain::task<domain::result<domain::notification>> create(domain::notification n) override {
        n.id = static_cast<std::int64_t>(rows.size()) + 1;
        rows.push_back(n);
        co_return n;
    }
    domain::task<domain::result<std::vector<domain::notification>>> list(domain::reader r, bool unread_only,
                                                                         std::optional<std::int64_t>,
                                                                         std::int64_t limit) override {
        std::vector<domain::notification> out;
        for (auto it = rows.rbegin(); it != rows.rend(); ++it) {
            if (!sees(r, *it)) continue;
            auto n = *it;
            if (auto x = read.find({r.user_id, n.id}); x != read.end()) n.read_at = x->second;
            if (unread_only && n.read_at) continue;
            if (static_cast<std::int64_t>(out.size()) < limit) out.push_back(n);
        }
        co_return out;
    }
    domain::task<domain::result<std::int64_t>> unread_count(domain::reader r) override {
        std::int64_t n = 0;
        for (const auto& x : rows)
            if (sees(r, x) && !read.count({r.user_id, x.id})) ++n;
        co_return n;
    }
    domain::task<domain::result<std::vector<std::int64_t>>> mark_read(domain::reader r,
                                                                      std::vector<std::int64_t> ids, bool all,
                                                                      std::int64_t now) override {
        std::vector<std::int64_t> out;
        for (const auto& x : rows)
            if (sees(r, x) && !read.count({r.user_id, x.id}) &&
                (all || std::find(ids.begin(), ids.end(), x.id) != ids.end())) {
                read[{r.user_id, x.id}] = now;
                out.push_back(x.id);
            }
        co_return out;
    }
    domain::task<domain::result<std::vector<std::int64_t>>> dismiss(domain::reader r,
                                                                    std::vector<std::int64_t> ids,
                                                                    std::int64_t now) override {
        co_return co_await mark_read(std::move(r), std::move(ids), false, now);
    }

private:
    static bool sees(const domain::reader& r, const domain::notification& n) {
        return n.to == domain::audience::global ||
               (n.to == domain::audience::user && n.audience_id == r.user_id) ||
               (n.to == domain::audience::college && n.audience_id == r.college_id);
    }
};

// Runs a service call to its end on `ctx` and returns its result.
template <class T>
T run(boost::asio::io_context& ctx, domain::task<T> t) {
    auto f = boost::asio::co_spawn(ctx, std::move(t), boost::asio::use_future);
    ctx.restart();
    ctx.run();
    return f.get();
}

inline domain::caller user(std::string id, std::string socket = {}, std::string role = {}) {
    domain::caller c;
    c.user_id = std::move(id);
    c.anonymous = false;
    c.role = std::move(role);
    c.college_id = "c1";
    c.socket_id = std::move(socket);
    return c;
}

inline json::object obj(std::string_view text) {
    return json::parse(text).as_object();
}

}  // namespace sbtest
