// The Channels-style frames (apps/switchboard/channels_frames.cpp) never crash or throw on any
// input. Byte 0 picks the endpoint (even: chat, odd: notifications), the rest is a client frame:
// it parses to a request or an error whose frame is JSON with type "error"; a request's answers to
// a success and to a failure are JSON with a string type; and the rest read as a domain event's
// argument becomes the endpoint's frame or nothing.
#include "../../apps/switchboard/channels_frames.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace switchboard::app::channels;
namespace json = boost::json;
namespace domain = switchboard::domain;

namespace {

void check_frame(const std::string& text) {
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
    if (ec || !v.is_object()) std::abort();
    auto* t = v.as_object().if_contains("type");
    if (!t || !t->is_string()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    auto ep = data[0] % 2 == 0 ? endpoint::chat : endpoint::notifications;
    std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
    auto r = parse_client_frame(ep, in);
    if (auto* e = std::get_if<frame_error>(&r)) {
        if (e->message.empty()) std::abort();
        check_frame(error_frame(*e));
    } else {
        auto& req = std::get<client_request>(r);
        if (req.type.empty() || req.type.size() > 64) std::abort();
        if (auto f = answer_frame(req, domain::fail(400, std::string(in.substr(0, 100))))) check_frame(*f);
        json::object echo;
        for (const auto& [k, v] : req.args)
            echo[k] = v;
        if (auto f = answer_frame(req, domain::ok({{"message", echo}, {"ids", echo}, {"count", 1}})))
            check_frame(*f);
    }
    boost::system::error_code ec;
    auto arg = json::parse(in, ec);
    if (ec) return 0;
    // Domain events are JSON that survives a round trip (no number beyond a double's range, which
    // Boost.JSON writes as 1e99999 and reads back as an error): only those are checked.
    json::parse(json::serialize(arg), ec);
    if (ec) return 0;
    for (const char* event : {"chat:message", "chat:typing", "chat:readReceipt", "chat:delivered",
                              "user:online", "notification:new", "notification:read", "room_joined"})
        if (auto f = event_frame(ep, event, arg)) check_frame(*f);
    return 0;
}
