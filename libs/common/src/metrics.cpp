#include <switchboard/common/metrics.hpp>

#include <prometheus/family.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <stdexcept>

namespace switchboard::common {

counter::counter() : own_(std::make_unique<prometheus::Counter>()), c_(own_.get()) {}
counter::~counter() = default;

counter_family::counter_family(prometheus::Family<prometheus::Counter>& f, std::string label,
                               std::size_t max_labels)
    : family_(&f), label_(std::move(label)), max_(max_labels) {}

counter& counter_family::at(std::string_view value) {
    {
        std::shared_lock read(mu_);
        if (auto it = values_.find(value); it != values_.end()) return *it->second;
    }
    std::lock_guard lock(mu_);
    auto it = values_.find(value);
    if (it != values_.end()) return *it->second;
    std::string key(value);
    if (values_.size() >= max_) key = "other";
    auto& slot = values_[key];
    if (!slot) slot = std::make_unique<counter>(family_->Add({{label_, key}}));
    return *slot;
}

std::uint64_t counter_family::value(std::string_view v) const {
    std::shared_lock lock(mu_);
    auto it = values_.find(v);
    return it == values_.end() ? 0 : it->second->value();
}

buckets latency_buckets() {
    return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

buckets depth_buckets() {
    return {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096};
}

histogram::histogram(buckets bounds) : bounds_(std::move(bounds)), shards_(new shard[shards]) {
    if (bounds_.size() > max_buckets) throw std::invalid_argument("histogram: too many buckets");
    if (!std::is_sorted(bounds_.begin(), bounds_.end()) ||
        std::adjacent_find(bounds_.begin(), bounds_.end()) != bounds_.end())
        throw std::invalid_argument("histogram: bucket bounds must be strictly ascending");
}

namespace {
// Each thread adds to one shard, picked round robin the first time it observes anything.
// (Constant-initialized, so reading it needs no TLS init guard.)
std::atomic<std::size_t> next_shard{0};
constinit thread_local std::size_t my_shard_plus_one = 0;
std::size_t my_shard(std::size_t n) noexcept {
    if (my_shard_plus_one == 0)
        my_shard_plus_one = next_shard.fetch_add(1, std::memory_order_relaxed) % n + 1;
    return my_shard_plus_one - 1;
}
}  // namespace

void histogram::observe(double v, std::uint64_t n) noexcept {
    // Bucket `le=b` counts v <= b: the first bound not below v (+Inf past the last).
    auto i = static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
    auto& s = shards_[my_shard(shards)];
    s.counts[i].fetch_add(n, std::memory_order_relaxed);
    s.sum.fetch_add(v * static_cast<double>(n), std::memory_order_relaxed);
}

histogram::totals histogram::collect() const {
    totals t;
    t.cumulative.assign(bounds_.size() + 1, 0);
    for (std::size_t s = 0; s < shards; ++s) {
        for (std::size_t i = 0; i <= bounds_.size(); ++i)
            t.cumulative[i] += shards_[s].counts[i].load(std::memory_order_relaxed);
        t.sum += shards_[s].sum.load(std::memory_order_relaxed);
    }
    for (std::size_t i = 1; i < t.cumulative.size(); ++i)
        t.cumulative[i] += t.cumulative[i - 1];
    t.count = t.cumulative.back();
    return t;
}

histogram& histogram_family::at(std::string_view value) {
    {
        std::shared_lock read(mu_);
        if (auto it = values_.find(value); it != values_.end()) return *it->second;
    }
    std::lock_guard lock(mu_);
    auto it = values_.find(value);
    if (it != values_.end()) return *it->second;
    std::string key(value);
    if (values_.size() >= max_) key = "other";
    auto& slot = values_[key];
    if (!slot) slot = std::make_unique<histogram>(bounds_);
    return *slot;
}

std::vector<std::pair<std::string, const histogram*>> histogram_family::snapshot() const {
    std::shared_lock lock(mu_);
    std::vector<std::pair<std::string, const histogram*>> out;
    for (const auto& [k, h] : values_)
        out.emplace_back(k, h.get());
    return out;
}

struct metrics_registry::entry {
    std::string name, help;
    prometheus::Family<prometheus::Counter>* counters = nullptr;  // add_counter, add_family
    std::unique_ptr<counter> c;
    std::unique_ptr<counter_family> f;
    std::unique_ptr<histogram> h;
    std::unique_ptr<histogram_family> hf;
    std::function<double()> g;
    std::string glabel;
    std::function<std::vector<std::pair<std::string, double>>()> gf;
};

metrics_registry::metrics_registry() : registry_(std::make_unique<prometheus::Registry>()) {}
metrics_registry::~metrics_registry() = default;

counter& metrics_registry::add_counter(std::string name, std::string help) {
    auto e = std::make_unique<entry>();
    e->counters = &prometheus::BuildCounter().Name(name).Help(help).Register(*registry_);
    e->c = std::make_unique<counter>(e->counters->Add({}));
    e->name = std::move(name);
    auto& ref = *e->c;
    std::lock_guard lock(mu_);
    entries_.push_back(std::move(e));
    return ref;
}

counter_family& metrics_registry::add_family(std::string name, std::string help, std::string label,
                                             std::size_t max_labels) {
    auto e = std::make_unique<entry>();
    e->counters = &prometheus::BuildCounter().Name(name).Help(help).Register(*registry_);
    e->f = std::make_unique<counter_family>(*e->counters, std::move(label), max_labels);
    e->name = std::move(name);
    auto& ref = *e->f;
    std::lock_guard lock(mu_);
    entries_.push_back(std::move(e));
    return ref;
}

histogram& metrics_registry::add_histogram(std::string name, std::string help, buckets bounds) {
    auto e = std::make_unique<entry>();
    e->name = std::move(name);
    e->help = std::move(help);
    e->h = std::make_unique<histogram>(std::move(bounds));
    auto& ref = *e->h;
    std::lock_guard lock(mu_);
    entries_.push_back(std::move(e));
    return ref;
}

histogram_family& metrics_registry::add_histogram_family(std::string name, std::string help,
                                                         std::string label, buckets bounds,
                                                         std::size_t max_labels) {
    histogram check(bounds);  // the same errors as add_histogram, at registration
    auto e = std::make_unique<entry>();
    e->name = std::move(name);
    e->help = std::move(help);
    e->hf = std::make_unique<histogram_family>(std::move(label), std::move(bounds), max_labels);
    auto& ref = *e->hf;
    std::lock_guard lock(mu_);
    entries_.push_back(std::move(e));
    return ref;
}

void metrics_registry::add_gauge(std::string name, std::string help, std::function<double()> read) {
    auto e = std::make_unique<entry>();
    e->name = std::move(name);
    e->help = std::move(help);
    e->g = std::move(read);
    std::lock_guard lock(mu_);
    entries_.push_back(std::move(e));
}

void metrics_registry::add_gauge_family(std::string name, std::string help, std::string label,
                                        std::function<std::vector<std::pair<std::string, double>>()> read) {
    auto e = std::make_unique<entry>();
    e->name = std::move(name);
    e->help = std::move(help);
    e->glabel = std::move(label);
    e->gf = std::move(read);
    std::lock_guard lock(mu_);
    entries_.push_back(std::move(e));
}

namespace {
prometheus::ClientMetric histogram_sample(const histogram& h, const std::string& label,
                                          const std::string& value) {
    prometheus::ClientMetric m;
    if (!label.empty()) m.label.push_back({label, value});
    auto t = h.collect();
    m.histogram.sample_count = t.count;
    m.histogram.sample_sum = t.sum;
    const auto& b = h.bounds();
    for (std::size_t i = 0; i < b.size(); ++i)
        m.histogram.bucket.push_back({t.cumulative[i], b[i]});
    m.histogram.bucket.push_back({t.count, std::numeric_limits<double>::infinity()});
    return m;
}
}  // namespace

void metrics_registry::collect(const entry& e, std::vector<prometheus::MetricFamily>& out) const {
    if (e.counters) {
        // The family of prometheus-cpp's registry (HELP/TYPE even before its first label).
        auto got = e.counters->Collect();
        if (got.empty()) return;
        out.push_back(std::move(got.front()));
        return;
    }
    prometheus::MetricFamily f;
    f.name = e.name;
    f.help = e.help;
    if (e.h || e.hf) {
        f.type = prometheus::MetricType::Histogram;
        if (e.h) f.metric.push_back(histogram_sample(*e.h, {}, {}));
        if (e.hf)
            for (const auto& [k, h] : e.hf->snapshot())
                f.metric.push_back(histogram_sample(*h, e.hf->label(), k));
    } else {
        f.type = prometheus::MetricType::Gauge;
        if (e.g) {
            prometheus::ClientMetric m;
            m.gauge.value = e.g();
            f.metric.push_back(std::move(m));
        }
        if (e.gf)
            for (const auto& [k, v] : e.gf()) {
                prometheus::ClientMetric m;
                m.label.push_back({e.glabel, k});
                m.gauge.value = v;
                f.metric.push_back(std::move(m));
            }
    }
    out.push_back(std::move(f));
}

std::string metrics_registry::render() const {
    std::vector<prometheus::MetricFamily> families;
    {
        std::lock_guard lock(mu_);
        families.reserve(entries_.size());
        for (const auto& e : entries_)
            collect(*e, families);
    }
    return prometheus::TextSerializer().Serialize(families);
}

}  // namespace switchboard::common
