// dtcp-testsrv: keep-alive test server for DTCP (protocol in proto.hpp).
//
// Each GET names its owner node.  What happens when the owner is another node
// depends on --mode:
//   local    serve everything here;
//   dtcp     hand the connection to the owner for this one response
//            (dtcp_handoff) and carry on with the next request when it comes
//            back; on any failure serve locally and count a fallback.  The
//            server also accepts connections handed to it (dtcp_accept) and
//            answers their request;
//   forward  fetch the object from the owner's server over a pooled
//            keep-alive connection and relay it (LARD back-end forwarding).
// One thread per client connection; connections handed to this server are
// served by a pool of waiting threads.  SIGINT/SIGTERM print the counters and exit 0.
// Exit status: 1 cannot start (e.g. no /dev/dtcp in dtcp mode), 2 bad usage.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "dtcp/dtcp.h"
#include "proto.hpp"

using namespace dtcp::test;

namespace {

enum class Mode { Local, Dtcp, Forward };

struct Config {
    Mode mode = Mode::Local;
    uint32_t node = 0;
    std::map<uint32_t, sockaddr_in> peers;  // forward mode: owner -> its server
    unsigned answer_ms = 0;                 // dtcp mode: hand-off answer timeout (0: the module's)
};

struct Counters {
    std::atomic<uint64_t> requests{0};   // requests read from clients
    std::atomic<uint64_t> local{0};      // GETs served here for our own clients
    std::atomic<uint64_t> handoffs{0};   // GETs handed to their owner
    std::atomic<uint64_t> fallbacks{0};  // hand-offs or forwards that failed: served here
    std::atomic<uint64_t> forwarded{0};  // GETs fetched from their owner and relayed
    std::atomic<uint64_t> accepted{0};   // connections handed to us, served
    std::atomic<uint64_t> puts{0};
    std::atomic<uint64_t> bytes{0};      // response body bytes written
    std::atomic<uint64_t> errors{0};     // malformed requests, I/O errors
    std::atomic<uint64_t> conns{0};      // client connections accepted
};

Config g_cfg;
Counters g_cnt;
int g_handoff_ctl = -1;  // /dev/dtcp file used for hand-offs (dtcp mode)
int g_accept_ctl = -1;   // /dev/dtcp file listening for hand-offs (dtcp mode)
std::mutex g_errno_mu;
std::map<int, uint64_t> g_fallback_errnos;

std::string stats_line()
{
    std::string s = fmt::format(
        "STATS node={} requests={} local={} handoffs={} fallbacks={} forwarded={} accepted={} puts={} "
        "bytes={} errors={} conns={}",
        g_cfg.node, g_cnt.requests.load(), g_cnt.local.load(), g_cnt.handoffs.load(), g_cnt.fallbacks.load(),
        g_cnt.forwarded.load(), g_cnt.accepted.load(), g_cnt.puts.load(), g_cnt.bytes.load(),
        g_cnt.errors.load(), g_cnt.conns.load());
    std::lock_guard lock(g_errno_mu);
    for (const auto& [err, n] : g_fallback_errnos)
        s += fmt::format(" fallback_{}={}", strerrorname_np(err) ? strerrorname_np(err) : "E?", n);
    return s;
}

// @more: more follows at once (MSG_MORE), so a response's header line and
// the start of its body leave in one segment.
bool write_all(int fd, const void* p, size_t n, bool more = false)
{
    const char* c = static_cast<const char*>(p);
    while (n) {
        ssize_t w = ::send(fd, c, n, MSG_NOSIGNAL | (more ? MSG_MORE : 0));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        c += w;
        n -= static_cast<size_t>(w);
    }
    return true;
}

bool write_str(int fd, const std::string& s, bool more = false)
{
    return write_all(fd, s.data(), s.size(), more);
}

// "OK <size>\n" and the object's bytes.
bool send_object(int fd, uint64_t size, uint64_t seed)
{
    if (!write_str(fd, fmt::format("OK {}\n", size), size > 0))
        return false;
    Pattern p(seed);
    std::vector<uint8_t> buf(static_cast<size_t>(std::min<uint64_t>(size, 65536)));
    for (uint64_t done = 0; done < size;) {
        size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), size - done));
        p.fill(buf.data(), n);
        if (!write_all(fd, buf.data(), n))
            return false;
        done += n;
        g_cnt.bytes += n;
    }
    return true;
}

