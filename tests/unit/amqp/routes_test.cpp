// The EVENT_ROUTES model: the file's parser (errors named), AMQP topic matching, room templates and
// the verdict on a message (routed, or poison with a reason); the shipped deploy/routes files.
#include <switchboard/amqp/consumer.hpp>
#include <switchboard/amqp/routes.hpp>

#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>

#include <fstream>
#include <sstream>

using namespace switchboard;
namespace json = boost::json;

namespace {

amqp::event_routes parse_ok(std::string_view text) {
    std::string error;
    auto r = amqp::parse_routes(text, &error);
    INFO(error);
    REQUIRE(r);
    return *r;
}

std::string parse_error(std::string_view text) {
    std::string error;
    auto r = amqp::parse_routes(text, &error);
    CHECK(!r);
    return error;
}

bool matches(std::string_view pattern, std::string_view key) {
    return amqp::topic_matches(amqp::split_words(pattern), key);
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

TEST_CASE("amqp routes: topic matching as RabbitMQ does it") {
    CHECK(matches("order.*", "order.created"));
    CHECK_FALSE(matches("order.*", "order"));
    CHECK_FALSE(matches("order.*", "order.created.late"));
    CHECK(matches("order.#", "order"));
    CHECK(matches("order.#", "order.a.b.c"));
    CHECK(matches("#", ""));
    CHECK(matches("#", "a.b"));
    CHECK(matches("*.created", "user.created"));
    CHECK_FALSE(matches("*.created", "created"));
    CHECK(matches("a.#.z", "a.z"));
    CHECK(matches("a.#.z", "a.b.c.z"));
    CHECK_FALSE(matches("a.#.z", "a.b.c"));
    CHECK(matches("#.#.x", "x"));
    CHECK(matches("message.sent", "message.sent"));
    CHECK_FALSE(matches("message.sent", "message.sentx"));
    CHECK(matches("*", ""));  // one (empty) word
    CHECK_FALSE(matches("a", std::string(300, 'a')));
}

TEST_CASE("amqp routes: a file's routes, first match wins") {
    auto r = parse_ok(R"({"exchange":"shop","routes":[
        {"pattern":"order.created","emit":[{"event":"order:new_order","rooms":["company:{companyId}"]},
                                           {"event":"order:shop_order","rooms":["shop:{shopId}"]}]},
        {"pattern":"order.*","event":"order:status_updated","rooms":["user:{customerId}","order:{orderId}"]},
        {"pattern":"#","exchange":"other","event":"any","rooms":["global"]}]})");
    REQUIRE(r.routes.size() == 3);
    CHECK(r.exchanges() == std::vector<std::string>{"shop", "other"});
    CHECK(r.match("order.created") == &r.routes[0]);
    CHECK(r.match("order.shipped") == &r.routes[1]);
    CHECK(r.match("zzz") == &r.routes[2]);
    CHECK(r.routes[0].emits.size() == 2);
    CHECK(r.routes[1].emits[0].rooms.size() == 2);
    CHECK(parse_ok(R"({"routes":[{"pattern":"a","event":"e","rooms":["r"]}]})").routes[0].exchange ==
          "events");
}

