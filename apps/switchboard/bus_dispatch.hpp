#pragma once
// What the backend buses (RabbitMQ, Kafka) share on their way into the push API: one emit through
// push_service::to_rooms, and the wait for the cluster's fence before a message counts as handled.
#include <boost/json/value.hpp>

#include <functional>
#include <string>
#include <vector>

namespace switchboard::domain {
class push_service;
}

namespace switchboard::app {

// `fence(done)`: `done` once what was broadcast before no longer depends on this process (the
// cluster bridge's fence); empty on a single node.
using fence_fn = std::function<void(std::function<void()>)>;

// One emit through push_service::to_rooms; false, with the API's error in `reason`, when its
// checks refuse it (it never will pass).
bool push_to_rooms(const domain::push_service& push, const std::vector<std::string>& rooms,
                   const std::string& event, const boost::json::value& data, std::string& reason);

// True once the fence has settled (at once without one); false, with `reason`, when it did not
// within 10 s. Blocks the calling (consumer) thread.
bool await_fence(const fence_fn& fence, std::string& reason);

}  // namespace switchboard::app
