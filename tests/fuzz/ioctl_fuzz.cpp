// dtcp-ioctl-fuzz: issues random ioctls on /dev/dtcp files of the live
// dtcp.ko and checks every answer against the contract of <linux/dtcp.h>.
//
//   dtcp-ioctl-fuzz [--seed S] [--iterations N] [--seconds T] [--from I]
//                   [--check-every K] [-v]
//
// Each iteration makes one call (a few for the hand-offs that reach the
// tunnel) on one of 1..6 open /dev/dtcp files:
//   - unknown commands: random numbers, and near-valid ones (the right magic
//     and number with another size or direction, another magic);
//   - INFO, LISTEN, ACCEPT and HANDOFF with random sizes, flags, reserved
//     fields, garbage in the output fields, lengths and pointers: NULL, low,
//     kernel, non-canonical and wrapping addresses, an unmapped hole, a
//     PROT_NONE page, a read-only page, structures and request buffers
//     straddling the end of a mapping, huge request lengths;
//   - LISTEN with random values; ACCEPT on listening and non-listening
//     files, non-blocking, or blocking and interrupted by a timer signal;
//   - HANDOFF of -1, closed and huge fd numbers, a pipe, /dev/null, an O_PATH
//     fd, a /dev/dtcp file, UDP (bound, connected), unix stream and datagram
//     sockets, a raw socket, TCP sockets listening, fresh, bound, in SYN_SENT,
//     CLOSE_WAIT and FIN_WAIT2, established on 127.0.0.1, over IPv6 and
//     IPv4-mapped IPv6, with the TLS ULP, MPTCP, and established to the VIP
//     (both ends of loopback connections made with a listener on the VIP),
//     each to node 0, this node, ids out of range, unconfigured ids, down
//     peers and the configured peers that never answer.
// A few hand-offs to a silent peer race with a second thread that closes the
// socket, writes to it (blocking or not), or hands off the same socket or
// the other end of its connection.
//
// Every call must return within a bound (a watchdog thread; a hand-off that
// reaches the tunnel may wait DTCP_QUIESCE_MS + its answer timeout), succeed
// only when it may, and fail only with an errno of the set <linux/dtcp.h>
// documents for what is wrong with it (ENOTTY for unknown commands, EFAULT
// for unreadable or unwritable arguments, EINVAL for bad fields, ...; see
// Expect).  Where several things are wrong at once, any of their errnos is
// accepted (the order of the checks is not part of the contract), except that
// nothing can be known of a structure that cannot be read: EFAULT only.
// A hand-off to a silent peer fails with ETIMEDOUT (not before its timeout;
// EBUSY only when the socket had unacknowledged data), leaving the connection
// untouched: bytes flow both ways afterwards, and a write that raced with it
// arrives once, intact.  Every K iterations and at the end: the module-wide
// live counters match what the fuzzer holds (files) and hold nothing else
// (no hand-off, no connection entry), the hand-off statistics of the
// namespace match the timeouts seen, no fd appeared in the process (a failed
// ACCEPT installs none), no file polls readable.
//
// Iteration I of seed S is generated from (S, I) alone; the module's state
// depends on the iterations before it, so a failure is reproduced with
// --seed S --iterations I+1 in a fresh namespace set up as by
// tests/vm/t-ioctl-fuzz.sh (printed on failure).
// Exit status: 0 pass, 1 the module misbehaved, 2 usage or setup error.
// Must run as root, alone (the live counters are module-wide), in a throwaway
// network namespace whose node is configured (node id, tunnel port, a VIP
// that is a local address) with at least one peer up at an address where
// nothing answers.
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/dtcp.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cinttypes>
#include <climits>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "dtcp/control.hpp"

#include "fuzz.hpp"

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif
#ifndef TCP_ULP
#define TCP_ULP 31
#endif

namespace {

// From module/active.c: how long a hand-off waits for the socket to become
// quiescent, and the answer timeout when the caller gives none.
constexpr int64_t kQuiesceMs = 2000;
constexpr int64_t kDefaultAnswerMs = 3000;
// Bound for a call that must not wait for anything (generous: the test VM
// runs under software emulation on a shared machine).
constexpr int64_t kFastBoundMs = 5000;
// Added to the wait a hand-off may do.
constexpr int64_t kSlackMs = 8000;
// Reading what the other end of a connection sent.
constexpr int kXferTimeoutMs = 15000;

constexpr size_t kInfoSize = sizeof(dtcp_ioc_info);
constexpr size_t kHandoffSize = sizeof(dtcp_ioc_handoff);
constexpr size_t kAcceptSize = sizeof(dtcp_ioc_accept);
constexpr size_t kMaxFiles = 6;

// ---------------------------------------------------------------------------
// Options and failure reporting

struct Options {
    uint64_t seed = 0;
    bool seed_given = false;
    uint64_t iterations = 0;  // 0: unbounded (then --seconds bounds the run)
    uint64_t from = 0;
    double seconds = 0;
    uint64_t check_every = 500;
    bool verbose = false;
};

Options opt;
uint64_t cur_iter = 0;
std::atomic<bool> in_iteration{false};
// What the current call is, for failure messages (the watchdog prints it).
char desc[1024];

void print_repro()
{
    std::fprintf(stderr,
                 "ioctl-fuzz: reproduce (in a fresh namespace set up as by tests/vm/t-ioctl-fuzz.sh): "
                 "dtcp-ioctl-fuzz --seed %" PRIu64 " --iterations %" PRIu64 "\n",
                 opt.seed, cur_iter + 1);
}

[[noreturn]] void fail(const char* fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    std::fprintf(stderr, "ioctl-fuzz: FAIL (seed %" PRIu64, opt.seed);
    if (in_iteration)
        std::fprintf(stderr, ", iteration %" PRIu64, cur_iter);
    std::fprintf(stderr, "): ");
    std::vfprintf(stderr, fmt, ap);
    std::fprintf(stderr, "\n");
    va_end(ap);
    if (desc[0])
        std::fprintf(stderr, "ioctl-fuzz:   last call: %s\n", desc);
    print_repro();
    std::fflush(stderr);
    _exit(1);  // threads may be blocked in the kernel: no destructors
}

[[noreturn]] void setup_error(const char* fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    std::fprintf(stderr, "ioctl-fuzz: setup: ");
    std::vfprintf(stderr, fmt, ap);
    std::fprintf(stderr, "\n");
    va_end(ap);
    std::exit(2);
}

const char* ename(int e)
{
    if (!e)
        return "success";
    const char* n = strerrorname_np(e);
    return n ? n : "E?";
}

int64_t now_ns()
{
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// ---------------------------------------------------------------------------
// Randomness: fuzz.hpp.
using fuzz::Rng;
using fuzz::splitmix;

// ---------------------------------------------------------------------------
// Watchdog: a thread that ends the process when a call overruns its bound.

std::atomic<int64_t> call_deadline{0};  // CLOCK_MONOTONIC ns, 0: no call
std::atomic<int64_t> call_bound_ms{0};
std::atomic<int64_t> iter_deadline{0};  // the whole iteration (transfers, joins)

void watchdog()
{
    for (;;) {
        usleep(20000);
        int64_t now = now_ns();
        int64_t d = call_deadline.load(std::memory_order_acquire);
        int64_t it = iter_deadline.load(std::memory_order_acquire);
        if ((d && now > d) || (it && now > it)) {
            std::fprintf(stderr, "ioctl-fuzz: FAIL (seed %" PRIu64 ", iteration %" PRIu64 "): %s\n", opt.seed,
                         cur_iter,
                         d && now > d ? "a call did not return within its bound" : "the iteration did not end in time");
            if (d && now > d)
                std::fprintf(stderr, "ioctl-fuzz:   bound %" PRId64 " ms, call: %s\n", call_bound_ms.load(), desc);
            print_repro();
            std::fflush(stderr);
            _exit(1);  // the blocked thread ends when (if) the kernel lets it go
        }
    }
}

// Threads other than the main one take no signals (SIGALRM interrupts the
// main thread's blocking ACCEPT).
template <typename F>
std::thread quiet_thread(F&& f)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    std::thread t(std::forward<F>(f));
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    return t;
}

// ---------------------------------------------------------------------------
// Memory: pages with known access, and addresses that are never mapped.

constexpr size_t kPage = 4096;
constexpr size_t kReqPages = 5;  // > DTCP_MAX_REQUEST
struct Arena {
    uint8_t* base = nullptr;
    // Layout (pages): 0-4 request buffer (rw), 5 guard, 6 structures (rw),
    // 7 guard, 8 read-only, 9 guard, 10-13 unmapped hole, 14 guard.
    uint8_t* req() const { return base; }
    size_t req_len() const { return kReqPages * kPage; }
    uint8_t* guard1() const { return base + 5 * kPage; }
    uint8_t* st() const { return base + 6 * kPage; }
    uint8_t* guard2() const { return base + 7 * kPage; }
    uint8_t* ro() const { return base + 8 * kPage; }
    uint8_t* guard3() const { return base + 9 * kPage; }
    uint8_t* hole() const { return base + 10 * kPage; }
    static constexpr size_t kTotal = 15 * kPage;

