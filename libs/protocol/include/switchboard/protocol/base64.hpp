#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace switchboard::protocol {

// Standard base64 (RFC 4648 §4, with padding), as Engine.IO uses for binary in polling payloads.
void base64_append(std::string& out, std::string_view bytes);
// Decodes padded or unpadded standard base64; nullopt on any invalid character or length.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace switchboard::protocol
