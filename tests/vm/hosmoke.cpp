// dtcp-hosmoke: a minimal hand-off server and verifying client for the
// kernel scenarios (the full test server lives in tests/tools).
//
//   serve --node N [--port P] [--fault-accepts K] [--answer-ms MS] [--hold-ms MS]
//         [--blocking-acceptors N] [--write-away-ms MS] [--keepalive S]
//         [--away-min-ms MS2] [--away-sendfile 1] [--keepalive-away-ms MS] [--shutdown-away-ms MS]
//         [--shutdown-served 1]
//                                 keep-alive server; a request owned by another
//                                 node is handed to it with DTCP_IOC_HANDOFF;
//                                 hand-offs from other nodes are accepted and served;
//                                 the first K accepts pass a read-only structure:
//                                 each must fail with EFAULT and install no descriptor;
//                                 --answer-ms: the hand-offs' answer timeout;
//                                 --hold-ms: each accepted socket is held this long
//                                 before it is served;
//                                 --blocking-acceptors N: N threads wait in a blocking
//                                 ACCEPT (no poll); each counts the sleeps beyond the
//                                 one its hand-off ended (extra_sleeps), and the
//                                 hand-offs it took without sleeping (direct_takes)
//                                 --write-away-ms MS: MS into each hand-off this node
//                                 makes, a second thread writes to the handed-out
//                                 socket: a non-blocking write must fail with EAGAIN,
//                                 a blocking one ("AWAY <seed>\n") must wait until the
//                                 connection is back, not return before --away-min-ms
//                                 MS2 into the hand-off (counted as away); needs the
//                                 passive node's --hold-ms (MS2) to exceed MS;
//                                 --away-sendfile 1: the blocking write is a
//                                 sendfile() (the socket's page path)
//                                 --keepalive S: every client connection this node
//                                 accepts sends TCP keepalive probes after S s idle,
//                                 1 s apart, and gives up after one unanswered
//                                 --keepalive-away-ms MS: MS into each hand-off this
//                                 node makes, a second thread turns that keepalive
//                                 (S = 1) on on the handed-out socket
//                                 --shutdown-away-ms MS: MS into each hand-off this
//                                 node makes, a second thread shuts the handed-out
//                                 socket down for writing (SHUT_WR, must succeed)
//                                 --shutdown-served 1: each hand-off this node serves
//                                 is shut down for writing (SHUT_WR, must succeed)
//                                 after its response, before its close
//   get --host H --owners 1,2,3 --count K --size S [--pipeline D] [--expect-away M]
//       [--pause-ms MS] [--expect-eof 1]
//       requests "GET <size> <seed> <owner>\n", verifies every byte; an
//       "AWAY <seed>\n" line must directly follow the response to <seed>;
//       exactly M of them must come (default 0); --pause-ms: the connection
//       stays idle this long after each response (no pipelining);
//       --expect-eof 1: after the last response the server must close its
//       side (end of stream within 10 s, no reset)
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <dirent.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/dtcp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <thread>
#include <vector>

