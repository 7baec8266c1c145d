// The machine's floor for a fan-out delivery: what one send() of a small frame on an established
// loopback TCP connection costs the sender's CPU, with nothing else around it (no framing, no
// queues, no event loop). Shaped like the fan-out scenario: N connections, bursts of one send per
// connection, a pause between bursts, the reader in another process on another core.
//   sb-sendfloor [--conns N] [--bursts B] [--bytes S] [--gap-ms G] [--sender-core C] [--reader-core C]
// Prints one JSON line: sender CPU (user and kernel) per send, in µs.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

struct options {
    int conns = 10000;
    int bursts = 20;
    int bytes = 72;
    int gap_ms = 500;
    int sender_core = 0;
    int reader_core = 1;
};

[[noreturn]] void die(const char* what) {
    std::perror(what);
    std::exit(1);
}

void pin(int core) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(core, &set);
    sched_setaffinity(0, sizeof set, &set);
}

double cpu_seconds(int who, bool kernel) {
    rusage u{};
    getrusage(who, &u);
    const auto& t = kernel ? u.ru_stime : u.ru_utime;
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
}

// The reader: connects N sockets, then reads whatever arrives until the sender closes them.
[[noreturn]] void reader(const options& o, std::uint16_t port) {
    pin(o.reader_core);
    int ep = epoll_create1(0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < o.conns; ++i) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0) die("socket");
        if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) die("connect");
        fcntl(fd, F_SETFL, O_NONBLOCK);
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    }
    std::vector<epoll_event> events(512);
    char buf[4096];
    int open = o.conns;
    while (open > 0) {
        int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), 1000);
        for (int i = 0; i < n; ++i) {
            auto r = read(events[i].data.fd, buf, sizeof buf);
            if (r == 0) {
                close(events[i].data.fd);
                --open;
            }
        }
    }
    std::exit(0);
}

}  // namespace

int main(int argc, char** argv) {
    options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string a = argv[i];
        int v = std::atoi(argv[i + 1]);
        if (a == "--conns")
            o.conns = v;
        else if (a == "--bursts")
            o.bursts = v;
        else if (a == "--bytes")
            o.bytes = v;
        else if (a == "--gap-ms")
            o.gap_ms = v;
        else if (a == "--sender-core")
            o.sender_core = v;
        else if (a == "--reader-core")
            o.reader_core = v;
        else {
            std::fprintf(stderr, "sb-sendfloor: unknown option %s\n", a.c_str());
            return 2;
        }
    }
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) die("bind");
    if (listen(lfd, 4096) != 0) die("listen");
    socklen_t len = sizeof addr;
    getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len);
    pid_t child = fork();
    if (child == 0) reader(o, ntohs(addr.sin_port));
    pin(o.sender_core);
    std::vector<int> fds;
    fds.reserve(static_cast<std::size_t>(o.conns));
    for (int i = 0; i < o.conns; ++i) {
        int fd = accept(lfd, nullptr, nullptr);
        if (fd < 0) die("accept");
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // as the server does
        fds.push_back(fd);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    std::string frame(static_cast<std::size_t>(o.bytes), 'x');
    double u = 0, k = 0;
    for (int b = 0; b < o.bursts; ++b) {
        double u0 = cpu_seconds(RUSAGE_SELF, false), k0 = cpu_seconds(RUSAGE_SELF, true);
        for (int fd : fds)
            if (send(fd, frame.data(), frame.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(frame.size()))
                die("send");
        u += cpu_seconds(RUSAGE_SELF, false) - u0;
        k += cpu_seconds(RUSAGE_SELF, true) - k0;
        std::this_thread::sleep_for(std::chrono::milliseconds(o.gap_ms));
    }
    for (int fd : fds)
        close(fd);
    waitpid(child, nullptr, 0);
    double sends = static_cast<double>(o.conns) * o.bursts;
    std::printf(
        "{\"conns\":%d,\"bursts\":%d,\"bytes\":%d,\"user_us_per_send\":%.2f,\"kernel_us_per_send\":%.2f,"
        "\"cpu_us_per_send\":%.2f}\n",
        o.conns, o.bursts, o.bytes, u * 1e6 / sends, k * 1e6 / sends, (u + k) * 1e6 / sends);
}
