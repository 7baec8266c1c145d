#include <switchboard/common/config.hpp>

#include <charconv>
#include <fstream>
#include <sstream>

namespace switchboard::common {

std::optional<std::string> config::set(const setting& s, std::string value, std::string_view source) {
    if (s.type == setting::kind::integer) {
        long long v = 0;
        auto r = std::from_chars(value.data(), value.data() + value.size(), v);
        if (value.empty() || r.ec != std::errc{} || r.ptr != value.data() + value.size())
            return std::string(source) + ": '" + value + "' is not a whole number";
        if (v < s.min || v > s.max)
            return std::string(source) + ": " + value + " is outside " + std::to_string(s.min) + ".." +
                   std::to_string(s.max);
    } else if (s.type == setting::kind::boolean) {
        if (value == "1" || value == "true" || value == "yes" || value == "on")
            value = "true";
        else if (value == "0" || value == "false" || value == "no" || value == "off" || value.empty())
            value = "false";
        else
            return std::string(source) + ": '" + value + "' is not true or false";
    }
    values_[s.env] = std::move(value);
    return std::nullopt;
}

namespace {
std::optional<std::string> read_whole_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) return std::nullopt;
    std::ostringstream ss;
    ss << f.rdbuf();
    if (f.bad()) return std::nullopt;
    return ss.str();
}
}  // namespace

std::optional<std::string> config::load(int argc, const char* const* argv, const env_lookup& env,
                                        const file_lookup& read_file) {
    for (const auto& s : table_) {
        values_[s.env] = s.default_value;
        // The canonical name first, then its aliases; errors name the variable that was read.
        std::string source = s.env;
        std::optional<std::string> v = env(s.env);
        for (std::size_t i = 0; !v && i < s.aliases.size(); ++i)
            if ((v = env(s.aliases[i]))) source = s.aliases[i];
        // A secret may come from a file (Docker and Kubernetes secrets), never also from the variable.
        if (s.secret) {
            std::string file_var = s.env + "_FILE";
            if (auto path = env(file_var); path && !path->empty()) {
                if (v) return source + " and " + file_var + " are both set; use one";
                auto text = read_file ? read_file(*path) : read_whole_file(*path);
                if (!text) return file_var + ": cannot read " + *path;
                if (text->ends_with("\r\n"))
                    text->resize(text->size() - 2);
                else if (text->ends_with('\n'))
                    text->pop_back();
                v = std::move(text);
                source = file_var;
            }
        }
        if (v)
            if (auto err = set(s, std::move(*v), source)) return err;
    }
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            help_ = true;
            continue;
        }
        if (arg.substr(0, 2) != "--") {
            positional_.emplace_back(arg);
            continue;
        }
        arg.remove_prefix(2);
        std::string value;
        bool has_value = false;
        if (auto eq = arg.find('='); eq != std::string_view::npos) {
            value = std::string(arg.substr(eq + 1));
            arg = arg.substr(0, eq);
            has_value = true;
        }
        const setting* found = nullptr;
        for (const auto& s : table_)
            if (s.flag == arg) found = &s;
        if (!found) return "unknown option --" + std::string(arg) + " (see --help)";
        if (!has_value) {
            if (found->type == setting::kind::boolean &&
                (i + 1 >= argc || std::string_view(argv[i + 1]).substr(0, 2) == "--")) {
                value = "true";
            } else {
                if (i + 1 >= argc) return "option --" + std::string(arg) + " needs a value";
                value = argv[++i];
            }
        }
        if (auto err = set(*found, value, "--" + found->flag)) return err;
        if (found->secret) secret_flags_.push_back("--" + found->flag);
    }
    return std::nullopt;
}

const std::string& config::str(std::string_view env_name) const {
    static const std::string empty;
    auto it = values_.find(env_name);
    return it == values_.end() ? empty : it->second;
}

long long config::integer(std::string_view env_name) const {
    const auto& s = str(env_name);
    long long v = 0;
    std::from_chars(s.data(), s.data() + s.size(), v);
    return v;
}

