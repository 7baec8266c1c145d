#include <switchboard/domain/views.hpp>

#include <switchboard/common/log.hpp>

#include <boost/json/parse.hpp>

namespace switchboard::domain {

namespace json = boost::json;

namespace {

json::value iso_or_null(const std::optional<std::int64_t>& ms) {
    return ms ? json::value(log::iso_time(*ms)) : json::value(nullptr);
}

json::value parse_stored(const std::string& text, json::value fallback) {
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
    return ec ? fallback : v;
}

}  // namespace

json::object message_json(const chat_message& m) {
    return {
        {"id", m.id},
        {"conversationId", m.conversation_id},
        {"senderId", m.sender_id},
        {"receiverId", m.receiver_id},
        {"message", m.body},
        {"attachments", parse_stored(m.attachments, json::array{})},
        {"createdAt", log::iso_time(m.created_at)},
        {"deliveredAt", iso_or_null(m.delivered_at)},
        {"readAt", iso_or_null(m.read_at)},
        {"clientMessageId", m.client_message_id ? json::value(*m.client_message_id) : json::value(nullptr)}};
}

json::array messages_json(const std::vector<chat_message>& ms) {
    json::array a;
    a.reserve(ms.size());
    for (const auto& m : ms)
        a.push_back(message_json(m));
    return a;
}

json::object conversation_json(const conversation_summary& c) {
    return {{"conversationId", c.conversation_id},
            {"userId", c.other_user},
            {"lastMessage", message_json(c.last)},
            {"unreadCount", c.unread},
            {"updatedAt", log::iso_time(c.last.created_at)}};
}

json::object notification_json(const notification& n) {
    json::object o{{"id", n.id},
                   {"type", n.type},
                   {"title", n.title},
                   {"message", n.message},
                   {"priority", n.priority},
                   {"metadata", parse_stored(n.metadata, json::object{})},
                   {"audience", audience_name(n.to)}};
    if (n.to == audience::user) o["recipientId"] = n.audience_id;
    if (n.to == audience::college) o["collegeId"] = n.audience_id;
    o["senderId"] = n.sender_id.empty() ? json::value(nullptr) : json::value(n.sender_id);
    o["createdAt"] = log::iso_time(n.created_at);
    o["read"] = n.read_at.has_value();
    o["readAt"] = iso_or_null(n.read_at);
    return o;
}

json::array ids_json(const std::vector<std::int64_t>& ids) {
    return json::array(ids.begin(), ids.end());
}

}  // namespace switchboard::domain
