#pragma once
// Random identifiers from the OS's source.
#include <cstddef>
#include <string>

namespace switchboard::common {

// 20 characters of base64url (120 bits): session and socket ids. Cheap: a per-thread pool.
std::string random_id();
// `bytes` random bytes as lower-case hex.
std::string random_hex(std::size_t bytes);

}  // namespace switchboard::common