namespace {

uint8_t pattern_byte(uint64_t seed, uint64_t i)
{
    uint64_t x = (seed + 1) * 0x9E3779B97F4A7C15ull + (i / 8) * 0xBF58476D1CE4E5B9ull;
    x ^= x >> 31;
    x *= 0x94D049BB133111EBull;
    x ^= x >> 29;
    return static_cast<uint8_t>(x >> (8 * (i % 8)));
}

bool write_all(int fd, const void* p, size_t n)
{
    auto* c = static_cast<const char*>(p);
    while (n) {
        ssize_t w = ::write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        c += w;
        n -= size_t(w);
    }
    return true;
}

bool respond(int fd, uint64_t size, uint64_t seed)
{
    std::string hdr = "OK " + std::to_string(size) + "\n";
    if (!write_all(fd, hdr.data(), hdr.size()))
        return false;
    std::vector<uint8_t> buf(65536);
    for (uint64_t done = 0; done < size;) {
        size_t n = size_t(std::min<uint64_t>(buf.size(), size - done));
        for (size_t i = 0; i < n; i++)
            buf[i] = pattern_byte(seed, done + i);
        if (!write_all(fd, buf.data(), n))
            return false;
        done += n;
    }
    return true;
}

unsigned g_node, g_fault_accepts, g_answer_ms, g_hold_ms, g_blocking, g_write_away_ms, g_keepalive_s,
    g_keepalive_away_ms, g_shutdown_away_ms, g_pause_ms;
bool g_expect_eof, g_shutdown_served, g_away_sendfile;
unsigned g_away_min_ms;
std::string g_stats;
std::atomic<unsigned long> g_local{0}, g_handed{0}, g_fallback{0}, g_served{0}, g_bad{0},
    g_faulted{0}, g_extra_sleeps{0}, g_direct_takes{0}, g_away{0};

// "local L handed H fallback F served S bad B faulted X extra_sleeps E
// direct_takes D away A",
// rewritten after every request.
void write_stats()
{
    if (g_stats.empty())
        return;
    std::string tmp = g_stats + ".tmp";
    if (FILE* f = std::fopen(tmp.c_str(), "w")) {
        std::fprintf(f,
                     "local %lu handed %lu fallback %lu served %lu bad %lu faulted %lu "
                     "extra_sleeps %lu direct_takes %lu away %lu\n",
                     g_local.load(), g_handed.load(), g_fallback.load(), g_served.load(),
                     g_bad.load(), g_faulted.load(), g_extra_sleeps.load(), g_direct_takes.load(),
                     g_away.load());
        std::fclose(f);
        std::rename(tmp.c_str(), g_stats.c_str());
    }
}

using Clock = std::chrono::steady_clock;

// @text written to @fd by sendfile() from a memory file (the page path of
// the socket: sendpage on 6.1, spliced pages since).
bool sendfile_all(int fd, const std::string& text)
{
    int mf = memfd_create("dtcp-away", MFD_CLOEXEC);
    if (mf < 0 || !write_all(mf, text.data(), text.size())) {
        if (mf >= 0)
            ::close(mf);
        return false;
    }
    off_t off = 0;
    bool ok = true;
    while (ok && off < off_t(text.size())) {
        ssize_t n = ::sendfile(fd, mf, &off, text.size() - size_t(off));
        ok = n > 0 || (n < 0 && errno == EINTR);
    }
    int err = errno;
    ::close(mf);
    errno = err;
    return ok;
}

// DESIGN 4.2: writes on a handed-out socket cannot corrupt the stream.
// Runs g_write_away_ms into the hand-off of @fd that started at @start,
// while the passive node holds the connection (its --hold-ms is longer):
// a non-blocking write must fail with EAGAIN and a blocking one must not
// return before the passive node can have sent the connection back.
void write_while_away(int fd, Clock::time_point start, unsigned long long seed)
{
    std::this_thread::sleep_until(start + std::chrono::milliseconds(g_write_away_ms));
    bool ok = true;
    ssize_t n = ::send(fd, "X", 1, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n >= 0) {
        std::fprintf(stderr, "node %u: a non-blocking write on a handed-out socket took %zd byte\n", g_node, n);
        ok = false;
    } else if (errno != EAGAIN) {
        std::fprintf(stderr, "node %u: a non-blocking write on a handed-out socket: %s, not EAGAIN\n", g_node,
                     std::strerror(errno));
        ok = false;
    }
    std::string marker = "AWAY " + std::to_string(seed) + "\n";
    if (!(g_away_sendfile ? sendfile_all(fd, marker) : write_all(fd, marker.data(), marker.size()))) {
        std::fprintf(stderr, "node %u: a blocking write on a handed-out socket: %s\n", g_node,
                     std::strerror(errno));
        ok = false;
    }
    auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
    if (waited < g_away_min_ms) {
        std::fprintf(stderr, "node %u: a blocking write on a handed-out socket returned %lld ms into "
                     "the hand-off, the passive node holds it %u ms\n", g_node, (long long)waited, g_away_min_ms);
        ok = false;
    }
    if (ok)
        g_away++;
    else
        g_bad++;
}

// TCP keepalive on @fd: probes after @idle seconds idle, 1 s apart, the
// connection given up after one unanswered.
bool set_keepalive(int fd, unsigned idle_s)
{
    int on = 1, idle = int(idle_s), intvl = 1, cnt = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on)) ||
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)) ||
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl)) ||
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt))) {
        std::fprintf(stderr, "node %u: keepalive on a connection: %s\n", g_node, std::strerror(errno));
        g_bad++;
        write_stats();
        return false;
    }
    return true;
}

