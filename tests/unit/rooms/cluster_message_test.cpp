// The cluster codec against messages captured from real socket.io 4.8 servers on
// @socket.io/redis-streams-adapter 0.3.1 (tests/vectors/cluster, from tests/cluster/gen-vectors.mjs).
#include <switchboard/rooms/cluster_message.hpp>

#include <msgpack.hpp>

#include <boost/json.hpp>

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

using namespace switchboard::rooms;
using namespace switchboard::rooms::cluster;
namespace json = boost::json;

namespace {

json::object load(const std::string& name) {
    std::ifstream in(std::string(SB_VECTORS_DIR) + "/cluster/" + name + ".json");
    REQUIRE(in.good());
    std::stringstream ss;
    ss << in.rdbuf();
    return json::parse(ss.str()).as_object();
}

stream_entry entry(const json::value& v) {
    const json::object& f = v.at("fields").as_object();
    stream_entry e{json::value_to<std::string>(f.at("uid")),
                   json::value_to<std::string>(f.at("nsp")),
                   json::value_to<std::string>(f.at("type")),
                   {}};
    if (const json::value* d = f.if_contains("data")) e.data = json::value_to<std::string>(*d);
    return e;
}

std::string bytes_of(const json::value& v) {
    auto b = from_base64(v.as_string());
    REQUIRE(b);
    return *b;
}

// Two msgpack documents hold the same object (msgpack-cxx's own comparison).
bool same_msgpack(const std::string& a, const std::string& b) {
    msgpack::object_handle ha = msgpack::unpack(a.data(), a.size());
    msgpack::object_handle hb = msgpack::unpack(b.data(), b.size());
    return ha.get() == hb.get();
}

// Node's data without the flags broadcast_options does not hold (compress...), which we drop.
json::value without_unkept_flags(json::value data) {
    if (json::object* o = data.if_object())
        if (json::value* opts = o->if_contains("opts"); opts && opts->is_object())
            if (json::value* flags = opts->as_object().if_contains("flags"); flags && flags->is_object()) {
                json::object kept;
                for (const auto& kv : flags->as_object())
                    if (kv.key() == "volatile" || kv.key() == "local" || kv.key() == "timeout")
                        kept[kv.key()] = kv.value();
                *flags = std::move(kept);
            }
    return data;
}

// Decodes a Node stream entry, checks our encoding against Node's and our round trip.
message from_node_stream(const json::value& v) {
    const stream_entry e = entry(v);
    std::string error;
    auto m = from_stream(e, error);
    INFO(error);
    REQUIRE(m);
    const stream_entry ours = to_stream(*m);
    CHECK(ours.uid == e.uid);
    CHECK(ours.nsp == e.nsp);
    CHECK(ours.type == e.type);
    if (!e.data.empty() && e.data.front() == '{')
        CHECK(json::parse(ours.data) == without_unkept_flags(json::parse(e.data)));
    else if (!e.data.empty())
        CHECK(same_msgpack(*from_base64(ours.data), *from_base64(e.data)));
    auto again = from_stream(ours, error);
    REQUIRE(again);
    CHECK(to_pubsub(*again) == to_pubsub(*m));
    return *m;
}

message from_node_pubsub(const json::value& v) {
    const std::string bytes = bytes_of(v.at("base64"));
    std::string error;
    auto m = from_pubsub(bytes, error);
    INFO(error);
    REQUIRE(m);
    const std::string ours = to_pubsub(*m);
    CHECK(same_msgpack(ours, bytes));
    auto again = from_pubsub(ours, error);
    REQUIRE(again);
    CHECK(to_pubsub(*again) == ours);
    // The stream form of the same message decodes to it too.
    auto via_stream = from_stream(to_stream(*m), error);
    REQUIRE(via_stream);
    CHECK(to_pubsub(*via_stream) == ours);
    return *m;
}

json::value placeholder(int i) {
    return json::object{{"_placeholder", true}, {"num", i}};
}

std::vector<std::string> strings(std::initializer_list<const char*> l) {
    return {l.begin(), l.end()};
}

}  // namespace

