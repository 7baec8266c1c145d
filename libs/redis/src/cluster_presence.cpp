// Presence shared over Redis (see cluster_presence.hpp). Every change is one Lua script on the
// command connection, sent in the order the gateway made the changes (under one mutex, onto one
// strand, down one pipelined connection), so Redis applies them in that order.
#include <switchboard/redis/cluster_presence.hpp>
#include <switchboard/redis/errc.hpp>

#include <switchboard/common/clock.hpp>
#include <switchboard/common/ids.hpp>
#include <switchboard/common/log.hpp>
#include <switchboard/common/metrics.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <algorithm>
#include <atomic>
#include <future>
#include <map>
#include <mutex>
#include <set>

namespace switchboard::redis {

namespace asio = boost::asio;

namespace {

// Redis's clock, so instances on hosts with skewed clocks agree on who is dead.
constexpr const char* lua_now =
    "local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) ";
constexpr const char* lua_sum =
    "local function devices(p, u) local n = 0 "
    "for _, v in ipairs(redis.call('HVALS', p .. ':user:' .. u)) do n = n + tonumber(v) end return n end ";
// Removes instance `d` and everything it held; appends to `offline` the users left with no device.
constexpr const char* lua_drop =
    "local function drop(p, d, now, offline) "
    "local e = redis.call('HGETALL', p .. ':node:' .. d) "
    "for i = 1, #e, 2 do local u = e[i] "
    "  redis.call('HDEL', p .. ':user:' .. u, d) "
    "  if redis.call('HLEN', p .. ':user:' .. u) == 0 then "
    "    redis.call('SREM', p .. ':users', u) redis.call('HSET', p .. ':seen', u, now) "
    "    offline[#offline + 1] = u end end "
    "redis.call('DEL', p .. ':node:' .. d) redis.call('ZREM', p .. ':nodes', d) "
    "redis.call('HDEL', p .. ':counts', d) end ";

// ARGV: prefix, instance, user → devices over the cluster after the add; -1: instance unknown.
const std::string add_script = std::string(lua_sum) +
                               "local p, node, u = ARGV[1], ARGV[2], ARGV[3] "
                               "if not redis.call('ZSCORE', p .. ':nodes', node) then return -1 end "
                               "redis.call('HINCRBY', p .. ':node:' .. node, u, 1) "
                               "redis.call('HINCRBY', p .. ':user:' .. u, node, 1) "
                               "redis.call('SADD', p .. ':users', u) "
                               "return devices(p, u)";

// ARGV: prefix, instance, user → devices left (0: offline now); -1: instance unknown; -2: the
// instance did not hold the user (nothing changed).
const std::string remove_script = std::string(lua_now) + lua_sum +
                                  "local p, node, u = ARGV[1], ARGV[2], ARGV[3] "
                                  "if not redis.call('ZSCORE', p .. ':nodes', node) then return -1 end "
                                  "local c = redis.call('HINCRBY', p .. ':node:' .. node, u, -1) "
                                  "if c <= 0 then redis.call('HDEL', p .. ':node:' .. node, u) end "
                                  "if c < 0 then return -2 end "
                                  "local d = redis.call('HINCRBY', p .. ':user:' .. u, node, -1) "
                                  "if d <= 0 then redis.call('HDEL', p .. ':user:' .. u, node) end "
                                  "local n = devices(p, u) "
                                  "if n <= 0 then redis.call('SREM', p .. ':users', u) redis.call('HSET', p "
                                  ".. ':seen', u, now) return 0 end "
                                  "return n";

// ARGV: prefix, instance, ttl ms, interval ms, connections, authenticated, anonymous →
// {known (0/1), {offline users}, connections, authenticated, anonymous, users, instances}.
const std::string beat_script =
    std::string(lua_now) + lua_drop +
    "local p, node = ARGV[1], ARGV[2] "
    "local dead_before = now - tonumber(ARGV[3]) + tonumber(ARGV[4]) "
    "local known = redis.call('ZSCORE', p .. ':nodes', node) "
    "redis.call('ZADD', p .. ':nodes', now, node) "
    "redis.call('HSET', p .. ':counts', node, ARGV[5] .. ' ' .. ARGV[6] .. ' ' .. ARGV[7]) "
    "local offline = {} "
    "for _, d in ipairs(redis.call('ZRANGEBYSCORE', p .. ':nodes', '-inf', '(' .. dead_before)) do "
    "  if d ~= node then drop(p, d, now, offline) end end "
    "local c, a, n = 0, 0, 0 "
    "for _, v in ipairs(redis.call('HVALS', p .. ':counts')) do "
    "  local x, y, z = string.match(v, '(%d+) (%d+) (%d+)') "
    "  if x then c = c + tonumber(x) a = a + tonumber(y) n = n + tonumber(z) end end "
    "return {known and 1 or 0, offline, c, a, n, redis.call('SCARD', p .. ':users'), "
    "        redis.call('ZCARD', p .. ':nodes')}";

// ARGV: prefix, instance, then user, devices pairs: this instance's whole table →
// {{users now online}, {users now offline}}.
const std::string resync_script =
    std::string(lua_now) +
    "local p, node = ARGV[1], ARGV[2] "
    "redis.call('ZADD', p .. ':nodes', now, node) "
    "local old = {} "
    "local e = redis.call('HGETALL', p .. ':node:' .. node) "
    "for i = 1, #e, 2 do old[e[i]] = tonumber(e[i + 1]) end "
    "local online, offline = {}, {} "
    "for i = 3, #ARGV, 2 do "
    "  local u, c = ARGV[i], tonumber(ARGV[i + 1]) "
    "  local prev = old[u] old[u] = nil "
    "  if prev ~= c then "
    "    local was = redis.call('HLEN', p .. ':user:' .. u) "
    "    redis.call('HSET', p .. ':node:' .. node, u, c) "
    "    redis.call('HSET', p .. ':user:' .. u, node, c) "
    "    redis.call('SADD', p .. ':users', u) "
    "    if was == 0 then online[#online + 1] = u end end end "
    "for u, _ in pairs(old) do "
    "  redis.call('HDEL', p .. ':node:' .. node, u) "
    "  redis.call('HDEL', p .. ':user:' .. u, node) "
    "  if redis.call('HLEN', p .. ':user:' .. u) == 0 then "
    "    redis.call('SREM', p .. ':users', u) redis.call('HSET', p .. ':seen', u, now) "
    "    offline[#offline + 1] = u end end "
    "return {online, offline}";

// ARGV: prefix, instance → {offline users}.
const std::string leave_script = std::string(lua_now) + lua_drop +
                                 "local offline = {} drop(ARGV[1], ARGV[2], now, offline) return offline";

// ARGV: prefix, users... → devices of each.
const std::string devices_script =
    std::string(lua_sum) +
    "local out = {} for i = 2, #ARGV do out[#out + 1] = devices(ARGV[1], ARGV[i]) end "
    "return out";

// ARGV: prefix → {user, devices, ...} of every online user.
const std::string users_script =
    std::string(lua_sum) +
    "local out = {} for _, u in ipairs(redis.call('SMEMBERS', ARGV[1] .. ':users')) do "
    "out[#out + 1] = u out[#out + 1] = devices(ARGV[1], u) end return out";

// ARGV: prefix, user → {devices, last seen ms or 0}.
const std::string status_script =
    std::string(lua_sum) +
    "local n = devices(ARGV[1], ARGV[2]) "
    "local seen = 0 if n == 0 then seen = tonumber(redis.call('HGET', ARGV[1] .. "
    "':seen', ARGV[2]) or '0') end "
    "return {n, seen}";

std::vector<std::string> strings_of(const value& v) {
    std::vector<std::string> out;
    for (const auto& e : v.elements)
        out.emplace_back(e.as_string());
    return out;
}

}  // namespace

struct cluster_presence::impl : std::enable_shared_from_this<impl> {
    impl(asio::any_io_executor ex, client_options redis, presence_options o)
        : strand(asio::make_strand(ex)), opts(std::move(o)), timer(strand) {
        if (opts.instance.empty()) opts.instance = common::random_hex(8);
        redis.client_name = "switchboard-" + opts.instance + "-presence";
        redis.log_name = "redis-presence";
        conn = client::create(strand, std::move(redis));
        auto i = std::max<std::int64_t>(100, opts.ttl.count() / 6);
        interval = std::chrono::milliseconds(i);
    }

