// The RabbitMQ consumer against a real broker (scripts/rabbitmq-temp): ack only after a dispatch
// that succeeded, a failed dispatch requeued and delivered again, poison dead-lettered into
// <queue>.dead, the broker stopped and started again (health down, reconnect, declared again),
// and stop() prompt while the broker is away. Skipped when rabbitmq-server is not installed.
#include "redis_temp.hpp"  // sbtest::run

#include <switchboard/amqp/consumer.hpp>

#include <amqp.h>
#include <amqp_tcp_socket.h>

#include <catch2/catch.hpp>

#include <boost/json/serialize.hpp>

#include <mutex>

using namespace switchboard;
using namespace std::chrono_literals;

namespace {

std::string script() {
    return SB_SCRIPTS_DIR "/rabbitmq-temp";
}

struct rabbit {
    std::string dir, url;
    rabbit() {
        dir = (std::filesystem::temp_directory_path() / ("sb-rabbit-" + std::to_string(::getpid()))).string();
        url = sbtest::run(script() + " start " + dir);
        REQUIRE(url.rfind("amqp://", 0) == 0);
    }
    ~rabbit() {
        sbtest::run(script() + " stop " + dir);
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
    void stop() { sbtest::run(script() + " stop " + dir); }
    void resume() { sbtest::run(script() + " resume " + dir); }
    // "name<TAB>messages" lines.
    std::string queues() {
        return sbtest::run(script() + " ctl " + dir + " -q list_queues name messages 2>/dev/null");
    }
};

// What a backend does: publish persistent messages (rabbitmq-c, its own connection).
struct publisher {
    amqp_connection_state_t conn = amqp_new_connection();
    explicit publisher(const amqp::endpoint& ep) {
        auto* sock = amqp_tcp_socket_new(conn);
        REQUIRE(amqp_socket_open(sock, ep.host.c_str(), ep.port) == AMQP_STATUS_OK);
        REQUIRE(amqp_login(conn, "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, "guest", "guest").reply_type ==
                AMQP_RESPONSE_NORMAL);
        amqp_channel_open(conn, 1);
        REQUIRE(amqp_get_rpc_reply(conn).reply_type == AMQP_RESPONSE_NORMAL);
    }
    ~publisher() {
        amqp_channel_close(conn, 1, AMQP_REPLY_SUCCESS);
        amqp_connection_close(conn, AMQP_REPLY_SUCCESS);
        amqp_destroy_connection(conn);
    }
    void publish(const std::string& key, const std::string& body) {
        amqp_basic_properties_t props{};
        props._flags = AMQP_BASIC_DELIVERY_MODE_FLAG;
        props.delivery_mode = 2;
        REQUIRE(amqp_basic_publish(conn, 1, amqp_cstring_bytes("sbtest"), amqp_cstring_bytes(key.c_str()), 0,
                                   0, &props, amqp_cstring_bytes(body.c_str())) == AMQP_STATUS_OK);
    }
};

template <class F>
bool eventually(F f, std::chrono::milliseconds limit = 20s) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (!f()) {
        if (std::chrono::steady_clock::now() > end) return false;
        std::this_thread::sleep_for(20ms);
    }
    return true;
}

bool has_line(const std::string& text, const std::string& line) {
    return ("\n" + text + "\n").find("\n" + line + "\n") != std::string::npos;
}

}  // namespace

TEST_CASE("amqp consumer: ack after dispatch, requeue, dead letters, broker restart") {
    if (!std::filesystem::exists("/usr/lib/rabbitmq/bin/rabbitmq-server")) {
        WARN("rabbitmq-server is not installed: skipped (apt-get install rabbitmq-server)");
        return;
    }
    rabbit broker;
    std::string error;
    auto ep = amqp::parse_amqp_url(broker.url, &error);
    REQUIRE(ep);
    amqp::consumer_options o;
    o.server = *ep;
    o.queue = "sbtest.events";
    o.dead_letter_exchange = "sbtest.events.dlx";
    o.dead_letter_queue = "sbtest.events.dead";
    o.retry_pause = 50ms;
    auto routes = amqp::parse_routes(
        R"({"exchange":"sbtest","routes":[{"pattern":"a.*","event":"e","rooms":["user:{u}"]}]})", &error);
    REQUIRE(routes);

    std::mutex mu;
    std::vector<std::string> calls;  // "n:<n> <result>"
    bool failed_once = false;
    common::metrics_registry metrics;
    amqp::consumer c(o, *routes, [&](const amqp::routed_message& m, std::string& reason) {
        std::lock_guard lock(mu);
        const auto& b = m.body.as_object();
        auto n = boost::json::serialize(b.at("n"));
        if (b.contains("fail") && !failed_once) {
            failed_once = true;
            calls.push_back("n:" + n + " failed");
            reason = "test failure";
            return amqp::dispatch_result::failed;
        }
        if (b.contains("refuse")) {
            calls.push_back("n:" + n + " refused");
            reason = "test refusal";
            return amqp::dispatch_result::refused;
        }
        calls.push_back("n:" + n + " done " + m.emits.at(0).rooms.at(0));
        return amqp::dispatch_result::done;
    });
    c.add_metrics(metrics);
    c.start();
    REQUIRE(eventually([&] { return c.healthy(); }));
    auto calls_now = [&] {
        std::lock_guard lock(mu);
        return calls;
    };

    {
        publisher p(*ep);
        p.publish("a.x", R"({"u":"1","n":1})");
        p.publish("a.x", R"({"u":"2","n":2,"fail":true})");
        p.publish("a.x", R"({"u":"3","n":3,"refuse":true})");
        p.publish("a.x", "{bad json");
        p.publish("a.x", R"({"n":5})");  // no room
    }
    REQUIRE(eventually([&] { return calls_now().size() == 4; }));
    std::this_thread::sleep_for(200ms);
    auto got = calls_now();
    CHECK(got == std::vector<std::string>{"n:1 done user:1", "n:2 failed", "n:3 refused", "n:2 done user:2"});
    auto text = metrics.render();
    CHECK(has_line(text, "switchboard_amqp_messages_total{result=\"dispatched\"} 2"));
    CHECK(has_line(text, "switchboard_amqp_messages_total{result=\"requeued\"} 1"));
    CHECK(has_line(text, "switchboard_amqp_messages_total{result=\"dead_lettered\"} 3"));
    CHECK(has_line(text, "switchboard_amqp_up 1"));
    auto q = broker.queues();
    CHECK(has_line(q, "sbtest.events.dead\t3"));
    CHECK(has_line(q, "sbtest.events\t0"));

    // The broker goes and comes back: down meanwhile, then consuming again (declared again).
    broker.stop();
    REQUIRE(eventually([&] { return !c.healthy(); }, 5s));
    broker.resume();
    REQUIRE(eventually([&] { return c.healthy(); }, 30s));
    CHECK_FALSE(has_line(metrics.render(), "switchboard_amqp_reconnects_total 0"));
    {
        publisher p(*ep);
        p.publish("a.y", R"({"u":"6","n":6})");
    }
    REQUIRE(eventually([&] { return calls_now().size() == 5; }));
    CHECK(calls_now().back() == "n:6 done user:6");

    // stop() is prompt while the broker is away (the backoff sleep is interrupted).
    broker.stop();
    REQUIRE(eventually([&] { return !c.healthy(); }, 5s));
    std::this_thread::sleep_for(300ms);
    auto t0 = std::chrono::steady_clock::now();
    c.stop();
    CHECK(std::chrono::steady_clock::now() - t0 < 3s);
}
