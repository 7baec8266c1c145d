#include <switchboard/kafka/errc.hpp>

#include <string>

namespace switchboard::kafka {

namespace {
struct category_impl final : boost::system::error_category {
    const char* name() const noexcept override { return "switchboard.kafka"; }
    std::string message(int ev) const override {
        switch (static_cast<errc>(ev)) {
            case errc::too_large:
                return "message larger than the limit";
            case errc::not_json:
                return "message is not JSON (or nested too deeply)";
            case errc::not_an_object:
                return "message is not a JSON object";
            case errc::missing_field:
                return "a required field is missing";
            case errc::bad_id:
                return "an id field is not a non-empty id string or an integer";
            case errc::bad_field:
                return "a field has the wrong type";
            case errc::no_room:
                return "the message names no room";
            case errc::unknown_topic:
                return "the topic is not one of the configured topics";
        }
        return "unknown kafka error";
    }
};
}  // namespace

const boost::system::error_category& category() noexcept {
    static const category_impl c;
    return c;
}

}  // namespace switchboard::kafka
