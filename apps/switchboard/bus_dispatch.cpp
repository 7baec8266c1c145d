#include "bus_dispatch.hpp"

#include <switchboard/domain/push_service.hpp>

#include <boost/json/object.hpp>

#include <chrono>
#include <future>
#include <memory>

namespace switchboard::app {

bool push_to_rooms(const domain::push_service& push, const std::vector<std::string>& rooms,
                   const std::string& event, const boost::json::value& data, std::string& reason) {
    boost::json::object b;
    b["rooms"] = boost::json::array(rooms.begin(), rooms.end());
    b["event"] = event;
    b["data"] = data;
    auto out = push.to_rooms(b);
    if (domain::succeeded(out)) return true;
    const auto* err = out.body.if_contains("error");
    reason = err && err->is_string() ? std::string(err->as_string()) : "refused by the push API";
    return false;
}

bool await_fence(const fence_fn& fence, std::string& reason) {
    if (!fence) return true;
    auto settled = std::make_shared<std::promise<void>>();
    auto f = settled->get_future();
    fence([settled] { settled->set_value(); });
    if (f.wait_for(std::chrono::seconds(10)) == std::future_status::ready) return true;
    reason = "the cluster stream did not take the broadcast within 10 s";
    return false;
}

}  // namespace switchboard::app
