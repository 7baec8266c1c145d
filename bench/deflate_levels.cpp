// zlib levels 1 and 6 on a 100 KB chat-like JSON message: size, deflate and inflate time per message
// (README, Compression). Run: build/bin/sb-deflate-bench
#include <chrono>
#include <cstdio>
#include <string>
#include <switchboard/protocol/ws_deflate.hpp>
using namespace switchboard::protocol::ws;
int main() {
    std::string msg = "[";
    for (int i = 0; msg.size() < 100000; ++i)
        msg += "{\"id\":" + std::to_string(i) + ",\"user\":\"user-" + std::to_string(i % 97) +
               "\",\"room\":\"room-" + std::to_string(i % 13) + "\",\"text\":\"message number " +
               std::to_string(i) + " in the room\",\"at\":" + std::to_string(1733400000000 + i) + "},";
    for (int level : {1, 6}) {
        deflater d(15, level);
        std::string z;
        auto t0 = std::chrono::steady_clock::now();
        for (int i = 0; i < 500; ++i)
            z = d.deflate(msg);
        auto t1 = std::chrono::steady_clock::now();
        std::string out;
        for (int i = 0; i < 500; ++i)
            thread_inflater().inflate(z, 1000000, out);
        auto t2 = std::chrono::steady_clock::now();
        std::printf("level %d: %zu -> %zu bytes (%.1f%%), deflate %.3f ms, inflate %.3f ms per message\n",
                    level, msg.size(), z.size(), 100.0 * z.size() / msg.size(),
                    std::chrono::duration<double, std::milli>(t1 - t0).count() / 500,
                    std::chrono::duration<double, std::milli>(t2 - t1).count() / 500);
    }
}
