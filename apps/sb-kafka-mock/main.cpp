// sb-kafka-mock: librdkafka's mock cluster (rdkafka_mock.h) as a process, for end-to-end tests
// from Node. It creates the topics, prints the bootstrap servers as its first stdout line, then
// takes commands on stdin, one a line, and answers on stdout:
//
//   send <topic> <value…>   produce (the rest of the line is the value) → "delivered <n> <partition>
//   <offset>"
//                           or "failed <n> <error>" once the cluster answers (n counts the sends from 1)
//   sendto <topic> <partition> <value…>   the same, to that partition
//   down [broker]           the broker (default: all) disconnects and refuses connections → "ok down"
//   up [broker]             it accepts connections again → "ok up"
//   restart [broker] [ms]   down, then up after ms (default 1000) → "ok restart"
//   read <topic>            every message so far, one JSON line each ({partition, offset, value,
//                           headers}), then "end <topic> <count>"
//   quit                    (or end of input) exit
//
// usage: sb-kafka-mock [--brokers N] [--partitions P] [--topic NAME]…  (default topics: the
// survey platform's four and websocket.dead-letters)
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <boost/json/serialize.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

std::mutex out_mu;

void say(const std::string& line) {
    std::lock_guard lock(out_mu);
    std::cout << line << std::endl;
}

rd_kafka_t* client(rd_kafka_type_t type, const std::vector<std::pair<std::string, std::string>>& props,
                   void (*dr)(rd_kafka_t*, const rd_kafka_message_t*, void*) = nullptr) {
    char err[512];
    auto* conf = rd_kafka_conf_new();
    for (const auto& [k, v] : props)
        if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
            std::cerr << "sb-kafka-mock: " << k << ": " << err << "\n";
            std::exit(2);
        }
    if (dr) rd_kafka_conf_set_dr_msg_cb(conf, dr);
    auto* rk = rd_kafka_new(type, conf, err, sizeof err);
    if (!rk) {
        std::cerr << "sb-kafka-mock: " << err << "\n";
        std::exit(2);
    }
    return rk;
}

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
    auto n = reinterpret_cast<std::uintptr_t>(m->_private);
    if (m->err)
        say("failed " + std::to_string(n) + " " + rd_kafka_err2name(m->err));
    else
        say("delivered " + std::to_string(n) + " " + std::to_string(m->partition) + " " +
            std::to_string(m->offset));
}

// Every message of `topic` up to the high watermarks when asked.
void read_topic(const std::string& brokers, const std::string& topic) {
    auto* rk =
        client(RD_KAFKA_CONSUMER,
               {{"bootstrap.servers", brokers}, {"group.id", "sb-kafka-mock-reader"}, {"log_level", "2"}});
    const rd_kafka_metadata_t* md = nullptr;
    auto* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
    int count = 0;
    if (rd_kafka_metadata(rk, 0, rkt, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR && md->topic_cnt == 1) {
        auto* list = rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt);
        std::int64_t remaining = 0;
        for (int i = 0; i < md->topics[0].partition_cnt; ++i) {
            std::int64_t lo = 0, hi = 0;
            rd_kafka_query_watermark_offsets(rk, topic.c_str(), i, &lo, &hi, 5000);
            remaining += hi - lo;
            rd_kafka_topic_partition_list_add(list, topic.c_str(), i)->offset = RD_KAFKA_OFFSET_BEGINNING;
        }
        rd_kafka_assign(rk, list);
        rd_kafka_topic_partition_list_destroy(list);
        for (int idle = 0; remaining > 0 && idle < 50;) {
            auto* m = rd_kafka_consumer_poll(rk, 100);
            if (!m) {
                ++idle;
                continue;
            }
            if (!m->err) {
                boost::json::object o{{"partition", m->partition},
                                      {"offset", m->offset},
                                      {"value", std::string(static_cast<const char*>(m->payload), m->len)}};
                boost::json::object h;
                rd_kafka_headers_t* hs = nullptr;
                if (rd_kafka_message_headers(m, &hs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
                    const char* name;
                    const void* v;
                    size_t n;
                    for (size_t i = 0;
                         rd_kafka_header_get_all(hs, i, &name, &v, &n) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i)
                        h[name] = std::string(static_cast<const char*>(v), n);
                }
                o["headers"] = std::move(h);
                say(boost::json::serialize(o));
                ++count;
                --remaining;
            }
            rd_kafka_message_destroy(m);
        }
        rd_kafka_metadata_destroy(md);
    }
    rd_kafka_topic_destroy(rkt);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    say("end " + topic + " " + std::to_string(count));
}

}  // namespace