void serve_conn(int fd)
{
    int ctl = ::open("/dev/dtcp", O_RDWR | O_CLOEXEC);
    std::string buf;
    char tmp[4096];
    for (;;) {
        size_t nl;
        while ((nl = buf.find('\n')) == std::string::npos) {
            ssize_t r = ::read(fd, tmp, sizeof(tmp));
            if (r <= 0)
                goto out;
            buf.append(tmp, size_t(r));
        }
        std::string line = buf.substr(0, nl + 1);
        buf.erase(0, nl + 1);
        unsigned long long size, seed;
        unsigned owner;
        if (std::sscanf(line.c_str(), "GET %llu %llu %u", &size, &seed, &owner) != 3)
            break;
        if (owner != g_node && ctl >= 0) {
            dtcp_ioc_handoff h{};
            h.size = sizeof(h);
            h.sockfd = fd;
            h.node_id = owner;
            h.request = reinterpret_cast<uintptr_t>(line.data());
            h.request_len = uint32_t(line.size());
            h.timeout_ms = g_answer_ms;
            std::thread writer;
            if (g_write_away_ms)
                writer = std::thread(write_while_away, fd, Clock::now(), seed);
            else if (g_shutdown_away_ms)
                writer = std::thread([fd] {
                    std::this_thread::sleep_for(std::chrono::milliseconds(g_shutdown_away_ms));
                    if (::shutdown(fd, SHUT_WR)) {
                        std::fprintf(stderr, "node %u: shutdown of a handed-out socket: %s\n", g_node,
                                     std::strerror(errno));
                        g_bad++;
                    }
                });
            else if (g_keepalive_away_ms)
                writer = std::thread([fd] {
                    std::this_thread::sleep_for(std::chrono::milliseconds(g_keepalive_away_ms));
                    set_keepalive(fd, 1);
                });
            int r = ioctl(ctl, DTCP_IOC_HANDOFF, &h);
            int err = errno;
            if (writer.joinable())
                writer.join();
            errno = err;
            if (r == 0) {
                g_handed++;
                write_stats();
                continue;
            }
            std::fprintf(stderr, "node %u: hand-off to %u failed: %s; serving locally\n", g_node,
                         owner, std::strerror(errno));
            g_fallback++;
        }
        g_local++;
        write_stats();
        if (!respond(fd, size, seed))
            break;
    }
out:
    if (ctl >= 0)
        ::close(ctl);
    ::close(fd);
}

long tcp_wmem_max()
{
    long lo = 0, def = 0, max = 0;
    if (FILE* f = std::fopen("/proc/sys/net/ipv4/tcp_wmem", "r")) {
        if (std::fscanf(f, "%ld %ld %ld", &lo, &def, &max) != 3)
            max = 0;
        std::fclose(f);
    }
    return max;
}

// A socket rebuilt for a hand-off must send like the connection it
// continues: segments of the connection's size, a send buffer for the
// window it brought (the stack's own sizing: at least twice the window),
// and not idle since long ago (an idle socket restarts from the initial
// window).  Returns false, with a message, if not.
bool check_rebuilt(int fd)
{
    tcp_info ti{};
    socklen_t len = sizeof(ti);
    int sndbuf = 0;
    socklen_t blen = sizeof(sndbuf);
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) ||
        getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &blen)) {
        std::perror("getsockopt on an accepted hand-off");
        return false;
    }
    bool ok = true;
    // The client's MSS, as this node advertises its own over the same MTU
    // (less up to 12 bytes of options); not the default clamp of 536.
    if (ti.tcpi_snd_mss + 12 < ti.tcpi_advmss) {
        std::fprintf(stderr, "node %u: rebuilt socket sends %u-byte segments (advmss %u)\n",
                     g_node, ti.tcpi_snd_mss, ti.tcpi_advmss);
        ok = false;
    }
    if (ti.tcpi_last_data_sent > 60000) {
        std::fprintf(stderr, "node %u: rebuilt socket last sent data %u ms ago\n", g_node,
                     ti.tcpi_last_data_sent);
        ok = false;
    }
    long want = std::min<long>(2L * ti.tcpi_snd_cwnd * ti.tcpi_snd_mss, tcp_wmem_max());
    if (sndbuf < want) {
        std::fprintf(stderr, "node %u: rebuilt socket's send buffer %d < %ld (window %u x %u)\n",
                     g_node, sndbuf, want, ti.tcpi_snd_cwnd, ti.tcpi_snd_mss);
        ok = false;
    }
    return ok;
}

