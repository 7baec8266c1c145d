#pragma once
// Small helpers shared by the gateway's event handlers and its HTTP API.
#include <switchboard/server/log.hpp>
#include <switchboard/server/server.hpp>

#include <chrono>

namespace switchboard::app {

inline std::int64_t wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}
inline std::int64_t wall_s() {
    return wall_ms() / 1000;
}
inline std::string now_iso() {
    return log::iso_time(wall_ms());
}
// A payload of one JSON argument.
inline server::payload one(boost::json::value v) {
    server::payload p;
    p.args.push_back(std::move(v));
    return p;
}

}  // namespace switchboard::app
