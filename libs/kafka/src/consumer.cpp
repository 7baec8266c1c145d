// The Kafka consumer's shell (see consumer.hpp): librdkafka's high-level consumer on one thread,
// and a producer for the dead-letter topic.
#include <switchboard/kafka/consumer.hpp>

#include <switchboard/common/clock.hpp>
#include <switchboard/common/log.hpp>

#include <librdkafka/rdkafka.h>

#include <boost/json/parse.hpp>

#include <cstring>

namespace switchboard::kafka {

namespace json = boost::json;

namespace {

// A broker reachable and the group's coordinator known, from librdkafka's statistics.
bool stats_say_up(std::string_view text) {
    boost::system::error_code ec;
    auto doc = json::parse(text, ec);
    if (ec || !doc.is_object()) return false;
    const auto& o = doc.get_object();
    bool broker_up = false;
    if (auto* b = o.if_contains("brokers"); b && b->is_object())
        for (const auto& [name, v] : b->get_object()) {
            if (!v.is_object()) continue;
            auto* id = v.get_object().if_contains("nodeid");
            auto* st = v.get_object().if_contains("state");
            if (id && id->is_int64() && id->get_int64() >= 0 && st && st->is_string() &&
                st->get_string() == "UP")
                broker_up = true;
        }
    auto* g = o.if_contains("cgrp");
    if (!g || !g->is_object()) return false;
    auto* st = g->get_object().if_contains("state");
    return broker_up && st && st->is_string() && st->get_string() == "up";
}

struct delivery_state {
    bool done = false;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
};

}  // namespace

struct consumer::clients {
    rd_kafka_t* rk = nullptr;        // the group consumer
    rd_kafka_t* dead = nullptr;      // the dead-letter producer (with a dead-letter topic)
    rd_kafka_resp_err_t last_err{};  // throttles error logs
    std::int64_t last_err_ms = 0;
    // The same error is logged once per 10 s (a missing topic is reported at each poll).
    bool should_log(rd_kafka_resp_err_t code) {
        auto now = common::steady_ms();
        if (code == last_err && now - last_err_ms < 10000) return false;
        last_err = code;
        last_err_ms = now;
        return true;
    }
    ~clients() {
        if (dead) {
            rd_kafka_flush(dead, 2000);
            rd_kafka_destroy(dead);
        }
        if (rk) rd_kafka_destroy(rk);
    }
};

namespace {

consumer* self(void* opaque) {
    return static_cast<consumer*>(opaque);
}

std::optional<std::string> set(rd_kafka_conf_t* conf, const std::string& k, const std::string& v) {
    char err[512];
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK)
        return k + ": " + err;
    return std::nullopt;
}

void on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts, void*) {
    bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        log::info("kafka: partitions assigned", {{"count", std::to_string(parts->cnt)}});
        if (cooperative) {
            if (auto* e = rd_kafka_incremental_assign(rk, parts)) rd_kafka_error_destroy(e);
        } else {
            rd_kafka_assign(rk, parts);
        }
        return;
    }
    // Revoked: what was dispatched is committed before another member takes the partitions.
    rd_kafka_commit(rk, nullptr, 0);
    log::info("kafka: partitions revoked", {{"count", std::to_string(parts->cnt)}});
    if (cooperative) {
        if (auto* e = rd_kafka_incremental_unassign(rk, parts)) rd_kafka_error_destroy(e);
    } else {
        rd_kafka_assign(rk, nullptr);
    }
}

void on_commit(rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t*, void*) {
    if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
        log::warn("kafka: offset commit failed (committed again with the next)",
                  {{"error", rd_kafka_err2str(err)}});
}

// librdkafka's own log lines, as records of ours (debug: error_cb reports what matters, throttled),
// never its "%3|…" lines on stderr. Called on librdkafka's threads.
void on_log(const rd_kafka_t*, int level, const char* facility, const char* text) {
    log::debug("kafka: librdkafka",
               {{"level", std::to_string(level)}, {"facility", facility}, {"message", text}});
}

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
    if (auto* st = static_cast<delivery_state*>(m->_private)) {
        st->done = true;
        st->err = m->err;
    }
}

}  // namespace