// Arguments of an ACCEPT into @req (non-blocking unless @flags says otherwise).
void accept_args(dtcp_ioc_accept* a, std::vector<char>& req,
                 uint32_t flags = DTCP_ACCEPT_NONBLOCK | DTCP_ACCEPT_CLOEXEC)
{
    *a = dtcp_ioc_accept{};
    a->size = sizeof(*a);
    a->flags = flags;
    a->request = reinterpret_cast<uintptr_t>(req.data());
    a->request_cap = uint32_t(req.size());
}

unsigned open_fds()
{
    unsigned n = 0;
    if (DIR* d = ::opendir("/proc/self/fd")) {
        while (::readdir(d))
            n++;
        ::closedir(d);
    }
    return n;
}

// One ACCEPT whose structure is read-only (the kernel reads it, cannot write
// the answer back): it must fail with EFAULT and leave no new descriptor.
// Only this thread opens descriptors on a passive node meanwhile.
void fault_accept(int ctl, std::vector<char>& req)
{
    void* pg = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (pg == MAP_FAILED) {
        std::perror("mmap");
        std::exit(1);
    }
    auto* a = new (pg) dtcp_ioc_accept;
    accept_args(a, req);
    ::mprotect(pg, 4096, PROT_READ);
    unsigned before = open_fds();
    int r = ioctl(ctl, DTCP_IOC_ACCEPT, a);
    int err = errno;
    unsigned after = open_fds();
    ::munmap(pg, 4096);
    if (r == -1 && err == EAGAIN)
        return;  // none queued after all: the next poll tries again
    if (r != -1 || err != EFAULT) {
        std::fprintf(stderr, "node %u: ACCEPT into a read-only structure: %d (%s), not EFAULT\n",
                     g_node, r, std::strerror(err));
        g_bad++;
    } else if (after != before) {
        std::fprintf(stderr, "node %u: a failed ACCEPT left %d new descriptors\n", g_node,
                     int(after) - int(before));
        g_bad++;
    }
    g_faulted++;
    write_stats();
}

int listening_ctl()
{
    int ctl = ::open("/dev/dtcp", O_RDWR | O_CLOEXEC);
    if (ctl < 0) {
        std::perror("open /dev/dtcp");
        std::exit(1);
    }
    uint32_t on = 1;
    if (ioctl(ctl, DTCP_IOC_LISTEN, &on)) {
        std::perror("DTCP_IOC_LISTEN");
        std::exit(1);
    }
    return ctl;
}

// Serve one accepted hand-off (request in @req) and close it.
void serve_accepted(const dtcp_ioc_accept& a, const std::vector<char>& req)
{
    if (!check_rebuilt(a.fd))
        g_bad++;
    if (g_hold_ms)
        std::this_thread::sleep_for(std::chrono::milliseconds(g_hold_ms));
    std::string line(req.data(), a.request_len);
    unsigned long long size, seed;
    unsigned owner;
    if (std::sscanf(line.c_str(), "GET %llu %llu %u", &size, &seed, &owner) == 3) {
        respond(a.fd, size, seed);
        if (g_shutdown_served && ::shutdown(a.fd, SHUT_WR)) {
            std::fprintf(stderr, "node %u: shutdown of a served hand-off: %s\n", g_node, std::strerror(errno));
            g_bad++;
        }
        g_served++;
        write_stats();
    }
    ::close(a.fd);
}

void accept_loop()
{
    int ctl = listening_ctl();
    std::vector<char> req(DTCP_MAX_REQUEST);
    for (;;) {
        pollfd p{ctl, POLLIN, 0};
        if (poll(&p, 1, -1) < 0)
            continue;
        if (g_faulted < g_fault_accepts) {
            fault_accept(ctl, req);
            continue;
        }
        dtcp_ioc_accept a;
        accept_args(&a, req);
        if (ioctl(ctl, DTCP_IOC_ACCEPT, &a)) {
            if (errno != EAGAIN)
                std::perror("DTCP_IOC_ACCEPT");
            continue;
        }
        serve_accepted(a, req);
    }
}

// This thread's voluntary context switches (each time it slept).
unsigned long my_sleeps()
{
    unsigned long n = 0;
    if (FILE* f = std::fopen("/proc/thread-self/status", "r")) {
        char line[256];
        while (std::fgets(line, sizeof(line), f))
            if (std::sscanf(line, "voluntary_ctxt_switches: %lu", &n) == 1)
                break;
        std::fclose(f);
    }
    return n;
}

