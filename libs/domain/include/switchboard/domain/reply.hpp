#pragma once
// The one reply shape of every operation: {success:true, ...} or {success:false, error}, with the
// HTTP status REST answers with (acks carry the body only); `allow` for a 405.
#include <boost/json/object.hpp>

#include <optional>
#include <string>

namespace switchboard::domain {

struct outcome {
    unsigned status = 200;
    boost::json::object body;
    std::string allow;
};

outcome fail(unsigned status, std::string message);
outcome ok(boost::json::object fields = {}, unsigned status = 200);
inline bool succeeded(const outcome& o) {
    auto* s = o.body.if_contains("success");
    return s && *s == true;
}

// A check: the refusal to answer, or nothing.
using check = std::optional<outcome>;

}  // namespace switchboard::domain
