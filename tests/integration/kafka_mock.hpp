#pragma once
// librdkafka's mock cluster in the test's process, a producer and readers over it (sb_kafka_tests).
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace sbtest {

inline rd_kafka_t* kafka_client(rd_kafka_type_t type,
                                std::vector<std::pair<std::string, std::string>> props) {
    char err[512];
    auto* conf = rd_kafka_conf_new();
    props.emplace_back("log_level", "2");
    for (const auto& [k, v] : props)
        REQUIRE(rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) == RD_KAFKA_CONF_OK);
    auto* rk = rd_kafka_new(type, conf, err, sizeof err);
    REQUIRE(rk);
    return rk;
}

struct mock_cluster {
    rd_kafka_t* owner = nullptr;
    rd_kafka_mock_cluster_t* mc = nullptr;
    std::string bootstraps;
    explicit mock_cluster(int brokers = 1) {
        owner = kafka_client(RD_KAFKA_PRODUCER, {});
        mc = rd_kafka_mock_cluster_new(owner, brokers);
        REQUIRE(mc);
        bootstraps = rd_kafka_mock_cluster_bootstraps(mc);
    }
    ~mock_cluster() {
        rd_kafka_mock_cluster_destroy(mc);
        rd_kafka_destroy(owner);
    }
    void topic(const std::string& name, int partitions) {
        REQUIRE(rd_kafka_mock_topic_create(mc, name.c_str(), partitions, 1) == RD_KAFKA_RESP_ERR_NO_ERROR);
    }
    void down() { rd_kafka_mock_broker_set_down(mc, -1); }
    void up() { rd_kafka_mock_broker_set_up(mc, -1); }
};

struct producer {
    rd_kafka_t* rk;
    explicit producer(const std::string& brokers)
        : rk(kafka_client(RD_KAFKA_PRODUCER, {{"bootstrap.servers", brokers}, {"linger.ms", "1"}})) {}
    ~producer() {
        rd_kafka_flush(rk, 10000);
        rd_kafka_destroy(rk);
    }
    void send(const std::string& topic, const std::string& value, int partition = RD_KAFKA_PARTITION_UA) {
        REQUIRE(rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                  RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                                  RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR_NO_ERROR);
        rd_kafka_poll(rk, 0);
    }
    void flush() { REQUIRE(rd_kafka_flush(rk, 30000) == RD_KAFKA_RESP_ERR_NO_ERROR); }
};

struct read_message {
    std::string value;
    std::map<std::string, std::string> headers;
};

// Every message of partition 0 of `topic` so far (no group: assigned from the beginning).
inline std::vector<read_message> read_all(const std::string& brokers, const std::string& topic,
                                          std::size_t want,
                                          std::chrono::milliseconds limit = std::chrono::seconds(15)) {
    auto* rk =
        kafka_client(RD_KAFKA_CONSUMER, {{"bootstrap.servers", brokers}, {"group.id", "sbtest-reader"}});
    auto* list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, topic.c_str(), 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(rk, list);
    rd_kafka_topic_partition_list_destroy(list);
    std::vector<read_message> out;
    auto end = std::chrono::steady_clock::now() + limit;
    while (out.size() < want && std::chrono::steady_clock::now() < end) {
        auto* m = rd_kafka_consumer_poll(rk, 100);
        if (!m) continue;
        if (!m->err) {
            read_message r{{static_cast<const char*>(m->payload), m->len}, {}};
            rd_kafka_headers_t* h = nullptr;
            if (rd_kafka_message_headers(m, &h) == RD_KAFKA_RESP_ERR_NO_ERROR) {
                const char* name;
                const void* v;
                size_t n;
                for (size_t i = 0; rd_kafka_header_get_all(h, i, &name, &v, &n) == RD_KAFKA_RESP_ERR_NO_ERROR;
                     ++i)
                    r.headers[name] = std::string(static_cast<const char*>(v), n);
            }
            out.push_back(std::move(r));
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return out;
}

// The group's committed offset of one partition (-1001 when none).
inline std::int64_t committed(const std::string& brokers, const std::string& group, const std::string& topic,
                              int partition) {
    auto* rk = kafka_client(RD_KAFKA_CONSUMER, {{"bootstrap.servers", brokers}, {"group.id", group}});
    auto* list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, topic.c_str(), partition);
    std::int64_t off = RD_KAFKA_OFFSET_INVALID;
    if (rd_kafka_committed(rk, list, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) off = list->elems[0].offset;
    rd_kafka_topic_partition_list_destroy(list);
    rd_kafka_destroy(rk);
    return off;
}

template <class F>
bool eventually(F f, std::chrono::milliseconds limit = std::chrono::seconds(20)) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (!f()) {
        if (std::chrono::steady_clock::now() > end) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
}

}  // namespace sbtest
