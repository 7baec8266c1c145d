// One namespace's adapter over the bridge: what this node does goes to the other nodes (stream or
// PUB/SUB) as ClusterAdapter does it, and what they send is done to this node's sockets.
#include "bridge_impl.hpp"
#include "cluster_sessions.hpp"

#include <switchboard/common/ids.hpp>
#include <switchboard/common/log.hpp>

namespace switchboard::redis {

namespace cl = rooms::cluster;
using cl::message_type;

ns_adapter::ns_adapter(std::shared_ptr<streams_bridge::impl> bridge, rooms::local_sockets& local,
                       rooms::recovery_log* log)
    : bridge_(std::move(bridge)), local_(local), log_(log) {
    if (log_) sessions_ = std::make_shared<cluster_sessions>(bridge_, *log_, local_.nsp());
}

rooms::session_store* ns_adapter::sessions() {
    return sessions_.get();
}

void ns_adapter::on_join(const std::string& sid, const std::string& room) {
    if (sessions_ && !closed_) sessions_->on_join(sid, room);
}

void ns_adapter::on_leave(const std::string& sid, const std::string& room) {
    if (sessions_ && !closed_) sessions_->on_leave(sid, room);
}

cl::message ns_adapter::make(message_type t) const {
    cl::message m;
    m.uid = bridge_->uid;
    m.nsp = local_.nsp();
    m.type = t;
    return m;
}

void ns_adapter::forward(cl::message m) {
    if (closed_) return;
    bridge_->append(m, [](boost::system::error_code, std::string) {});
}

std::size_t ns_adapter::broadcast(const rooms::broadcast_packet& p, const rooms::broadcast_options& opts) {
    if (opts.local || closed_) return local_.broadcast(p, opts, {});
    auto m = make(message_type::broadcast);
    m.opts = opts;
    m.packet = p;
    // Nothing to replay (recovery off, or a volatile packet): handed to the stream first (the XADD
    // is queued to the bridge's thread), then this node's sockets get it at once, so the other
    // instances do not wait for this one's fan-out.
    if (!log_ || opts.is_volatile) {
        forward(std::move(m));
        return local_.broadcast(p, opts, {});
    }
    // Replayable: the stream's id is its offset, so local delivery waits for XADD's answer (on
    // the bridge's strand, in the order the XADDs were made). Redis down: delivered without one.
    bridge_->append(m, [self = shared_from_this(), p, opts](boost::system::error_code ec, std::string id) {
        self->local_.broadcast(p, opts, ec ? std::string_view{} : std::string_view(id));
    });
    return 0;
}

void ns_adapter::add_sockets(const rooms::broadcast_options& opts, const std::vector<std::string>& rooms) {
    if (!opts.local) {
        auto m = make(message_type::sockets_join);
        m.opts = opts;
        m.rooms = rooms;
        forward(std::move(m));
    }
    local_.add_sockets(opts, rooms);
}

void ns_adapter::del_sockets(const rooms::broadcast_options& opts, const std::vector<std::string>& rooms) {
    if (!opts.local) {
        auto m = make(message_type::sockets_leave);
        m.opts = opts;
        m.rooms = rooms;
        forward(std::move(m));
    }
    local_.del_sockets(opts, rooms);
}

void ns_adapter::disconnect_sockets(const rooms::broadcast_options& opts, bool close) {
    if (!opts.local) {
        auto m = make(message_type::disconnect_sockets);
        m.opts = opts;
        m.close = close;
        forward(std::move(m));
    }
    local_.disconnect_sockets(opts, close);
}

void ns_adapter::server_side_emit(const std::string& event, const boost::json::array& args) {
    if (closed_) return;
    auto m = make(message_type::server_side_emit);
    m.packet.nsp = local_.nsp();
    m.packet.event = event;
    m.packet.args = args;
    bridge_->publish(m);
}

void ns_adapter::fetch_sockets(const rooms::broadcast_options& opts,
                               rooms::local_sockets::fetch_callback done) {
    local_.fetch_sockets(opts, [self = shared_from_this(), opts,
                                done = std::move(done)](std::vector<rooms::socket_info> mine) mutable {
        if (opts.local || self->closed_) return done(std::move(mine));
        auto nsp = self->local_.nsp();
        self->bridge_->server_count(nsp, [self, opts, mine = std::move(mine),
                                          done = std::move(done)](std::size_t servers) mutable {
            if (servers <= 1 || self->closed_) return done(std::move(mine));
            auto id = common::random_hex(8);
            {
                std::lock_guard lock(self->mu_);
                auto& r = self->fetches_[id];
                r.expected = servers - 1;
                r.sockets = std::move(mine);
                r.done = std::move(done);
                r.timer = std::make_unique<boost::asio::steady_timer>(self->bridge_->strand);
                r.timer->expires_after(opts.timeout.value_or(self->bridge_->opts.request_timeout));
                r.timer->async_wait([w = std::weak_ptr<ns_adapter>(self), id](boost::system::error_code ec) {
                    if (auto s = w.lock(); s && !ec) s->finish_fetch(id, true);
                });
            }
            auto m = self->make(message_type::fetch_sockets);
            m.opts = opts;
            m.request_id = id;
            self->bridge_->publish(m);
        });
    });
}

void ns_adapter::finish_fetch(const std::string& request_id, bool timed_out) {
    fetch_request r;
    {
        std::lock_guard lock(mu_);
        auto it = fetches_.find(request_id);
        if (it == fetches_.end()) return;
        r = std::move(it->second);
        fetches_.erase(it);
    }
    if (timed_out)
        log::warn("cluster: fetch sockets timed out; answering with the nodes that replied",
                  {{"nsp", std::string(nsp())},
                   {"replies", std::to_string(r.received)},
                   {"expected", std::to_string(r.expected)}});
    if (r.timer) r.timer->cancel();
    if (r.done) r.done(std::move(r.sockets));
}

void ns_adapter::close() {
    closed_ = true;
    std::vector<std::string> ids;
    {
        std::lock_guard lock(mu_);
        for (const auto& [id, r] : fetches_)
            ids.push_back(id);
    }
    for (const auto& id : ids)
        finish_fetch(id, false);
}

void ns_adapter::answer_broadcast_with_ack(cl::message& m) {
    auto requester = m.uid;
    auto request_id = *m.request_id;
    auto self = shared_from_this();
    local_.broadcast_with_ack(
        m.packet, m.opts,
        [self, requester, request_id](std::size_t n) {
            auto r = self->make(message_type::broadcast_client_count);
            r.request_id = request_id;
            r.client_count = static_cast<std::int64_t>(n);
            self->bridge_->publish(r, requester);
        },
        [self, requester, request_id](boost::json::array args, std::vector<std::string> binary) {
            auto r = self->make(message_type::broadcast_ack);
            r.request_id = request_id;
            // ClusterAdapter relays the first argument of a client's ack.
            r.response.value = args.empty() ? boost::json::value() : std::move(args[0]);
            r.response.binary = std::move(binary);
            self->bridge_->publish(r, requester);
        });
}

void ns_adapter::on_message(cl::message m, const std::string& offset) {
    if (closed_) return;
    switch (m.type) {
        case message_type::broadcast:
            if (m.request_id) return answer_broadcast_with_ack(m);
            // The entry id is the offset a client may recover from (as ClusterAdapter does: recovery
            // on, not volatile).
            {
                auto reached = local_.broadcast(
                    m.packet, m.opts,
                    log_ && !m.opts.is_volatile ? std::string_view(offset) : std::string_view{});
                if (bridge_->delivered) bridge_->delivered(m.packet, m.opts, reached);
            }
            return;
        case message_type::sockets_join:
            return local_.add_sockets(m.opts, m.rooms);
        case message_type::sockets_leave:
            return local_.del_sockets(m.opts, m.rooms);
        case message_type::disconnect_sockets:
            return local_.disconnect_sockets(m.opts, m.close);
        case message_type::fetch_sockets: {
            if (!m.request_id) return;
            auto requester = m.uid;
            auto request_id = *m.request_id;
            local_.fetch_sockets(m.opts, [self = shared_from_this(), requester,
                                          request_id](std::vector<rooms::socket_info> found) {
                auto r = self->make(message_type::fetch_sockets_response);
                r.request_id = request_id;
                r.sockets = std::move(found);
                self->bridge_->publish(r, requester);
            });
            return;
        }
        case message_type::server_side_emit: {
            rooms::local_sockets::emit_reply reply;
            if (m.request_id) {
                auto called = std::make_shared<std::atomic<bool>>(false);
                reply = [self = shared_from_this(), requester = m.uid, request_id = *m.request_id,
                         called](boost::json::array args) {
                    if (called->exchange(true)) return;  // one answer per node, as upstream
                    auto r = self->make(message_type::server_side_emit_response);
                    r.request_id = request_id;
                    r.response.value = args.empty() ? boost::json::value() : std::move(args[0]);
                    self->bridge_->publish(r, requester);
                };
            }
            local_.server_side_emit(m.packet.event, std::move(m.packet.args), std::move(reply));
            return;
        }
        case message_type::fetch_sockets_response:
        case message_type::server_side_emit_response:
        case message_type::broadcast_client_count:
        case message_type::broadcast_ack:
            return on_response(m);
        default:
            return;  // heartbeats and closes: nothing to do (membership is PUBSUB NUMSUB)
    }
}

void ns_adapter::on_response(cl::message& m) {
    if (m.type != message_type::fetch_sockets_response || !m.request_id) return;  // we ask nothing else
    bool complete = false;
    {
        std::lock_guard lock(mu_);
        auto it = fetches_.find(*m.request_id);
        if (it == fetches_.end()) return;
        auto& r = it->second;
        for (auto& s : m.sockets)
            r.sockets.push_back(std::move(s));
        complete = ++r.received >= r.expected;
    }
    if (complete) finish_fetch(*m.request_id, false);
}

}  // namespace switchboard::redis
