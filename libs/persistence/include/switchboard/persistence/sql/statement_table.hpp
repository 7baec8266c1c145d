#pragma once
// The names one PostgreSQL connection's prepared statements go by: one per distinct SQL text,
// "s1", "s2", … in the order first used, on that connection only. Each connection owns one, so a
// new connection (a reconnect) starts empty and prepares again under its own names. Never a hash of
// the text: two texts never share a name. Pure: no libpq here.
#include <cstdint>
#include <string>
#include <unordered_map>

namespace switchboard::persistence {

class statement_table {
public:
    struct entry {
        std::string name;
        bool prepared = false;  // true: this connection has it; false: prepare it under `name` first
    };

    // The name `sql` runs under: the one it was prepared under, or the next unused one.
    entry find(const std::string& sql) const {
        if (auto it = names_.find(sql); it != names_.end()) return {it->second, true};
        return {"s" + std::to_string(next_), false};
    }
    // The server accepted PREPARE `name` for `sql` (the name find() gave): later calls run it.
    void prepared(const std::string& sql, std::string name) {
        if (names_.emplace(sql, std::move(name)).second) ++next_;
    }
    std::size_t size() const noexcept { return names_.size(); }

private:
    std::unordered_map<std::string, std::string> names_;  // SQL text → its name on this connection
    std::uint64_t next_ = 1;  // a name failed to prepare is free again: the server kept nothing
};

}  // namespace switchboard::persistence