TEST_CASE("cluster vectors: every captured message decodes and re-encodes like Node", "[cluster]") {
    for (const char* name :
         {"emit_plain", "emit_binary", "emit_rooms", "emit_volatile", "emit_local", "emit_compress",
          "sockets_join", "sockets_leave", "fetch_sockets", "server_side_emit", "server_side_emit_ack",
          "emit_with_ack", "emit_binary_with_ack", "session", "disconnect_sockets", "startup",
          "adapter_close"}) {
        INFO(name);
        const json::object v = load(name);
        for (const json::value& e : v.at("stream").as_array())
            from_node_stream(e);
        for (const json::value& p : v.at("pubsub").as_array())
            from_node_pubsub(p);
    }
}

TEST_CASE("cluster vectors: broadcasts on the stream", "[cluster]") {
    SECTION("plain arguments, JSON data, no packet nsp, flags {}") {
        const json::object v = load("emit_plain");
        REQUIRE(v.at("stream").as_array().size() == 1);
        const message m = from_node_stream(v.at("stream").as_array()[0]);
        CHECK(m.type == message_type::broadcast);
        CHECK(m.nsp == "/");
        CHECK(m.packet.nsp == "/");
        CHECK(m.packet.event == "news");
        CHECK(m.packet.args == json::parse(R"([1,"two",{"three":[3.5,null,true]},-42,1099511627776,"é✓"])"));
        CHECK(m.packet.binary.empty());
        CHECK(m.opts.rooms.empty());
        CHECK(m.opts.except.empty());
        CHECK_FALSE(m.opts.is_volatile);
        CHECK_FALSE(m.opts.local);
        CHECK_FALSE(m.opts.timeout);
        CHECK_FALSE(m.request_id);
        CHECK(json::parse(to_stream(m).data).at("opts").at("flags") == json::object{});
    }
    SECTION("a Buffer nested in an object: base64(msgpack) data, placeholders") {
        const message m = from_node_stream(load("emit_binary").at("stream").as_array()[0]);
        CHECK(m.packet.event == "bin");
        REQUIRE(m.packet.args.size() == 2);
        CHECK(m.packet.args[0].at("nested").at("buf") == placeholder(0));
        CHECK(m.packet.args[0].at("list").as_array()[0] == placeholder(1));
        CHECK(m.packet.args[1] == "x");
        CHECK(m.packet.binary == std::vector<std::string>{std::string("\x00\x01\x02\xff", 4), "hi"});
        CHECK(to_stream(m).data.front() != '{');
    }
    SECTION("rooms, except, volatile, compress") {
        message m = from_node_stream(load("emit_rooms").at("stream").as_array()[0]);
        CHECK(m.opts.rooms == strings({"room1"}));
        CHECK(m.opts.except == strings({"room2"}));
        m = from_node_stream(load("emit_volatile").at("stream").as_array()[0]);
        CHECK(m.opts.is_volatile);
        CHECK(json::parse(to_stream(m).data).at("opts").at("flags") == json::object{{"volatile", true}});
        m = from_node_stream(load("emit_compress").at("stream").as_array()[0]);
        CHECK(m.opts.rooms == strings({"room2"}));
        CHECK_FALSE(m.opts.is_volatile);  // and flags.compress (false) is not kept
        CHECK(m.packet.args == json::array{true});
    }
    SECTION("io.local.emit publishes nothing") {
        const json::object v = load("emit_local");
        CHECK(v.at("stream").as_array().empty());
        CHECK(v.at("pubsub").as_array().empty());
    }
}