bool config::boolean(std::string_view env_name) const {
    return str(env_name) == "true";
}

std::vector<std::string> config::list(std::string_view env_name) const {
    std::vector<std::string> out;
    std::stringstream ss(str(env_name));
    std::string item;
    while (std::getline(ss, item, ',')) {
        auto b = item.find_first_not_of(" \t");
        auto e = item.find_last_not_of(" \t");
        if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
    }
    return out;
}

std::string config::help_text(std::string_view program) const {
    std::string out = "Usage: " + std::string(program) + " [options]\n\n";
    out += "Every option can also be set by its environment variable; a flag wins over the environment.\n";
    out +=
        "Secrets (marked below) given as flags are visible to every local user in `ps` and\n"
        "/proc/<pid>/cmdline: set them in the environment, or put them in a file named by <env>_FILE.\n\n";
    for (const auto& s : table_) {
        std::string left = "  --" + s.flag + (s.type == setting::kind::boolean ? "" : " VALUE");
        if (left.size() < 28)
            left.resize(28, ' ');
        else
            left += "\n" + std::string(28, ' ');
        out += left + s.help + "\n";
        out += std::string(28, ' ') + "env " + s.env;
        for (const auto& a : s.aliases)
            out += " (or " + a + ")";
        out += "; default: " + (s.default_value.empty() ? std::string("(none)") : s.default_value) + "\n";
        if (s.secret)
            out += std::string(28, ' ') + "secret: or env " + s.env +
                   "_FILE (a file holding it); as a flag it shows in ps\n";
    }
    out += "  --help                    this text\n";
    return out;
}

namespace {
bool blank(char c) {
    return c == ' ' || c == '\t' || c == '\r';
}
bool name_char(char c, bool first) {
    return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (!first && c >= '0' && c <= '9');
}
}  // namespace

std::optional<std::string> parse_env_file(std::string_view text, std::map<std::string, std::string>& out) {
    std::size_t line_no = 0;
    while (!text.empty()) {
        ++line_no;
        auto nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        auto where = [&](const char* what) { return "line " + std::to_string(line_no) + ": " + what; };
        std::size_t i = 0;
        while (i < line.size() && blank(line[i]))
            ++i;
        if (i == line.size() || line[i] == '#' || line[i] == ';') continue;
        if (line.substr(i, 7) == "export " || line.substr(i, 7) == "export\t") {
            i += 7;
            while (i < line.size() && blank(line[i]))
                ++i;
        }
        std::size_t name_start = i;
        while (i < line.size() && name_char(line[i], i == name_start))
            ++i;
        std::string name(line.substr(name_start, i - name_start));
        while (i < line.size() && blank(line[i]))
            ++i;
        if (name.empty() || i == line.size() || line[i] != '=') return where("expected NAME=value");
        ++i;
        while (i < line.size() && blank(line[i]))
            ++i;
        std::string value;
        if (i < line.size() && (line[i] == '"' || line[i] == '\'')) {
            char q = line[i++];
            bool closed = false;
            for (; i < line.size(); ++i) {
                char c = line[i];
                if (c == q) {
                    closed = true;
                    ++i;
                    break;
                }
                if (q == '"' && c == '\\' && i + 1 < line.size()) {
                    char e = line[++i];
                    switch (e) {
                        case 'n':
                            value += '\n';
                            break;
                        case 't':
                            value += '\t';
                            break;
                        case '\\':
                        case '"':
                        case '$':
                            value += e;
                            break;
                        default:
                            value += '\\';
                            value += e;
                    }
                    continue;
                }
                value += c;
            }
            if (!closed) return where("unterminated quote");
            while (i < line.size() && blank(line[i]))
                ++i;
            if (i < line.size() && line[i] != '#') return where("text after the closing quote");
        } else {
            std::size_t end = line.size();
            while (end > i && blank(line[end - 1]))
                --end;
            value = std::string(line.substr(i, end - i));
        }
        out[std::move(name)] = std::move(value);
    }
    return std::nullopt;
}

}  // namespace switchboard::common