    std::vector<std::string> script(const std::string& body) const {
        return {"EVAL", body, "0", opts.prefix, opts.instance};
    }

    void tell(const std::string& user, bool online) {
        if (online)
            ++onlines;
        else
            ++offlines;
        if (handler) handler(user, online, common::wall_ms());
    }

    // Under mu: sent in the order of the changes.
    void send_change(const std::string& user, bool add) {
        auto args = script(add ? add_script : remove_script);
        args.push_back(user);
        conn->exec(std::move(args),
                   [self = shared_from_this(), user, add](boost::system::error_code ec, value v) {
                       auto n = v.as_int();
                       if (ec || v.is_error() || !n) {
                           // Redis may have applied it before the answer was lost: the table
                           // goes again whole once Redis answers, and this user's state is told
                           // then (a repeat is harmless, a missed transition is not).
                           self->uncertain_user(user);
                           self->log_failure("presence: change failed", ec, v);
                           return;
                       }
                       if (*n == -1) return self->request_resync();
                       if (add && *n == 1) self->tell(user, true);
                       if (!add && *n == 0) self->tell(user, false);
                   });
    }

    void uncertain_user(const std::string& user) {
        {
            std::lock_guard lock(uncertain_mu);
            uncertain.insert(user);
        }
        dirty = true;
    }

