// EVENT_ROUTES: the routes file parser and the payload templating never crash or throw on any input.
// Byte 0 picks the mode. 0: the rest is a routes file; when it parses, every route is matched
// against its own pattern and a fixed payload rendered through its rooms (a routed message always
// has at least one valid room). 1: the rest is "routing key\nbody" routed by a fixed file; a verdict
// is routed or poison with a reason, never both.
#include <switchboard/amqp/routes.hpp>
#include <switchboard/auth/ids.hpp>

#include <boost/json/parse.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace switchboard;

namespace {

const amqp::event_routes& fixed_routes() {
    static const amqp::event_routes r = *amqp::parse_routes(R"({"routes":[
        {"pattern":"order.created","emit":[{"event":"a","rooms":["company:{companyId}"]},
                                           {"event":"b","rooms":["shop:{shop.id}","x"]}]},
        {"pattern":"*.#.z","event":"z","rooms":["user:{a.b.c}:{d}"]},
        {"pattern":"#","event":"any","rooms":["user:{userId}","global"]}]})",
                                                            nullptr);
    return r;
}

void check_verdict(const amqp::verdict& v) {
    if (v.routed.has_value() == !v.poison.empty()) std::abort();
    if (!v.routed) return;
    if (v.routed->emits.empty()) std::abort();
    for (const auto& e : v.routed->emits) {
        if (e.rooms.empty()) std::abort();
        for (const auto& room : e.rooms)
            if (!auth::valid_room_name(room)) std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
    if (data[0] % 2 == 0) {
        std::string error;
        auto r = amqp::parse_routes(in, &error);
        if (!r) {
            if (error.empty()) std::abort();
            return 0;
        }
        auto payload = boost::json::parse(R"({"userId":1,"a":{"b":{"c":"x"}},"d":"y","companyId":"c"})");
        for (const auto& route : r->routes) {
            (void)amqp::topic_matches(route.words, route.pattern);
            for (const auto& e : route.emits)
                for (const auto& t : e.rooms)
                    if (auto room = amqp::render_room(t, payload); room && !auth::valid_room_name(*room))
                        std::abort();
            check_verdict(amqp::route_message(*r, route.pattern, R"({"userId":1})"));
        }
        (void)r->exchanges();
        return 0;
    }
    auto nl = in.find('\n');
    auto key = in.substr(0, nl);
    auto body = nl == std::string_view::npos ? std::string_view{} : in.substr(nl + 1);
    check_verdict(amqp::route_message(fixed_routes(), key, body));
    return 0;
}
