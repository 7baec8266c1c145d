#pragma once
// RESP2/RESP3 codec, sans-io (no Asio): a reply `value`, an incremental `parser` that enforces
// limits and never throws on any input, and the command encoder (an array of bulk strings).
#include <switchboard/redis/errc.hpp>

#include <boost/system/result.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::redis {

enum class kind : std::uint8_t {
    simple_string,
    error,  // "-ERR ..." and RESP3 blob errors
    integer,
    bulk_string,
    null,  // "$-1", "*-1" and RESP3 "_"
    array,
    map,  // elements flattened: key, value, key, value...
    set,
    push,  // RESP3 out-of-band data (pub/sub messages)
    boolean,
    double_,
    big_number,  // text in `str`
    verbatim     // text in `str` without its "txt:" format prefix; format in `format`
};

std::string_view to_string(kind k) noexcept;

struct value {
    kind type = kind::null;
    std::string str;              // simple_string, error, bulk_string, verbatim, big_number, double_ (text)
    long long integer = 0;        // integer; boolean as 0/1
    double number = 0;            // double_
    std::string format;           // verbatim: "txt", "mkd"
    std::vector<value> elements;  // array, map (flattened), set, push

    bool is_error() const noexcept { return type == kind::error; }
    bool is_null() const noexcept { return type == kind::null; }
    bool is_string() const noexcept {
        return type == kind::simple_string || type == kind::bulk_string || type == kind::verbatim;
    }
    bool is_aggregate() const noexcept {
        return type == kind::array || type == kind::map || type == kind::set || type == kind::push;
    }
    // The text of a simple/bulk/verbatim string (also of an error); empty for other kinds.
    std::string_view as_string() const noexcept {
        return is_string() || is_error() ? str : std::string_view{};
    }
    // An integer, or a string holding a decimal integer (e.g. a bulk "42"); nullopt otherwise.
    std::optional<long long> as_int() const noexcept;
    // Elements of an aggregate (a map counts keys and values). at() throws std::out_of_range.
    std::size_t size() const noexcept { return elements.size(); }
    const value& at(std::size_t i) const { return elements.at(i); }

    static value simple(std::string s) { return value{kind::simple_string, std::move(s)}; }
    static value bulk(std::string s) { return value{kind::bulk_string, std::move(s)}; }
    static value error_reply(std::string s) { return value{kind::error, std::move(s)}; }
    static value of_int(long long i) { return value{kind::integer, {}, i}; }

    friend bool operator==(const value&, const value&) = default;
};

// A readable one-line rendering for logs and tests (strings escaped, cut at 200 bytes).
std::string debug_string(const value& v);

struct parser_limits {
    std::size_t max_depth = 32;                     // nesting of aggregates
    std::size_t max_bulk = 512u * 1024 * 1024;      // one bulk/verbatim/blob string
    std::size_t max_elements = 16u * 1024 * 1024;   // one aggregate (a map counts pairs twice)
    std::size_t max_line = 64u * 1024;              // a simple string, error or header line
    std::size_t max_buffered = 768u * 1024 * 1024;  // unparsed bytes held
};

class parser {
public:
    explicit parser(parser_limits limits = {}) : limits_(limits) {}

    // Appends bytes. Past max_buffered the parser fails (next() returns too_large).
    void feed(std::string_view bytes);
    // One complete reply, nullopt when more bytes are needed, or an error. After an error the
    // parser stays failed (the stream cannot be resynchronised): drop the connection, reset().
    boost::system::result<std::optional<value>> next();
    void reset();
    std::size_t buffered() const noexcept { return buf_.size() - pos_; }

private:
    struct frame {
        value agg;
        std::size_t remaining = 0;
        bool attribute = false;  // RESP3 attribute: parsed, then discarded
    };
    enum class step { need_more, done, failed };
    step parse_one(std::optional<value>& out);
    step read_line(std::string_view& line);
    step start_value(char type, std::string_view line, std::optional<value>& out);
    step start_aggregate(char type, std::string_view line, std::optional<value>& out);
    step read_blob(std::optional<value>& out);
    bool complete(value v, std::optional<value>& out);  // true when a top-level reply is done
    step fail(errc e);
    void compact();

    parser_limits limits_;
    std::string buf_;
    std::size_t pos_ = 0;
    std::size_t scan_ = 0;  // where the search for the next CRLF resumes (no re-scan of a long line)
    std::vector<frame> stack_;
    // A blob header was read; waiting for its bytes.
    bool in_blob_ = false;
    char blob_type_ = 0;
    std::size_t blob_len_ = 0;
    boost::system::error_code failed_;
};

// Appends a RESP array of bulk strings (binary-safe) to `out`.
void append_command(std::string& out, std::span<const std::string_view> args);
void append_command(std::string& out, const std::vector<std::string>& args);

// Builds a command's arguments: command("XADD").arg(key).arg("*").arg(field).arg(42).
class command {
public:
    explicit command(std::string_view name) { args_.emplace_back(name); }
    command& arg(std::string_view a) {
        args_.emplace_back(a);
        return *this;
    }
    command& arg(const char* a) { return arg(std::string_view(a)); }
    command& arg(long long n) {
        args_.push_back(std::to_string(n));
        return *this;
    }
    command& args(std::span<const std::string> as) {
        args_.insert(args_.end(), as.begin(), as.end());
        return *this;
    }
    const std::vector<std::string>& args() const& noexcept { return args_; }
    std::vector<std::string> args() && noexcept { return std::move(args_); }
    std::string encode() const {
        std::string out;
        append_command(out, args_);
        return out;
    }

private:
    std::vector<std::string> args_;
};

}  // namespace switchboard::redis