TEST_CASE("cluster vectors: sockets_join, sockets_leave, disconnect_sockets", "[cluster]") {
    message m = from_node_stream(load("sockets_join").at("stream").as_array()[0]);
    CHECK(m.type == message_type::sockets_join);
    CHECK(m.rooms == strings({"x", "y"}));
    CHECK(m.opts.rooms == strings({"room1"}));
    m = from_node_stream(load("sockets_leave").at("stream").as_array()[0]);
    CHECK(m.type == message_type::sockets_leave);
    CHECK(m.rooms == strings({"x"}));
    CHECK(m.opts.except == strings({"room2"}));
    m = from_node_stream(load("disconnect_sockets").at("stream").as_array()[0]);
    CHECK(m.type == message_type::disconnect_sockets);
    CHECK(m.close);
    CHECK(m.opts.rooms == strings({"room1"}));
}

TEST_CASE("cluster vectors: fetch_sockets request and response on PUB/SUB", "[cluster]") {
    const json::object v = load("fetch_sockets");
    const json::array& p = v.at("pubsub").as_array();
    REQUIRE(p.size() == 2);
    const message req = from_node_pubsub(p[0]);
    CHECK(req.type == message_type::fetch_sockets);
    REQUIRE(req.request_id);
    CHECK(req.opts.rooms == strings({"room2"}));
    const message res = from_node_pubsub(p[1]);
    CHECK(res.type == message_type::fetch_sockets_response);
    CHECK(res.request_id == req.request_id);
    CHECK(res.uid != req.uid);
    REQUIRE(res.sockets.size() == 1);
    const json::object& fetched = v.at("fetched").as_array()[0].as_object();
    const socket_info& s = res.sockets[0];
    CHECK(s.id == fetched.at("id").as_string());
    CHECK(json::value_from(s.rooms) == fetched.at("rooms"));
    CHECK(s.data == json::object{{"user", "bob"}, {"level", 3}});
    CHECK(s.handshake.at("address") == "127.0.0.1");
    CHECK(s.handshake.at("query").at("rooms") == "room1,room2");
    CHECK(s.handshake.at("headers").is_object());
    CHECK(s.handshake.at("issued").is_number());
}

TEST_CASE("cluster vectors: server_side_emit with and without ack", "[cluster]") {
    message m = from_node_pubsub(load("server_side_emit").at("pubsub").as_array()[0]);
    CHECK(m.type == message_type::server_side_emit);
    CHECK(m.packet.event == "hello");
    CHECK(m.packet.args == json::parse(R"([1,{"a":"b"}])"));
    CHECK_FALSE(m.request_id);
    const json::object v = load("server_side_emit_ack");
    REQUIRE(v.at("pubsub").as_array().size() == 2);
    m = from_node_pubsub(v.at("pubsub").as_array()[0]);
    REQUIRE(m.request_id);
    CHECK(m.packet.args == json::array{"q"});
    const message r = from_node_pubsub(v.at("pubsub").as_array()[1]);
    CHECK(r.type == message_type::server_side_emit_response);
    CHECK(r.request_id == m.request_id);
    CHECK(r.response.value == json::object{{"answer", 42}, {"blob", placeholder(0)}});
    CHECK(r.response.binary == strings({"\xde\xad\xbe\xef"}));
}

TEST_CASE("cluster vectors: broadcast with acks (requestId, client count, binary acks)", "[cluster]") {
    const json::object v = load("emit_with_ack");
    const json::array& p = v.at("pubsub").as_array();
    REQUIRE(p.size() == 3);
    const message b = from_node_pubsub(p[0]);
    CHECK(b.type == message_type::broadcast);
    REQUIRE(b.request_id);
    CHECK(b.opts.timeout == std::chrono::milliseconds(500));
    CHECK(b.packet.event == "ask");
    CHECK(b.packet.args == json::array{"q"});
    const message count = from_node_pubsub(p[1]);
    CHECK(count.type == message_type::broadcast_client_count);
    CHECK(count.request_id == b.request_id);
    CHECK(count.client_count == 1);
    const message ack = from_node_pubsub(p[2]);
    CHECK(ack.type == message_type::broadcast_ack);
    CHECK(ack.request_id == b.request_id);
    CHECK(ack.response.value == placeholder(0));
    CHECK(ack.response.binary == strings({"\x01\x02\x03"}));

    const message bin = from_node_pubsub(load("emit_binary_with_ack").at("pubsub").as_array()[0]);
    CHECK(bin.opts.rooms == strings({"room2"}));
    CHECK(bin.packet.args == json::array{placeholder(0), json::object{{"k", json::array{placeholder(1)}}}});
    CHECK(bin.packet.binary == strings({"\x09\x08", "\x07"}));
}

