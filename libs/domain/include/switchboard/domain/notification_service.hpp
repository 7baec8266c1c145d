#pragma once
// Notifications: created for a user, an organisation or everyone and told to them at once
// (notification:new); listed, counted, marked read and dismissed per reader, the reader's other
// devices told (notification:read / notification:dismissed).
#include <switchboard/domain/commands.hpp>
#include <switchboard/domain/failures.hpp>
#include <switchboard/domain/ports.hpp>

#include <switchboard/common/metrics.hpp>

#include <string>
#include <vector>

namespace switchboard::domain {

class notification_service {
public:
    // `notify_roles`: the roles that may send and broadcast (NOTIFY_ROLES); super admins always may.
    notification_service(notification_repository& repo, delivery& out, clock& clk, failures& errors,
                         std::vector<std::string> notify_roles, common::counter* created = nullptr);

    task<outcome> list(caller who, notification_page page);
    task<outcome> unread_count(caller who);
    task<outcome> mark(caller who, notification_ids cmd);
    // A user's notification:send / notification:broadcast: the role check, then create.
    bool may_send(const caller& who) const;
    // Stores `n` (audience and fields decoded) from `sender` ("" for a service) and tells its
    // audience: 201 {notification, recipients}.
    task<outcome> create(notification n, std::string sender);

private:
    notification_repository& repo_;
    delivery& out_;
    clock& clock_;
    failures& errors_;
    std::vector<std::string> notify_roles_;
    common::counter* created_;
};

}  // namespace switchboard::domain
