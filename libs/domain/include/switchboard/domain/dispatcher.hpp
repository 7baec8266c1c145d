#pragma once
// An operation (a socket event or a REST route) → its command → the service that handles it.
// Keys may be camelCase or snake_case; every operation needs a signed-in caller.
#include <switchboard/domain/chat_service.hpp>
#include <switchboard/domain/commands.hpp>
#include <switchboard/domain/notification_service.hpp>

#include <boost/json/object.hpp>

namespace switchboard::domain {

class dispatcher {
public:
    dispatcher(chat_service& chat, notification_service& notes) : chat_(chat), notes_(notes) {}

    task<outcome> run(operation op, caller who, boost::json::object args);

private:
    task<outcome> run_chat(operation op, caller who, const boost::json::object& a);
    task<outcome> run_notification(operation op, caller who, const boost::json::object& a);

    chat_service& chat_;
    notification_service& notes_;
};

}  // namespace switchboard::domain
