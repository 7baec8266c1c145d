#pragma once
// Per-service profiles (PROFILE): the defaults that make one of the Node services we replace work
// unchanged for its clients, backends and probes (kumss: the ERP of seeds 000/001; survey: seed
// 002; ecommerce: seed 003; hometrip: seed 004). A profile only changes DEFAULTS of other
// settings, each a setting of its own: an environment variable or a flag always wins. What it
// loosens (ROOMS_OPEN, API_LOOPBACK_ONLY, METRICS_PUBLIC, ALLOW_ANONYMOUS) is warned at start-up as
// when set by hand.
#include <switchboard/auth/access.hpp>
#include <switchboard/common/config.hpp>

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace switchboard::app {

struct profile {
    std::string_view name;                                                // PROFILE=name
    std::string_view service;                                             // what it stands in for
    std::vector<std::pair<std::string_view, std::string_view>> defaults;  // setting → default
};

// Every profile, in README order.
const std::vector<profile>& profiles();
const profile* find_profile(std::string_view name);

// PROFILE and ROOMS_OPEN.
std::vector<common::setting> profile_settings_table();

// The defaults of `table` that profile `name` sets (empty name: none). An error names an unknown
// profile, or a setting the table lacks.
std::optional<std::string> apply_profile(std::vector<common::setting>& table, std::string_view name);

// ROOMS_OPEN: each prefix gets the `open` rule (any authenticated socket may join prefix:{id}), the
// way a rules file's "prefix": "open" would, unless the rules file names that prefix itself
// (`from_file`): the file wins. An error names a prefix that is not 1–64 of A-Z a-z 0-9 . _ - or
// that would open users' or admins' rooms (user, super_admin).
std::optional<std::string> open_room_prefixes(const std::vector<std::string>& prefixes,
                                              const std::set<std::string, std::less<>>& from_file,
                                              auth::room_rules& rules);
// The prefixes a rules file (JSON) names under "prefixes" (none when it is not such JSON).
std::set<std::string, std::less<>> rules_file_prefixes(std::string_view json);

// HEALTH_FIELDS (known sources, key=source syntax) and METRICS_FORMAT (prometheus or json).
std::optional<std::string> check_output_settings(const common::config& c);

// Loosened behaviours for the start-up warning that have none elsewhere (ALLOW_ANONYMOUS).
std::vector<std::string> profile_warnings(const common::config& c);

}  // namespace switchboard::app