int main(int argc, char** argv) {
    int brokers = 1, partitions = 3;
    std::vector<std::string> topics;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (i + 1 >= argc) {
            std::cerr << "usage: sb-kafka-mock [--brokers N] [--partitions P] [--topic NAME]…\n";
            return 2;
        }
        if (a == "--brokers")
            brokers = std::atoi(argv[++i]);
        else if (a == "--partitions")
            partitions = std::atoi(argv[++i]);
        else if (a == "--topic")
            topics.emplace_back(argv[++i]);
        else {
            std::cerr << "sb-kafka-mock: unknown argument " << a << "\n";
            return 2;
        }
    }
    if (topics.empty())
        topics = {"survey.responses", "survey.analytics", "surveyor.locations", "system.notifications",
                  "websocket.dead-letters"};
    auto* owner = client(RD_KAFKA_PRODUCER, {{"log_level", "2"}});
    auto* mc = rd_kafka_mock_cluster_new(owner, brokers < 1 ? 1 : brokers);
    if (!mc) {
        std::cerr << "sb-kafka-mock: the mock cluster did not start\n";
        return 1;
    }
    for (const auto& t : topics)
        rd_kafka_mock_topic_create(mc, t.c_str(), partitions < 1 ? 1 : partitions, 1);
    std::string bootstraps = rd_kafka_mock_cluster_bootstraps(mc);
    auto* producer =
        client(RD_KAFKA_PRODUCER, {{"bootstrap.servers", bootstraps}, {"linger.ms", "1"}, {"log_level", "2"}},
               on_delivery);
    std::atomic<bool> done{false};
    std::thread poller([&] {
        while (!done.load())
            rd_kafka_poll(producer, 50);
    });
    say(bootstraps);
    std::uintptr_t sent = 0;
    std::string line;
    while (std::getline(std::cin, line)) {
        std::istringstream in(line);
        std::string cmd;
        in >> cmd;
        if (cmd == "send" || cmd == "sendto") {
            std::string topic;
            int partition = RD_KAFKA_PARTITION_UA;
            in >> topic;
            if (cmd == "sendto") in >> partition;
            std::string value;
            std::getline(in, value);
            if (!value.empty() && value[0] == ' ') value.erase(0, 1);
            auto n = ++sent;
            if (auto e = rd_kafka_producev(
                    producer, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_VALUE(value.data(), value.size()),
                    RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(n)), RD_KAFKA_V_END))
                say("failed " + std::to_string(n) + " " + rd_kafka_err2name(e));
        } else if (cmd == "down" || cmd == "up") {
            int id = -1;
            in >> id;
            auto e =
                cmd == "down" ? rd_kafka_mock_broker_set_down(mc, id) : rd_kafka_mock_broker_set_up(mc, id);
            say(e ? "error " + std::string(rd_kafka_err2name(e)) : "ok " + cmd);
        } else if (cmd == "restart") {
            int id = -1, ms = 1000;
            in >> id >> ms;
            auto e = rd_kafka_mock_broker_set_down(mc, id);
            std::this_thread::sleep_for(std::chrono::milliseconds(ms));
            if (!e) e = rd_kafka_mock_broker_set_up(mc, id);
            say(e ? "error " + std::string(rd_kafka_err2name(e)) : "ok restart");
        } else if (cmd == "read") {
            std::string topic;
            in >> topic;
            read_topic(bootstraps, topic);
        } else if (cmd == "quit") {
            break;
        } else if (!cmd.empty()) {
            say("error unknown command " + cmd);
        }
    }
    rd_kafka_flush(producer, 5000);
    done = true;
    poller.join();
    rd_kafka_destroy(producer);
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(owner);
    return 0;
}
