#pragma once
// Prometheus metrics: a thin facade over prometheus-cpp core (its Registry owns the counters, its
// TextSerializer writes /metrics). Counters (optionally with one label), histograms (optionally
// with one label), and gauges read at scrape time.
//
// A labelled family takes a mutex only the first time it sees a label, and folds labels past its
// cap into "other" (client-chosen event names must not grow it without bound); callers on a hot
// path look a label up once and keep the reference.
//
// Histograms are ours, not prometheus::Histogram (whose Observe takes a mutex): observe() is two
// relaxed atomic adds on a per-thread shard (no lock, no allocation, no cache line shared between
// threads); a scrape adds the shards up and hands prometheus-cpp a histogram sample to serialize.
#include <prometheus/counter.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace prometheus {
class Registry;
template <typename T>
class Family;
struct MetricFamily;
}  // namespace prometheus

namespace switchboard::common {

class counter {
public:
    // A counter of its own, outside any registry (tests, optional statistics).
    counter();
    // The counter `c` of a registry's family.
    explicit counter(prometheus::Counter& c) noexcept : c_(&c) {}
    counter(const counter&) = delete;
    counter& operator=(const counter&) = delete;
    ~counter();

    void inc(std::uint64_t n = 1) noexcept { c_->Increment(static_cast<double>(n)); }
    std::uint64_t value() const noexcept { return static_cast<std::uint64_t>(c_->Value()); }

private:
    std::unique_ptr<prometheus::Counter> own_;
    prometheus::Counter* c_;
};

class counter_family {
public:
    counter_family(prometheus::Family<prometheus::Counter>& f, std::string label, std::size_t max_labels);
    counter& at(std::string_view value);
    void inc(std::string_view value, std::uint64_t n = 1) { at(value).inc(n); }
    std::uint64_t value(std::string_view v) const;
    const std::string& label() const noexcept { return label_; }

private:
    prometheus::Family<prometheus::Counter>* family_;
    std::string label_;
    std::size_t max_;
    mutable std::shared_mutex mu_;  // shared for lookups, exclusive to add a label
    std::map<std::string, std::unique_ptr<counter>, std::less<>> values_;
};

// Bucket upper bounds (ascending; +Inf is implicit), at most histogram::max_buckets.
using buckets = std::vector<double>;
// Seconds, from 100 µs to 10 s: handling times on the event loop and database calls.
buckets latency_buckets();
// Packets in a queue: 1 to 4096 (the default per-session cap), doubling.
buckets depth_buckets();

class histogram {
public:
    static constexpr std::size_t max_buckets = 30;
    explicit histogram(buckets bounds);  // throws std::invalid_argument (unsorted, too many)

    void observe(double v) noexcept { observe(v, 1); }
    // `n` observations of `v` at once (a broadcast queued to n sockets in one go).
    void observe(double v, std::uint64_t n) noexcept;

    struct totals {
        std::vector<std::uint64_t> cumulative;  // per bound, then +Inf
        double sum = 0;
        std::uint64_t count = 0;
    };
    totals collect() const;
    const buckets& bounds() const noexcept { return bounds_; }

private:
    static constexpr std::size_t shards = 8;
    struct alignas(64) shard {
        std::atomic<double> sum{0};
        std::array<std::atomic<std::uint64_t>, max_buckets + 1> counts{};
    };
    buckets bounds_;
    std::unique_ptr<shard[]> shards_;
};

class histogram_family {
public:
    histogram_family(std::string label, buckets bounds, std::size_t max_labels)
        : label_(std::move(label)), bounds_(std::move(bounds)), max_(max_labels) {}
    histogram& at(std::string_view value);
    const std::string& label() const noexcept { return label_; }
    std::vector<std::pair<std::string, const histogram*>> snapshot() const;

private:
    std::string label_;
    buckets bounds_;
    std::size_t max_;
    mutable std::shared_mutex mu_;
    std::map<std::string, std::unique_ptr<histogram>, std::less<>> values_;
};

class metrics_registry {
public:
    metrics_registry();
    ~metrics_registry();
    metrics_registry(const metrics_registry&) = delete;
    metrics_registry& operator=(const metrics_registry&) = delete;

    counter& add_counter(std::string name, std::string help);
    counter_family& add_family(std::string name, std::string help, std::string label,
                               std::size_t max_labels = 200);
    histogram& add_histogram(std::string name, std::string help, buckets bounds);
    histogram_family& add_histogram_family(std::string name, std::string help, std::string label,
                                           buckets bounds, std::size_t max_labels = 50);
    // A gauge, or a family of gauges (label → value) when `label` is set.
    void add_gauge(std::string name, std::string help, std::function<double()> read);
    void add_gauge_family(std::string name, std::string help, std::string label,
                          std::function<std::vector<std::pair<std::string, double>>()> read);
    // The text exposition format (version 0.0.4), by prometheus-cpp's TextSerializer.
    std::string render() const;

private:
    struct entry;
    void collect(const entry& e, std::vector<prometheus::MetricFamily>& out) const;
    std::unique_ptr<prometheus::Registry> registry_;
    mutable std::mutex mu_;
    std::vector<std::unique_ptr<entry>> entries_;
};

}  // namespace switchboard::common