// Keep-alive connections to other nodes' servers (forward mode).
class Pool {
public:
    // A connection to @owner's server: an idle one unless @fresh; *@reused
    // says which.
    int get(uint32_t owner, bool fresh, bool* reused)
    {
        *reused = false;
        if (!fresh) {
            std::lock_guard lock(mu_);
            auto& v = idle_[owner];
            if (!v.empty()) {
                int fd = v.back();
                v.pop_back();
                *reused = true;
                return fd;
            }
        }
        auto it = g_cfg.peers.find(owner);
        if (it == g_cfg.peers.end()) {
            errno = ENOENT;
            return -1;
        }
        int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return -1;
        if (::connect(fd, reinterpret_cast<const sockaddr*>(&it->second), sizeof(it->second)) < 0) {
            int e = errno;
            ::close(fd);
            errno = e;
            return -1;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        return fd;
    }
    void put(uint32_t owner, int fd)
    {
        std::lock_guard lock(mu_);
        idle_[owner].push_back(fd);
    }

private:
    std::mutex mu_;
    std::map<uint32_t, std::vector<int>> idle_;
};

Pool g_pool;

enum class Relay { Done, FailedBeforeReply, FailedMidway };

Relay forward_once(int fd, const Request& r, int& err, bool fresh, bool* reused);

// Fetch @r from its owner and relay it to @fd.  @err: why it failed.  A
// pooled connection that fails before the reply (the owner closed it while
// idle) is replaced by a new one, once.
Relay forward(int fd, const Request& r, int& err)
{
    bool reused = false;
    Relay how = forward_once(fd, r, err, false, &reused);
    if (how == Relay::FailedBeforeReply && reused)
        how = forward_once(fd, r, err, true, &reused);
    return how;
}

Relay forward_once(int fd, const Request& r, int& err, bool fresh, bool* reused)
{
    int up = g_pool.get(r.owner, fresh, reused);
    if (up < 0) {
        err = errno;
        return Relay::FailedBeforeReply;
    }
    err = EPROTO;  // unless a system call says otherwise
    auto drop = [&](Relay how) {
        if (errno && how == Relay::FailedBeforeReply && err == EPROTO)
            err = errno;
        ::close(up);
        return how;
    };
    errno = 0;
    // The owner serves its own objects locally: ask with the owner's id.
    if (!write_str(up, get_line(r.owner, r.size, r.seed)))
        return drop(Relay::FailedBeforeReply);
    std::vector<char> buf(65536);
    std::string header;
    uint64_t left = r.size;
    size_t have = 0, off = 0;
    // Header line; the owner sends nothing beyond this response, so whatever
    // follows the line in the same read is body.
    for (;;) {
        ssize_t n = ::read(up, buf.data(), std::min<uint64_t>(buf.size(), kMaxLine + left));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return drop(Relay::FailedBeforeReply);
        auto* nl = static_cast<char*>(std::memchr(buf.data(), '\n', static_cast<size_t>(n)));
        if (!nl) {
            header.append(buf.data(), static_cast<size_t>(n));
            if (header.size() > kMaxLine)
                return drop(Relay::FailedBeforeReply);
            continue;
        }
        header.append(buf.data(), static_cast<size_t>(nl - buf.data()));
        off = static_cast<size_t>(nl - buf.data()) + 1;
        have = static_cast<size_t>(n);
        break;
    }
    if (header != fmt::format("OK {}", r.size) || have - off > left) {
        errno = 0;
        return drop(Relay::FailedBeforeReply);
    }
    if (!write_str(fd, header + "\n", left > 0))
        return drop(Relay::FailedMidway);
    for (;;) {
        size_t chunk = have - off;
        if (chunk && !write_all(fd, buf.data() + off, chunk))
            return drop(Relay::FailedMidway);
        left -= chunk;
        g_cnt.bytes += chunk;
        if (left == 0)
            break;
        ssize_t n = ::read(up, buf.data(), static_cast<size_t>(std::min<uint64_t>(buf.size(), left)));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return drop(Relay::FailedMidway);
        off = 0;
        have = static_cast<size_t>(n);
    }
    g_pool.put(r.owner, up);
    return Relay::Done;
}

void count_fallback(int err)
{
    g_cnt.fallbacks++;
    std::lock_guard lock(g_errno_mu);
    g_fallback_errnos[err]++;
}

// Serve one request of a client connection; false: close the connection.
bool serve_request(int fd, const Request& r)
{
    g_cnt.requests++;
    switch (r.kind) {
    case Request::Stats:
        return write_str(fd, stats_line() + "\n");
    case Request::Put:
        g_cnt.puts++;
        return write_str(fd, fmt::format("OK {:08x}\n", r.crc));
    case Request::Get:
        break;
    }
    bool remote = r.owner != 0 && r.owner != g_cfg.node;
    if (remote && g_cfg.mode == Mode::Dtcp) {
        std::string req = r.line + "\n";
        if (dtcp_handoff_timeout(g_handoff_ctl, fd, r.owner, req.data(), req.size(), g_cfg.answer_ms, 0) ==
            0) {
            g_cnt.handoffs++;
            return true;
        }
        int err = errno;
        count_fallback(err);
        if (err == ECONNRESET)
            return false;  // the client is gone
    } else if (remote && g_cfg.mode == Mode::Forward) {
        int err = 0;
        switch (forward(fd, r, err)) {
        case Relay::Done:
            g_cnt.forwarded++;
            return true;
        case Relay::FailedMidway:
            g_cnt.errors++;
            return false;  // part of the response is out: the stream is unusable
        case Relay::FailedBeforeReply:
            count_fallback(err);
            break;
        }
    }
    g_cnt.local++;
    return send_object(fd, r.size, r.seed);
}

void serve_conn(int fd)
{
    g_cnt.conns++;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    RequestParser parser;
    std::vector<Request> reqs;
    std::vector<char> buf(65536);
    for (;;) {
        ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (!parser.feed(buf.data(), static_cast<size_t>(n), reqs)) {
            g_cnt.errors++;
            // Answer what was complete before the bad request, then refuse.
            for (const auto& r : reqs)
                if (!serve_request(fd, r))
                    break;
            write_str(fd, "ERR " + parser.error() + "\n");
            break;
        }
        bool ok = true;
        for (const auto& r : reqs)
            if (!(ok = serve_request(fd, r)))
                break;
        reqs.clear();
        if (!ok)
            break;
    }
    ::close(fd);
}

// A connection handed to us: answer its request(s), close it (which returns
// the connection to its active node).
void serve_handed(int fd, std::string request, uint32_t origin)
{
    g_cnt.accepted++;
    // Like serve_conn(): a handed-off socket starts with the defaults,
    // Nagle on, which would hold a response's last small segment until the
    // client acknowledges the one before (through the tunnel).
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    RequestParser parser;
    std::vector<Request> reqs;
    if (!parser.feed(request.data(), request.size(), reqs) || !parser.idle() || reqs.empty()) {
        g_cnt.errors++;
        fmt::print(stderr, "dtcp-testsrv: hand-off from node {}: bad request '{}'\n", origin, request);
    } else {
        for (const auto& r : reqs) {
            if (r.kind != Request::Get) {
                g_cnt.errors++;
                break;
            }
            // No chains: a handed-off request is always served here.
            if (!send_object(fd, r.size, r.seed)) {
                g_cnt.errors++;
                break;
            }
        }
    }
    ::close(fd);
}

// Threads waiting for hand-offs serve what they accept themselves: between a
// hand-off's arrival and its response no thread is created and no other one
// woken (a blocked dtcp_accept waits exclusively).  When the last idle one
// takes a connection it starts another, so a hand-off always finds one
// waiting.
constexpr int kAcceptors = 2;  // started with the server
std::atomic<int> g_idle_acceptors{0};

void accept_loop()
{
    std::vector<char> buf(DTCP_MAX_REQUEST);
    for (;;) {
        // Blocking: the module wakes one waiting thread per hand-off.
        size_t len = 0;
        uint32_t origin = 0;
        int fd = dtcp_accept(g_accept_ctl, buf.data(), buf.size(), &len, &origin,
                             DTCP_ACCEPT_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR)
                continue;
            g_cnt.errors++;
            fmt::print(stderr, "dtcp-testsrv: dtcp_accept: {}\n", std::strerror(errno));
            continue;
        }
        if (g_idle_acceptors.fetch_sub(1) == 1) {
            g_idle_acceptors++;
            std::thread(accept_loop).detach();
        }
        serve_handed(fd, std::string(buf.data(), len), origin);
        g_idle_acceptors++;
    }
}

