#pragma once
// The HTTP router: every path the server answers (the engine endpoints, the built-ins, the push
// API and REST routes) in one table. Pure: no Asio, no Beast.
//
// Routes are exact ("/health"), prefix ("/user-status/": every path that starts so) or pattern
// ("/users/{id}/rooms": `{name}` matches one non-empty segment). A path is looked up in that
// order: exact, then patterns (in the order added), then prefixes (the longest first). The first
// of those that answers the method wins; when routes match the path but none the method, the
// answer is 405 with `Allow` listing theirs; when none matches the path, 404.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace switchboard::server::detail {

// HTTP methods as bits of a set.
using method_set = std::uint16_t;
namespace methods {
constexpr method_set get = 1, head = 2, post = 4, put = 8, patch = 16, del = 32, options = 64, other = 128;
constexpr method_set any = 0xffff;
}  // namespace methods

// The bit of a method name ("GET"); `other` for names the router does not know.
method_set method_bit(std::string_view name) noexcept;
// A list such as "GET, POST" or "GET POST" (empty: any); unknown names are ignored.
method_set parse_methods(std::string_view list) noexcept;
// The value of an Allow header: "GET, HEAD, POST".
std::string allow_header(method_set m);

enum class route_kind : std::uint8_t { exact, pattern, prefix };

// The parameters a pattern route took from the path: {name, value}.
using route_params = std::vector<std::pair<std::string_view, std::string_view>>;

// Does `path` match `pattern`? Appends its {name} segments to `params` when it does.
bool match_pattern(std::string_view pattern, std::string_view path, route_params* params);

template <class Target>
class basic_router {
public:
    // Adds a route. Among routes of the same kind and path, one added later with the same methods
    // replaces the earlier one; a `rank` lower than another's wins where both answer the method.
    void add(route_kind kind, std::string path, method_set allowed, Target target, int rank = 0) {
        for (auto& r : routes_)
            if (r.kind == kind && r.path == path && r.allowed == allowed && r.rank == rank) {
                r.target = std::move(target);
                return;
            }
        routes_.push_back({kind, std::move(path), allowed, rank, std::move(target)});
    }

    struct result {
        enum status_t : std::uint8_t { found, not_found, wrong_method } status = not_found;
        const Target* target = nullptr;
        method_set allowed = 0;  // wrong_method: the methods the path's routes answer
    };

    result find(std::string_view method, std::string_view path, route_params* params = nullptr) const {
        method_set m = method_bit(method);
        result out;
        for (auto kind : {route_kind::exact, route_kind::pattern, route_kind::prefix}) {
            const entry* best = nullptr;
            for (const auto& r : routes_) {
                if (r.kind != kind || !matches(r, path)) continue;
                out.allowed |= r.allowed;
                if (!(r.allowed & m)) continue;
                if (!best || better(r, *best)) best = &r;
            }
            if (best) {
                if (params && best->kind == route_kind::pattern) match_pattern(best->path, path, params);
                return {result::found, &best->target, best->allowed};
            }
        }
        if (out.allowed) out.status = result::wrong_method;
        return out;
    }

private:
    struct entry {
        route_kind kind;
        std::string path;
        method_set allowed;
        int rank;
        Target target;
    };
    static bool matches(const entry& r, std::string_view path) {
        switch (r.kind) {
            case route_kind::exact:
                return r.path == path;
            case route_kind::prefix:
                return path.starts_with(r.path);
            case route_kind::pattern:
                return match_pattern(r.path, path, nullptr);
        }
        return false;
    }
    // Within one kind: the lower rank; then the longer prefix; then the one added first for
    // patterns, the later one otherwise.
    static bool better(const entry& a, const entry& b) {
        if (a.rank != b.rank) return a.rank < b.rank;
        if (a.kind == route_kind::prefix && a.path.size() != b.path.size())
            return a.path.size() > b.path.size();
        return a.kind != route_kind::pattern;
    }
    std::vector<entry> routes_;
};

}  // namespace switchboard::server::detail
