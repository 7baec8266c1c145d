#pragma once
// Why a Kafka message is poison: it never will become an event, however often it is read.
#include <boost/system/error_code.hpp>

#include <type_traits>

namespace switchboard::kafka {

enum class errc {
    too_large = 1,  // the value is past the size limit
    not_json,       // not JSON, or nested past the depth limit
    not_an_object,  // JSON, but not an object
    missing_field,  // a required field is absent or null
    bad_id,         // an id field that is not a valid id (string of id characters, or an integer)
    bad_field,      // a field of the wrong type (location not an object, title not a string…)
    no_room,        // nothing says who gets it (a location with neither surveyId nor projectId)
    unknown_topic   // a topic none of the settings names
};

const boost::system::error_category& category() noexcept;
inline boost::system::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), category()};
}

}  // namespace switchboard::kafka

template <>
struct boost::system::is_error_code_enum<switchboard::kafka::errc> : std::true_type {};