TEST_CASE("cluster vectors: the recovery session Node persists", "[cluster]") {
    const json::object v = load("session");
    const json::array& sessions = v.at("sessions").as_array();
    REQUIRE(sessions.size() == 1);
    const json::value& node = sessions[0].at("base64");
    std::string error;
    auto s = decode_session(node.as_string(), error);
    INFO(error);
    REQUIRE(s);
    CHECK(sessions[0].at("key").as_string() == "sio:session:" + s->pid);
    CHECK(s->sid.size() == 20);
    CHECK(s->rooms.front() == s->sid);
    CHECK(std::find(s->rooms.begin(), s->rooms.end(), "room2") != s->rooms.end());
    CHECK(s->data == json::parse(R"({"user":"bob","level":3})"));
    CHECK(same_msgpack(*from_base64(encode_session(*s)), bytes_of(node)));
}

TEST_CASE("cluster: our own encodings round-trip", "[cluster]") {
    std::string error;
    message hb;
    hb.uid = "u";
    hb.nsp = "/chat";
    hb.type = message_type::heartbeat;
    const stream_entry e = to_stream(hb);
    CHECK(e.type == "2");
    CHECK(e.data.empty());
    auto back = from_stream(e, error);
    REQUIRE(back);
    CHECK(back->type == message_type::heartbeat);
    CHECK(from_pubsub(to_pubsub(hb), error));

    message b;
    b.uid = "u";
    b.nsp = "/";
    b.type = message_type::broadcast;
    b.packet.event = "e";
    b.packet.args = json::array{json::object{{"deep", placeholder(0)}}, 18446744073709551615ull, 0.25};
    b.packet.binary = {std::string("\0\xff", 2)};
    b.opts.local = true;
    b.opts.timeout = std::chrono::milliseconds(1500);
    b.request_id = "r1";
    for (const auto& m : {from_stream(to_stream(b), error), from_pubsub(to_pubsub(b), error)}) {
        REQUIRE(m);
        CHECK(m->packet.args == b.packet.args);
        CHECK(m->packet.binary == b.packet.binary);
        CHECK(m->opts.local);
        CHECK(m->opts.timeout == std::chrono::milliseconds(1500));
        CHECK(m->request_id == "r1");
    }
    stored_session s{"sid", "pid", {"sid", "r"}, nullptr};
    auto sb = decode_session(encode_session(s), error);
    REQUIRE(sb);
    CHECK(sb->rooms == s.rooms);
    CHECK(sb->data.is_null());
}

TEST_CASE("cluster: base64", "[cluster]") {
    CHECK(to_base64("") == "");
    CHECK(to_base64("f") == "Zg==");
    CHECK(to_base64("fo") == "Zm8=");
    CHECK(to_base64("foo") == "Zm9v");
    CHECK(from_base64("Zm8=") == "fo");
    CHECK(from_base64("Zm8") == "fo");
    CHECK(from_base64("Zg==") == "f");
    CHECK_FALSE(from_base64("Z"));
    CHECK_FALSE(from_base64("Zm9v="));
    CHECK_FALSE(from_base64("Zm 9v"));
    CHECK_FALSE(from_base64("Zm-_"));
    CHECK_FALSE(from_base64("Zg==="));
}