    void log_failure(const char* what, boost::system::error_code ec, const value& v) {
        auto now = common::steady_ms();
        if (now - last_failure_log_ms < 1000) return;  // an outage must not flood the log
        last_failure_log_ms = now;
        std::string why = ec == make_error_code(errc::server_error) || v.is_error()
                              ? std::string(v.as_string())
                              : ec.message();
        log::warn(what, {{"error", why}});
    }

    // After a resync: the users whose change may or may not have been applied are told as they are
    // now (unless the resync itself just told them).
    void settle_uncertain(const std::set<std::string>& told) {
        std::vector<std::string> users;
        {
            std::lock_guard lock(uncertain_mu);
            for (const auto& u : uncertain)
                if (!told.contains(u)) users.push_back(u);
            uncertain.clear();
        }
        if (users.empty()) return;
        std::vector<std::string> args{"EVAL", devices_script, "0", opts.prefix};
        args.insert(args.end(), users.begin(), users.end());
        conn->exec(std::move(args),
                   [self = shared_from_this(), users](boost::system::error_code ec, value v) {
                       if (ec || v.is_error() || v.size() != users.size()) {
                           for (const auto& u : users)
                               self->uncertain_user(u);
                           return;
                       }
                       for (std::size_t i = 0; i < users.size(); ++i)
                           self->tell(users[i], v.at(i).as_int().value_or(0) > 0);
                   });
    }

    void request_resync() {
        asio::post(strand, [self = shared_from_this()] { self->resync(); });
    }

    // On the strand.
    void resync() {
        if (resyncing || stopped) return;
        resyncing = true;
        std::lock_guard lock(mu);
        dirty = false;
        auto args = script(resync_script);
        for (const auto& [u, n] : local) {
            args.push_back(u);
            args.push_back(std::to_string(n));
        }
        ++resyncs;
        conn->exec(std::move(args), [self = shared_from_this()](boost::system::error_code ec, value v) {
            self->resyncing = false;
            if (ec || v.is_error() || v.size() != 2) {
                self->dirty = true;
                self->log_failure("presence: resync failed", ec, v);
                return;
            }
            std::set<std::string> told;
            for (const auto& u : strings_of(v.at(0))) {
                self->tell(u, true);
                told.insert(u);
            }
            for (const auto& u : strings_of(v.at(1))) {
                self->tell(u, false);
                told.insert(u);
            }
            self->settle_uncertain(told);
        });
    }

