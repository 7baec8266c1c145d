// The Kafka messages model: decide() never crashes or throws on any value of any topic. Byte 0
// picks the topic; the rest is the message's value. A decision always has an event, at least one
// valid room and a payload whose `type` is the event; poison always has a kafka errc.
#include <switchboard/auth/ids.hpp>
#include <switchboard/kafka/messages.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace switchboard;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    auto kind = static_cast<kafka::topic_kind>(data[0] % 4);
    std::string_view value(reinterpret_cast<const char*>(data) + 1, size - 1);
    std::string field;
    auto d = kafka::decide(kind, value, 1700000000000, {}, &field);
    if (!d) {
        if (d.error().category() != kafka::category()) std::abort();
        return 0;
    }
    if (d->event.empty() || d->rooms.empty()) std::abort();
    for (const auto& room : d->rooms)
        if (!auth::valid_room_name(room)) std::abort();
    auto* type = d->payload.if_contains("type");
    if (!type || !type->is_string() || type->get_string() != d->event) std::abort();
    if (!d->payload.contains("timestamp")) std::abort();
    return 0;
}