TEST_CASE("cluster: malformed input gives errors, not crashes", "[cluster]") {
    std::string error;
    auto bad_stream = [&](std::string type, std::string data) {
        error.clear();
        const bool ok = from_stream({"u", "/", std::move(type), std::move(data)}, error).has_value();
        return !ok && !error.empty();
    };
    CHECK(bad_stream("0", R"({"a":1})"));
    CHECK(bad_stream("14", R"({"a":1})"));
    CHECK(bad_stream("3x", R"({"a":1})"));
    CHECK(bad_stream("", R"({"a":1})"));
    CHECK(bad_stream("3", ""));                                               // a broadcast needs data
    CHECK(bad_stream("3", "{not json"));                                      // bad JSON
    CHECK(bad_stream("3", "!!!!"));                                           // bad base64
    CHECK(bad_stream("3", to_base64("\x82\xa6packet")));                      // truncated msgpack
    CHECK(bad_stream("3", to_base64("\xc1")));                                // never-used byte
    CHECK(bad_stream("3", to_base64("\xdd\xff\xff\xff\xff")));                // array claiming 4G elements
    CHECK(bad_stream("3", to_base64("\x81\x01\x02")));                        // integer map key
    CHECK(bad_stream("3", to_base64(std::string("\xd4\x01\x00", 3))));        // ext
    CHECK(bad_stream("3", R"({"packet":{"type":2,"data":[]},"opts":{}})"));   // no event
    CHECK(bad_stream("3", R"({"packet":{"type":2,"data":[1]},"opts":{}})"));  // event not a string
    CHECK(bad_stream("3", R"({"packet":{"type":2,"data":["e"]}})"));          // no opts
    CHECK(bad_stream("3", R"({"packet":{"type":2,"data":["e"]},"opts":{"rooms":[1]}})"));
    CHECK(bad_stream("4", R"({"opts":{},"rooms":"r"})"));
    CHECK(bad_stream("7", R"({"opts":{}})"));                                 // no requestId
    CHECK(bad_stream("8", R"({"requestId":"r","sockets":[{"rooms":[]}]})"));  // socket without id
    CHECK(bad_stream("11", R"({"requestId":"r","clientCount":"1"})"));
    CHECK(bad_stream("12", R"({"requestId":5,"packet":1})"));
    // Nesting: 32 levels pass, 33 fail, in both forms.
    const std::string ok_args = std::string(29, '[') + std::string(29, ']');
    CHECK(from_stream({"u", "/", "3", R"({"packet":{"type":2,"data":["e",)" + ok_args + R"(]},"opts":{}})"},
                      error));
    CHECK(bad_stream("3", R"({"packet":{"type":2,"data":["e",)" + std::string(40, '[') +
                              std::string(40, ']') + R"(]},"opts":{}})"));
    CHECK(bad_stream("9", to_base64(std::string(64, '\x91') + '\xc0')));
    CHECK_FALSE(from_pubsub(std::string(100000, '\x91'), error));
    CHECK_FALSE(from_pubsub("", error));
    CHECK_FALSE(from_pubsub("\x93\x01\x02\x03", error));                              // not a map
    CHECK_FALSE(from_pubsub("\x83\xa3uid\xa1u\xa3nsp\xa1/\xa4type\xa1\x33", error));  // type "3"
    CHECK_FALSE(from_pubsub(std::string(11u << 20, '\xc0'), error));                  // over 10 MiB
    CHECK_FALSE(decode_session("", error));
    CHECK_FALSE(decode_session("@@@@", error));
    CHECK_FALSE(decode_session(to_base64("\x81\xa3sid\xa1s"), error));  // no pid
    CHECK_FALSE(decode_session(to_base64("\x83\xa3sid\xa1s\xa3pid\xa1p\xa5rooms\x91\x01"), error));
    CHECK(decode_session(to_base64("\x84\xa3sid\xa1s\xa3pid\xa1p\xa5rooms\x90\xadmissedPackets\x90"), error));
}