consumer::consumer(consumer_options o, dispatch_fn dispatch)
    : opts_(std::move(o)), dispatch_(std::move(dispatch)) {}

consumer::~consumer() {
    stop();
}

void consumer::add_metrics(common::metrics_registry& m) {
    messages_ = &m.add_family("switchboard_kafka_messages_total",
                              "Kafka messages handled: dispatched (then committed), dead_lettered (poison to "
                              "the dead-letter topic), skipped (poison without one), rewound (a failed "
                              "dispatch, read again)",
                              "result", 8);
    for (auto r : {"dispatched", "dead_lettered", "skipped", "rewound"})
        messages_->at(r);
    errors_ = &m.add_counter("switchboard_kafka_errors_total",
                             "Errors librdkafka reported (brokers unreachable, …)");
    m.add_gauge("switchboard_kafka_up", "1 while a Kafka broker and the group coordinator are reachable",
                [this] { return up_.load() ? 1.0 : 0.0; });
}

std::uint64_t consumer::count_of(std::string_view result) const {
    if (result == "dispatched") return dispatched_.load();
    if (result == "dead_lettered") return dead_lettered_.load();
    if (result == "skipped") return skipped_.load();
    if (result == "rewound") return rewound_.load();
    return 0;
}

void consumer::count(const char* result) {
    std::string_view r(result);
    if (r == "dispatched") ++dispatched_;
    if (r == "dead_lettered") ++dead_lettered_;
    if (r == "skipped") ++skipped_;
    if (r == "rewound") ++rewound_;
    if (messages_) messages_->inc(result);
}

std::optional<std::string> consumer::start() {
    if (thread_.joinable()) return std::nullopt;
    auto c = std::make_unique<clients>();
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    std::vector<std::pair<std::string, std::string>> props = {
        {"bootstrap.servers", opts_.brokers},
        {"client.id", opts_.client_id},
        {"group.id", opts_.group_id},
        {"enable.auto.commit", "false"},
        {"enable.auto.offset.store", "false"},
        {"auto.offset.reset", opts_.offset_reset},
        {"statistics.interval.ms", "500"},
        {"log_level", "3"},  // librdkafka's own log (on_log): errors only
    };
    for (const auto& p : opts_.properties)
        props.push_back(p);
    for (const auto& [k, v] : props)
        if (auto e = set(conf, k, v)) {
            rd_kafka_conf_destroy(conf);
            return e;
        }
    rd_kafka_conf_set_opaque(conf, this);
    rd_kafka_conf_set_log_cb(conf, on_log);
    rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
    rd_kafka_conf_set_offset_commit_cb(conf, on_commit);
    rd_kafka_conf_set_stats_cb(conf, [](rd_kafka_t*, char* j, size_t len, void* opaque) {
        self(opaque)->up_ = stats_say_up({j, len});
        return 0;
    });
    rd_kafka_conf_set_error_cb(conf, [](rd_kafka_t*, int e, const char* reason, void* opaque) {
        auto* me = self(opaque);
        if (me->errors_) me->errors_->inc();
        auto code = static_cast<rd_kafka_resp_err_t>(e);
        if (code == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) me->up_ = false;
        if (!me->clients_->should_log(code)) return;
        log::warn("kafka: client error", {{"error", rd_kafka_err2name(code)}, {"reason", reason}});
    });
    c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!c->rk) {
        rd_kafka_conf_destroy(conf);
        return std::string("consumer: ") + err;
    }
    rd_kafka_poll_set_consumer(c->rk);
    if (!opts_.dead_letter_topic.empty()) {
        rd_kafka_conf_t* pc = rd_kafka_conf_new();
        for (const auto& [k, v] : std::vector<std::pair<std::string, std::string>>{
                 {"bootstrap.servers", opts_.brokers},
                 {"client.id", opts_.client_id + "-dead-letters"},
                 {"message.timeout.ms", "10000"},
                 {"log_level", "3"}})
            if (auto e = set(pc, k, v)) {
                rd_kafka_conf_destroy(pc);
                return e;
            }
        rd_kafka_conf_set_dr_msg_cb(pc, on_delivery);
        rd_kafka_conf_set_log_cb(pc, on_log);
        c->dead = rd_kafka_new(RD_KAFKA_PRODUCER, pc, err, sizeof err);
        if (!c->dead) {
            rd_kafka_conf_destroy(pc);
            return std::string("dead-letter producer: ") + err;
        }
    }
    auto topics = opts_.topics.all();
    auto* list = rd_kafka_topic_partition_list_new(static_cast<int>(topics.size()));
    for (const auto& t : topics)
        rd_kafka_topic_partition_list_add(list, t.c_str(), RD_KAFKA_PARTITION_UA);
    auto e = rd_kafka_subscribe(c->rk, list);
    rd_kafka_topic_partition_list_destroy(list);
    if (e) return std::string("subscribe: ") + rd_kafka_err2str(e);
    clients_ = std::move(c);
    stop_ = false;
    thread_ = std::thread([this] { run(); });
    return std::nullopt;
}

