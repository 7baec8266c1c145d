#include <switchboard/common/metrics.hpp>

#include <cmath>
#include <cstdio>

namespace switchboard::common {

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
    if (!slot) slot = std::make_unique<counter>();
    return *slot;
}

std::uint64_t counter_family::value(std::string_view v) const {
    std::shared_lock lock(mu_);
    auto it = values_.find(v);
    return it == values_.end() ? 0 : it->second->value();
}

std::vector<std::pair<std::string, std::uint64_t>> counter_family::snapshot() const {
    std::shared_lock lock(mu_);
    std::vector<std::pair<std::string, std::uint64_t>> out;
    for (const auto& [k, c] : values_)
        out.emplace_back(k, c->value());
    return out;
}

counter& metrics_registry::add_counter(std::string name, std::string help) {
    auto e = std::make_unique<entry>();
    e->name = std::move(name);
    e->help = std::move(help);
    e->type = "counter";
    e->c = std::make_unique<counter>();
    auto& ref = *e->c;
    std::lock_guard lock(mu_);
    entries_.push_back(std::move(e));
    return ref;
}

counter_family& metrics_registry::add_family(std::string name, std::string help, std::string label,
                                             std::size_t max_labels) {
    auto e = std::make_unique<entry>();
    e->name = std::move(name);
    e->help = std::move(help);
    e->type = "counter";
    e->f = std::make_unique<counter_family>(std::move(label), max_labels);
    auto& ref = *e->f;
    std::lock_guard lock(mu_);
    entries_.push_back(std::move(e));
    return ref;
}

void metrics_registry::add_gauge(std::string name, std::string help, std::function<double()> read) {
    auto e = std::make_unique<entry>();
    e->name = std::move(name);
    e->help = std::move(help);
    e->type = "gauge";
    e->g = std::move(read);
    std::lock_guard lock(mu_);
    entries_.push_back(std::move(e));
}

void metrics_registry::add_gauge_family(std::string name, std::string help, std::string label,
                                        std::function<std::vector<std::pair<std::string, double>>()> read) {
    auto e = std::make_unique<entry>();
    e->name = std::move(name);
    e->help = std::move(help);
    e->type = "gauge";
    e->glabel = std::move(label);
    e->gf = std::move(read);
    std::lock_guard lock(mu_);
    entries_.push_back(std::move(e));
}

namespace {
// Label values are escaped as the format requires: backslash, double quote, newline.
void append_label_value(std::string& out, std::string_view v) {
    for (char c : v) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
}
void append_number(std::string& out, double v) {
    if (std::isnan(v)) {
        out += "NaN";
        return;
    }
    char buf[32];
    if (v == std::floor(v) && std::fabs(v) < 1e15)
        std::snprintf(buf, sizeof buf, "%.0f", v);
    else
        std::snprintf(buf, sizeof buf, "%.6g", v);
    out += buf;
}
}  // namespace

std::string metrics_registry::render() const {
    std::string out;
    std::lock_guard lock(mu_);
    for (const auto& e : entries_) {
        out += "# HELP " + e->name + " " + e->help + "\n# TYPE " + e->name + " " + e->type + "\n";
        auto sample = [&](std::string_view label, std::string_view value, double v) {
            out += e->name;
            if (!label.empty()) {
                out += "{";
                out += label;
                out += "=\"";
                append_label_value(out, value);
                out += "\"}";
            }
            out += " ";
            append_number(out, v);
            out += "\n";
        };
        if (e->c) sample({}, {}, static_cast<double>(e->c->value()));
        if (e->f)
            for (const auto& [k, v] : e->f->snapshot())
                sample(e->f->label(), k, static_cast<double>(v));
        if (e->g) sample({}, {}, e->g());
        if (e->gf)
            for (const auto& [k, v] : e->gf())
                sample(e->glabel, k, v);
    }
    return out;
}

}  // namespace switchboard::common