TEST_CASE("amqp routes: file errors say where") {
    CHECK(parse_error("nope").starts_with("not JSON"));
    CHECK(parse_error("[]") == "the file must be a JSON object {\"routes\": [...]}");
    CHECK(parse_error(R"({"routes":[]})") == "\"routes\" must be a non-empty array");
    CHECK(parse_error(R"({"routez":[]})") == "unknown key 'routez'");
    CHECK(parse_error(R"({"routes":[{"event":"e","rooms":["r"]}]})").starts_with("route 1: \"pattern\""));
    CHECK(parse_error(R"({"routes":[{"pattern":"a","event":"connect","rooms":["r"]}]})")
              .starts_with("route 1: event"));
    CHECK(parse_error(R"({"routes":[{"pattern":"a","event":"e","rooms":[]}]})") ==
          "route 1: event 'e': \"rooms\" must be a non-empty array");
    CHECK(parse_error(R"({"routes":[{"pattern":"a","event":"e","rooms":["user:{id"]}]})") ==
          "route 1: room 'user:{id': '{' without '}'");
    CHECK(parse_error(R"({"routes":[{"pattern":"a","event":"e","rooms":["user:{}"]}]})")
              .starts_with("route 1: room"));
    CHECK(parse_error(R"({"routes":[{"pattern":"a","event":"e","rooms":["u}"]}]})") ==
          "route 1: room 'u}': '}' without '{'");
    CHECK(parse_error(R"({"routes":[{"pattern":"a","event":"e","rooms":["r"],"emit":[]}]})") ==
          "route 1: either \"emit\" or \"event\" and \"rooms\"");
    CHECK(parse_error(R"({"exchange":"a b","routes":[{"pattern":"a","event":"e","rooms":["r"]}]})")
              .starts_with("\"exchange\""));
    CHECK(parse_error(R"({"routes":[{"pattern":"a","event":"e","rooms":["r"],"x":1}]})") ==
          "route 1: unknown key 'x'");
}

TEST_CASE("amqp routes: room templates from payload fields") {
    auto r =
        parse_ok(R"({"routes":[{"pattern":"#","event":"e","rooms":["user:{data.userId}","{kind}:{id}"]}]})");
    const auto& t = r.routes[0].emits[0].rooms;
    auto p = json::parse(R"({"data":{"userId":42},"kind":"order","id":"o-1"})");
    CHECK(amqp::render_room(t[0], p) == "user:42");
    CHECK(amqp::render_room(t[1], p) == "order:o-1");
    CHECK_FALSE(amqp::render_room(t[0], json::parse(R"({"data":{}})")));
    CHECK_FALSE(amqp::render_room(t[0], json::parse(R"({"data":{"userId":null}})")));
    CHECK_FALSE(amqp::render_room(t[0], json::parse(R"({"data":{"userId":{"a":1}}})")));
    CHECK_FALSE(amqp::render_room(t[0], json::parse(R"({"data":{"userId":""}})")));
    CHECK_FALSE(amqp::render_room(t[0], json::parse(R"({"data":{"userId":1.5}})")));
    CHECK_FALSE(amqp::render_room(t[0], json::parse(R"({"data":7})")));
    CHECK_FALSE(amqp::render_room(t[1], json::parse(R"({"kind":"a b","id":1})")));  // not a room name
    CHECK_FALSE(amqp::render_room(t[0], json::parse("[1]")));
}

TEST_CASE("amqp routes: each message is routed or poison") {
    auto r = parse_ok(R"({"routes":[
        {"pattern":"order.*","event":"order:status_updated","rooms":["user:{customerId}","order:{orderId}"]},
        {"pattern":"all","event":"a","rooms":["global"]}]})");
    auto v = amqp::route_message(r, "order.shipped", R"({"customerId":"c1","orderId":9,"status":"shipped"})");
    REQUIRE(v.routed);
    REQUIRE(v.routed->emits.size() == 1);
    CHECK(v.routed->emits[0].event == "order:status_updated");
    CHECK(v.routed->emits[0].rooms == std::vector<std::string>{"user:c1", "order:9"});
    CHECK(v.routed->body.at("status") == "shipped");

    auto one = amqp::route_message(r, "order.shipped", R"({"orderId":9})");  // a room skipped
    REQUIRE(one.routed);
    CHECK(one.routed->emits[0].rooms == std::vector<std::string>{"order:9"});
    CHECK(one.rooms_skipped == 1);

    CHECK(amqp::route_message(r, "order.shipped", "{not json").poison == "body is not JSON");
    CHECK(amqp::route_message(r, "payment.x", "{}").poison == "no route matches the routing key");
    CHECK(amqp::route_message(r, "order.shipped", R"({"x":1})").poison.starts_with("no room"));
    CHECK(amqp::route_message(r, "all", "[]").routed);  // global needs no field
    CHECK(amqp::route_message(r, "all", std::string(2 << 20, ' ')).poison == "body larger than the limit");
    std::string deep(100, '[');
    CHECK(amqp::route_message(r, "all", deep + std::string(100, ']')).poison == "body is not JSON");
}

