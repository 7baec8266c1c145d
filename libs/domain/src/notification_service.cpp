#include <switchboard/domain/notification_service.hpp>
#include <switchboard/domain/views.hpp>

#include <switchboard/common/log.hpp>

#include <algorithm>

namespace switchboard::domain {

namespace json = boost::json;

namespace {
reader reader_of(const caller& who) {
    return {who.user_id, who.college_id};
}
}  // namespace

notification_service::notification_service(notification_repository& repo, delivery& out, clock& clk,
                                           failures& errors, std::vector<std::string> notify_roles,
                                           common::counter* created)
    : repo_(repo),
      out_(out),
      clock_(clk),
      errors_(errors),
      notify_roles_(std::move(notify_roles)),
      created_(created) {}

task<outcome> notification_service::list(caller who, notification_page page) {
    auto r = co_await repo_.list(reader_of(who), page.unread_only, page.before, page.limit + 1);
    if (!r) co_return errors_.report(r.error(), "notifications.list");
    bool more = trim_page(*r, page.limit);
    json::array list;
    for (const auto& n : *r)
        list.push_back(notification_json(n));
    co_return ok({{"notifications", std::move(list)}, {"hasMore", more}});
}

task<outcome> notification_service::unread_count(caller who) {
    auto r = co_await repo_.unread_count(reader_of(who));
    if (!r) co_return errors_.report(r.error(), "notifications.unread_count");
    co_return ok({{"count", *r}});
}

task<outcome> notification_service::mark(caller who, notification_ids cmd) {
    if (!cmd.all && cmd.ids.empty()) co_return ok({{"ids", json::array{}}, {"count", 0}});  // nothing asked
    auto now = clock_.wall_ms();
    // (GCC 12: no co_await inside a conditional expression — it double-destroys the result.)
    result<std::vector<std::int64_t>> r = std::vector<std::int64_t>{};
    if (cmd.dismiss)
        r = co_await repo_.dismiss(reader_of(who), cmd.ids, now);
    else
        r = co_await repo_.mark_read(reader_of(who), cmd.ids, cmd.all, now);
    if (!r)
        co_return errors_.report(r.error(),
                                 cmd.dismiss ? "notifications.dismiss" : "notifications.mark_read");
    // The user's other devices update their badges.
    if (!r->empty())
        out_.to_user(who.user_id, cmd.dismiss ? "notification:dismissed" : "notification:read",
                     json::object{{"ids", ids_json(*r)}, {"at", log::iso_time(now)}}, who.socket_id);
    co_return ok({{"ids", ids_json(*r)}, {"count", r->size()}});
}

bool notification_service::may_send(const caller& who) const {
    return who.super_admin ||
           std::find(notify_roles_.begin(), notify_roles_.end(), who.role) != notify_roles_.end();
}

task<outcome> notification_service::create(notification n, std::string sender) {
    n.sender_id = std::move(sender);
    n.created_at = clock_.wall_ms();
    auto r = co_await repo_.create(std::move(n));
    if (!r) co_return errors_.report(r.error(), "notifications.create");
    if (created_) created_->inc();
    auto body = notification_json(*r);
    auto room = r->to == audience::user      ? "user:" + r->audience_id
                : r->to == audience::college ? "college:" + r->audience_id
                                             : std::string("global");
    auto n_sent = out_.to_room(room, "notification:new", body);
    co_return ok({{"notification", std::move(body)}, {"recipients", n_sent}}, 201);
}

}  // namespace switchboard::domain
