#pragma once
// The engine's settings (issue #2), shared by every app: the table, and the server options read
// from a loaded config.
#include <switchboard/common/config.hpp>

#include <string>
#include <vector>

namespace switchboard::server {

// The settings of the engine (issue #2), shared by every app.
std::vector<common::setting> engine_settings();
struct server_options;
server_options engine_options_from(const common::config& c);
// The engine settings set to an older, weaker behaviour than their defaults (for a start-up
// warning), each as "NAME=value: why".
std::vector<std::string> weaker_settings(const common::config& c);

}  // namespace switchboard::server
