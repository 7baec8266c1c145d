#pragma once
// Internals of the cluster message codec (cluster_message.cpp, cluster_data.cpp,
// cluster_msgpack.cpp).
#include <switchboard/rooms/cluster_message.hpp>

#include <boost/json/value.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::rooms::cluster::detail {

inline constexpr std::size_t max_bytes = 10u << 20;  // one encoded message or session
inline constexpr std::size_t max_depth = 32;         // nesting of arrays and maps

// msgpack → JSON. With `binary`, each bin becomes a placeholder {"_placeholder":true,"num":i} and its
// bytes binary[i]; without, a bin is an error. Map keys must be strings; ext types are errors.
// Never throws (but std::bad_alloc).
bool msgpack_to_json(std::string_view bytes, std::vector<std::string>* binary, boost::json::value& out,
                     std::string& error);
// JSON → msgpack, placeholders {"_placeholder":true,"num":i} with i < binary.size() as bin.
std::string json_to_msgpack(const boost::json::value& v, const std::vector<std::string>& binary);

// A message's `data` (nullopt: the type has none) and the binary its placeholders refer to.
struct message_data {
    std::optional<boost::json::value> value;
    std::vector<std::string> binary;
};
message_data encode_data(const message& m);
// Fills m's type-specific fields from `data` (m.uid, m.nsp and m.type already set).
bool decode_data(message& m, const boost::json::value* data, std::vector<std::string> binary,
                 std::string& error);

}  // namespace switchboard::rooms::cluster::detail
