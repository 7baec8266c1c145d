#pragma once
// The bridge's shared state (its three connections, the stream reader, PUB/SUB routing, pending
// requests) and the adapter of one namespace over it.
#include <switchboard/redis/streams_bridge.hpp>
#include <switchboard/rooms/cluster_message.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <deque>
#include <functional>
#include <mutex>
#include <unordered_map>

namespace switchboard::redis {

class ns_adapter;
class cluster_sessions;

struct streams_bridge::impl : std::enable_shared_from_this<impl> {
    impl(boost::asio::any_io_executor ex, client_options redis, bridge_options o);

    void start();
    void stop();

    // XADD of one message; `done(ec, id)` on the bridge's strand (ec set: not in the stream).
    void append(const rooms::cluster::message& m,
                std::function<void(boost::system::error_code, std::string)> done);
    // XADDs made while Redis was unreachable (never sent), appended in order once it is back.
    void flush_backlog();
    // PUBLISH of a request to every node, or of a response to one node (`to_uid`).
    void publish(const rooms::cluster::message& m, const std::string& to_uid = {});
    // How many nodes listen on the namespace's public channel (PUBSUB NUMSUB), this one included;
    // 0 when Redis does not answer.
    void server_count(const std::string& nsp, std::function<void(std::size_t)> done);
    std::string public_channel(const std::string& nsp) const { return opts.channel_prefix + "#" + nsp + "#"; }
    std::string private_channel(const std::string& nsp) const { return public_channel(nsp) + uid + "#"; }

    void add_namespace(const std::shared_ptr<ns_adapter>& a);
    std::shared_ptr<ns_adapter> find(const std::string& nsp);
    bool healthy() const;

    // The stream reader: find the last id, then XREAD BLOCK from it, forever.
    void read_next();
    void on_read(boost::system::error_code ec, const value& v);
    void resume_after_error();
    void check_gap(std::function<void()> then);
    void handle_entry(const std::string& id, const value& fields);
    void on_pubsub(std::string_view channel, std::string_view payload);
    void probe();
    // Every recovery session of this node saved again, every half window.
    void refresh_sessions();

    boost::asio::strand<boost::asio::any_io_executor> strand;
    bridge_options opts;
    std::string uid;
    std::string probe_channel;
    std::shared_ptr<client> cmd, reader, sub;
    streams_bridge::delivered_here delivered;

    std::atomic<bool> stopped{false};
    std::string last_id;  // the last stream id read (strand); empty until known
    bool need_gap_check = false;
    std::deque<std::vector<std::string>> backlog;  // strand
    bool flushing = false;
    static constexpr std::size_t backlog_max = 10000;
    boost::asio::steady_timer retry_timer;
    boost::asio::steady_timer probe_timer;
    boost::asio::steady_timer refresh_timer;
    std::atomic<std::int64_t> last_read_ms{0};   // steady ms of the last XREAD answer
    std::atomic<std::int64_t> last_probe_ms{0};  // steady ms the last probe came back

    std::mutex mu;
    std::unordered_map<std::string, std::weak_ptr<ns_adapter>> namespaces;

    std::atomic<std::uint64_t> entries_in{0}, entries_out{0}, append_failures{0}, gaps{0}, dropped{0},
        backlog_dropped{0};
    std::atomic<std::size_t> backlog_size{0};
    std::atomic<std::int64_t> lag_ms{0};
};

// One namespace's adapter: this node's sockets through `local`, everyone else's through the bridge.
class ns_adapter final : public rooms::adapter, public std::enable_shared_from_this<ns_adapter> {
public:
    ns_adapter(std::shared_ptr<streams_bridge::impl> bridge, rooms::local_sockets& local,
               rooms::recovery_log* log);

    std::size_t broadcast(const rooms::broadcast_packet& p, const rooms::broadcast_options& opts) override;
    std::size_t on_remote_broadcast(const rooms::broadcast_packet& p, const rooms::broadcast_options& opts,
                                    std::string_view offset) override {
        return local_.broadcast(p, opts, offset);
    }
    void add_sockets(const rooms::broadcast_options& opts, const std::vector<std::string>& rooms) override;
    void del_sockets(const rooms::broadcast_options& opts, const std::vector<std::string>& rooms) override;
    void disconnect_sockets(const rooms::broadcast_options& opts, bool close) override;
    void fetch_sockets(const rooms::broadcast_options& opts,
                       rooms::local_sockets::fetch_callback done) override;
    void server_side_emit(const std::string& event, const boost::json::array& args) override;
    void on_join(const std::string& sid, const std::string& room) override;
    void on_leave(const std::string& sid, const std::string& room) override;
    rooms::session_store* sessions() override;
    // The recovery sessions in Redis (null with recovery off).
    const std::shared_ptr<cluster_sessions>& cluster_store() const noexcept { return sessions_; }

    // A message of another node (from the stream with its id, or from PUB/SUB without).
    void on_message(rooms::cluster::message m, const std::string& offset);
    // Stops talking to the bridge (its requests complete with what they have).
    void close();
    const std::string& nsp() const noexcept { return local_.nsp(); }

private:
    struct fetch_request {
        std::size_t expected = 0;
        std::size_t received = 0;
        std::vector<rooms::socket_info> sockets;
        rooms::local_sockets::fetch_callback done;
        std::unique_ptr<boost::asio::steady_timer> timer;
    };
    rooms::cluster::message make(rooms::cluster::message_type t) const;
    void forward(rooms::cluster::message m);
    void on_response(rooms::cluster::message& m);
    void finish_fetch(const std::string& request_id, bool timed_out);
    void answer_broadcast_with_ack(rooms::cluster::message& m);

    std::shared_ptr<streams_bridge::impl> bridge_;
    rooms::local_sockets& local_;
    rooms::recovery_log* log_;
    std::shared_ptr<cluster_sessions> sessions_;
    std::atomic<bool> closed_{false};
    std::mutex mu_;
    std::unordered_map<std::string, fetch_request> fetches_;
};

}  // namespace switchboard::redis