    void beat() {
        if (stopped) return;
        presence::cluster_counts mine;
        if (sample) mine = sample();
        auto args = script(beat_script);
        args.push_back(std::to_string(opts.ttl.count()));
        args.push_back(std::to_string(interval.count()));
        args.push_back(std::to_string(mine.connections));
        args.push_back(std::to_string(mine.authenticated));
        args.push_back(std::to_string(mine.anonymous));
        conn->exec(std::move(args), [self = shared_from_this()](boost::system::error_code ec, value v) {
            if (ec || v.is_error() || v.size() != 7) {
                self->dirty = true;
                self->log_failure("presence: heartbeat failed", ec, v);
            } else {
                self->last_beat_ms = common::steady_ms();
                presence::cluster_counts c;
                c.connections = static_cast<std::uint64_t>(v.at(2).as_int().value_or(0));
                c.authenticated = static_cast<std::uint64_t>(v.at(3).as_int().value_or(0));
                c.anonymous = static_cast<std::uint64_t>(v.at(4).as_int().value_or(0));
                c.users = static_cast<std::uint64_t>(v.at(5).as_int().value_or(0));
                c.instances = static_cast<std::uint64_t>(v.at(6).as_int().value_or(0));
                {
                    std::lock_guard lock(self->counts_mu);
                    self->cached = c;
                }
                auto swept = strings_of(v.at(1));
                if (!swept.empty())
                    log::info("presence: swept instances that stopped beating",
                              {{"offline_users", std::to_string(swept.size())}});
                for (const auto& u : swept)
                    self->tell(u, false);
                // Swept while away (its table is gone), or changes lost while Redis was away.
                // Posted, not run here: run inline from a reply it would be written ahead of
                // changes other threads have queued already, and count them twice.
                if (v.at(0).as_int().value_or(0) == 0 || self->dirty) self->request_resync();
            }
            self->schedule();
        });
    }

    bool healthy() const {
        auto last = last_beat_ms.load();
        return !stopped && conn->connected() && last != 0 &&
               common::steady_ms() - last <= 2 * interval.count() + 2000;
    }

    void schedule() {
        if (stopped) return;
        timer.expires_after(interval);
        timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
            if (!ec) self->beat();
        });
    }

    asio::strand<asio::any_io_executor> strand;
    presence_options opts;
    std::chrono::milliseconds interval;
    asio::steady_timer timer;
    std::shared_ptr<client> conn;
    transition_handler handler;
    local_counts sample;

    std::mutex mu;  // local, and the order of the changes sent
    std::map<std::string, std::int64_t> local;
    std::atomic<bool> dirty{false};
    bool resyncing = false;  // strand
    std::atomic<bool> stopped{false};
    std::atomic<std::int64_t> last_beat_ms{0};

    std::mutex uncertain_mu;
    std::set<std::string> uncertain;  // users whose last change's outcome is unknown
    std::atomic<std::int64_t> last_failure_log_ms{INT64_MIN / 2};

    mutable std::mutex counts_mu;
    std::optional<presence::cluster_counts> cached;

    std::atomic<std::uint64_t> onlines{0}, offlines{0}, resyncs{0};
};

cluster_presence::cluster_presence(asio::any_io_executor ex, client_options redis, presence_options opts)
    : impl_(std::make_shared<impl>(std::move(ex), std::move(redis), std::move(opts))) {}

cluster_presence::~cluster_presence() {
    impl_->stopped = true;
    impl_->conn->stop();
}

void cluster_presence::on_transition(transition_handler h) {
    impl_->handler = std::move(h);
}

void cluster_presence::sample_with(local_counts f) {
    impl_->sample = std::move(f);
}

void cluster_presence::start() {
    impl_->conn->on_state([w = std::weak_ptr<impl>(impl_)](bool up) {
        if (auto s = w.lock(); s && up && s->dirty) s->request_resync();
    });
    impl_->conn->start();
    asio::post(impl_->strand, [self = impl_] { self->beat(); });
}

void cluster_presence::stop() {
    if (impl_->stopped.exchange(true)) return;
    asio::post(impl_->strand, [self = impl_] { self->timer.cancel(); });
    // This instance's users leave now rather than at the sweep (told through the handler before
    // this returns, when Redis answers within 2 s); then the connection closes.
    auto left = std::make_shared<std::promise<void>>();
    auto done = left->get_future();
    impl_->conn->exec(impl_->script(leave_script),
                      [self = impl_, left](boost::system::error_code ec, value v) {
                          if (!ec && !v.is_error())
                              for (const auto& u : strings_of(v))
                                  self->tell(u, false);
                          self->conn->stop();
                          left->set_value();
                      });
    done.wait_for(std::chrono::seconds(2));
}