    void init()
    {
        void* p = mmap(nullptr, kTotal, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            setup_error("mmap: %s", std::strerror(errno));
        base = static_cast<uint8_t*>(p);
        if (mprotect(req(), req_len(), PROT_READ | PROT_WRITE) || mprotect(st(), kPage, PROT_READ | PROT_WRITE) ||
            mprotect(ro(), kPage, PROT_READ) || munmap(hole(), 4 * kPage))
            setup_error("arena: %s", std::strerror(errno));
    }
    bool hole_unmapped() const
    {
        unsigned char v;
        return mincore(hole(), kPage, &v) < 0 && errno == ENOMEM;
    }
    // [p, p + n) lies in one readable (and, @write, writable) region.
    bool ok(uint64_t p, uint64_t n, bool write) const
    {
        if (n == 0)
            return true;
        auto in = [&](const uint8_t* lo, size_t len) {
            auto l = reinterpret_cast<uint64_t>(lo);
            return p >= l && p - l <= len && n <= len - (p - l);
        };
        return in(req(), req_len()) || in(st(), kPage) || (!write && in(ro(), kPage));
    }
    void write_ro(size_t off, const void* data, size_t n)
    {
        if (mprotect(ro(), kPage, PROT_READ | PROT_WRITE))
            setup_error("mprotect: %s", std::strerror(errno));
        std::memcpy(ro() + off, data, n);
        if (mprotect(ro(), kPage, PROT_READ))
            setup_error("mprotect: %s", std::strerror(errno));
    }
};
Arena arena;

// Where an argument structure goes.
struct Placed {
    uint64_t addr = 0;
    bool readable = false;
    bool writable = false;
    std::string where;
};

// An address where nothing can be read.
uint64_t bad_address(Rng& r, std::string& where)
{
    switch (r.below(9)) {
    case 0: where = "NULL"; return 0;
    case 1: where = "low"; return r.range(1, 0xffff);
    case 2: where = "kernel"; return r.pick<uint64_t>({0xffff888000000000ULL, 0xffffffff81000000ULL, 0xffffffffff600000ULL});
    case 3: where = "non-canonical"; return r.pick<uint64_t>({0x0000800000000000ULL, 0x8000000000000000ULL, 0x00ff000000000000ULL});
    case 4: where = "wrapping"; return ~0ULL - r.below(64);
    case 5: where = "PROT_NONE"; return reinterpret_cast<uint64_t>(arena.guard1()) + r.below(kPage);
    case 6: where = "top of user space"; return 0x00007ffffffff000ULL + r.below(kPage);
    default: where = "unmapped"; return reinterpret_cast<uint64_t>(arena.hole()) + r.below(4 * kPage);
    }
}

// Place @size bytes of @data: mostly in the read-write structure page.
Placed place(Rng& r, const void* data, size_t size, unsigned bad_pct = 15)
{
    Placed p;
    unsigned k = r.below(100);
    if (k >= bad_pct) {
        size_t off = r.pct(70) ? 8 * r.below(static_cast<uint32_t>((kPage - size) / 8 + 1))
                               : r.below(static_cast<uint32_t>(kPage - size + 1));
        std::memcpy(arena.st() + off, data, size);
        p.addr = reinterpret_cast<uint64_t>(arena.st() + off);
        p.readable = p.writable = true;
        p.where = off % 8 ? "unaligned" : "rw";
        return p;
    }
    switch (r.below(3)) {
    case 0: {  // straddling the end of the page: its first k bytes readable
        size_t k2 = r.range(1, static_cast<uint32_t>(size));
        std::memcpy(arena.guard2() - k2, data, k2);
        p.addr = reinterpret_cast<uint64_t>(arena.guard2() - k2);
        p.readable = p.writable = k2 == size;
        p.where = "straddling (" + std::to_string(k2) + " of " + std::to_string(size) + " bytes mapped)";
        return p;
    }
    case 1: {
        size_t off = 8 * r.below(static_cast<uint32_t>((kPage - size) / 8 + 1));
        arena.write_ro(off, data, size);
        p.addr = reinterpret_cast<uint64_t>(arena.ro() + off);
        p.readable = true;
        p.where = "read-only";
        return p;
    }
    default:
        p.addr = bad_address(r, p.where);
        return p;
    }
}

// ---------------------------------------------------------------------------
// Expectations

struct Expect {
    // The call must fail with one of these (errno, why); empty: it is valid.
    std::vector<std::pair<int, std::string>> hard;
    // It may fail with these instead of its natural outcome.
    std::vector<std::pair<int, std::string>> soft;
    int natural = 0;  // with nothing wrong: 0 (success) or the errno due
    std::string natural_why;