// A blocking ACCEPT sleeps once and is woken by the hand-off it returns.
// Each further sleep inside the call was a wake-up meant for another
// thread (or for nothing).  One that finds a hand-off queued takes it
// without sleeping: the thread woken for that hand-off, if it ran later,
// finds nothing and sleeps again (one extra sleep, not a shared wake-up).
void blocking_accept_loop(int ctl)
{
    std::vector<char> req(DTCP_MAX_REQUEST);
    for (;;) {
        dtcp_ioc_accept a;
        accept_args(&a, req, DTCP_ACCEPT_CLOEXEC);
        unsigned long before = my_sleeps();
        int r = ioctl(ctl, DTCP_IOC_ACCEPT, &a);
        unsigned long slept = my_sleeps() - before;
        if (slept > 1)
            g_extra_sleeps += slept - 1;
        if (!r && !slept)
            g_direct_takes++;
        if (r) {
            if (errno != EINTR)
                std::perror("DTCP_IOC_ACCEPT (blocking)");
            continue;
        }
        serve_accepted(a, req);
    }
}

int serve(uint16_t port)
{
    int ls = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    if (::bind(ls, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) || ::listen(ls, 128)) {
        std::perror("listen");
        return 1;
    }
    if (g_blocking) {
        int ctl = listening_ctl();
        for (unsigned i = 0; i < g_blocking; i++)
            std::thread(blocking_accept_loop, ctl).detach();
    } else {
        std::thread(accept_loop).detach();
    }
    for (;;) {
        int fd = ::accept(ls, nullptr, nullptr);
        if (fd < 0)
            continue;
        if (g_keepalive_s && !set_keepalive(fd, g_keepalive_s)) {
            ::close(fd);
            continue;
        }
        std::thread(serve_conn, fd).detach();
    }
}

int get(const char* host, uint16_t port, std::vector<unsigned> owners, unsigned count,
        uint64_t size, unsigned depth, uint64_t seed0, unsigned expect_away)
{
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    inet_pton(AF_INET, host, &sa.sin_addr);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa))) {
        std::perror("connect");
        return 1;
    }
    std::string buf;
    std::vector<char> in(65536);
    unsigned sent = 0, away = 0;
    for (unsigned i = 0; i < count; i++) {
        while (sent < count && sent < i + depth) {
            std::string req = "GET " + std::to_string(size) + " " + std::to_string(seed0 + sent) +
                              " " + std::to_string(owners[sent % owners.size()]) + "\n";
            if (!write_all(fd, req.data(), req.size()))
                return 1;
            sent++;
        }
        size_t nl;
        auto line = [&]() {
            while ((nl = buf.find('\n')) == std::string::npos) {
                ssize_t r = ::read(fd, in.data(), in.size());
                if (r <= 0)
                    return false;
                buf.append(in.data(), size_t(r));
            }
            return true;
        };
        if (!line()) {
            std::fprintf(stderr, "request %u: connection ended before the reply\n", i);
            return 1;
        }
        if (buf.compare(0, 5, "AWAY ") == 0) {
            // Written on the active node while the previous response was
            // served elsewhere: it must follow that response.
            if (i == 0 || buf.substr(0, nl) != "AWAY " + std::to_string(seed0 + i - 1)) {
                std::fprintf(stderr, "request %u: '%s' where the reply or 'AWAY %llu' belongs\n", i,
                             buf.substr(0, nl).c_str(), (unsigned long long)(seed0 + i - 1));
                return 1;
            }
            away++;
            buf.erase(0, nl + 1);
            if (!line()) {
                std::fprintf(stderr, "request %u: connection ended before the reply\n", i);
                return 1;
            }
        }
        if (buf.substr(0, nl) != "OK " + std::to_string(size)) {
            std::fprintf(stderr, "request %u: bad reply line '%s'\n", i, buf.substr(0, nl).c_str());
            return 1;
        }
        buf.erase(0, nl + 1);
        uint64_t got = 0;
        for (;;) {
            size_t take = size_t(std::min<uint64_t>(buf.size(), size - got));
            for (size_t k = 0; k < take; k++, got++)
                if (uint8_t(buf[k]) != pattern_byte(seed0 + i, got)) {
                    std::fprintf(stderr, "request %u (owner %u): byte %llu differs\n", i,
                                 owners[i % owners.size()], (unsigned long long)got);
                    return 1;
                }
            buf.erase(0, take);
            if (got == size)
                break;
            ssize_t r = ::read(fd, in.data(), in.size());
            if (r <= 0) {
                std::fprintf(stderr, "request %u: ended after %llu of %llu bytes\n", i,
                             (unsigned long long)got, (unsigned long long)size);
                return 1;
            }
            buf.append(in.data(), size_t(r));
        }
        if (g_pause_ms && i + 1 < count)
            std::this_thread::sleep_for(std::chrono::milliseconds(g_pause_ms));
    }
    if (count && away < expect_away) {
        // The marker after the last response.
        std::string want = "AWAY " + std::to_string(seed0 + count - 1) + "\n";
        pollfd p{fd, POLLIN, 0};
        while (buf.size() < want.size() && ::poll(&p, 1, 10000) == 1) {
            ssize_t r = ::read(fd, in.data(), in.size());
            if (r <= 0)
                break;
            buf.append(in.data(), size_t(r));
        }
        if (buf == want) {
            away++;
            buf.clear();
        }
    }
    if (!buf.empty()) {
        std::fprintf(stderr, "after the last reply: '%s', bytes nobody asked for\n", buf.c_str());
        return 1;
    }
    if (g_expect_eof) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 10000) != 1) {
            std::fprintf(stderr, "no end of stream within 10 s of the last reply\n");
            return 1;
        }
        ssize_t r = ::read(fd, in.data(), in.size());
        if (r != 0) {
            std::fprintf(stderr, "after the last reply, not the end of stream: %s\n",
                         r < 0 ? std::strerror(errno) : "more bytes");
            return 1;
        }
    }
    if (away != expect_away) {
        std::fprintf(stderr, "%u away markers, %u expected\n", away, expect_away);
        return 1;
    }
    ::close(fd);
    std::printf("ok %u requests of %llu bytes, %u away markers\n", count, (unsigned long long)size, away);
    return 0;
}

}  // namespace

