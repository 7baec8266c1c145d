#include <switchboard/domain/records.hpp>
#include <switchboard/domain/reply.hpp>

namespace switchboard::domain {

namespace json = boost::json;

outcome fail(unsigned status, std::string message) {
    return {status, json::object{{"success", false}, {"error", std::move(message)}}};
}

outcome ok(json::object fields, unsigned status) {
    json::object o{{"success", true}};
    for (auto& [k, v] : fields)
        o[k] = std::move(v);
    return {status, std::move(o)};
}

std::string_view audience_name(audience a) noexcept {
    switch (a) {
        case audience::user:
            return "user";
        case audience::college:
            return "college";
        case audience::global:
            return "global";
    }
    return "user";
}

}  // namespace switchboard::domain