void consumer::stop() {
    {
        std::lock_guard lock(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    clients_.reset();
    up_ = false;
}

bool consumer::sleep_for(std::chrono::milliseconds d) {
    std::unique_lock lock(mu_);
    return !cv_.wait_for(lock, d, [this] { return stop_.load(); });
}

namespace {

struct message_view {
    std::string topic;
    std::int32_t partition;
    std::int64_t offset;
    std::string_view value, key;
};

// The next offset of the message's partition, stored: committed with the next commit.
void store_next(rd_kafka_t* rk, const message_view& m) {
    auto* list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, m.topic.c_str(), m.partition)->offset = m.offset + 1;
    if (auto e = rd_kafka_offsets_store(rk, list))
        log::warn(
            "kafka: offset not stored (the partition was revoked: another member reads it again)",
            {{"topic", m.topic}, {"partition", std::to_string(m.partition)}, {"error", rd_kafka_err2str(e)}});
    rd_kafka_topic_partition_list_destroy(list);
}

// Back to the message: it is read again.
void rewind(rd_kafka_t* rk, const message_view& m) {
    auto* list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, m.topic.c_str(), m.partition)->offset = m.offset;
    if (auto* e = rd_kafka_seek_partitions(rk, list, 5000)) {
        log::warn("kafka: seek failed", {{"topic", m.topic}, {"error", rd_kafka_error_string(e)}});
        rd_kafka_error_destroy(e);
    }
    rd_kafka_topic_partition_list_destroy(list);
}

// Produces the poison to the dead-letter topic and waits for the broker's acknowledgement.
bool produce_dead_letter(rd_kafka_t* p, const std::string& topic, const message_view& m,
                         const std::string& reason) {
    auto* h = rd_kafka_headers_new(4);
    auto add = [h](const char* name, const std::string& v) {
        rd_kafka_header_add(h, name, -1, v.data(), static_cast<ssize_t>(v.size()));
    };
    add(header_reason, reason);
    add(header_topic, m.topic);
    add(header_partition, std::to_string(m.partition));
    add(header_offset, std::to_string(m.offset));
    delivery_state st;
    auto e = rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                               RD_KAFKA_V_VALUE(const_cast<char*>(m.value.data()), m.value.size()),
                               RD_KAFKA_V_KEY(m.key.data(), m.key.size()), RD_KAFKA_V_HEADERS(h),
                               RD_KAFKA_V_OPAQUE(&st), RD_KAFKA_V_END);
    if (e) {
        rd_kafka_headers_destroy(h);
        log::warn("kafka: dead-letter produce refused", {{"topic", topic}, {"error", rd_kafka_err2str(e)}});
        return false;
    }
    // message.timeout.ms (10 s) bounds the wait: the report always comes.
    while (!st.done)
        rd_kafka_poll(p, 100);
    if (st.err) {
        log::warn("kafka: dead-letter produce failed",
                  {{"topic", topic}, {"error", rd_kafka_err2str(st.err)}});
        return false;
    }
    return true;
}

}  // namespace

