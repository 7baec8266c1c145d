#include <switchboard/redis/resp.hpp>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace switchboard::redis {

std::string_view to_string(kind k) noexcept {
    switch (k) {
        case kind::simple_string:
            return "simple_string";
        case kind::error:
            return "error";
        case kind::integer:
            return "integer";
        case kind::bulk_string:
            return "bulk_string";
        case kind::null:
            return "null";
        case kind::array:
            return "array";
        case kind::map:
            return "map";
        case kind::set:
            return "set";
        case kind::push:
            return "push";
        case kind::boolean:
            return "boolean";
        case kind::double_:
            return "double";
        case kind::big_number:
            return "big_number";
        case kind::verbatim:
            return "verbatim";
    }
    return "?";
}

namespace {

bool parse_ll(std::string_view s, long long& out) noexcept {
    if (s.empty()) return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc{} && p == s.data() + s.size();
}

bool parse_double(std::string_view s, double& out) noexcept {
    if (s == "inf" || s == "+inf") {
        out = __builtin_huge_val();
        return true;
    }
    if (s == "-inf") {
        out = -__builtin_huge_val();
        return true;
    }
    if (s == "nan" || s == "-nan") {
        out = __builtin_nan("");
        return true;
    }
    if (s.empty()) return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc{} && p == s.data() + s.size();
}

bool is_big_number(std::string_view s) noexcept {
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

kind aggregate_kind(char t) noexcept {
    switch (t) {
        case '%':
        case '|':
            return kind::map;
        case '~':
            return kind::set;
        case '>':
            return kind::push;
        default:
            return kind::array;
    }
}

void escape_into(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    for (char c : s.substr(0, 200)) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u >= 0x7f || c == '"' || c == '\\') {
            out += "\\x";
            out += hex[u >> 4];
            out += hex[u & 15];
        } else {
            out += c;
        }
    }
    if (s.size() > 200) out += "...";
}

}  // namespace

std::optional<long long> value::as_int() const noexcept {
    if (type == kind::integer || type == kind::boolean) return integer;
    long long n = 0;
    if (is_string() && parse_ll(str, n)) return n;
    return std::nullopt;
}

std::string debug_string(const value& v) {
    std::string out;
    switch (v.type) {
        case kind::null:
            return "null";
        case kind::integer:
            return std::to_string(v.integer);
        case kind::boolean:
            return v.integer ? "true" : "false";
        case kind::double_:
        case kind::big_number:
            return std::string(to_string(v.type)) + ":" + v.str;
        case kind::simple_string:
        case kind::bulk_string:
        case kind::verbatim:
        case kind::error:
            out = std::string(to_string(v.type)) + ":\"";
            escape_into(out, v.str);
            return out + "\"";
        default:
            break;
    }
    out = std::string(to_string(v.type)) + "[";
    for (std::size_t i = 0; i < v.elements.size(); ++i) {
        if (i) out += ", ";
        out += debug_string(v.elements[i]);
    }
    return out + "]";
}

void parser::feed(std::string_view bytes) {
    if (failed_) return;
    if (buffered() + bytes.size() > limits_.max_buffered) {
        failed_ = errc::too_large;
        return;
    }
    compact();
    buf_.append(bytes);
}

void parser::compact() {
    if (pos_ == 0) return;
    if (pos_ == buf_.size()) {
        buf_.clear();
    } else if (pos_ >= 4096 && pos_ * 2 >= buf_.size()) {
        buf_.erase(0, pos_);
    } else {
        return;
    }
    scan_ -= std::min(scan_, pos_);
    pos_ = 0;
}

void parser::reset() {
    buf_.clear();
    pos_ = scan_ = 0;
    stack_.clear();
    in_blob_ = false;
    failed_ = {};
}

parser::step parser::fail(errc e) {
    failed_ = e;
    return step::failed;
}

boost::system::result<std::optional<value>> parser::next() {
    std::optional<value> out;
    while (!failed_) {
        switch (parse_one(out)) {
            case step::need_more:
                return std::optional<value>{};
            case step::failed:
                return failed_;
            case step::done:
                if (out) return out;
        }
    }
    return failed_;
}

parser::step parser::read_line(std::string_view& line) {
    std::size_t from = std::max(scan_, pos_);
    const char* base = buf_.data();
    while (from < buf_.size()) {
        auto* cr = static_cast<const char*>(std::memchr(base + from, '\r', buf_.size() - from));
        if (!cr) {
            from = buf_.size();
            break;
        }
        std::size_t at = static_cast<std::size_t>(cr - base);
        if (at + 1 >= buf_.size()) {
            from = at;  // the '\n' may come with the next bytes
            break;
        }
        if (base[at + 1] != '\n') return fail(errc::protocol_error);
        if (at - pos_ > limits_.max_line + 1) return fail(errc::too_large);
        line = std::string_view(base + pos_, at - pos_);
        pos_ = at + 2;
        scan_ = pos_;
        return step::done;
    }
    scan_ = from;
    if (buf_.size() - pos_ > limits_.max_line + 2) return fail(errc::too_large);
    return step::need_more;
}

