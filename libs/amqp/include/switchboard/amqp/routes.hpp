#pragma once
// The EVENT_ROUTES model (pure): which AMQP messages become which Socket.IO events, in which rooms.
//
//   {"exchange": "events",                          default exchange of the routes (topic, durable)
//    "routes": [
//      {"pattern": "order.*",                       AMQP topic syntax: * one word, # zero or more
//       "exchange": "shop.events",                  optional: this route's exchange
//       "event": "order:status_updated",            the Socket.IO event ...
//       "rooms": ["user:{customerId}", "order:{orderId}"]},   ... to these rooms (each socket once)
//      {"pattern": "order.created",
//       "emit": [{"event": "order:new_order", "rooms": ["company:{companyId}"]},
//                {"event": "order:shop_order", "rooms": ["shop:{shopId}"]}]}]}
//
// The first route whose pattern matches the routing key wins. A room is a template: `{path}` is
// replaced by the payload's field (dotted paths reach nested objects: `{data.userId}`); a field
// that is missing, empty or not a string or integer skips that room, as does a result that is not a
// valid room name; `global` is everyone. A message none of whose rooms is left is poison. The
// event's argument is the message's JSON body. Parsers never throw and enforce limits.
#include <boost/json/value.hpp>
#include <boost/system/result.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::amqp {

struct limits {
    std::size_t max_file_bytes = 1 << 20;
    std::size_t max_routes = 1000;
    std::size_t max_emits = 16;      // per route
    std::size_t max_rooms = 16;      // per emit
    std::size_t max_template = 256;  // bytes of one room template
    std::size_t max_path_depth = 8;  // dots in one {path}
    std::size_t max_body_bytes = 1 << 20;
    unsigned max_body_depth = 32;
};

// One piece of a room template: literal text, or a payload path (split at the dots).
struct template_part {
    std::string literal;
    std::vector<std::string> path;  // non-empty: a placeholder
};

struct room_template {
    std::string text;  // as written
    std::vector<template_part> parts;
};

struct emit_spec {
    std::string event;
    std::vector<room_template> rooms;
};

struct route {
    std::string pattern;  // the binding key, as written
    std::vector<std::string> words;
    std::string exchange;
    std::vector<emit_spec> emits;
};

struct event_routes {
    std::vector<route> routes;
    // Each distinct exchange once, in order of appearance.
    std::vector<std::string> exchanges() const;
    // The first route matching `routing_key`, or nullptr.
    const route* match(std::string_view routing_key) const;
};

// Parses a routes file; on failure `error` says where and why.
std::optional<event_routes> parse_routes(std::string_view text, std::string* error, const limits& l = {});

// AMQP topic matching: `pattern` words (`*` one word, `#` zero or more) against the key's words.
bool topic_matches(const std::vector<std::string>& pattern_words, std::string_view routing_key);
// Splits at '.'; "" is one empty word.
std::vector<std::string> split_words(std::string_view s);

// A template filled from `payload`: nullopt when a field is missing, empty or not a string or
// integer, or the result is not a valid room name.
std::optional<std::string> render_room(const room_template& t, const boost::json::value& payload);

struct emission {
    std::string event;
    std::vector<std::string> rooms;  // at least one
};

struct routed_message {
    const route* matched = nullptr;
    boost::json::value body;
    std::vector<emission> emits;  // at least one
};

// What becomes of a message: routed, or poison with a reason (ours, never the payload's text).
struct verdict {
    std::optional<routed_message> routed;
    std::string poison;  // set when !routed
    std::size_t rooms_skipped = 0;
};

verdict route_message(const event_routes& routes, std::string_view routing_key, std::string_view body,
                      const limits& l = {});

}  // namespace switchboard::amqp
