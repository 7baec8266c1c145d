#pragma once
// Records → the JSON the events and REST answers carry.
#include <switchboard/domain/records.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
#include <vector>

namespace switchboard::domain {

boost::json::object message_json(const chat_message& m);
boost::json::array messages_json(const std::vector<chat_message>& ms);
boost::json::object conversation_json(const conversation_summary& c);
boost::json::object notification_json(const notification& n);
boost::json::array ids_json(const std::vector<std::int64_t>& ids);

// A page read with limit + 1 rows: trims the extra row; true when there was one (more to read).
template <class Rows>
bool trim_page(Rows& rows, std::int64_t limit) {
    bool more = static_cast<std::int64_t>(rows.size()) > limit;
    if (more) rows.resize(static_cast<std::size_t>(limit));
    return more;
}

}  // namespace switchboard::domain
