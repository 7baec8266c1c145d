#pragma once
// The survey platform's Kafka messages (seed 002), pure: each topic's documented message becomes
// the documented Socket.IO event, to the documented rooms, with the payload the HTTP push API
// sends for that event (push_service::survey_response and ::location build the same).
//
//   topic (setting)                              event               rooms
//   survey.responses (KAFKA_TOPIC_RESPONSES)     response.new        survey:{surveyId}, project:{projectId}
//   survey.analytics (KAFKA_TOPIC_ANALYTICS)     analytics.update    survey:{surveyId}, project:{projectId}
//   surveyor.locations (KAFKA_TOPIC_LOCATIONS)   surveyor.location   survey:{surveyId}, project:{projectId}
//   system.notifications (…_NOTIFICATIONS)       notification        user:{userId}, or everyone (global)
//
// A responses message's projectId may also be in its metadata. Every payload gets `type` (the
// event) and `timestamp` (ISO 8601 of `wall_ms`). Parsers never throw and enforce limits.
#include <switchboard/kafka/errc.hpp>

#include <boost/json/object.hpp>
#include <boost/system/result.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::kafka {

enum class topic_kind { responses, analytics, locations, notifications };
std::string_view to_string(topic_kind k) noexcept;

// The topic names (the seed's defaults).
struct topic_names {
    std::string responses = "survey.responses";
    std::string analytics = "survey.analytics";
    std::string locations = "surveyor.locations";
    std::string notifications = "system.notifications";
    std::optional<topic_kind> kind_of(std::string_view topic) const;
    const std::string& name_of(topic_kind k) const;
    // The four names, each once (two settings may name one topic: the first kind wins).
    std::vector<std::string> all() const;
};

struct limits {
    std::size_t max_bytes = 1 << 20;
    unsigned max_depth = 32;
};

struct decision {
    std::string event;
    std::vector<std::string> rooms;  // at least one; `global` is everyone; each socket gets it once
    boost::json::object payload;
};

// What a message on a topic of `kind` becomes; a poison message's error says why (errc), and
// `field` (when given) names the field at fault.
boost::system::result<decision> decide(topic_kind kind, std::string_view value, std::int64_t wall_ms,
                                       const limits& l = {}, std::string* field = nullptr);

}  // namespace switchboard::kafka
