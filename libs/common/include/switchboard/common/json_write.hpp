#pragma once
// Compact JSON serialisation with the output JavaScript's JSON.stringify gives for the same value
// (integral doubles without a fraction, shortest round-trip digits, key order kept). The output is
// always well-formed UTF-8: in a string that is not, each byte outside a well-formed sequence is
// written as U+FFFD.
#include <boost/json/fwd.hpp>

#include <string>
#include <string_view>

namespace switchboard::common {

void json_append(std::string& out, const boost::json::value& v);
void json_append(std::string& out, const boost::json::array& a);
void json_append_string(std::string& out, std::string_view s);
std::string json_write(const boost::json::value& v);

}  // namespace switchboard::common
