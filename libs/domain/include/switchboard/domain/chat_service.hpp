#pragma once
// Direct chat: send (idempotent by clientMessageId), delivery and read receipts, history,
// conversations, unread counts, search, typing to a user, and the catch-up of a device that
// connects. Runs on one thread (the caller's executor); needs no locks.
#include <switchboard/domain/commands.hpp>
#include <switchboard/domain/failures.hpp>
#include <switchboard/domain/ports.hpp>

#include <switchboard/common/metrics.hpp>
#include <switchboard/presence/typing.hpp>

#include <memory>
#include <unordered_map>
#include <unordered_set>

namespace switchboard::domain {

// The room of the sockets that asked about `user` (chat:getOnlineStatus).
inline std::string presence_room(const std::string& user) {
    return "presence:" + user;
}

struct chat_settings {
    std::size_t max_message_length = 5000;
    std::int64_t typing_timeout_ms = 5000;
};

class chat_service {
public:
    chat_service(chat_repository& repo, delivery& out, clock& clk, tasks& bg, failures& errors,
                 chat_settings s, common::counter* messages = nullptr);

    const chat_settings& settings() const noexcept { return settings_; }

    task<outcome> send(caller who, send_message cmd);
    task<outcome> typing(caller who, set_typing cmd);
    task<outcome> mark_read(caller who, domain::mark_read cmd);
    task<outcome> history(caller who, history_query q);
    task<outcome> conversations(caller who);
    task<outcome> unread_count(caller who);
    task<outcome> search(caller who, search_query q);
    // Delivers to `socket_id` what arrived for `user` while away, oldest first, then the receipts.
    task<void> catch_up(std::string user, std::string socket_id);

    // `user` came online or went offline (cluster-wide when the presence is shared): `user:online`
    // or `user:offline` {userId, lastSeen?} once, to the user's conversation partners and to the
    // sockets watching the user (the room presence_room(user), joined by chat:getOnlineStatus).
    // Without an answer from the store, the watchers alone are told.
    task<void> presence_changed(std::string user, bool online, std::string last_seen);

    // Another instance's chat:message `id` reached a device of `receiver` on this one (a cluster):
    // marked delivered here, and the sender told chat:delivered (once: marking is idempotent).
    task<void> delivered_elsewhere(std::string receiver, std::int64_t id);

    // Typing pairs whose deadline passed are told {isTyping:false} (the wake-up armed through tasks).
    void typing_expired();

private:
    task<void> mark_delivered(std::string receiver, std::vector<std::int64_t> ids);
    void deliver_new(const caller& who, const chat_message& m, const boost::json::object& msg,
                     bool to_sender);
    void arm_typing();

    chat_repository& repo_;
    delivery& out_;
    clock& clock_;
    tasks& tasks_;
    failures& errors_;
    chat_settings settings_;
    common::counter* messages_;
    presence::typing typing_;
    // Messages delivered live whose delivery is being recorded: a retry arriving meanwhile (its row
    // still says undelivered) must not deliver them again.
    std::unordered_set<std::int64_t> marking_;
    // The latest presence transition per user being told (older ones in flight are dropped).
    std::unordered_map<std::string, std::uint64_t> presence_seq_;
};

}  // namespace switchboard::domain
