#pragma once
// What backend services push to sockets: notifications (stored, then told) and broadcasts (to a
// room, a user, everyone, and the survey service's two typed ones). The HTTP API calls it today;
// the RabbitMQ / Kafka consumers and the events stream call it next. Each request is validated
// whole before anything is sent, so a bad request sends nothing. The broadcasts keep no state and
// may run on any thread; notify runs where the notification service runs.
#include <switchboard/domain/notification_service.hpp>
#include <switchboard/domain/ports.hpp>

#include <boost/json/object.hpp>

namespace switchboard::domain {

class push_service {
public:
    push_service(notification_service& notes, delivery& out, clock& clk)
        : notes_(notes), out_(out), clock_(clk) {}

    // A service's notification to a user (`broadcast` false: recipientId) or to a college or
    // everyone: no role check; 200 {notification, recipients} as the Node services answer.
    task<outcome> notify(boost::json::object body, bool broadcast);

    // {room, event, data?} → {success, room, event, recipients}
    outcome to_room(const boost::json::object& b) const;
    // {userId, event, data?} → {success, userId, event, recipients}
    outcome to_user(const boost::json::object& b) const;
    // {rooms: [..], event, data?} → {success, rooms, event, recipients}: each socket once, however
    // many of the rooms it is in (`global` is everyone). The RabbitMQ consumer's routes use it.
    outcome to_rooms(const boost::json::object& b) const;
    // {event, data?} to the global room → {success, event, recipients}
    outcome to_everyone(const boost::json::object& b) const;
    // {surveyId, projectId?, responseId?, response?, metadata?}: response.new to survey:{id} and
    // project:{id}, each socket once.
    outcome survey_response(const boost::json::object& b) const;
    // {surveyorId, location, surveyId?, projectId?}: surveyor.location to those rooms.
    outcome location(const boost::json::object& b) const;

private:
    notification_service& notes_;
    delivery& out_;
    clock& clock_;
};

}  // namespace switchboard::domain
