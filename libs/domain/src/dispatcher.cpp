#include <switchboard/domain/dispatcher.hpp>

namespace switchboard::domain {

namespace json = boost::json;

task<outcome> dispatcher::run(operation op, caller who, json::object args) {
    auto a = camel_keys(std::move(args));
    if (op == operation::online_users) co_return fail(400, "Unknown operation");  // the gateway's (presence)
    if (auto e = need_member(who)) co_return *e;
    switch (op) {
        case operation::chat_send:
        case operation::chat_typing:
        case operation::chat_mark_read:
        case operation::chat_get_messages:
        case operation::chat_get_conversations:
        case operation::chat_unread_count:
        case operation::chat_search:
            co_return co_await run_chat(op, std::move(who), a);
        default:
            co_return co_await run_notification(op, std::move(who), a);
    }
}

task<outcome> dispatcher::run_chat(operation op, caller who, const json::object& a) {
    switch (op) {
        case operation::chat_send: {
            send_message c;
            if (auto e = decode(a, who, chat_.settings().max_message_length, c)) co_return *e;
            co_return co_await chat_.send(std::move(who), std::move(c));
        }
        case operation::chat_typing: {
            set_typing c;
            if (auto e = decode(a, c)) co_return *e;
            co_return co_await chat_.typing(std::move(who), std::move(c));
        }
        case operation::chat_mark_read: {
            mark_read c;
            if (auto e = decode(a, who, c)) co_return *e;
            co_return co_await chat_.mark_read(std::move(who), std::move(c));
        }
        case operation::chat_get_messages: {
            history_query q;
            if (auto e = decode(a, who, q)) co_return *e;
            co_return co_await chat_.history(std::move(who), std::move(q));
        }
        case operation::chat_get_conversations:
            co_return co_await chat_.conversations(std::move(who));
        case operation::chat_unread_count:
            co_return co_await chat_.unread_count(std::move(who));
        case operation::chat_search: {
            search_query q;
            if (auto e = decode(a, q)) co_return *e;
            co_return co_await chat_.search(std::move(who), std::move(q));
        }
        default:
            break;
    }
    co_return fail(400, "Unknown operation");
}

task<outcome> dispatcher::run_notification(operation op, caller who, const json::object& a) {
    switch (op) {
        case operation::notification_list:
        case operation::notification_unread: {
            notification_page p;
            if (auto e = decode(a, op == operation::notification_unread, p)) co_return *e;
            co_return co_await notes_.list(std::move(who), std::move(p));
        }
        case operation::notification_unread_count:
            co_return co_await notes_.unread_count(std::move(who));
        case operation::notification_mark_read:
        case operation::notification_mark_all_read:
        case operation::notification_dismiss: {
            notification_ids c;
            if (auto e = decode(a, op == operation::notification_mark_all_read,
                                op == operation::notification_dismiss, c))
                co_return *e;
            co_return co_await notes_.mark(std::move(who), std::move(c));
        }
        case operation::notification_send:
        case operation::notification_broadcast: {
            if (!notes_.may_send(who)) co_return fail(403, "Insufficient permissions to send notifications");
            notification n;
            if (auto e = decode(a, op == operation::notification_broadcast, n)) co_return *e;
            co_return co_await notes_.create(std::move(n), who.user_id);
        }
        default:
            break;
    }
    co_return fail(400, "Unknown operation");
}

}  // namespace switchboard::domain