    void must(int e, std::string why) { hard.emplace_back(e, std::move(why)); }
    void may(int e, std::string why) { soft.emplace_back(e, std::move(why)); }
    bool allowed(int e) const
    {
        for (auto& [x, w] : hard)
            if (x == e)
                return true;
        for (auto& [x, w] : soft)
            if (x == e)
                return true;
        return false;
    }
    std::string str() const
    {
        std::string s;
        for (auto& [e, w] : hard)
            s += std::string(s.empty() ? "" : ", ") + ename(e) + " (" + w + ")";
        if (hard.empty())
            s = std::string(ename(natural)) + (natural_why.empty() ? "" : " (" + natural_why + ")");
        for (auto& [e, w] : soft)
            s += std::string(", or ") + ename(e) + " (" + w + ")";
        return s;
    }
};

// Statistics for the summary.
struct OpStats {
    uint64_t calls = 0;
    std::map<int, uint64_t> results;  // errno (0: success) -> count
    int64_t max_ns = 0;
};
std::map<std::string, OpStats> op_stats;
uint64_t n_calls = 0;
int64_t max_fast_ns = 0;

void judge(const char* op, int rc, int err, const Expect& e)
{
    auto& s = op_stats[op];
    s.calls++;
    s.results[rc == 0 ? 0 : err]++;
    if (rc > 0)
        fail("%s returned %d", op, rc);
    if (!e.hard.empty()) {
        if (rc == 0)
            fail("%s succeeded; it must fail: %s", op, e.str().c_str());
        if (!e.allowed(err))
            fail("%s failed with %s; expected %s", op, ename(err), e.str().c_str());
        return;
    }
    if (rc == 0) {
        if (e.natural)
            fail("%s succeeded; expected %s", op, e.str().c_str());
        return;
    }
    if (err != e.natural && !e.allowed(err))
        fail("%s failed with %s; expected %s", op, ename(err), e.str().c_str());
}

struct CallResult {
    int rc = 0;
    int err = 0;
    int64_t ns = 0;
};

// The ioctl, watched: it must return within @bound_ms.  Sometimes with
// garbage above the 32 bits of the command (the syscall takes an int).
CallResult watched_ioctl(Rng& r, int fd, uint32_t cmd, uint64_t arg, int64_t bound_ms)
{
    unsigned long req = cmd;
    if (r.pct(2))
        req |= static_cast<unsigned long>(r.u32() | 1) << 32;
    if (opt.verbose)
        std::fprintf(stderr, "ioctl-fuzz: %" PRIu64 ": %s\n", cur_iter, desc);
    CallResult res;
    call_bound_ms.store(bound_ms);
    int64_t t0 = now_ns();
    call_deadline.store(t0 + bound_ms * 1000000, std::memory_order_release);
    errno = 0;
    res.rc = ::ioctl(fd, req, arg);
    res.err = res.rc < 0 ? errno : 0;
    int64_t t1 = now_ns();
    call_deadline.store(0, std::memory_order_release);
    res.ns = t1 - t0;
    n_calls++;
    if (res.ns > bound_ms * 1000000)
        fail("the call took %" PRId64 " ms, bound %" PRId64 " ms", res.ns / 1000000, bound_ms);
    if (bound_ms == kFastBoundMs)
        max_fast_ns = std::max(max_fast_ns, res.ns);
    return res;
}

// ---------------------------------------------------------------------------
// The node's configuration (read once) and the live counters.

std::optional<dtcp::Control> ctl;
uint32_t self_id = 0;
uint32_t vip = 0;  // be32
std::vector<uint32_t> silent_peers, down_peers;
std::set<uint32_t> peer_ids;
uint32_t silent_addr = 0;  // be32: one silent peer's address

dtcp::Status status()
{
    auto s = ctl->status();
    if (!s)
        fail("GET_STATUS: %s", s.error().describe().c_str());
    return *s;
}

uint32_t live(const dtcp::Status& s, const char* name)
{
    auto v = s.live.get(name);
    if (!v)
        fail("status has no live counter \"%s\"", name);
    return *v;
}

uint64_t stat_of(const dtcp::Status& s, const char* name)
{
    return s.stats.get(name).value_or(0);
}

// ---------------------------------------------------------------------------
// Files and sockets

std::set<int> fds_before;  // the process's fds before the fuzzer made any
std::set<int> owned;       // every fd the fuzzer holds

int track(int fd, const char* what)
{
    if (fd < 0)
        setup_error("%s: %s", what, std::strerror(errno));
    owned.insert(fd);
    return fd;
}

void close_owned(int fd)
{
    if (fd < 0)
        return;
    owned.erase(fd);
    if (::close(fd) < 0)
        fail("close(%d): %s", fd, std::strerror(errno));
}

std::set<int> list_fds()
{
    std::set<int> s;
    DIR* d = opendir("/proc/self/fd");
    if (!d)
        fail("opendir /proc/self/fd: %s", std::strerror(errno));
    int self = dirfd(d);
    while (dirent* e = readdir(d)) {
        if (e->d_name[0] == '.')
            continue;
        int fd = std::atoi(e->d_name);
        if (fd != self)
            s.insert(fd);
    }
    closedir(d);
    return s;
}

struct DtcpFile {
    int fd = -1;
    bool listening = false;
};
std::vector<DtcpFile> files;

void open_file(Rng& r)
{
    int mode = r.pick<int>({O_RDWR, O_RDWR, O_RDONLY, O_WRONLY});
    int fd = ::open("/dev/dtcp", mode | O_CLOEXEC);
    if (fd < 0)
        fail("open /dev/dtcp: %s", std::strerror(errno));
    owned.insert(fd);
    files.push_back({fd, false});
}

// Kinds of descriptors handed to HANDOFF, and what the contract says of each.
enum Kind {
    K_MINUS1, K_CLOSED, K_HUGE, K_PIPE, K_DEVNULL, K_DTCP, K_OPATH, K_UDP, K_UDP_CONN, K_UNIX_STREAM,
    K_UNIX_DGRAM, K_RAW, K_LISTEN, K_FRESH, K_BOUND, K_SYN_SENT, K_CLOSE_WAIT, K_FIN_WAIT, K_LOOPBACK,
    K_TCP6, K_TCP6_MAPPED, K_TLS, K_MPTCP, K_VIP, K_COUNT
};
struct KindInfo {
    const char* name;
    int err;  // what is wrong with it (0: nothing: an established connection to the VIP)
    const char* why;
};
const KindInfo kinds[K_COUNT] = {
    {"fd -1", EBADF, "not an open fd"},
    {"closed fd", EBADF, "not an open fd"},
    {"huge fd", EBADF, "not an open fd"},
    {"pipe", EINVAL, "not a socket"},
    {"/dev/null", EINVAL, "not a socket"},
    {"/dev/dtcp file", EINVAL, "not a socket"},
    {"O_PATH fd", EBADF, "an O_PATH fd"},
    {"UDP socket", EINVAL, "not a TCP socket"},
    {"connected UDP socket", EINVAL, "not a TCP socket"},
    {"unix stream socket", EINVAL, "not a TCP/IPv4 socket"},
    {"unix datagram socket", EINVAL, "not a TCP/IPv4 socket"},
    {"raw IPv4 socket (IPPROTO_TCP)", EINVAL, "not a TCP socket"},
    {"listening TCP socket", EINVAL, "listening, not a connection"},
    {"fresh TCP socket", ENOTCONN, "not established"},
    {"TCP socket bound to the VIP", ENOTCONN, "not established"},
    {"TCP socket in SYN_SENT", ENOTCONN, "not established"},
    {"TCP socket in CLOSE_WAIT", ENOTCONN, "not established"},
    {"TCP socket in FIN_WAIT2", ENOTCONN, "not established"},
    {"TCP connection on 127.0.0.1", EINVAL, "not a connection to the VIP"},
    {"TCP/IPv6 connection on ::1", EINVAL, "not an IPv4 socket"},
    {"TCP/IPv6 socket connected to the VIP (v4-mapped)", EINVAL, "not an IPv4 socket"},
    {"TLS (kTLS ULP) connection to the VIP", EINVAL, "not a plain TCP socket"},
    {"MPTCP connection to the VIP", EINVAL, "not a plain TCP socket"},
    {"TCP connection to the VIP", 0, ""},
};
std::vector<int> kind_fds[K_COUNT];  // the static kinds' descriptors

// Loopback connections to the VIP: the fuzzer holds both ends.
struct Pair {
    int a = -1, b = -1;
};
std::vector<Pair> vip_pairs;
int vip_listener = -1;
uint16_t vip_port = 0;
std::vector<int> spare;  // other ends of special connections, kept open

sockaddr_in sin4(uint32_t addr_be, uint16_t port)
{
    sockaddr_in s{};
    s.sin_family = AF_INET;
    s.sin_addr.s_addr = addr_be;
    s.sin_port = htons(port);
    return s;
}

uint16_t local_port(int fd)
{
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) < 0)
        setup_error("getsockname: %s", std::strerror(errno));
    return ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                          : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

// A listener, or -1 (errno set) when the kind of socket is not available.
int try_listener(int family, int proto, const sockaddr* a, socklen_t len)
{
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, proto);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, a, len) < 0 || listen(fd, 16) < 0) {
        int e = errno;
        ::close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

// Connect a new socket to @dst and accept it on @listener: {client, server}.
bool try_pair(int listener, int family, int proto, const sockaddr* dst, socklen_t len, Pair& p)
{
    int c = socket(family, SOCK_STREAM | SOCK_CLOEXEC, proto);
    if (c < 0)
        return false;
    if (connect(c, dst, len) < 0) {
        int e = errno;
        ::close(c);
        errno = e;
        return false;
    }
    pollfd pf{listener, POLLIN, 0};
    if (poll(&pf, 1, 10000) != 1) {
        ::close(c);
        errno = ETIMEDOUT;
        return false;
    }
    int s = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (s < 0) {
        int e = errno;
        ::close(c);
        errno = e;
        return false;
    }
    p.a = c;
    p.b = s;
    return true;
}

Pair new_vip_pair()
{
    Pair p;
    sockaddr_in d = sin4(vip, vip_port);
    if (!try_pair(vip_listener, AF_INET, 0, reinterpret_cast<sockaddr*>(&d), sizeof(d), p))
        fail("connection to the VIP: %s", std::strerror(errno));
    owned.insert(p.a);
    owned.insert(p.b);
    int one = 1;
    setsockopt(p.a, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    setsockopt(p.b, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return p;
}

int tcp_state(int fd)
{
    tcp_info ti{};
    socklen_t len = sizeof(ti);
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
        return -1;
    return ti.tcpi_state;
}

int outq(int fd)
{
    int v = 0;
    if (::ioctl(fd, SIOCOUTQ, &v) < 0)
        fail("SIOCOUTQ on fd %d: %s", fd, std::strerror(errno));
    return v;
}

std::vector<std::string> skipped_kinds;

void setup_sockets()
{
    // The VIP listener: its connections are the valid hand-off candidates.
    sockaddr_in a = sin4(vip, 0);
    vip_listener = try_listener(AF_INET, 0, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    if (vip_listener < 0)
        setup_error("listen on the VIP %s: %s (is it a local address?)", dtcp::ip4_str(vip).c_str(),
                    std::strerror(errno));
    owned.insert(vip_listener);
    vip_port = local_port(vip_listener);
    kind_fds[K_LISTEN].push_back(vip_listener);
    for (int i = 0; i < 2; i++)
        vip_pairs.push_back(new_vip_pair());

    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        setup_error("pipe: %s", std::strerror(errno));
    kind_fds[K_PIPE] = {track(p[0], "pipe"), track(p[1], "pipe")};
    kind_fds[K_DEVNULL].push_back(track(::open("/dev/null", O_RDWR | O_CLOEXEC), "/dev/null"));
    kind_fds[K_OPATH].push_back(track(::open("/", O_PATH | O_CLOEXEC), "O_PATH"));
    kind_fds[K_UDP].push_back(track(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), "udp"));
    int u = track(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), "udp");
    sockaddr_in ud = sin4(vip, 9);
    if (connect(u, reinterpret_cast<sockaddr*>(&ud), sizeof(ud)) < 0)
        setup_error("UDP connect: %s", std::strerror(errno));
    kind_fds[K_UDP_CONN].push_back(u);
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        setup_error("socketpair: %s", std::strerror(errno));
    kind_fds[K_UNIX_STREAM] = {track(sv[0], "unix"), track(sv[1], "unix")};
    if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0)
        setup_error("socketpair: %s", std::strerror(errno));
    kind_fds[K_UNIX_DGRAM] = {track(sv[0], "unix"), track(sv[1], "unix")};
    int raw = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_TCP);
    if (raw >= 0)
        kind_fds[K_RAW].push_back(track(raw, "raw"));
    else
        skipped_kinds.push_back(std::string(kinds[K_RAW].name) + ": " + std::strerror(errno));
    kind_fds[K_FRESH].push_back(track(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), "tcp"));
    int bound = track(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), "tcp");
    if (bind(bound, reinterpret_cast<sockaddr*>(&a), sizeof(a)) < 0)
        setup_error("bind on the VIP: %s", std::strerror(errno));
    kind_fds[K_BOUND].push_back(bound);

    // SYN_SENT: towards a silent peer, where the SYN goes unanswered.
    int syn = track(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), "tcp");
    sockaddr_in sd = sin4(silent_addr, 9);
    if (connect(syn, reinterpret_cast<sockaddr*>(&sd), sizeof(sd)) == 0 || errno != EINPROGRESS)
        setup_error("connect towards the silent peer %s: %s (expected EINPROGRESS)",
                    dtcp::ip4_str(silent_addr).c_str(), std::strerror(errno));
    kind_fds[K_SYN_SENT].push_back(syn);

    // CLOSE_WAIT and FIN_WAIT2: a connection to the VIP whose client shut down.
    Pair h = new_vip_pair();
    if (shutdown(h.a, SHUT_WR) < 0)
        setup_error("shutdown: %s", std::strerror(errno));
    for (int i = 0; i < 1000 && !(tcp_state(h.a) == TCP_FIN_WAIT2 && tcp_state(h.b) == TCP_CLOSE_WAIT); i++)
        usleep(10000);
    if (tcp_state(h.a) != TCP_FIN_WAIT2 || tcp_state(h.b) != TCP_CLOSE_WAIT)
        setup_error("half-closed connection in states %d/%d", tcp_state(h.a), tcp_state(h.b));
    kind_fds[K_FIN_WAIT].push_back(h.a);
    kind_fds[K_CLOSE_WAIT].push_back(h.b);

    // Established, but not to the VIP.
    sockaddr_in lo = sin4(htonl(INADDR_LOOPBACK), 0);
    int l = try_listener(AF_INET, 0, reinterpret_cast<sockaddr*>(&lo), sizeof(lo));
    if (l < 0)
        setup_error("listen on 127.0.0.1: %s", std::strerror(errno));
    lo.sin_port = htons(local_port(l));
    Pair lp;
    if (!try_pair(l, AF_INET, 0, reinterpret_cast<sockaddr*>(&lo), sizeof(lo), lp))
        setup_error("connection on 127.0.0.1: %s", std::strerror(errno));
    ::close(l);
    kind_fds[K_LOOPBACK] = {track(lp.a, "tcp"), track(lp.b, "tcp")};

    // IPv6, and an IPv6 socket connected to the VIP through a v4-mapped address.
    sockaddr_in6 a6{};
    a6.sin6_family = AF_INET6;
    a6.sin6_addr = in6addr_loopback;
    int l6 = try_listener(AF_INET6, 0, reinterpret_cast<sockaddr*>(&a6), sizeof(a6));
    Pair p6;
    if (l6 >= 0) {
        a6.sin6_port = htons(local_port(l6));
        if (try_pair(l6, AF_INET6, 0, reinterpret_cast<sockaddr*>(&a6), sizeof(a6), p6))
            kind_fds[K_TCP6] = {track(p6.a, "tcp6"), track(p6.b, "tcp6")};
        ::close(l6);
    }
    if (kind_fds[K_TCP6].empty())
        skipped_kinds.push_back(std::string(kinds[K_TCP6].name) + ": " + std::strerror(errno));
    sockaddr_in6 m6{};
    m6.sin6_family = AF_INET6;
    m6.sin6_port = htons(vip_port);
    m6.sin6_addr.s6_addr[10] = m6.sin6_addr.s6_addr[11] = 0xff;
    std::memcpy(&m6.sin6_addr.s6_addr[12], &vip, 4);
    if (try_pair(vip_listener, AF_INET6, 0, reinterpret_cast<sockaddr*>(&m6), sizeof(m6), p6)) {
        kind_fds[K_TCP6_MAPPED].push_back(track(p6.a, "tcp6"));
        spare.push_back(track(p6.b, "tcp"));  // a plain IPv4 socket: not in any kind
    } else {
        skipped_kinds.push_back(std::string(kinds[K_TCP6_MAPPED].name) + ": " + std::strerror(errno));
    }

    // kTLS: the ULP replaces the socket's proto.
    Pair t = new_vip_pair();
    if (setsockopt(t.a, IPPROTO_TCP, TCP_ULP, "tls", 3) == 0) {
        kind_fds[K_TLS].push_back(t.a);
        spare.push_back(t.b);
    } else {
        skipped_kinds.push_back(std::string(kinds[K_TLS].name) + ": " + std::strerror(errno));
        close_owned(t.a);
        close_owned(t.b);
    }

    // MPTCP.
    sockaddr_in ma = sin4(vip, 0);
    int ml = try_listener(AF_INET, IPPROTO_MPTCP, reinterpret_cast<sockaddr*>(&ma), sizeof(ma));
    Pair mp;
    if (ml >= 0) {
        ma.sin_port = htons(local_port(ml));
        if (try_pair(ml, AF_INET, IPPROTO_MPTCP, reinterpret_cast<sockaddr*>(&ma), sizeof(ma), mp))
            kind_fds[K_MPTCP] = {track(mp.a, "mptcp"), track(mp.b, "mptcp")};
        ::close(ml);
    }
    if (kind_fds[K_MPTCP].empty())
        skipped_kinds.push_back(std::string(kinds[K_MPTCP].name) + ": " + std::strerror(errno));
}

