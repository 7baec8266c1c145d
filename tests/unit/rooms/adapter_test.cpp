// The adapter seam, scripted: every broadcast gets its offset before local delivery, in order;
// targeting is local_sockets'; a remote broadcast is delivered with the offset it came with.
#include <switchboard/rooms/adapter.hpp>
#include <switchboard/rooms/recovery.hpp>
#include <switchboard/rooms/room_index.hpp>

#include <catch2/catch.hpp>

#include <map>

using namespace switchboard::rooms;

namespace {

// The local half as libs/server's namespace does it, without sockets: a room index, what each
// member received (event@offset), and the session store the offsets are recorded in.
class fake_local final : public local_sockets {
public:
    explicit fake_local(session_store* store) : store_(store) {}
    const std::string& nsp() const noexcept override { return nsp_; }
    std::size_t broadcast(const broadcast_packet& p, const broadcast_options& opts,
                          std::string_view offset) override {
        std::string text = p.event + "@" + std::string(offset);
        calls.push_back(text);
        encoded_packet pkt{std::make_shared<const std::string>(text), {}};
        if (!offset.empty() && store_) store_->record(offset, opts, pkt, now);
        std::size_t n = 0;
        index.for_each_target(opts, [&](const std::string& id) {
            received[id].push_back(text);
            ++n;
        });
        return n;
    }
    void broadcast_with_ack(const broadcast_packet& p, const broadcast_options& opts, count_callback on_count,
                            ack_callback on_ack) override {
        std::vector<std::string> ids;
        index.for_each_target(opts, [&](const std::string& id) { ids.push_back(id); });
        calls.push_back("with-ack:" + p.event);
        on_count(ids.size());
        for (const auto& id : ids)
            on_ack(boost::json::array{boost::json::string(id)}, {});
    }
    void add_sockets(const broadcast_options& opts, const std::vector<std::string>& rooms) override {
        std::vector<std::string> ids;
        index.for_each_target(opts, [&](const std::string& id) { ids.push_back(id); });
        for (const auto& id : ids)
            for (const auto& r : rooms)
                index.join(id, r);
    }
    void del_sockets(const broadcast_options& opts, const std::vector<std::string>& rooms) override {
        std::vector<std::string> ids;
        index.for_each_target(opts, [&](const std::string& id) { ids.push_back(id); });
        for (const auto& id : ids)
            for (const auto& r : rooms)
                index.leave(id, r);
    }
    void disconnect_sockets(const broadcast_options& opts, bool) override {
        std::vector<std::string> ids;
        index.for_each_target(opts, [&](const std::string& id) { ids.push_back(id); });
        for (const auto& id : ids)
            index.remove(id);
    }
    void fetch_sockets(const broadcast_options& opts, fetch_callback done) override {
        std::vector<socket_info> out;
        index.for_each_target(opts, [&](const std::string& id) {
            auto rooms = index.rooms_of(id);
            rooms.insert(rooms.begin(), id);
            out.push_back({id, rooms, {}, {}});
        });
        done(std::move(out));
    }
    void server_side_emit(const std::string& event, boost::json::array, emit_reply) override {
        calls.push_back("server-side:" + event);
    }

    room_index index;
    std::map<std::string, std::vector<std::string>> received;
    std::vector<std::string> calls;
    std::int64_t now = 0;

private:
    std::string nsp_ = "/";
    session_store* store_;
};

broadcast_packet ev(std::string name) {
    broadcast_packet p;
    p.event = std::move(name);
    p.args.emplace_back(1);
    return p;
}

broadcast_options to(std::vector<std::string> rooms, std::vector<std::string> except = {}) {
    broadcast_options o;
    o.rooms = std::move(rooms);
    o.except = std::move(except);
    return o;
}

}  // namespace

TEST_CASE("adapter: the offset is assigned before local delivery, and delivery is inline") {
    recovery_log log(60000, "n-");
    fake_local local(&log);
    memory_adapter a(local, &log);
    local.index.add("s1");
    CHECK(a.broadcast(ev("hello"), {}) == 1);
    // Delivered with the log's first offset, and the log holds it, before broadcast returned.
    CHECK(local.received["s1"] == std::vector<std::string>{"hello@n-1"});
    CHECK(log.packet_count() == 1);
}