int main(int argc, char** argv)
{
    if (argc < 2)
        return 2;
    std::string cmd = argv[1];
    const char* host = "127.0.0.1";
    uint16_t port = 80;
    std::vector<unsigned> owners{1};
    unsigned count = 1, depth = 1, expect_away = 0;
    uint64_t size = 1000, seed = 1;
    for (int i = 2; i + 1 < argc; i += 2) {
        std::string k = argv[i], v = argv[i + 1];
        if (k == "--node") g_node = unsigned(std::stoul(v));
        else if (k == "--stats") g_stats = v;
        else if (k == "--port") port = uint16_t(std::stoul(v));
        else if (k == "--host") host = argv[i + 1];
        else if (k == "--count") count = unsigned(std::stoul(v));
        else if (k == "--size") size = std::stoull(v);
        else if (k == "--seed") seed = std::stoull(v);
        else if (k == "--pipeline") depth = unsigned(std::stoul(v));
        else if (k == "--expect-away") expect_away = unsigned(std::stoul(v));
        else if (k == "--fault-accepts") g_fault_accepts = unsigned(std::stoul(v));
        else if (k == "--answer-ms") g_answer_ms = unsigned(std::stoul(v));
        else if (k == "--hold-ms") g_hold_ms = unsigned(std::stoul(v));
        else if (k == "--blocking-acceptors") g_blocking = unsigned(std::stoul(v));
        else if (k == "--write-away-ms") g_write_away_ms = unsigned(std::stoul(v));
        else if (k == "--keepalive") g_keepalive_s = unsigned(std::stoul(v));
        else if (k == "--keepalive-away-ms") g_keepalive_away_ms = unsigned(std::stoul(v));
        else if (k == "--shutdown-away-ms") g_shutdown_away_ms = unsigned(std::stoul(v));
        else if (k == "--expect-eof") g_expect_eof = v == "1";
        else if (k == "--shutdown-served") g_shutdown_served = v == "1";
        else if (k == "--away-sendfile") g_away_sendfile = v == "1";
        else if (k == "--away-min-ms") g_away_min_ms = unsigned(std::stoul(v));
        else if (k == "--pause-ms") g_pause_ms = unsigned(std::stoul(v));
        else if (k == "--owners") {
            owners.clear();
            for (size_t p = 0; p < v.size();) {
                size_t q = v.find(',', p);
                owners.push_back(unsigned(std::stoul(v.substr(p, q - p))));
                p = q == std::string::npos ? v.size() : q + 1;
            }
        } else {
            std::fprintf(stderr, "unknown option %s\n", k.c_str());
            return 2;
        }
    }
    if (cmd == "serve")
        return serve(port);
    if (cmd == "get")
        return get(host, port, owners, count, size, depth ? depth : 1, seed, expect_away);
    return 2;
}