bool cluster_presence::healthy() const {
    return impl_->healthy();
}

const std::string& cluster_presence::instance() const noexcept {
    return impl_->opts.instance;
}

void cluster_presence::add(const std::string& user) {
    std::lock_guard lock(impl_->mu);
    ++impl_->local[user];
    impl_->send_change(user, true);
}

void cluster_presence::remove(const std::string& user) {
    std::lock_guard lock(impl_->mu);
    auto it = impl_->local.find(user);
    if (it == impl_->local.end()) return;
    if (--it->second <= 0) impl_->local.erase(it);
    impl_->send_change(user, false);
}

void cluster_presence::devices(std::vector<std::string> users, devices_handler done) {
    std::vector<std::string> args{"EVAL", devices_script, "0", impl_->opts.prefix};
    auto n = users.size();
    for (auto& u : users)
        args.push_back(std::move(u));
    impl_->conn->exec(std::move(args), [done = std::move(done), n](boost::system::error_code ec, value v) {
        if (ec || v.is_error() || v.size() != n) return done(std::nullopt);
        std::vector<std::int64_t> out;
        for (const auto& e : v.elements)
            out.push_back(e.as_int().value_or(0));
        done(std::move(out));
    });
}

void cluster_presence::online_users(users_handler done) {
    impl_->conn->exec({"EVAL", users_script, "0", impl_->opts.prefix},
                      [done = std::move(done)](boost::system::error_code ec, value v) {
                          if (ec || v.is_error() || v.size() % 2 != 0) return done(std::nullopt);
                          std::vector<std::pair<std::string, std::int64_t>> out;
                          for (std::size_t i = 0; i + 1 < v.size(); i += 2)
                              out.emplace_back(std::string(v.at(i).as_string()),
                                               v.at(i + 1).as_int().value_or(0));
                          std::sort(out.begin(), out.end());
                          done(std::move(out));
                      });
}

void cluster_presence::status(const std::string& user, status_handler done) {
    impl_->conn->exec(
        {"EVAL", status_script, "0", impl_->opts.prefix, user},
        [done = std::move(done)](boost::system::error_code ec, value v) {
            if (ec || v.is_error() || v.size() != 2) return done(std::nullopt);
            done(presence::user_status{v.at(0).as_int().value_or(0), v.at(1).as_int().value_or(0)});
        });
}

std::optional<presence::cluster_counts> cluster_presence::counts() const {
    if (!impl_->healthy()) return std::nullopt;  // not the cluster's any more: say so
    std::lock_guard lock(impl_->counts_mu);
    return impl_->cached;
}

void cluster_presence::add_metrics(common::metrics_registry& m) {
    auto i = impl_;
    m.add_gauge("switchboard_presence_up", "1 while the shared presence's heartbeats answer",
                [i] { return i->healthy() ? 1.0 : 0.0; });
    auto counted = [&](const char* name, const char* help, auto read) { m.add_gauge(name, help, read); };
    counted("switchboard_presence_online_transitions_total", "user:online transitions this instance reported",
            [i] { return static_cast<double>(i->onlines.load()); });
    counted("switchboard_presence_offline_transitions_total",
            "user:offline transitions this instance reported",
            [i] { return static_cast<double>(i->offlines.load()); });
    counted("switchboard_presence_resyncs_total", "Times this instance sent its whole table again",
            [i] { return static_cast<double>(i->resyncs.load()); });
    auto cluster = [&](const char* name, const char* help, std::uint64_t presence::cluster_counts::*field) {
        m.add_gauge(name, help, [i, field] {
            std::lock_guard lock(i->counts_mu);
            return i->cached ? static_cast<double>((*i->cached).*field) : 0.0;
        });
    };
    cluster("switchboard_cluster_connections",
            "Socket.IO connections over every instance (as of the last beat)",
            &presence::cluster_counts::connections);
    cluster("switchboard_cluster_users", "Unique users online over every instance",
            &presence::cluster_counts::users);
    cluster("switchboard_cluster_instances", "Instances beating in the shared presence",
            &presence::cluster_counts::instances);
}

}  // namespace switchboard::redis