TEST_CASE("adapter: offsets follow the order broadcasts are made in") {
    recovery_log log(60000, "n-");
    fake_local local(&log);
    memory_adapter a(local, &log);
    local.index.add("s1");
    for (const char* e : {"a", "b", "c"})
        a.broadcast(ev(e), {});
    CHECK(local.received["s1"] == std::vector<std::string>{"a@n-1", "b@n-2", "c@n-3"});
}

TEST_CASE("adapter: no offset for volatile broadcasts, nor without recovery") {
    recovery_log log(60000, "n-");
    fake_local local(&log);
    memory_adapter a(local, &log);
    broadcast_options vol;
    vol.is_volatile = true;
    a.broadcast(ev("v"), vol);
    a.broadcast(ev("w"), {});
    CHECK(local.calls == std::vector<std::string>{"v@", "w@n-1"});
    CHECK(log.packet_count() == 1);

    fake_local plain(nullptr);
    memory_adapter off(plain, nullptr);
    off.broadcast(ev("x"), {});
    CHECK(plain.calls == std::vector<std::string>{"x@"});
}

TEST_CASE("adapter: rooms and except targeting reach local_sockets unchanged") {
    recovery_log log(60000, "n-");
    fake_local local(&log);
    memory_adapter a(local, &log);
    for (const char* s : {"s1", "s2", "s3"})
        local.index.add(s);
    local.index.join("s1", "r");
    local.index.join("s2", "r");
    local.index.join("s2", "muted");
    CHECK(a.broadcast(ev("room"), to({"r"})) == 2);
    CHECK(a.broadcast(ev("not-muted"), to({}, {"muted"})) == 2);
    CHECK(a.broadcast(ev("room-but-s1"), to({"r"}, {"s1"})) == 1);
    CHECK(a.broadcast(ev("own-id"), to({"s3"})) == 1);
    CHECK(local.received["s1"] == std::vector<std::string>{"room@n-1", "not-muted@n-2"});
    CHECK(local.received["s2"] == std::vector<std::string>{"room@n-1", "room-but-s1@n-3"});
    CHECK(local.received["s3"] == std::vector<std::string>{"not-muted@n-2", "own-id@n-4"});
}

TEST_CASE("adapter: a remote broadcast is delivered locally with the offset it came with") {
    recovery_log log(60000, "n-");
    fake_local local(&log);
    memory_adapter a(local, &log);
    local.index.add("s1");
    CHECK(a.on_remote_broadcast(ev("remote"), {}, "1700000000000-0") == 1);
    CHECK(local.received["s1"] == std::vector<std::string>{"remote@1700000000000-0"});
    // An offset of another form is not this log's: it neither takes it nor moves its own on.
    CHECK(log.packet_count() == 0);
    a.broadcast(ev("mine"), {});
    CHECK(local.received["s1"].back() == "mine@n-1");
}

TEST_CASE("adapter: a local broadcast is delivered here, with an offset like any other") {
    // The in-memory adapter forwards nothing; `local` changes nothing about local delivery.
    recovery_log log(60000, "n-");
    fake_local local(&log);
    memory_adapter a(local, &log);
    local.index.add("s1");
    broadcast_options here;
    here.local = true;
    CHECK(a.broadcast(ev("here"), here) == 1);
    CHECK(local.received["s1"] == std::vector<std::string>{"here@n-1"});
    a.server_side_emit("ping", {});  // no other node: not run here either (as in Socket.IO)
    CHECK(local.calls == std::vector<std::string>{"here@n-1"});
}

TEST_CASE("adapter: socket requests reach local_sockets") {
    fake_local local(nullptr);
    memory_adapter a(local, nullptr);
    for (const char* s : {"s1", "s2", "s3"})
        local.index.add(s);
    local.index.join("s1", "r");
    local.index.join("s2", "r");
    a.add_sockets(to({"r"}, {"s2"}), {"vip", "x"});
    CHECK(local.index.in_room("s1", "vip"));
    CHECK_FALSE(local.index.in_room("s2", "vip"));
    a.del_sockets(to({"vip"}), {"x"});
    CHECK_FALSE(local.index.in_room("s1", "x"));
    std::vector<socket_info> got;
    a.fetch_sockets(to({"r"}), [&](std::vector<socket_info> s) { got = std::move(s); });
    REQUIRE(got.size() == 2);
    a.disconnect_sockets(to({"vip"}), false);
    CHECK_FALSE(local.index.contains("s1"));
    CHECK(local.index.contains("s2"));
}
