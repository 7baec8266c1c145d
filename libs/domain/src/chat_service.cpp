#include <switchboard/domain/chat_service.hpp>
#include <switchboard/domain/views.hpp>

#include <switchboard/common/ids.hpp>
#include <switchboard/common/log.hpp>

#include <algorithm>
#include <map>

namespace switchboard::domain {

namespace json = boost::json;

chat_service::chat_service(chat_repository& repo, delivery& out, clock& clk, tasks& bg, failures& errors,
                           chat_settings s, common::counter* messages)
    : repo_(repo),
      out_(out),
      clock_(clk),
      tasks_(bg),
      errors_(errors),
      settings_(s),
      messages_(messages),
      typing_(s.typing_timeout_ms) {}

task<outcome> chat_service::send(caller who, send_message cmd) {
    chat_message m;
    m.receiver_id = std::move(cmd.receiver_id);
    m.body = std::move(cmd.body);
    m.attachments = std::move(cmd.attachments);
    // The retry key: the client's, or one made here and returned in every answer, so that a send
    // whose outcome is unknown can be retried without storing a second copy.
    m.client_message_id = cmd.client_message_id ? std::move(cmd.client_message_id)
                                                : std::optional<std::string>("sb-" + common::random_hex(16));
    auto key = *m.client_message_id;
    m.sender_id = who.user_id;
    m.created_at = clock_.wall_ms();
    auto r = co_await repo_.send(std::move(m));
    if (!r) {
        auto answer = errors_.report(r.error(), "chat.send");
        if (answer.status == 503) {
            // Timed out or lost mid-call: the row may have been committed. The same key finds it.
            answer = fail(503, "Outcome unknown: retry with the same clientMessageId");
            answer.body["clientMessageId"] = key;
        }
        co_return answer;
    }
    auto msg = message_json(r->message);
    if (!r->created) {
        // A retry. If the first attempt was stored but never told (its answer was lost), the
        // receiver hears of it now, once: delivery marks it, so a third attempt does not resend.
        if (!r->message.delivered_at && !marking_.contains(r->message.id)) {
            deliver_new(who, r->message, msg, false);
            co_await out_.settled();
        }
        co_return ok({{"message", std::move(msg)}, {"duplicate", true}});
    }
    if (messages_) messages_->inc();
    deliver_new(who, r->message, msg, true);
    // Acknowledged once the message is out of this process's hands (a cluster's stream): if this
    // instance dies now, the receiver still gets it live on another.
    co_await out_.settled();
    co_return ok({{"message", std::move(msg)}}, 201);
}

// A stored message to the receiver's devices (and, when new, the sender's other devices); marked
// delivered when a device of the receiver got it.
void chat_service::deliver_new(const caller& who, const chat_message& m, const json::object& msg,
                               bool to_sender) {
    auto reached = out_.to_user(m.receiver_id, "chat:message", msg);
    if (to_sender) out_.to_user(who.user_id, "chat:message", msg, who.socket_id);
    if (reached == 0) return;
    marking_.insert(m.id);
    tasks_.spawn(mark_delivered(m.receiver_id, {m.id}));
}

// Marks delivered and tells each sender (chat:delivered {messageIds, deliveredAt}).
task<void> chat_service::mark_delivered(std::string receiver, std::vector<std::int64_t> ids) {
    auto now = clock_.wall_ms();
    auto r = co_await repo_.mark_delivered(receiver, ids, now);
    for (auto id : ids)
        marking_.erase(id);
    if (!r) {
        errors_.report(r.error(), "mark_delivered");  // stays undelivered: resent on next connect
        co_return;
    }
    std::map<std::string, std::vector<std::int64_t>> by_sender;
    for (const auto& m : *r)
        by_sender[m.sender_id].push_back(m.id);
    for (auto& [sender, list] : by_sender)
        out_.to_user(sender, "chat:delivered",
                     json::object{{"messageIds", ids_json(list)},
                                  {"receiverId", receiver},
                                  {"conversationId", dm_conversation(sender, receiver)},
                                  {"deliveredAt", log::iso_time(now)}});
}

task<void> chat_service::catch_up(std::string user, std::string socket_id) {
    for (int round = 0; round < 50; ++round) {
        auto r = co_await repo_.undelivered(user, 200);
        if (!r) {
            errors_.report(r.error(), "chat.undelivered");
            co_return;
        }
        if (r->empty()) co_return;
        // Rows being delivered live right now are the live path's: sent once, not twice.
        std::vector<std::int64_t> ids;
        bool gone = false;
        for (const auto& m : *r) {
            if (marking_.contains(m.id)) continue;
            if (!out_.to_socket(socket_id, "chat:message", message_json(m))) {
                gone = true;
                break;
            }
            marking_.insert(m.id);
            ids.push_back(m.id);
        }
        if (!ids.empty()) co_await mark_delivered(user, std::move(ids));
        if (gone || r->size() < 200) co_return;
    }
}

task<outcome> chat_service::typing(caller who, set_typing cmd) {
    const auto& to = cmd.receiver_id;
    if (cmd.on)
        typing_.start(who.user_id, to, clock_.steady_ms());
    else
        typing_.stop(who.user_id, to);
    // Volatile: a typing hint is worth nothing late.
    out_.to_user(to, "chat:typing", json::object{{"senderId", who.user_id}, {"isTyping", cmd.on}}, {}, true);
    arm_typing();
    co_return ok({{"receiverId", to}, {"isTyping", cmd.on}});
}

task<void> chat_service::delivered_elsewhere(std::string receiver, std::int64_t id) {
    if (marking_.contains(id)) co_return;
    marking_.insert(id);
    std::vector<std::int64_t> ids;  // (a braced list in a co_await trips g++ 12)
    ids.push_back(id);
    co_await mark_delivered(std::move(receiver), std::move(ids));
}

task<void> chat_service::presence_changed(std::string user, bool online, std::string last_seen) {
    // Transitions arrive in order, but each waits for its partners: a newer one for the same user
    // supersedes this one (a quick reload's offline + online must not be told as online + offline).
    auto seq = ++presence_seq_[user];
    struct forget {
        std::unordered_map<std::string, std::uint64_t>& seqs;
        const std::string& user;
        std::uint64_t seq;
        ~forget() {
            if (auto it = seqs.find(user); it != seqs.end() && it->second == seq) seqs.erase(it);
        }
    } done{presence_seq_, user, seq};
    target to;
    to.rooms.push_back(presence_room(user));
    auto partners = co_await repo_.conversations(user);
    if (partners) {
        for (const auto& c : *partners)
            if (!c.other_user.empty() && c.other_user != user) to.rooms.push_back("user:" + c.other_user);
    } else {
        (void)errors_.report(partners.error(), "presence partners");
    }
    if (auto it = presence_seq_.find(user); it == presence_seq_.end() || it->second != seq)
        co_return;  // superseded while the partners were read
    json::object body{{"userId", user}};
    if (!online && !last_seen.empty()) body["lastSeen"] = last_seen;
    out_.send(to, online ? "user:online" : "user:offline", std::move(body));
}

void chat_service::typing_expired() {
    for (auto& p : typing_.expired(clock_.steady_ms()))
        out_.to_user(p.to, "chat:typing", json::object{{"senderId", p.from}, {"isTyping", false}}, {}, true);
    arm_typing();
}

void chat_service::arm_typing() {
    if (auto next = typing_.next_deadline()) tasks_.wake_at(*next, [this] { typing_expired(); });
}

task<outcome> chat_service::mark_read(caller who, domain::mark_read cmd) {
    auto now = clock_.wall_ms();
    auto r = co_await repo_.mark_read(who.user_id, cmd.other, std::move(cmd.ids), cmd.up_to, now);
    if (!r) co_return errors_.report(r.error(), "chat.mark_read");
    std::vector<std::int64_t> changed;
    for (const auto& m : *r)
        changed.push_back(m.id);
    std::sort(changed.begin(), changed.end());
    auto read_at = changed.empty() ? json::value(nullptr) : json::value(log::iso_time(now));
    if (!changed.empty())
        out_.to_user(cmd.other, "chat:readReceipt",
                     json::object{{"readerId", who.user_id},
                                  {"conversationId", cmd.conversation_id},
                                  {"messageIds", ids_json(changed)},
                                  {"readAt", read_at}});
    co_return ok({{"conversationId", cmd.conversation_id},
                  {"messageIds", ids_json(changed)},
                  {"count", changed.size()},
                  {"readAt", read_at}});
}

task<outcome> chat_service::history(caller who, history_query q) {
    auto r = co_await repo_.history(who.user_id, q.other, q.before, q.limit + 1);
    if (!r) co_return errors_.report(r.error(), "chat.history");
    bool more = trim_page(*r, q.limit);
    co_return ok({{"conversationId", q.conversation_id}, {"messages", messages_json(*r)}, {"hasMore", more}});
}

task<outcome> chat_service::conversations(caller who) {
    auto r = co_await repo_.conversations(who.user_id);
    if (!r) co_return errors_.report(r.error(), "chat.conversations");
    json::array list;
    for (const auto& c : *r)
        list.push_back(conversation_json(c));
    co_return ok({{"conversations", std::move(list)}});
}

task<outcome> chat_service::unread_count(caller who) {
    auto r = co_await repo_.unread(who.user_id);
    if (!r) co_return errors_.report(r.error(), "chat.unread");
    std::int64_t total = 0;
    json::object by;
    for (const auto& [conv, n] : *r) {
        total += n;
        by[conv] = n;
    }
    co_return ok({{"total", total}, {"byConversation", std::move(by)}});
}

task<outcome> chat_service::search(caller who, search_query q) {
    auto r = co_await repo_.search(who.user_id, q.q, q.limit);
    if (!r) co_return errors_.report(r.error(), "chat.search");
    co_return ok({{"q", q.q}, {"messages", messages_json(*r)}});
}

}  // namespace switchboard::domain