// ---------------------------------------------------------------------------
// Connections: bytes still flow

void send_all(int fd, const uint8_t* p, size_t n, const char* what)
{
    size_t off = 0;
    while (off < n) {
        pollfd pf{fd, POLLOUT, 0};
        int k = poll(&pf, 1, kXferTimeoutMs);
        if (k == 0)
            fail("%s: fd %d not writable within %d ms", what, fd, kXferTimeoutMs);
        ssize_t w = send(fd, p + off, n - off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0 && errno != EAGAIN && errno != EINTR)
            fail("%s: write on fd %d: %s", what, fd, std::strerror(errno));
        if (w > 0)
            off += static_cast<size_t>(w);
    }
}

void recv_exact(int fd, const uint8_t* want, size_t n, const char* what)
{
    std::vector<uint8_t> got(n);
    size_t off = 0;
    int64_t deadline = now_ns() + int64_t(kXferTimeoutMs) * 1000000;
    while (off < n) {
        int left = static_cast<int>((deadline - now_ns()) / 1000000);
        pollfd pf{fd, POLLIN, 0};
        if (left <= 0 || poll(&pf, 1, left) == 0)
            fail("%s: %zu of %zu bytes arrived on fd %d within %d ms", what, off, n, fd, kXferTimeoutMs);
        ssize_t k = recv(fd, got.data() + off, n - off, MSG_DONTWAIT);
        if (k == 0)
            fail("%s: end of stream on fd %d after %zu of %zu bytes", what, fd, off, n);
        if (k < 0 && errno != EAGAIN && errno != EINTR)
            fail("%s: read on fd %d after %zu of %zu bytes: %s", what, fd, off, n, std::strerror(errno));
        if (k > 0)
            off += static_cast<size_t>(k);
    }
    if (std::memcmp(got.data(), want, n) != 0)
        fail("%s: the %zu bytes read on fd %d differ from those written", what, n, fd);
    // Nothing more: no byte was delivered twice.
    uint8_t extra;
    ssize_t k = recv(fd, &extra, 1, MSG_DONTWAIT | MSG_PEEK);
    if (k > 0)
        fail("%s: more bytes than written on fd %d", what, fd);
}

