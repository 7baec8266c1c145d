#pragma once
// Settings from environment variables (the names the Node services use) and the same settings as
// flags (--port 3001 or --port=3001). Precedence: flag, then environment, then default.
#include <boost/system/result.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::common {

struct setting {
    std::string env;                   // PORT
    std::vector<std::string> aliases;  // other env names accepted (CORS_ORIGIN for ALLOWED_ORIGINS)
    std::string flag;                  // port → --port
    std::string default_value;
    std::string help;
    enum class kind { string, integer, boolean } type = kind::string;
    long long min = 0, max = 0;  // for integers
    // A secret (key, password, URL with a password): also read from the file named by <env>_FILE,
    // and --help says a flag shows in `ps`.
    bool secret = false;
};

class config {
public:
    explicit config(std::vector<setting> table) : table_(std::move(table)) {}

    using env_lookup = std::function<std::optional<std::string>(const std::string&)>;
    // A file's contents, nullopt when it cannot be read (the default reads the file system).
    using file_lookup = std::function<std::optional<std::string>(const std::string& path)>;
    // Reads env then argv[1..]. For a secret setting, <env>_FILE names a file holding the value
    // (one trailing newline dropped); setting both <env> and <env>_FILE is an error. Returns an
    // error message for an unknown flag, a bad value or an unreadable file.
    std::optional<std::string> load(int argc, const char* const* argv, const env_lookup& env,
                                    const file_lookup& read_file = {});
    // The secret settings given as flags (visible in `ps`), for a start-up warning.
    const std::vector<std::string>& secrets_from_flags() const noexcept { return secret_flags_; }

    const std::string& str(std::string_view env_name) const;
    long long integer(std::string_view env_name) const;
    bool boolean(std::string_view env_name) const;
    std::vector<std::string> list(std::string_view env_name) const;  // comma-separated
    bool help_requested() const noexcept { return help_; }
    const std::vector<std::string>& positional() const noexcept { return positional_; }

    std::string help_text(std::string_view program) const;
    const std::vector<setting>& table() const noexcept { return table_; }

private:
    std::optional<std::string> set(const setting& s, std::string value, std::string_view source);
    std::vector<setting> table_;
    std::map<std::string, std::string, std::less<>> values_;
    std::vector<std::string> positional_;
    std::vector<std::string> secret_flags_;
    bool help_ = false;
};

// An environment file (ENV_FILE; the syntax of systemd's EnvironmentFile=): NAME=value lines, blank
// lines and lines starting with # or ; skipped, an optional "export ", values bare (trimmed) or in
// single quotes (literal) or double quotes (\\, \", \$, \n, \t escapes). Fills `out` (a later
// line wins); an error names the line.
std::optional<std::string> parse_env_file(std::string_view text, std::map<std::string, std::string>& out);

}  // namespace switchboard::common