TEST_CASE("amqp routes: AMQP_URL") {
    std::string error;
    auto e = amqp::parse_amqp_url("amqp://u%40x:p%3Aw@rabbit:5673/%2f", &error);
    REQUIRE(e);
    CHECK(e->user == "u@x");
    CHECK(e->password == "p:w");
    CHECK(e->host == "rabbit");
    CHECK(e->port == 5673);
    CHECK(e->vhost == "/");
    CHECK(e->to_log_string() == "amqp://u@x@rabbit:5673/");
    auto d = amqp::parse_amqp_url("amqp://localhost", &error);
    REQUIRE(d);
    CHECK(d->port == 5672);
    CHECK(d->vhost == "/");
    CHECK(d->user == "guest");
    CHECK(amqp::parse_amqp_url("amqp://h/shop", &error)->vhost == "shop");
    CHECK_FALSE(amqp::parse_amqp_url("http://h", &error));
    CHECK_FALSE(amqp::parse_amqp_url("amqps://h", &error));
    CHECK_FALSE(amqp::parse_amqp_url("amqp://h:0", &error));
    CHECK_FALSE(amqp::parse_amqp_url("amqp://:5672", &error));
    CHECK_FALSE(amqp::parse_amqp_url("amqp://u:%zz@h", &error));
}

TEST_CASE("amqp routes: reconnect backoff doubles from 100 ms to 5 s") {
    amqp::consumer_options o;
    using ms = std::chrono::milliseconds;
    CHECK(amqp::next_backoff(ms{0}, o) == ms{100});
    CHECK(amqp::next_backoff(ms{100}, o) == ms{200});
    CHECK(amqp::next_backoff(ms{3200}, o) == ms{5000});
    CHECK(amqp::next_backoff(ms{5000}, o) == ms{5000});
}

TEST_CASE("amqp routes: the shipped files parse and route as the seeds document") {
    auto hometrip = parse_ok(read_file(SB_SOURCE_DIR "/deploy/routes/hometrip.json"));
    auto m = amqp::route_message(hometrip, "message.sent", R"({"conversationId":"conv-1","senderId":"u1"})");
    REQUIRE(m.routed);
    CHECK(m.routed->emits[0].event == "new_message");
    CHECK(m.routed->emits[0].rooms == std::vector<std::string>{"conversation:conv-1"});
    auto b = amqp::route_message(hometrip, "booking.confirmed", R"({"userId":"u2","bookingId":"b1"})");
    REQUIRE(b.routed);
    CHECK(b.routed->emits[0].event == "booking_update");
    CHECK(b.routed->emits[0].rooms == std::vector<std::string>{"user:u2"});
    auto n = amqp::route_message(hometrip, "notification.created", R"({"userId":"u3"})");
    REQUIRE(n.routed);
    CHECK(n.routed->emits[0].event == "new_notification");

    auto shop = parse_ok(read_file(SB_SOURCE_DIR "/deploy/routes/ecommerce.json"));
    auto o = amqp::route_message(shop, "order.shipped",
                                 R"({"orderId":"order_123","customerId":"c1","status":"shipped"})");
    REQUIRE(o.routed);
    bool status_updated = false;
    for (const auto& e : o.routed->emits)
        if (e.event == "order:status_updated") {
            status_updated = true;
            CHECK(e.rooms == std::vector<std::string>{"user:c1"});
        }
    CHECK(status_updated);
    for (auto key : {"payment.success", "inventory.updated", "inventory.low_stock", "product.updated",
                     "notification.created", "user.updated", "company.updated", "shop.updated"})
        CHECK(shop.match(key));
}