void consumer::run() {
    auto* rk = clients_->rk;
    log::info("kafka: consuming", {{"brokers", opts_.brokers}, {"group", opts_.group_id}});
    auto last_commit = std::chrono::steady_clock::now();
    bool pending = false;  // offsets stored since the last commit
    while (!stop_.load()) {
        auto* msg = rd_kafka_consumer_poll(rk, 100);
        auto now = std::chrono::steady_clock::now();
        if (pending && (!msg || now - last_commit >= opts_.commit_interval)) {
            rd_kafka_commit(rk, nullptr, 1);
            pending = false;
            last_commit = now;
        }
        if (!msg) continue;
        if (msg->err) {
            if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF && clients_->should_log(msg->err))
                log::warn("kafka: consume error", {{"error", rd_kafka_err2name(msg->err)},
                                                   {"topic", msg->rkt ? rd_kafka_topic_name(msg->rkt) : ""}});
            rd_kafka_message_destroy(msg);
            continue;
        }
        message_view m{rd_kafka_topic_name(msg->rkt),
                       msg->partition,
                       msg->offset,
                       {static_cast<const char*>(msg->payload), msg->payload ? msg->len : 0},
                       {static_cast<const char*>(msg->key), msg->key ? msg->key_len : 0}};
        std::string reason;
        dispatch_result res = dispatch_result::refused;
        if (auto kind = opts_.topics.kind_of(m.topic); !kind) {
            reason = make_error_code(errc::unknown_topic).message();
        } else {
            std::string field;
            auto d = decide(*kind, m.value, common::wall_ms(), opts_.message_limits, &field);
            if (!d) {
                reason = d.error().message() + (field.empty() ? "" : " (" + field + ")");
            } else {
                try {
                    res = dispatch_(*d, reason);
                } catch (const std::exception& e) {
                    res = dispatch_result::failed;
                    reason = e.what();
                }
            }
        }
        switch (res) {
            case dispatch_result::done:
                store_next(rk, m);
                pending = true;
                count("dispatched");
                break;
            case dispatch_result::refused:
                if (clients_->dead) {
                    if (!produce_dead_letter(clients_->dead, opts_.dead_letter_topic, m, reason)) {
                        rewind(rk, m);
                        count("rewound");
                        sleep_for(opts_.retry_pause);
                        break;
                    }
                    log::warn("kafka: poison message dead-lettered",
                              {{"topic", m.topic},
                               {"partition", std::to_string(m.partition)},
                               {"offset", std::to_string(m.offset)},
                               {"reason", reason},
                               {"dead_letter_topic", opts_.dead_letter_topic}});
                    count("dead_lettered");
                } else {
                    log::warn("kafka: poison message skipped", {{"topic", m.topic},
                                                                {"partition", std::to_string(m.partition)},
                                                                {"offset", std::to_string(m.offset)},
                                                                {"reason", reason}});
                    count("skipped");
                }
                store_next(rk, m);
                pending = true;
                break;
            case dispatch_result::failed:
                log::warn("kafka: dispatch failed; the message is read again",
                          {{"topic", m.topic},
                           {"partition", std::to_string(m.partition)},
                           {"offset", std::to_string(m.offset)},
                           {"reason", reason}});
                rewind(rk, m);
                count("rewound");
                sleep_for(opts_.retry_pause);
                break;
        }
        rd_kafka_message_destroy(msg);
    }
    // Stopping: what was dispatched is committed, then the group is left.
    if (pending) rd_kafka_commit(rk, nullptr, 0);
    rd_kafka_consumer_close(rk);
    up_ = false;
    log::info("kafka: consumer stopped");
}

}  // namespace switchboard::kafka
