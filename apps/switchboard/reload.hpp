#pragma once
// The settings in force, and SIGHUP: read again, and what can change without dropping a connection
// applied (log level and format, JWT keys and checks, room rules); the rest is named in a warning.
#include <switchboard/common/config.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace switchboard::app {

class gateway;

// Fills `c` from the flags, then ENV_FILE's lines (when that setting names a file), then the
// environment, then the defaults. An error message for a bad flag, value or file.
std::optional<std::string> load_settings(common::config& c, int argc, const char* const* argv);

// SIGHUP's work: `running` holds the settings the process started with (restart-only settings that
// differ from it are named in a warning). `extra` runs after the built-in reloads (e.g. the TLS certificate);
// it returns an error message or nullopt. Logs what was reloaded, what failed (the old value stays) and what
// needs a restart. On any thread; not concurrently with itself.
void reload_settings(const common::config& running, int argc, const char* const* argv, gateway& gw,
                     const std::function<std::optional<std::string>(const common::config&)>& extra = {});

}  // namespace switchboard::app