bool parse_peers(const std::string& text, std::map<uint32_t, sockaddr_in>& out, std::string& err)
{
    size_t b = 0;
    while (b <= text.size()) {
        size_t e = text.find(',', b);
        std::string item = text.substr(b, e == std::string::npos ? std::string::npos : e - b);
        size_t eq = item.find('='), colon = item.rfind(':');
        std::vector<uint32_t> id;
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        unsigned long port = 0;
        char* end = nullptr;
        if (eq == std::string::npos || colon == std::string::npos || colon < eq ||
            !parse_u32_list(item.substr(0, eq), id) || id.size() != 1 || id[0] == 0 ||
            inet_pton(AF_INET, item.substr(eq + 1, colon - eq - 1).c_str(), &sa.sin_addr) != 1 ||
            (port = std::strtoul(item.c_str() + colon + 1, &end, 10)) == 0 || port > 65535 || *end) {
            err = "bad peer '" + item + "' (want ID=A.B.C.D:PORT)";
            return false;
        }
        sa.sin_port = htons(static_cast<uint16_t>(port));
        out[id[0]] = sa;
        if (e == std::string::npos)
            break;
        b = e + 1;
    }
    return true;
}

}  // namespace

int main(int argc, char** argv)
{
    CLI::App app{"dtcp-testsrv: keep-alive test server for DTCP hand-off, forwarding and local serving.\n"
                 "Requests: 'GET <owner> <size> <seed>', 'GET <size> <seed>', 'PUT <size>' + body, 'STATS'."};
    std::string addr = "0.0.0.0", mode = "local", peers;
    uint16_t port = 8080;
    app.add_option("--addr", addr, "listen address")->capture_default_str();
    app.add_option("--port", port, "listen port (0: any free port; the line on stdout says which)")
        ->capture_default_str();
    app.add_option("--node", g_cfg.node, "this node's id (dtcp mode: default the module's)")
        ->check(CLI::Range(1, DTCP_NODE_ID_MAX));
    app.add_option("--mode", mode, "local | dtcp | forward")
        ->check(CLI::IsMember({"local", "dtcp", "forward"}))
        ->capture_default_str();
    app.add_option("--peers", peers, "forward mode: the other nodes' servers, ID=A.B.C.D:PORT,...");
    app.add_option("--answer-ms", g_cfg.answer_ms,
                   "dtcp mode: how long a hand-off waits for the owner's answer (0: the module's default)")
        ->check(CLI::Range(0, DTCP_MAX_ANSWER_MS));
    int rcvbuf = 0;
    app.add_option("--rcvbuf", rcvbuf, "SO_RCVBUF of every connection, in bytes (0: the stack's autotuning)")
        ->check(CLI::Range(0, 1 << 30))
        ->capture_default_str();
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }

    g_cfg.mode = mode == "dtcp" ? Mode::Dtcp : mode == "forward" ? Mode::Forward : Mode::Local;
    if (!peers.empty()) {
        std::string err;
        if (!parse_peers(peers, g_cfg.peers, err)) {
            fmt::print(stderr, "dtcp-testsrv: --peers: {}\n", err);
            return 2;
        }
    }
    if (g_cfg.mode == Mode::Forward && (g_cfg.node == 0 || g_cfg.peers.empty())) {
        fmt::print(stderr, "dtcp-testsrv: forward mode needs --node and --peers\n");
        return 2;
    }
    if (g_cfg.mode == Mode::Dtcp) {
        g_handoff_ctl = dtcp_open();
        g_accept_ctl = dtcp_open();
        if (g_handoff_ctl < 0 || g_accept_ctl < 0) {
            fmt::print(stderr, "dtcp-testsrv: cannot open {}: {}\n", DTCP_DEVICE, std::strerror(errno));
            return 1;
        }
        uint32_t node = 0;
        if (dtcp_info(g_handoff_ctl, &node, nullptr) < 0) {
            fmt::print(stderr, "dtcp-testsrv: DTCP_IOC_INFO: {}\n", std::strerror(errno));
            return 1;
        }
        if (g_cfg.node == 0)
            g_cfg.node = node;
        if (g_cfg.node == 0) {
            fmt::print(stderr, "dtcp-testsrv: the module has no node id; configure it or give --node\n");
            return 1;
        }
        if (node != 0 && node != g_cfg.node)
            fmt::print(stderr, "dtcp-testsrv: warning: --node {} but the module says node {}\n", g_cfg.node, node);
        if (dtcp_listen(g_accept_ctl, 1) < 0) {
            fmt::print(stderr, "dtcp-testsrv: dtcp_listen: {}\n", std::strerror(errno));
            return 1;
        }
    }

    int ls = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    // Inherited by the accepted connections (set before listen() so that
    // the window scale chosen at the handshake fits it).
    if (rcvbuf > 0 && setsockopt(ls, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) < 0) {
        fmt::print(stderr, "dtcp-testsrv: SO_RCVBUF: {}\n", std::strerror(errno));
        return 1;
    }
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    if (inet_pton(AF_INET, addr.c_str(), &sa.sin_addr) != 1) {
        fmt::print(stderr, "dtcp-testsrv: bad address {}\n", addr);
        return 2;
    }
    socklen_t salen = sizeof(sa);
    if (::bind(ls, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) < 0 || ::listen(ls, 512) < 0 ||
        ::getsockname(ls, reinterpret_cast<sockaddr*>(&sa), &salen) < 0) {
        fmt::print(stderr, "dtcp-testsrv: cannot listen on {}:{}: {}\n", addr, port, std::strerror(errno));
        return 1;
    }

    // Signals are taken by one thread, which prints the counters and exits.
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
    std::thread([sigs] {
        int sig = 0;
        sigwait(&sigs, &sig);
        fmt::print("{}\n", stats_line());
        std::fflush(stdout);
        std::_Exit(0);
    }).detach();
    if (g_cfg.mode == Mode::Dtcp) {
        g_idle_acceptors = kAcceptors;
        for (int i = 0; i < kAcceptors; i++)
            std::thread(accept_loop).detach();
    }

    fmt::print("listening {}:{} node {} mode {}\n", addr, ntohs(sa.sin_port), g_cfg.node, mode);
    std::fflush(stdout);
    for (;;) {
        int fd = ::accept4(ls, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE) {
                ::usleep(10000);
                continue;
            }
            fmt::print(stderr, "dtcp-testsrv: accept: {}\n", std::strerror(errno));
            return 1;
        }
        std::thread(serve_conn, fd).detach();
    }
}