// The connection carries bytes both ways; then both ends send their pending
// ACKs and, briefly, wait for their data to be acknowledged (quiescent).
void check_usable(Rng& r, const Pair& p, const char* when)
{
    for (int dir = 0; dir < 2; dir++) {
        int from = dir ? p.b : p.a, to = dir ? p.a : p.b;
        if (tcp_state(from) != TCP_ESTABLISHED)
            fail("%s: connection not established (state %d on fd %d)", when, tcp_state(from), from);
        std::vector<uint8_t> buf(r.range(1, 3000));
        r.fill(buf.data(), buf.size());
        send_all(from, buf.data(), buf.size(), when);
        recv_exact(to, buf.data(), buf.size(), when);
    }
    int one = 1;
    setsockopt(p.a, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
    setsockopt(p.b, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
    for (int i = 0; i < 200 && (outq(p.a) || outq(p.b)); i++)
        usleep(5000);
}

// The other end of a connection whose socket was closed sees it end.
void expect_eof(int fd, const char* when)
{
    pollfd pf{fd, POLLIN, 0};
    if (poll(&pf, 1, kXferTimeoutMs) == 0)
        fail("%s: the other end (fd %d) saw no end of stream within %d ms", when, fd, kXferTimeoutMs);
    uint8_t b[64];
    ssize_t k = recv(fd, b, sizeof(b), MSG_DONTWAIT);
    if (k > 0)
        fail("%s: the other end (fd %d) read %zd unexpected bytes", when, fd, k);
    if (k < 0 && errno != ECONNRESET)
        fail("%s: the other end (fd %d): %s", when, fd, std::strerror(errno));
}

// ---------------------------------------------------------------------------
// Summary counters

uint64_t n_timeouts = 0;      // ETIMEDOUT from hand-offs (all threads)
uint64_t n_busy = 0;          // EBUSY from hand-offs that reached the tunnel path
uint64_t n_races = 0, n_accept_intr = 0, n_usable_checks = 0, n_checks = 0, n_info_ok = 0;
std::map<std::string, uint64_t> handoff_kinds;  // per fd kind: calls
uint64_t stats_base_started = 0, stats_base_timeout = 0, stats_base_failed = 0, stats_base_done = 0;

// ---------------------------------------------------------------------------
// Commands

const uint32_t kValidCmds[] = {DTCP_IOC_INFO, DTCP_IOC_HANDOFF, DTCP_IOC_ACCEPT, DTCP_IOC_LISTEN};

bool is_valid_cmd(uint32_t c)
{
    for (uint32_t v : kValidCmds)
        if (c == v)
            return true;
    return false;
}

// Magic numbers of the commands the VFS answers itself, before the driver
// (FIOCLEX, FIONBIO, FIFREEZE, FS_IOC_*, FICLONE, FIGETBSZ, ...).
bool vfs_magic(uint32_t c)
{
    uint32_t t = _IOC_TYPE(c);
    return t == 0x00 || t == 0x15 || t == 'T' || t == 'X' || t == 'f' || t == 0x94;
}

void op_bad_cmd(Rng& r, DtcpFile& f)
{
    uint32_t cmd;
    std::string how;
    do {
        unsigned k = r.below(100);
        uint32_t base = kValidCmds[r.below(4)];
        if (k < 35) {  // the right magic and number, another size
            uint32_t size = r.pick<uint32_t>({0, 1, 4, 8, 16, 24, 31, 33, 40, 47, 49, 56, 64, 4096}) & _IOC_SIZEMASK;
            if (r.pct(20))
                size = r.below(_IOC_SIZEMASK + 1);
            cmd = _IOC(_IOC_DIR(base), _IOC_TYPE(base), _IOC_NR(base), size);
            how = "size " + std::to_string(size) + " for nr " + std::to_string(_IOC_NR(base));
        } else if (k < 60) {  // another direction
            cmd = _IOC(r.below(4), _IOC_TYPE(base), _IOC_NR(base), _IOC_SIZE(base));
            how = "direction " + std::to_string(_IOC_DIR(cmd)) + " for nr " + std::to_string(_IOC_NR(base));
        } else if (k < 75) {  // another number
            cmd = _IOC(_IOC_DIR(base), DTCP_IOC_MAGIC, r.pick<uint32_t>({0, 5, 6, 0x7f, 0x80, 0xff, r.below(256)}),
                       _IOC_SIZE(base));
            how = "nr " + std::to_string(_IOC_NR(cmd));
        } else if (k < 85) {  // another magic
            cmd = _IOC(_IOC_DIR(base), r.below(256), _IOC_NR(base), _IOC_SIZE(base));
            how = "magic " + std::to_string(_IOC_TYPE(cmd));
        } else {
            cmd = r.u32();
            how = "random";
        }
    } while (is_valid_cmd(cmd) || vfs_magic(cmd));
    Placed p;
    if (r.pct(80)) {
        uint8_t junk[64];
        r.fill(junk, sizeof(junk));
        p = place(r, junk, sizeof(junk));
    } else {
        p.addr = r.u64();
        p.where = "random";
    }
    std::snprintf(desc, sizeof(desc), "ioctl(fd %d, 0x%08x [%s], %s 0x%" PRIx64 ")", f.fd, cmd, how.c_str(),
                  p.where.c_str(), p.addr);
    Expect e;
    e.must(ENOTTY, "unknown command");
    auto res = watched_ioctl(r, f.fd, cmd, p.addr, kFastBoundMs);
    judge("unknown", res.rc, res.err, e);
}

void op_info(Rng& r, DtcpFile& f)
{
    dtcp_ioc_info in{};
    in.size = kInfoSize;
    Expect e;
    if (r.pct(8)) {
        in.size = r.pct(50) ? r.pick<uint32_t>({0, 1, 16, 24, 28, 31, 33, 36, 40, 48, 64, 0xffffffff}) : r.u32();
        if (in.size != kInfoSize)
            e.must(EINVAL, "size " + std::to_string(in.size));
    }
    if (r.pct(6)) {
        in.flags = r.pct(50) ? 1u << r.below(32) : r.u32() | 1;
        e.must(EINVAL, "flags");
    }
    if (r.pct(6)) {
        in.reserved[r.below(2)] = r.pct(50) ? 1ULL << r.below(64) : r.u64() | 1;
        e.must(EINVAL, "reserved field");
    }
    if (r.pct(50)) {  // output fields: ignored on input
        in.abi_version = r.u32();
        in.node_id = r.u32();
    }
    Placed p = place(r, &in, kInfoSize);
    if (!p.readable) {
        e.hard.clear();
        e.must(EFAULT, "structure not readable");
    } else if (!p.writable) {
        e.must(EFAULT, "structure not writable");
    }
    std::snprintf(desc, sizeof(desc),
                  "INFO(fd %d, %s 0x%" PRIx64 ": size %u flags 0x%x reserved %" PRIx64 "/%" PRIx64 ")", f.fd,
                  p.where.c_str(), p.addr, in.size, in.flags, uint64_t(in.reserved[0]), uint64_t(in.reserved[1]));
    auto res = watched_ioctl(r, f.fd, DTCP_IOC_INFO, p.addr, kFastBoundMs);
    judge("INFO", res.rc, res.err, e);
    if (res.rc == 0) {
        dtcp_ioc_info out;
        std::memcpy(&out, reinterpret_cast<const void*>(p.addr), kInfoSize);
        if (out.abi_version != DTCP_ABI_VERSION || out.node_id != self_id)
            fail("INFO: ABI version %u node id %u, want %u and %u", out.abi_version, out.node_id, DTCP_ABI_VERSION,
                 self_id);
        if (out.size != kInfoSize || out.flags || out.reserved[0] || out.reserved[1])
            fail("INFO changed its input fields: size %u flags 0x%x reserved %" PRIx64 "/%" PRIx64, out.size,
                 out.flags, uint64_t(out.reserved[0]), uint64_t(out.reserved[1]));
        n_info_ok++;
    }
}

void op_listen(Rng& r, DtcpFile& f)
{
    uint32_t v = r.pick<uint32_t>({0, 0, 0, 1, 1, 1, 2, 0xffffffff, 0x100, 0x80000000, r.u32()});
    Expect e;
    Placed p = place(r, &v, sizeof(v));
    if (!p.readable)
        e.must(EFAULT, "argument not readable");
    else if (v > 1)
        e.must(EINVAL, "value " + std::to_string(v));
    std::snprintf(desc, sizeof(desc), "LISTEN(fd %d, %s 0x%" PRIx64 " -> %u)", f.fd, p.where.c_str(), p.addr, v);
    auto res = watched_ioctl(r, f.fd, DTCP_IOC_LISTEN, p.addr, kFastBoundMs);
    judge("LISTEN", res.rc, res.err, e);
    if (res.rc == 0)
        f.listening = v == 1;
}

volatile sig_atomic_t alarms = 0;
void on_alarm(int) { alarms = alarms + 1; }

void set_timer(int64_t us)
{
    itimerval it{};
    it.it_value.tv_sec = us / 1000000;
    it.it_value.tv_usec = us % 1000000;
    setitimer(ITIMER_REAL, &it, nullptr);
}

void op_accept(Rng& r, DtcpFile& f)
{
    dtcp_ioc_accept a{};
    a.size = kAcceptSize;
    bool blocking = r.pct(4);
    a.flags = (blocking ? 0 : DTCP_ACCEPT_NONBLOCK) | (r.pct(50) ? DTCP_ACCEPT_CLOEXEC : 0);
    Expect e;
    if (r.pct(6)) {
        a.flags |= (r.pct(50) ? 1u << r.range(2, 31) : r.u32()) & ~3u;
        if (a.flags & ~3u)
            e.must(EINVAL, "unknown flags");
    }
    if (r.pct(8)) {
        a.size = r.pct(50) ? r.pick<uint32_t>({0, 32, 40, 44, 47, 49, 56, 64, 0xffffffff}) : r.u32();
        if (a.size != kAcceptSize)
            e.must(EINVAL, "size " + std::to_string(a.size));
    }
    if (r.pct(6)) {
        a.reserved[r.below(2)] = r.u64() | 1;
        e.must(EINVAL, "reserved field");
    }
    // The request buffer: nothing is ever queued here, so it is never
    // written; a bad one may still be refused.
    std::string bw = "none";
    switch (r.below(6)) {
    case 0: case 1:
        a.request_cap = 0;
        a.request = r.pct(70) ? 0 : r.u64();
        bw = a.request ? "random, cap 0" : "NULL, cap 0";
        break;
    case 2: case 3: {
        a.request_cap = r.pick<uint32_t>({1, 64, 4096, DTCP_MAX_REQUEST, 0xffffffff, r.u32()});
        uint32_t off = r.below(static_cast<uint32_t>(arena.req_len()));
        a.request = reinterpret_cast<uint64_t>(arena.req() + off);
        bw = "rw+" + std::to_string(off);
        if (!arena.ok(a.request, a.request_cap, true))
            e.may(EFAULT, "request buffer not writable");
        break;
    }
    case 4:
        a.request_cap = r.range(1, 0xffffffff);
        a.request = 0;
        bw = "NULL";
        e.must(EINVAL, "request_cap without a buffer");
        break;
    default: {
        a.request_cap = r.range(1, 20000);
        std::string w;
        a.request = bad_address(r, w);
        bw = w;
        if (!a.request)
            e.must(EINVAL, "request_cap without a buffer");
        else
            e.may(EFAULT, "request buffer not writable");
        break;
    }
    }
    if (r.pct(50)) {  // output fields: ignored on input
        a.request_len = r.u32();
        a.fd = static_cast<int32_t>(r.u32());
        a.origin_node = r.u32();
    }
    if (!f.listening)
        e.must(EINVAL, "not listening");
    Placed p = place(r, &a, kAcceptSize);
    if (!p.readable) {
        e.hard.clear();
        e.soft.clear();
        e.must(EFAULT, "structure not readable");
    } else if (!p.writable) {
        e.may(EFAULT, "structure not writable");
    }
    e.natural = blocking ? EINTR : EAGAIN;
    e.natural_why = blocking ? "nothing pending, interrupted by a signal" : "nothing pending (NONBLOCK)";
    int64_t delay_us = blocking ? r.range(2000, 30000) : 0;
    std::snprintf(desc, sizeof(desc),
                  "ACCEPT(fd %d%s, %s 0x%" PRIx64 ": size %u flags 0x%x request %s 0x%" PRIx64 " cap %u)%s", f.fd,
                  f.listening ? " listening" : "", p.where.c_str(), p.addr, a.size, a.flags, bw.c_str(), uint64_t(a.request),
                  a.request_cap, blocking ? " blocking" : "");
    if (blocking)
        set_timer(delay_us);
    auto res = watched_ioctl(r, f.fd, DTCP_IOC_ACCEPT, p.addr, kFastBoundMs + delay_us / 1000);
    if (blocking)
        set_timer(0);
    judge("ACCEPT", res.rc, res.err, e);
    if (res.rc == 0)
        fail("ACCEPT returned a connection, but nothing was ever handed to this node");
    if (blocking && res.err == EINTR)
        n_accept_intr++;
}

// One HANDOFF, its arguments chosen by the caller.
struct Handoff {
    DtcpFile* f = nullptr;
    dtcp_ioc_handoff h{};
    Kind kind = K_VIP;
    std::string node_what, req_what;
    Placed p;
    Expect e;
    int64_t bound_ms = kFastBoundMs;
};

// Pick a node id; returns what the contract says of it (0: a silent peer).
uint32_t pick_node(Rng& r, Expect& e, std::string& what, bool silent)
{
    unsigned k = silent ? 99 : r.below(100);
    if (k < 10) {
        what = "node 0";
        e.must(EINVAL, "node id 0");
        return 0;
    }
    if (k < 22) {
        what = "this node";
        e.must(EINVAL, "hand-off to itself");
        return self_id;
    }
    if (k < 30) {
        uint32_t n = r.pick<uint32_t>({DTCP_NODE_ID_MAX + 1, 0xffffffff, 0x80000000, r.range(DTCP_NODE_ID_MAX + 1, 0xffffffff)});
        what = "node " + std::to_string(n) + " (out of range)";
        e.must(EINVAL, "node id out of range");
        return n;
    }
    if (k < 45) {
        uint32_t n;
        do
            n = r.pct(50) ? r.range(1, 20) : r.range(1, DTCP_NODE_ID_MAX);
        while (n == self_id || peer_ids.count(n));
        what = "node " + std::to_string(n) + " (unconfigured)";
        e.must(ENOENT, "unknown node");
        return n;
    }
    if (k < 55 && !down_peers.empty()) {
        uint32_t n = down_peers[r.below(static_cast<uint32_t>(down_peers.size()))];
        what = "node " + std::to_string(n) + " (down)";
        e.must(ENOENT, "node down");
        return n;
    }
    uint32_t n = silent_peers[r.below(static_cast<uint32_t>(silent_peers.size()))];
    what = "node " + std::to_string(n) + " (silent)";
    return n;
}

// The request: length and pointer.
void pick_request(Rng& r, Handoff& x, bool valid)
{
    uint32_t len;
    unsigned k = valid ? r.below(80) : r.below(100);
    if (k < 25)
        len = 0;
    else if (k < 55)
        len = r.range(1, 256);
    else if (k < 70)
        len = r.range(257, DTCP_MAX_REQUEST);
    else if (k < 80)
        len = DTCP_MAX_REQUEST;
    else if (k < 88)
        len = DTCP_MAX_REQUEST + 1;
    else if (k < 94)
        len = r.pick<uint32_t>({0xffffffff, 0x80000000, 1u << 20, 65536});
    else
        len = r.u32();
    uint64_t ptr;
    std::string where;
    k = valid ? r.below(70) : r.below(100);
    if (k < 10 && (valid ? len == 0 : true)) {
        ptr = 0;
        where = "NULL";
    } else if (k < 70) {  // in the read-write buffer, mostly fitting
        uint32_t fit = static_cast<uint32_t>(arena.req_len() - std::min<uint64_t>(len, arena.req_len()));
        uint32_t off = valid || r.pct(85) ? r.below(fit + 1) : r.below(static_cast<uint32_t>(arena.req_len()));
        ptr = reinterpret_cast<uint64_t>(arena.req() + off);
        r.fill(arena.req() + off, std::min<uint64_t>(len, arena.req_len() - off));
        where = "rw+" + std::to_string(off);
    } else if (k < 80) {  // ending inside the guard page after the buffer
        uint32_t before = r.range(1, std::max<uint32_t>(1, std::min<uint32_t>(len, DTCP_MAX_REQUEST)));
        ptr = reinterpret_cast<uint64_t>(arena.guard1() - before);
        where = "straddling (" + std::to_string(before) + " bytes mapped)";
    } else if (k < 88) {
        uint32_t off = r.below(kPage);
        ptr = reinterpret_cast<uint64_t>(arena.ro() + off);
        where = "read-only+" + std::to_string(off);
    } else {
        ptr = bad_address(r, where);
    }
    x.h.request = ptr;
    x.h.request_len = len;
    x.req_what = where + " 0x" + [&] { char b[20]; std::snprintf(b, sizeof(b), "%" PRIx64, ptr); return std::string(b); }() +
                 " len " + std::to_string(len);
    if (len > DTCP_MAX_REQUEST)
        x.e.must(EMSGSIZE, "request longer than DTCP_MAX_REQUEST");
    if (len && !ptr)
        x.e.must(EINVAL, "request_len without a request");
    else if (len && !arena.ok(ptr, len, false))
        x.e.must(EFAULT, "request not readable");
}

uint32_t pick_timeout(Rng& r, bool may_wait)
{
    if (!may_wait) {  // never waited for: anything
        switch (r.below(4)) {
        case 0: return 0;
        case 1: return r.range(1, 100);
        case 2: return 0xffffffff;
        default: return r.u32();
        }
    }
    unsigned k = r.below(1000);
    if (k < 5)
        return 0;  // the default: DTCP_ANSWER_MS
    if (k < 50)
        return r.range(31, 300);
    return r.range(1, 30);
}

// The struct fields besides the fd, node and request.
void mutate_struct(Rng& r, Handoff& x)
{
    if (r.pct(7)) {
        x.h.size = r.pct(50) ? r.pick<uint32_t>({0, 1, 32, 40, 44, 47, 49, 56, 64, 0xffffffff}) : r.u32();
        if (x.h.size != kHandoffSize)
            x.e.must(EINVAL, "size " + std::to_string(x.h.size));
    }
    if (r.pct(5)) {
        x.h.flags = r.pct(50) ? 1u << r.below(32) : r.u32() | 1;
        x.e.must(EINVAL, "flags");
    }
    if (r.pct(5)) {
        x.h.reserved[r.below(2)] = r.pct(50) ? 1ULL << r.below(64) : r.u64() | 1;
        x.e.must(EINVAL, "reserved field");
    }
}

std::string describe(const Handoff& x, int sockfd, const char* extra = "")
{
    char b[1024];
    std::snprintf(b, sizeof(b),
                  "HANDOFF(fd %d, %s 0x%" PRIx64 ": size %u flags 0x%x sockfd %d [%s] %s request %s timeout %u ms "
                  "reserved %" PRIx64 "/%" PRIx64 ")%s",
                  x.f->fd, x.p.where.c_str(), x.p.addr, x.h.size, x.h.flags, sockfd, kinds[x.kind].name,
                  x.node_what.c_str(), x.req_what.c_str(), x.h.timeout_ms, uint64_t(x.h.reserved[0]), uint64_t(x.h.reserved[1]), extra);
    return b;
}

// Run it and judge it; returns the errno (0: success).
int run_handoff(Rng& r, Handoff& x, const char* extra = "")
{
    x.p = place(r, &x.h, kHandoffSize, x.kind == K_VIP ? 5 : 15);
    if (!x.p.readable) {
        x.e.hard.clear();
        x.e.soft.clear();
        x.e.must(EFAULT, "structure not readable");
    }
    std::snprintf(desc, sizeof(desc), "%s", describe(x, x.h.sockfd, extra).c_str());
    handoff_kinds[kinds[x.kind].name]++;
    auto res = watched_ioctl(r, x.f->fd, DTCP_IOC_HANDOFF, x.p.addr, x.bound_ms);
    judge("HANDOFF", res.rc, res.err, x.e);
    if (res.err == ETIMEDOUT) {
        n_timeouts++;
        uint32_t t = x.h.timeout_ms ? x.h.timeout_ms : kDefaultAnswerMs;
        // msecs_to_jiffies rounds up; jiffies tick at >= 100 Hz.
        if (res.ns / 1000000 + 10 < t)
            fail("ETIMEDOUT after %" PRId64 " ms, before the %u ms timeout", res.ns / 1000000, t);
    }
    if (res.err == EBUSY)
        n_busy++;
    return res.rc == 0 ? 0 : res.err;
}

DtcpFile& pick_file(Rng& r) { return files[r.below(static_cast<uint32_t>(files.size()))]; }

// After every hand-off, no hand-off is in flight (the live counter is
// decremented before the ioctl returns).
void check_no_handoff_in_flight(const char* when)
{
    auto s = status();
    if (live(s, "handoffs"))
        fail("%s: %u hand-offs in flight, none expected", when, live(s, "handoffs"));
}

void op_handoff(Rng& r)
{
    Handoff x;
    x.f = &pick_file(r);
    x.h.size = kHandoffSize;
    // A kind that exists here.
    do
        x.kind = static_cast<Kind>(r.below(K_COUNT));
    while (x.kind != K_VIP && x.kind != K_MINUS1 && x.kind != K_CLOSED && x.kind != K_HUGE &&
           x.kind != K_DTCP && kind_fds[x.kind].empty());
    Pair* pair = nullptr;
    int sockfd = -1;
    switch (x.kind) {
    case K_MINUS1: sockfd = r.pick<int>({-1, -1, -2, INT_MIN}); break;
    case K_HUGE: sockfd = r.pick<int>({INT_MAX, 1 << 20, 65535, static_cast<int>(r.range(100000, INT_MAX))}); break;
    case K_CLOSED: sockfd = -1; break;  // made just before the call
    case K_DTCP: sockfd = pick_file(r).fd; break;
    case K_VIP: {
        pair = &vip_pairs[r.below(static_cast<uint32_t>(vip_pairs.size()))];
        sockfd = r.pct(50) ? pair->b : pair->a;
        break;
    }
    default: sockfd = kind_fds[x.kind][r.below(static_cast<uint32_t>(kind_fds[x.kind].size()))]; break;
    }
    if (kinds[x.kind].err == EBADF)
        x.e.must(EBADF, kinds[x.kind].why), x.e.may(EINVAL, "bad arguments");
    else if (kinds[x.kind].err)
        x.e.must(kinds[x.kind].err, kinds[x.kind].why);
    uint32_t node = pick_node(r, x.e, x.node_what, false);
    x.h.node_id = node;
    pick_request(r, x, false);
    mutate_struct(r, x);
    // Only a connection to the VIP can get to the wait: bounded timeouts.
    x.h.timeout_ms = pick_timeout(r, x.kind == K_VIP);
    if (x.kind == K_VIP && r.pct(1))
        x.h.timeout_ms = DTCP_MAX_ANSWER_MS + 1 + r.below(1000);
    if (x.h.timeout_ms > DTCP_MAX_ANSWER_MS)
        x.e.must(EINVAL, "timeout_ms above DTCP_MAX_ANSWER_MS");
    bool unacked = false;
    if (x.kind == K_VIP) {
        x.bound_ms = kQuiesceMs + (x.h.timeout_ms ? x.h.timeout_ms : kDefaultAnswerMs) + kSlackMs;
        unacked = outq(sockfd) > 0;
        if (x.e.hard.empty()) {
            x.e.natural = ETIMEDOUT;
            x.e.natural_why = "the peer never answers";
            if (unacked)
                x.e.may(EBUSY, "unacknowledged data");
        }
    }
    if (x.kind == K_CLOSED) {
        sockfd = dup(kind_fds[K_DEVNULL][0]);
        if (sockfd < 0)
            fail("dup: %s", std::strerror(errno));
        ::close(sockfd);
    }
    x.h.sockfd = sockfd;
    int err = run_handoff(r, x);
    if (pair) {
        n_usable_checks++;
        check_usable(r, *pair, "after a failed hand-off");
        if (err == ETIMEDOUT || err == EBUSY)
            check_no_handoff_in_flight("after a hand-off to a silent peer");
    }
}

// A hand-off that reaches the tunnel: an established connection to the VIP,
// a silent peer, valid arguments; sometimes with a second thread racing it.
enum class Race { None, Close, WriteBlocking, WriteNonblocking, HandoffSame, HandoffOther };
const char* race_name(Race a)
{
    switch (a) {
    case Race::None: return "";
    case Race::Close: return " racing close(sockfd)";
    case Race::WriteBlocking: return " racing a blocking write";
    case Race::WriteNonblocking: return " racing a non-blocking write";
    case Race::HandoffSame: return " racing a hand-off of the same socket";
    case Race::HandoffOther: return " racing a hand-off of the other end";
    }
    return "";
}

struct RacerOut {
    std::atomic<bool> done{false};
    ssize_t wrote = 0;
    int err = 0;
    int rc = 0;
    int64_t ns = 0;
    std::string why;  // a failure found by the racer
};

void deliberate_handoff(Rng& r)
{
    Handoff x;
    x.f = &pick_file(r);
    x.kind = K_VIP;
    x.h.size = kHandoffSize;
    size_t pi = r.below(static_cast<uint32_t>(vip_pairs.size()));
    Pair pair = vip_pairs[pi];
    bool side = r.pct(50);
    int sockfd = side ? pair.b : pair.a, other = side ? pair.a : pair.b;
    x.h.sockfd = sockfd;
    x.h.node_id = pick_node(r, x.e, x.node_what, true);
    pick_request(r, x, true);
    x.h.timeout_ms = pick_timeout(r, true);
    x.bound_ms = kQuiesceMs + (x.h.timeout_ms ? x.h.timeout_ms : kDefaultAnswerMs) + kSlackMs;
    x.e.natural = ETIMEDOUT;
    x.e.natural_why = "the peer never answers";
    if (outq(sockfd) > 0)
        x.e.may(EBUSY, "unacknowledged data");

    Race race = Race::None;
    if (r.pct(50))
        race = r.pick<Race>({Race::Close, Race::WriteBlocking, Race::WriteBlocking, Race::WriteNonblocking,
                             Race::HandoffSame, Race::HandoffOther});
    uint32_t answer = x.h.timeout_ms ? x.h.timeout_ms : kDefaultAnswerMs;
    unsigned delay_us = r.below(std::min<uint32_t>(answer, 50) * 1000 + 1);
    std::vector<uint8_t> wbuf(r.range(1, 4000));
    r.fill(wbuf.data(), wbuf.size());
    dtcp_ioc_handoff h2{};
    h2.size = kHandoffSize;
    h2.sockfd = race == Race::HandoffOther ? other : sockfd;
    h2.node_id = silent_peers[r.below(static_cast<uint32_t>(silent_peers.size()))];
    h2.timeout_ms = r.range(1, 20);
    int h2_file = pick_file(r).fd;
    bool h2_unacked = race == Race::HandoffOther && outq(other) > 0;
    switch (race) {
    case Race::Close: x.e.may(EBADF, "closed by the racing thread before the call"); break;
    case Race::WriteBlocking: case Race::WriteNonblocking: x.e.may(EBUSY, "data written meanwhile"); break;
    case Race::HandoffSame: x.e.may(EBUSY, "the same socket handed off meanwhile"); break;
    default: break;
    }
    iter_deadline.store(now_ns() + (x.bound_ms + 4 * kXferTimeoutMs + 30000) * 1000000, std::memory_order_release);
    RacerOut ro;
    std::thread racer;
    if (race != Race::None) {
        n_races++;
        racer = quiet_thread([&] {
            usleep(delay_us);
            int64_t t0 = now_ns();
            switch (race) {
            case Race::Close:
                ro.rc = ::close(sockfd);
                ro.err = ro.rc ? errno : 0;
                break;
            case Race::WriteBlocking:
            case Race::WriteNonblocking:
                ro.wrote = send(sockfd, wbuf.data(), wbuf.size(),
                                MSG_NOSIGNAL | (race == Race::WriteNonblocking ? MSG_DONTWAIT : 0));
                ro.err = ro.wrote < 0 ? errno : 0;
                break;
            case Race::HandoffSame:
            case Race::HandoffOther:
                ro.rc = ::ioctl(h2_file, DTCP_IOC_HANDOFF, &h2);
                ro.err = ro.rc ? errno : 0;
                break;
            default:
                break;
            }
            ro.ns = now_ns() - t0;
            ro.done.store(true, std::memory_order_release);
        });
    }
    int err = run_handoff(r, x, race_name(race));
    if (race != Race::None) {
        // The racer ends soon after the hand-off: a blocked writer is woken
        // when the connection is home again.
        int64_t until = now_ns() + (kQuiesceMs + 20 + kSlackMs) * 1000000;
        while (!ro.done.load(std::memory_order_acquire)) {
            if (now_ns() > until)
                fail("the racing thread (%s) has not returned %" PRId64 " ms after the hand-off did",
                     race_name(race) + 1, kQuiesceMs + 20 + kSlackMs);
            usleep(1000);
        }
        racer.join();
    }
    std::snprintf(desc, sizeof(desc), "%s", describe(x, sockfd, race_name(race)).c_str());
    switch (race) {
    case Race::Close: {
        owned.erase(sockfd);
        if (ro.rc)
            fail("close during a hand-off: %s", std::strerror(ro.err));
        expect_eof(other, "connection closed during a hand-off");
        close_owned(other);
        vip_pairs[pi] = new_vip_pair();
        check_no_handoff_in_flight("after a hand-off whose socket was closed");
        return;
    }
    case Race::WriteBlocking:
    case Race::WriteNonblocking:
        if (ro.wrote < 0 && !(race == Race::WriteNonblocking && ro.err == EAGAIN))
            fail("write during a hand-off: %s", std::strerror(ro.err));
        if (ro.wrote >= 0 && static_cast<size_t>(ro.wrote) != wbuf.size())
            fail("write during a hand-off wrote %zd of %zu bytes", ro.wrote, wbuf.size());
        if (ro.wrote > 0)
            recv_exact(other, wbuf.data(), wbuf.size(), "write during a hand-off");
        break;
    case Race::HandoffSame:
    case Race::HandoffOther: {
        Expect e2;
        e2.natural = ETIMEDOUT;
        if (race == Race::HandoffSame)
            e2.may(EBUSY, "the same socket handed off meanwhile");
        if (h2_unacked || err == EBUSY)
            e2.may(EBUSY, "unacknowledged data");
        std::snprintf(desc, sizeof(desc), "racing HANDOFF(fd %d, sockfd %d, node %u, timeout %u ms) of the %s",
                      h2_file, h2.sockfd, h2.node_id, h2.timeout_ms, race == Race::HandoffSame ? "same socket" : "other end");
        judge("HANDOFF (racing)", ro.rc, ro.err, e2);
        if (ro.ns > (kQuiesceMs + h2.timeout_ms + kSlackMs) * 1000000)
            fail("the racing hand-off took %" PRId64 " ms", ro.ns / 1000000);
        if (ro.err == ETIMEDOUT)
            n_timeouts++;
        if (ro.err == EBUSY)
            n_busy++;
        break;
    }
    default:
        break;
    }
    (void)err;
    n_usable_checks++;
    check_usable(r, pair, race == Race::None ? "after a hand-off to a silent peer"
                                             : "after a hand-off to a silent peer, raced");
    check_no_handoff_in_flight("after a hand-off to a silent peer");
}

// ---------------------------------------------------------------------------
// Health: what the module holds matches what the fuzzer holds.

void check_files_poll()
{
    for (auto& f : files) {
        pollfd p{f.fd, POLLIN | POLLOUT | POLLPRI, 0};
        int n = poll(&p, 1, 0);
        if (n < 0)
            fail("poll on /dev/dtcp fd %d: %s", f.fd, std::strerror(errno));
        if (n && p.revents)
            fail("/dev/dtcp fd %d%s polls 0x%x, nothing was ever handed to this node", f.fd,
                 f.listening ? " (listening)" : "", p.revents);
    }
}

void health(Rng& r, bool final)
{
    n_checks++;
    desc[0] = 0;
    check_files_poll();
    // The live counters: every /dev/dtcp file is ours; nothing in flight;
    // connection entries go asynchronously (RCU, a worker): poll.
    dtcp::Status s;
    for (int i = 0;; i++) {
        s = status();
        if (live(s, "conns") == 0 || i >= 500)
            break;
        usleep(10000);
    }
    if (live(s, "files") != files.size())
        fail("live counter files = %u, the fuzzer holds %zu /dev/dtcp files", live(s, "files"), files.size());
    if (live(s, "handoffs") || live(s, "conns"))
        fail("live counters: %u hand-offs, %u connection entries; none expected", live(s, "handoffs"),
             live(s, "conns"));
    if (s.node_id.value_or(0) != self_id)
        fail("the node id changed to %u", s.node_id.value_or(0));
    auto conns = ctl->conns();
    if (!conns)
        fail("GET_CONNS: %s", conns.error().describe().c_str());
    if (!conns->empty())
        fail("GET_CONNS lists %zu connections, none expected", conns->size());
    // The statistics of this namespace: each ETIMEDOUT seen is one started
    // hand-off that timed out and failed; none completed; an EBUSY may have
    // been refused after the freeze (failed, never started).
    uint64_t started = stat_of(s, "handoff_started") - stats_base_started;
    uint64_t timeout = stat_of(s, "handoff_timeout") - stats_base_timeout;
    uint64_t failed = stat_of(s, "handoff_failed") - stats_base_failed;
    uint64_t done = stat_of(s, "handoff_done") - stats_base_done;
    if (started != n_timeouts || timeout != n_timeouts || done || failed < n_timeouts || failed > n_timeouts + n_busy)
        fail("statistics: handoff_started +%" PRIu64 ", handoff_timeout +%" PRIu64 ", handoff_failed +%" PRIu64
             ", handoff_done +%" PRIu64 "; the fuzzer saw %" PRIu64 " ETIMEDOUT and %" PRIu64 " EBUSY",
             started, timeout, failed, done, n_timeouts, n_busy);
    // No fd appeared or went (a failed ACCEPT installs none).
    std::set<int> want = fds_before;
    want.insert(owned.begin(), owned.end());
    std::set<int> have = list_fds();
    if (have != want) {
        std::string extra, missing;
        for (int fd : have)
            if (!want.count(fd))
                extra += " " + std::to_string(fd);
        for (int fd : want)
            if (!have.count(fd))
                missing += " " + std::to_string(fd);
        fail("open fds differ from the fuzzer's: unexpected [%s ], missing [%s ]", extra.c_str(), missing.c_str());
    }
    if (!arena.hole_unmapped())
        fail("the unmapped hole got mapped (the fuzzer's own problem)");
    if (!final)
        for (auto& p : vip_pairs) {
            n_usable_checks++;
            check_usable(r, p, "health check");
        }
}

void pool_op(Rng& r)
{
    unsigned k = r.below(100);
    desc[0] = 0;
    if (k < 30) {
        if (files.size() < kMaxFiles)
            open_file(r);
    } else if (k < 55) {
        if (files.size() > 1) {
            size_t i = r.below(static_cast<uint32_t>(files.size()));
            std::snprintf(desc, sizeof(desc), "close(/dev/dtcp fd %d%s)", files[i].fd,
                          files[i].listening ? ", listening" : "");
            call_deadline.store(now_ns() + kFastBoundMs * 1000000, std::memory_order_release);
            close_owned(files[i].fd);
            call_deadline.store(0, std::memory_order_release);
            files.erase(files.begin() + static_cast<long>(i));
        }
    } else if (k < 75) {
        check_files_poll();
    } else if (k < 88) {  // a new connection for an old one (handed off before, maybe)
        size_t i = r.below(static_cast<uint32_t>(vip_pairs.size()));
        std::snprintf(desc, sizeof(desc), "close(connection fds %d, %d)", vip_pairs[i].a, vip_pairs[i].b);
        call_deadline.store(now_ns() + kFastBoundMs * 1000000, std::memory_order_release);
        close_owned(vip_pairs[i].a);
        close_owned(vip_pairs[i].b);
        call_deadline.store(0, std::memory_order_release);
        vip_pairs[i] = new_vip_pair();
    } else {
        n_usable_checks++;
        check_usable(r, vip_pairs[r.below(static_cast<uint32_t>(vip_pairs.size()))], "connection check");
    }
}

void iteration(uint64_t i)
{
    Rng r(splitmix(opt.seed ^ splitmix(i)));
    iter_deadline.store(now_ns() + int64_t(4 * kXferTimeoutMs + kQuiesceMs + kDefaultAnswerMs + 2 * kSlackMs) * 1000000,
                        std::memory_order_release);
    unsigned k = r.below(1000);
    if (k < 6)
        deliberate_handoff(r);
    else if (k < 150)
        op_bad_cmd(r, pick_file(r));
    else if (k < 290)
        op_info(r, pick_file(r));
    else if (k < 400)
        op_listen(r, pick_file(r));
    else if (k < 560)
        op_accept(r, pick_file(r));
    else if (k < 960)
        op_handoff(r);
    else
        pool_op(r);
    iter_deadline.store(0, std::memory_order_release);
}

void close_all()
{
    desc[0] = 0;
    for (auto& f : files)
        close_owned(f.fd);
    files.clear();
    for (auto& p : vip_pairs) {
        close_owned(p.a);
        close_owned(p.b);
    }
    vip_pairs.clear();
    for (auto& v : kind_fds) {
        for (int fd : v)
            if (owned.count(fd))
                close_owned(fd);
        v.clear();
    }
    for (int fd : spare)
        close_owned(fd);
    spare.clear();
    if (!owned.empty())
        fail("%zu fds left after closing everything", owned.size());
}

}  // namespace

int main(int argc, char** argv)
{
    CLI::App app{"dtcp-ioctl-fuzz: random ioctls on /dev/dtcp, checked against <linux/dtcp.h>"};
    app.add_option("--seed", opt.seed, "PRNG seed (default: random, printed)");
    app.add_option("--iterations", opt.iterations, "stop after N iterations");
    app.add_option("--seconds", opt.seconds, "stop after T seconds");
    app.add_option("--from", opt.from, "first iteration number");
    app.add_option("--check-every", opt.check_every, "health check every K iterations")->check(CLI::PositiveNumber);
    app.add_flag("-v,--verbose", opt.verbose, "print every call");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    opt.seed_given = app.count("--seed") > 0;
    if (!opt.iterations && opt.seconds <= 0)
        setup_error("give --iterations or --seconds (or both)");
    if (!opt.seed_given) {
        std::random_device rd;
        opt.seed = (uint64_t(rd()) << 32 | rd()) & 0xffffffffffffULL;
    }
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa{};
    sa.sa_handler = on_alarm;  // no SA_RESTART: a blocking ACCEPT ends with EINTR
    sigaction(SIGALRM, &sa, nullptr);

    {
        auto c = dtcp::Control::open();
        if (!c)
            setup_error("%s", c.error().describe().c_str());
        ctl.emplace(std::move(c.value()));
    }
    auto s0 = status();
    if (!s0.node_id || !s0.vip || !*s0.vip)
        setup_error("the node is not configured (node id and VIP needed)");
    self_id = *s0.node_id;
    vip = *s0.vip;
    auto peers = ctl->peers();
    if (!peers)
        setup_error("GET_PEERS: %s", peers.error().describe().c_str());
    for (auto& p : *peers) {
        peer_ids.insert(p.id);
        if (p.up) {
            silent_peers.push_back(p.id);
            silent_addr = p.addr;
        } else {
            down_peers.push_back(p.id);
        }
    }
    if (silent_peers.empty())
        setup_error("no peer is up (one up at an address where nothing answers is needed)");
    if (live(s0, "files") || live(s0, "handoffs") || live(s0, "conns"))
        setup_error("the module is in use (files %u, hand-offs %u, connections %u): run the fuzzer alone",
                    live(s0, "files"), live(s0, "handoffs"), live(s0, "conns"));
    stats_base_started = stat_of(s0, "handoff_started");
    stats_base_timeout = stat_of(s0, "handoff_timeout");
    stats_base_failed = stat_of(s0, "handoff_failed");
    stats_base_done = stat_of(s0, "handoff_done");

    fds_before = list_fds();
    arena.init();
    std::thread wd = quiet_thread(watchdog);
    wd.detach();
    setup_sockets();
    {
        Rng r(splitmix(opt.seed ^ 0x66696c6573ULL));
        size_t n = 1 + r.below(3);
        for (size_t i = 0; i < n; i++)
            open_file(r);
    }
    std::string sk;
    for (auto& k : skipped_kinds)
        sk += "; no " + k;
    std::fprintf(stderr, "ioctl-fuzz: seed %" PRIu64 ", node %u, VIP %s, silent peers %zu, down peers %zu%s\n",
                 opt.seed, self_id, dtcp::ip4_str(vip).c_str(), silent_peers.size(), down_peers.size(), sk.c_str());

    Rng hr(splitmix(opt.seed ^ 0x6865616c7468ULL));
    int64_t start = now_ns();
    auto elapsed = [&] { return double(now_ns() - start) / 1e9; };
    uint64_t done = fuzz::run_iterations(opt.from, opt.iterations, opt.seconds, opt.check_every, cur_iter,
                                         in_iteration, iteration, [&] { health(hr, false); });
    double secs = elapsed();
    health(hr, false);
    close_all();
    // Everything closed: no file left, and no fd besides those before.
    health(hr, true);

    std::fprintf(stderr,
                 "ioctl-fuzz: seed %" PRIu64 ": %" PRIu64 " iterations (%" PRIu64 "..%" PRIu64 ") in %.1f s (%.0f/s), "
                 "%" PRIu64 " ioctls; %" PRIu64 " hand-offs timed out at the silent peer (%" PRIu64 " raced), %" PRIu64
                 " EBUSY; %" PRIu64 " blocking ACCEPTs interrupted; %" PRIu64 " INFO ok; %" PRIu64
                 " connection checks; %" PRIu64 " health checks; slowest fast call %.1f ms\n",
                 opt.seed, done, opt.from, done ? opt.from + done - 1 : opt.from, secs, secs > 0 ? done / secs : 0.0,
                 n_calls, n_timeouts, n_races, n_busy, n_accept_intr, n_info_ok, n_usable_checks, n_checks,
                 max_fast_ns / 1e6);
    for (auto& [op, st] : op_stats) {
        std::string res;
        for (auto& [e, n] : st.results)
            res += std::string(" ") + ename(e) + "=" + std::to_string(n);
        std::fprintf(stderr, "ioctl-fuzz:   %-16s %7" PRIu64 " calls:%s\n", op.c_str(), st.calls, res.c_str());
    }
    std::string hk;
    for (auto& [k, n] : handoff_kinds)
        hk += " [" + k + "]=" + std::to_string(n);
    std::fprintf(stderr, "ioctl-fuzz:   HANDOFF sockfd kinds:%s\n", hk.c_str());
    std::printf("PASS seed %" PRIu64 " iterations %" PRIu64 "\n", opt.seed, done);
    return 0;
}