// Parses one element (a scalar, a blob's bytes, or an aggregate's header). `out` is set when
// it completes a top-level reply.
parser::step parser::parse_one(std::optional<value>& out) {
    if (in_blob_) return read_blob(out);
    std::string_view line;
    if (auto s = read_line(line); s != step::done) return s;
    if (line.empty()) return fail(errc::protocol_error);
    return start_value(line[0], line.substr(1), out);
}

parser::step parser::start_value(char type, std::string_view line, std::optional<value>& out) {
    value v;
    long long n = 0;
    switch (type) {
        case '+':
        case '-':
            v.type = type == '+' ? kind::simple_string : kind::error;
            v.str.assign(line);
            break;
        case ':':
            if (!parse_ll(line, n)) return fail(errc::protocol_error);
            v.type = kind::integer;
            v.integer = n;
            break;
        case '_':
            if (!line.empty()) return fail(errc::protocol_error);
            break;
        case '#':
            if (line != "t" && line != "f") return fail(errc::protocol_error);
            v.type = kind::boolean;
            v.integer = line == "t";
            break;
        case ',':
            v.type = kind::double_;
            if (!parse_double(line, v.number)) return fail(errc::protocol_error);
            v.str.assign(line);
            break;
        case '(':
            if (!is_big_number(line)) return fail(errc::protocol_error);
            v.type = kind::big_number;
            v.str.assign(line);
            break;
        case '$':
        case '!':
        case '=':
            if (!parse_ll(line, n) || n < -1) return fail(errc::protocol_error);
            if (n == -1) break;  // RESP2 null bulk
            if (static_cast<unsigned long long>(n) > limits_.max_bulk) return fail(errc::too_large);
            in_blob_ = true;
            blob_type_ = type;
            blob_len_ = static_cast<std::size_t>(n);
            return read_blob(out);
        case '*':
        case '%':
        case '~':
        case '>':
        case '|':
            return start_aggregate(type, line, out);
        default:
            return fail(errc::protocol_error);
    }
    complete(std::move(v), out);
    return step::done;
}

parser::step parser::start_aggregate(char type, std::string_view line, std::optional<value>& out) {
    long long n = 0;
    if (!parse_ll(line, n) || n < -1) return fail(errc::protocol_error);
    if (n == -1) {
        if (type != '*') return fail(errc::protocol_error);
        complete(value{}, out);  // RESP2 null array
        return step::done;
    }
    const bool pairs = type == '%' || type == '|';
    unsigned long long count = static_cast<unsigned long long>(n);
    if (count > limits_.max_elements / (pairs ? 2 : 1)) return fail(errc::too_large);
    if (pairs) count *= 2;
    if (stack_.size() + 1 > limits_.max_depth) return fail(errc::too_deep);
    frame f;
    f.agg.type = aggregate_kind(type);
    f.attribute = type == '|';
    f.remaining = static_cast<std::size_t>(count);
    f.agg.elements.reserve(std::min<std::size_t>(f.remaining, 1024));
    if (f.remaining == 0 && !f.attribute) {
        complete(std::move(f.agg), out);
        return step::done;
    }
    if (f.remaining != 0) stack_.push_back(std::move(f));
    return step::done;
}

parser::step parser::read_blob(std::optional<value>& out) {
    if (buf_.size() - pos_ < blob_len_ + 2) {
        scan_ = pos_;
        return step::need_more;
    }
    const char* p = buf_.data() + pos_;
    if (p[blob_len_] != '\r' || p[blob_len_ + 1] != '\n') return fail(errc::protocol_error);
    value v;
    v.type = blob_type_ == '$' ? kind::bulk_string : blob_type_ == '!' ? kind::error : kind::verbatim;
    std::string_view body(p, blob_len_);
    if (blob_type_ == '=') {
        if (body.size() < 4 || body[3] != ':') return fail(errc::protocol_error);
        v.format.assign(body.substr(0, 3));
        body.remove_prefix(4);
    }
    v.str.assign(body);
    pos_ += blob_len_ + 2;
    scan_ = pos_;
    in_blob_ = false;
    complete(std::move(v), out);
    return step::done;
}

bool parser::complete(value v, std::optional<value>& out) {
    while (!stack_.empty()) {
        frame& top = stack_.back();
        top.agg.elements.push_back(std::move(v));
        if (--top.remaining != 0) return false;
        frame done = std::move(top);
        stack_.pop_back();
        if (done.attribute) return false;  // attributes annotate the next value: dropped
        v = std::move(done.agg);
    }
    out = std::move(v);
    return true;
}

namespace {
template <class Range>
void append_args(std::string& out, const Range& args) {
    std::size_t total = 16;
    for (const auto& a : args)
        total += a.size() + 16;
    out.reserve(out.size() + total);
    out += '*';
    out += std::to_string(args.size());
    out += "\r\n";
    for (const auto& a : args) {
        out += '$';
        out += std::to_string(a.size());
        out += "\r\n";
        out.append(a.data(), a.size());
        out += "\r\n";
    }
}
}  // namespace

void append_command(std::string& out, std::span<const std::string_view> args) {
    append_args(out, args);
}
void append_command(std::string& out, const std::vector<std::string>& args) {
    append_args(out, args);
}

}  // namespace switchboard::redis
