// msgpack ↔ JSON for the cluster codec, with msgpack-cxx (its parser, limits and packer).
#include "cluster_detail.hpp"

#include <msgpack.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>

#include <cstdint>
#include <exception>
#include <limits>

namespace switchboard::rooms::cluster::detail {
namespace {

namespace json = boost::json;

// A first pass with msgpack-cxx's parser and a visitor that builds nothing: every array and map
// header must announce no more elements than bytes remain in the whole input (each element takes
// at least one byte), so the second pass (msgpack::unpack, which allocates an array's elements
// from its header before reading them) allocates in proportion to the input, never to a length
// the input claims.
class budget_visitor : public msgpack::null_visitor {
public:
    explicit budget_visitor(std::size_t budget) : budget_(budget) {}
    bool start_array(std::uint32_t n) { return enter() && take(n); }
    bool end_array() { return leave(); }
    bool start_map(std::uint32_t n) { return enter() && take(std::size_t{n} * 2); }
    bool end_map() { return leave(); }
    void parse_error(std::size_t, std::size_t) { failed_ = true; }
    void insufficient_bytes(std::size_t, std::size_t) { failed_ = true; }
    bool failed() const noexcept { return failed_; }

private:
    bool enter() {
        if (++depth_ > max_depth) failed_ = true;
        return !failed_;
    }
    bool leave() {
        --depth_;
        return true;
    }
    bool take(std::size_t n) {
        if (n > budget_) {
            failed_ = true;
            return false;
        }
        budget_ -= n;
        return true;
    }
    std::size_t budget_;
    std::size_t depth_ = 0;
    bool failed_ = false;
};

bool convert(const msgpack::object& o, std::size_t depth, std::vector<std::string>* binary, json::value& out,
             std::string& error);

bool convert_map(const msgpack::object_map& m, std::size_t depth, std::vector<std::string>* binary,
                 json::value& out, std::string& error) {
    json::object& obj = out.emplace_object();
    obj.reserve(m.size);
    for (std::uint32_t i = 0; i < m.size; ++i) {
        const msgpack::object_kv& kv = m.ptr[i];
        if (kv.key.type != msgpack::type::STR) {
            error = "msgpack map key is not a string";
            return false;
        }
        json::value& slot = obj[std::string_view(kv.key.via.str.ptr, kv.key.via.str.size)];
        if (!convert(kv.val, depth + 1, binary, slot, error)) return false;
    }
    return true;
}

bool convert(const msgpack::object& o, std::size_t depth, std::vector<std::string>* binary, json::value& out,
             std::string& error) {
    if (depth > max_depth) {
        error = "msgpack nested too deep";
        return false;
    }
    switch (o.type) {
        case msgpack::type::NIL:
            out = nullptr;
            return true;
        case msgpack::type::BOOLEAN:
            out = o.via.boolean;
            return true;
        case msgpack::type::POSITIVE_INTEGER:
            if (o.via.u64 <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
                out = static_cast<std::int64_t>(o.via.u64);
            else
                out = o.via.u64;
            return true;
        case msgpack::type::NEGATIVE_INTEGER:
            out = o.via.i64;
            return true;
        case msgpack::type::FLOAT32:
        case msgpack::type::FLOAT64:
            out = o.via.f64;
            return true;
        case msgpack::type::STR:
            out = json::string(std::string_view(o.via.str.ptr, o.via.str.size));
            return true;
        case msgpack::type::BIN:
            if (binary == nullptr) {
                error = "msgpack binary where none is allowed";
                return false;
            }
            out = json::object{{"_placeholder", true}, {"num", static_cast<std::int64_t>(binary->size())}};
            binary->emplace_back(o.via.bin.ptr, o.via.bin.size);
            return true;
        case msgpack::type::ARRAY: {
            json::array& arr = out.emplace_array();
            arr.resize(o.via.array.size);
            for (std::uint32_t i = 0; i < o.via.array.size; ++i)
                if (!convert(o.via.array.ptr[i], depth + 1, binary, arr[i], error)) return false;
            return true;
        }
        case msgpack::type::MAP:
            return convert_map(o.via.map, depth, binary, out, error);
        default:
            error = "msgpack extension types are not supported";
            return false;
    }
}

struct string_sink {
    std::string& out;
    void write(const char* p, std::size_t n) { out.append(p, n); }
};
using packer = msgpack::packer<string_sink>;

const std::string* placeholder(const json::object& o, const std::vector<std::string>& binary) {
    if (o.size() != 2) return nullptr;
    const json::value* flag = o.if_contains("_placeholder");
    const json::value* num = o.if_contains("num");
    if (flag == nullptr || num == nullptr || !flag->is_bool() || !flag->get_bool()) return nullptr;
    if (num->is_int64() && num->get_int64() >= 0 &&
        static_cast<std::uint64_t>(num->get_int64()) < binary.size())
        return &binary[static_cast<std::size_t>(num->get_int64())];
    return nullptr;
}

void pack_str(packer& pk, std::string_view s) {
    pk.pack_str(static_cast<std::uint32_t>(s.size()));
    pk.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
}

void pack(packer& pk, const json::value& v, const std::vector<std::string>& binary) {
    switch (v.kind()) {
        case json::kind::null:
            pk.pack_nil();
            break;
        case json::kind::bool_:
            v.get_bool() ? pk.pack_true() : pk.pack_false();
            break;
        case json::kind::int64:
            pk.pack_int64(v.get_int64());
            break;
        case json::kind::uint64:
            pk.pack_uint64(v.get_uint64());
            break;
        case json::kind::double_:
            pk.pack_double(v.get_double());
            break;
        case json::kind::string:
            pack_str(pk, v.get_string());
            break;
        case json::kind::array:
            pk.pack_array(static_cast<std::uint32_t>(v.get_array().size()));
            for (const json::value& e : v.get_array())
                pack(pk, e, binary);
            break;
        case json::kind::object:
            if (const std::string* bin = placeholder(v.get_object(), binary)) {
                pk.pack_bin(static_cast<std::uint32_t>(bin->size()));
                pk.pack_bin_body(bin->data(), static_cast<std::uint32_t>(bin->size()));
                break;
            }
            pk.pack_map(static_cast<std::uint32_t>(v.get_object().size()));
            for (const json::key_value_pair& kv : v.get_object()) {
                pack_str(pk, kv.key());
                pack(pk, kv.value(), binary);
            }
            break;
    }
}

}  // namespace

bool msgpack_to_json(std::string_view bytes, std::vector<std::string>* binary, json::value& out,
                     std::string& error) {
    if (bytes.size() > max_bytes) {
        error = "msgpack too large";
        return false;
    }
    try {
        budget_visitor budget(bytes.size());
        std::size_t off = 0;
        if (!msgpack::parse(bytes.data(), bytes.size(), off, budget) || budget.failed() ||
            off != bytes.size()) {
            error = "malformed msgpack";
            return false;
        }
        const msgpack::unpack_limit limit(bytes.size(), bytes.size(), bytes.size(), bytes.size(), 0,
                                          max_depth);
        msgpack::object_handle handle = msgpack::unpack(bytes.data(), bytes.size(), nullptr, nullptr, limit);
        return convert(handle.get(), 0, binary, out, error);
    } catch (const std::exception&) {  // msgpack's errors, and std::bad_alloc for absurd sizes
        error = "malformed msgpack";
        return false;
    }
}

std::string json_to_msgpack(const json::value& v, const std::vector<std::string>& binary) {
    std::string out;
    string_sink sink{out};
    packer pk(sink);
    pack(pk, v, binary);
    return out;
}

}  // namespace switchboard::rooms::cluster::detail
