// dtcp-nl-fuzz: sends random generic-netlink messages to the live dtcp.ko
// (family "dtcp") and checks that it answers every one of them correctly.
//
//   dtcp-nl-fuzz [--seed S] [--iterations N] [--seconds T] [--from I]
//                [--check-every K] [--timeout-ms MS] [--unprivileged] [-v] [--show]
//
// Each iteration sends one datagram of one to three messages: every command
// number (unknown ones just past the last included), DUMP or not, random
// header flags, version and reserved bytes, and random attribute sets (valid
// types with boundary values and wrong sizes, unknown types, garbage nests,
// duplicates, truncated attributes and headers).  Then it reads every reply
// with a timeout (a hang is a failure) and checks:
//   - every reply belongs to a message sent, is well formed, and each
//     framed request ends with exactly one ACK, error or NLMSG_DONE;
//   - errors are negative errno values; unknown commands, unknown or
//     UNSPEC attribute types and dump/do mismatches are refused;
//   - a request that was refused changed nothing (status and peers);
//   - events on the "events" multicast group are well formed.
// Every K iterations and at the end: a well-formed GET_STATUS, both dumps,
// and (privileged) a configuration change seen in status and as an event on
// a freshly subscribed socket.
//
// Iteration I of seed S is generated from (S, I) alone; the module's state
// depends on the iterations before it, so a failure is reproduced with
// --seed S --iterations I+1 in a fresh network namespace (printed on failure).
// --show prints what the iterations send, without sending anything.
// Exit status: 0 pass, 1 the module misbehaved, 2 usage or setup error.
// Must run in a throwaway network namespace: valid SET commands change the
// node's configuration.
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/dtcp.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <poll.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "dtcp/netlink.hpp"

#include "fuzz.hpp"

namespace {

// ---------------------------------------------------------------------------
// Options and failure reporting

struct Options {
    uint64_t seed = 0;
    bool seed_given = false;
    uint64_t iterations = 0;  // 0: unbounded (then --seconds bounds the run)
    uint64_t from = 0;
    double seconds = 0;
    uint64_t check_every = 100;
    int timeout_ms = 10000;
    bool unprivileged = false;
    bool verbose = false;
    bool show = false;  // print the messages, send nothing
};

Options opt;
uint64_t cur_iter = 0;
constexpr uint16_t kBusyPort = 7401;  // a UDP port the fuzzer holds itself
bool in_iteration = false;

[[noreturn]] void fail(const char* fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    std::fprintf(stderr, "nl-fuzz: FAIL");
    if (in_iteration)
        std::fprintf(stderr, " at iteration %" PRIu64, cur_iter);
    std::fprintf(stderr, ": ");
    std::vfprintf(stderr, fmt, ap);
    std::fprintf(stderr, "\n");
    va_end(ap);
    std::fprintf(stderr, "nl-fuzz: reproduce (in a fresh network namespace): dtcp-nl-fuzz --seed %" PRIu64 " --iterations %" PRIu64 "%s\n",
                 opt.seed, cur_iter + 1, opt.unprivileged ? " --unprivileged" : "");
    std::exit(1);
}

[[noreturn]] void setup_error(const char* fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    std::fprintf(stderr, "nl-fuzz: ");
    std::vfprintf(stderr, fmt, ap);
    std::fprintf(stderr, "\n");
    va_end(ap);
    std::exit(2);
}

// ---------------------------------------------------------------------------
// Randomness: fuzz.hpp.
using fuzz::Rng;
using fuzz::splitmix;

// ---------------------------------------------------------------------------
// Message building (raw bytes: the fuzzer must be able to lie)

using Bytes = std::vector<uint8_t>;

void put_attr_raw(Bytes& b, uint16_t type, const void* data, size_t len, int nla_len_override = -1)
{
    nlattr h{};
    h.nla_len = nla_len_override >= 0 ? static_cast<uint16_t>(nla_len_override)
                                      : static_cast<uint16_t>(NLA_HDRLEN + len);
    h.nla_type = type;
    size_t off = b.size();
    b.resize(off + NLA_HDRLEN + NLA_ALIGN(len), 0);
    std::memcpy(b.data() + off, &h, sizeof(h));
    if (len)
        std::memcpy(b.data() + off + NLA_HDRLEN, data, len);
}

template <typename T>
void put_attr(Bytes& b, uint16_t type, T v) { put_attr_raw(b, type, &v, sizeof(v)); }

Bytes random_bytes(Rng& r, size_t n)
{
    Bytes b(n);
    for (auto& c : b)
        c = static_cast<uint8_t>(r.u64());
    return b;
}

// A payload for an attribute expected to be an integer of @size bytes:
// usually the right size with a boundary or random value, sometimes not.
Bytes int_payload(Rng& r, size_t size, std::initializer_list<uint64_t> interesting)
{
    size_t n = size;
    if (r.pct(15))
        n = r.pick<size_t>({0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 64});
    uint64_t v;
    switch (r.below(4)) {
    case 0: v = *(interesting.begin() + r.below(static_cast<uint32_t>(interesting.size()))); break;
    case 1: v = r.below(10); break;
    case 2: v = r.u64(); break;
    default: v = ~0ULL >> (64 - 8 * std::min<size_t>(size, 8)); break;
    }
    Bytes b(n, 0);
    std::memcpy(b.data(), &v, std::min<size_t>(n, 8));
    if (n > 8)
        for (size_t i = 8; i < n; i++)
            b[i] = static_cast<uint8_t>(r.u64());
    return b;
}

Bytes garbage(Rng& r)
{
    size_t n = r.pick<size_t>({0, 1, 3, 4, 5, 8, 17, 32, 255, 1024, 3000});
    Bytes b = random_bytes(r, n);
    if (r.pct(30) && n >= 4) {  // something that looks like a string without NUL
        for (auto& c : b)
            c = static_cast<uint8_t>('a' + c % 26);
    }
    return b;
}

void add_peer_attrs(Rng& r, Bytes& b, int depth);

// Attributes of the top level (@peer false) or of a PEER nest (@peer true).
void add_attrs(Rng& r, Bytes& b, bool peer, int depth)
{
    const uint16_t max = peer ? DTCP_PEER_A_MAX : DTCP_A_MAX;
    unsigned n = r.pick<unsigned>({0, 1, 1, 2, 2, 3, 4, 6});
    for (unsigned i = 0; i < n; i++) {
        uint16_t type;
        unsigned k = r.below(100);
        if (k < 75)
            type = static_cast<uint16_t>(1 + r.below(max));
        else if (k < 83)
            type = 0;
        else if (k < 93)
            type = static_cast<uint16_t>(max + 1 + r.below(4));
        else
            type = static_cast<uint16_t>(r.below(NLA_TYPE_MASK + 1));
        // Flag bits: nests should carry NLA_F_NESTED, others nothing.
        uint16_t flags = 0;
        if (r.pct(5))
            flags = r.pick<uint16_t>({NLA_F_NESTED, NLA_F_NET_BYTEORDER, NLA_F_NESTED | NLA_F_NET_BYTEORDER});

        Bytes p;
        bool raw_len = false;
        if (!peer) {
            switch (type) {
            case DTCP_A_NODE_ID: p = int_payload(r, 4, {0, 1, 2, 3, DTCP_NODE_ID_MAX, DTCP_NODE_ID_MAX + 1, 0xffffffff}); break;
            case DTCP_A_TUNNEL_PORT: p = int_payload(r, 2, {0, 1, 7400, 7401, 65535}); break;
            case DTCP_A_CLUSTER_KEY: p = random_bytes(r, r.pct(70) ? DTCP_KEY_LEN : r.pick<size_t>({0, 1, 16, 31, 33, 64})); break;
            case DTCP_A_VIP: p = int_payload(r, 4, {0, 0xffffffff, 0x640012c6 /* 198.18.0.100 */}); break;
            case DTCP_A_DAEMON: p = int_payload(r, 1, {0, 1, 2, 255}); break;
            case DTCP_A_PEER:
                if (r.pct(85)) {
                    add_peer_attrs(r, p, depth + 1);
                    if (!r.pct(10))
                        flags |= NLA_F_NESTED;
                } else {
                    p = garbage(r);
                    flags |= NLA_F_NESTED;
                }
                break;
            case DTCP_A_COUNTERS: case DTCP_A_STATS: case DTCP_A_CONN:
                if (r.pct(50)) {
                    add_attrs(r, p, true, depth + 1);
                    flags |= NLA_F_NESTED;
                } else {
                    p = garbage(r);
                }
                break;
            case DTCP_A_MODULE_VERSION: {
                std::string s = r.pct(50) ? "0.1.0" : std::string(r.below(300), 'x');
                p.assign(s.begin(), s.end());
                if (r.pct(50))
                    p.push_back(0);
                break;
            }
            default: p = r.pct(50) ? int_payload(r, r.pick<size_t>({1, 2, 4, 8}), {0, 1}) : garbage(r); break;
            }
        } else {
            switch (type) {
            case DTCP_PEER_A_ID: p = int_payload(r, 4, {0, 1, 2, 3, 4, 5, DTCP_NODE_ID_MAX, DTCP_NODE_ID_MAX + 1}); break;
            case DTCP_PEER_A_ADDR: p = int_payload(r, 4, {0, 0x0c0013c6, 0x0d0013c6, 0xffffffff}); break;
            case DTCP_PEER_A_PORT: p = int_payload(r, 2, {0, 1, 7400, 65535}); break;
            case DTCP_PEER_A_UP: p = int_payload(r, 1, {0, 1, 2}); break;
            case DTCP_PEER_A_TX: case DTCP_PEER_A_RX: p = int_payload(r, 8, {0, 1}); break;
            default: p = r.pct(50) ? int_payload(r, 4, {0, 1}) : garbage(r); break;
            }
        }
        if (depth > 2)
            p.clear();
        // Occasionally a lying length: shorter than the header, or longer
        // than what follows (a truncated attribute).
        int len_override = -1;
        if (r.pct(3)) {
            raw_len = true;
            len_override = r.pct(50) ? static_cast<int>(r.below(NLA_HDRLEN))
                                     : static_cast<int>(NLA_HDRLEN + p.size() + 1 + r.below(64));
        }
        put_attr_raw(b, static_cast<uint16_t>(type | flags), p.data(), p.size(), len_override);
        if (raw_len)
            return;  // what follows would be misread anyway
        if (r.pct(8)) {  // duplicate
            size_t one = NLA_HDRLEN + NLA_ALIGN(p.size());
            Bytes dup(b.end() - static_cast<long>(one), b.end());
            b.insert(b.end(), dup.begin(), dup.end());
        }
    }
    if (r.pct(3)) {  // trailing bytes shorter than an attribute header
        size_t n = 1 + r.below(3);
        for (size_t i = 0; i < n; i++)
            b.push_back(static_cast<uint8_t>(r.u64()));
    }
}

// A well-formed request of a real command, mostly with valid values: this
// is what reaches the handlers past the policy.
void add_plausible_attrs(Rng& r, Bytes& b, uint8_t cmd)
{
    switch (cmd) {
    case DTCP_CMD_SET_CONFIG:
        if (r.pct(50))
            put_attr<uint32_t>(b, DTCP_A_NODE_ID, r.pct(90) ? 1 + r.below(6) : DTCP_NODE_ID_MAX);
        if (r.pct(40)) {
            Bytes k = random_bytes(r, DTCP_KEY_LEN);
            put_attr_raw(b, DTCP_A_CLUSTER_KEY, k.data(), k.size());
            // With a port that cannot be opened: the key must not change.
            if (r.pct(30))
                put_attr<uint16_t>(b, DTCP_A_TUNNEL_PORT, kBusyPort);
        }
        if (r.pct(40))
            put_attr<uint16_t>(b, DTCP_A_TUNNEL_PORT, r.pick<uint16_t>({7400, kBusyPort, 7402, kBusyPort, 65535}));
        if (r.pct(40))
            put_attr<uint32_t>(b, DTCP_A_VIP, htonl(0xc6120000 | r.below(256)));
        break;
    case DTCP_CMD_SET_PEER:
    case DTCP_CMD_DEL_PEER: {
        Bytes n;
        put_attr<uint32_t>(n, DTCP_PEER_A_ID, r.pct(90) ? 1 + r.below(6) : 1 + r.below(DTCP_NODE_ID_MAX));
        if (cmd == DTCP_CMD_SET_PEER) {
            if (r.pct(85))
                put_attr<uint32_t>(n, DTCP_PEER_A_ADDR, htonl(0xc6130000 | (1 + r.below(254))));
            if (r.pct(40))
                put_attr<uint16_t>(n, DTCP_PEER_A_PORT, static_cast<uint16_t>(7400 + r.below(3)));
            if (r.pct(40))
                put_attr<uint8_t>(n, DTCP_PEER_A_UP, static_cast<uint8_t>(r.below(2)));
        }
        put_attr_raw(b, DTCP_A_PEER | NLA_F_NESTED, n.data(), n.size());
        break;
    }
    case DTCP_CMD_SET_DAEMON:
        if (r.pct(70))
            put_attr<uint8_t>(b, DTCP_A_DAEMON, static_cast<uint8_t>(r.below(2)));
        break;
    default:
        break;
    }
    if (r.pct(10))  // one random attribute more
        add_attrs(r, b, false, 1);
}

void add_peer_attrs(Rng& r, Bytes& b, int depth)
{
    // Mostly plausible peers: an id from a small pool, an address, maybe
    // port and state; then the general random scheme.
    if (r.pct(50)) {
        put_attr<uint32_t>(b, DTCP_PEER_A_ID, r.pct(90) ? 1 + r.below(6) : r.below(DTCP_NODE_ID_MAX + 2));
        if (r.pct(80))
            put_attr<uint32_t>(b, DTCP_PEER_A_ADDR, htonl(0xc6130000 | (1 + r.below(254))));
        if (r.pct(40))
            put_attr<uint16_t>(b, DTCP_PEER_A_PORT, static_cast<uint16_t>(r.below(3) ? 7400 + r.below(3) : r.u64()));
        if (r.pct(40))
            put_attr<uint8_t>(b, DTCP_PEER_A_UP, static_cast<uint8_t>(r.below(3)));
        if (r.pct(30))
            add_attrs(r, b, true, depth);
    } else {
        add_attrs(r, b, true, depth);
    }
}

// Parsed view of the top-level attributes we sent: what the kernel must refuse.
bool has_bad_top_type(const uint8_t* p, size_t len)
{
    size_t off = 0;
    while (off + NLA_HDRLEN <= len) {
        nlattr h;
        std::memcpy(&h, p + off, sizeof(h));
        if (h.nla_len < NLA_HDRLEN || off + h.nla_len > len)
            return false;  // malformed: refused anyway, not this check's business
        uint16_t t = h.nla_type & NLA_TYPE_MASK;
        if (t == 0 || t > DTCP_A_MAX)
            return true;
        off += NLA_ALIGN(h.nla_len);
    }
    return false;
}

// ---------------------------------------------------------------------------
// Sockets

struct Sock {
    mnl_socket* nl = nullptr;
    uint32_t portid = 0;
    int fd() const { return mnl_socket_get_fd(nl); }
    void open()
    {
        nl = mnl_socket_open(NETLINK_GENERIC);
        if (!nl)
            setup_error("netlink socket: %s", std::strerror(errno));
        if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
            setup_error("netlink bind: %s", std::strerror(errno));
        portid = mnl_socket_get_portid(nl);
        int one = 1;
        mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
        int rcv = 1 << 20;
        setsockopt(fd(), SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
    }
    void close()
    {
        if (nl)
            mnl_socket_close(nl);
        nl = nullptr;
    }
    // 0 or the errno of sendto; @may_fail: a datagram without a whole
    // message (the core may refuse it, e.g. an empty one).
    int send(const Bytes& b, bool may_fail = false)
    {
        if (mnl_socket_sendto(nl, b.data(), b.size()) >= 0)
            return 0;
        if (!may_fail)
            fail("sendto of %zu bytes: %s", b.size(), std::strerror(errno));
        return errno;
    }
    // One datagram; 0 on timeout, -1 on ENOBUFS (overrun), else its length.
    ssize_t recv(Bytes& buf, int timeout_ms)
    {
        pollfd p{fd(), POLLIN, 0};
        int n = poll(&p, 1, timeout_ms);
        if (n < 0)
            fail("poll: %s", std::strerror(errno));
        if (n == 0)
            return 0;
        ssize_t len = ::recv(fd(), buf.data(), buf.size(), MSG_TRUNC);
        if (len < 0) {
            if (errno == ENOBUFS)
                return -1;
            fail("recv: %s", std::strerror(errno));
        }
        if (static_cast<size_t>(len) > buf.size())
            fail("reply of %zd bytes truncated to %zu", len, buf.size());
        return len;
    }
};

uint16_t family_id = 0;
uint32_t events_group = 0;
Sock sock, mon;
uint32_t next_seq = 1;
Bytes rxbuf(1 << 16);

// Counters for the summary.
uint64_t n_msgs = 0, n_framed = 0, n_acks = 0, n_errors = 0, n_errors_msg = 0, n_dumps = 0,
         n_dump_parts = 0, n_send_refused = 0, n_events = 0, n_overruns = 0, n_checks = 0;
std::map<int, uint64_t> errnos;

bool has_handler(uint8_t cmd, bool dump)
{
    switch (cmd) {
    case DTCP_CMD_GET_STATUS: case DTCP_CMD_SET_CONFIG: case DTCP_CMD_SET_PEER:
    case DTCP_CMD_DEL_PEER: case DTCP_CMD_SET_DAEMON:
        return !dump;
    case DTCP_CMD_GET_PEERS: case DTCP_CMD_GET_CONNS:
        return dump;
    default:
        return false;
    }
}

bool is_admin(uint8_t cmd)
{
    return cmd == DTCP_CMD_SET_CONFIG || cmd == DTCP_CMD_SET_PEER || cmd == DTCP_CMD_DEL_PEER ||
           cmd == DTCP_CMD_SET_DAEMON;
}

struct Pending {
    bool framed = false;  // the kernel must answer it
    bool dump = false;
    uint8_t cmd = 0;
    bool must_fail = false;
    const char* why = "";
    bool done = false;
    int error = 0;        // 0 or a positive errno
    bool got_reply = false;
    unsigned parts = 0;   // dump messages
    std::string extack;
};

Bytes request_header(uint8_t cmd, uint16_t flags, uint32_t seq)
{
    Bytes b(NLMSG_HDRLEN + GENL_HDRLEN, 0);
    auto* nlh = reinterpret_cast<nlmsghdr*>(b.data());
    nlh->nlmsg_type = family_id;
    nlh->nlmsg_flags = flags;
    nlh->nlmsg_seq = seq;
    auto* g = reinterpret_cast<genlmsghdr*>(b.data() + NLMSG_HDRLEN);
    g->cmd = cmd;
    g->version = DTCP_GENL_VERSION;
    return b;
}

void finish_header(Bytes& b)
{
    reinterpret_cast<nlmsghdr*>(b.data())->nlmsg_len = static_cast<uint32_t>(b.size());
}

// Check the attributes of a family message are well formed (one level,
// and the known nests one more level).
bool attrs_well_formed(const nlmsghdr* nlh)
{
    if (nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
        return false;
    const auto* p = reinterpret_cast<const uint8_t*>(nlh) + NLMSG_HDRLEN + GENL_HDRLEN;
    size_t len = nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
    size_t off = 0;
    while (off < len) {
        if (len - off < NLA_HDRLEN)
            return false;
        const auto* a = reinterpret_cast<const nlattr*>(p + off);
        if (a->nla_len < NLA_HDRLEN || a->nla_len > len - off)
            return false;
        if (a->nla_type & NLA_F_NESTED) {
            const auto* q = p + off + NLA_HDRLEN;
            size_t qlen = a->nla_len - NLA_HDRLEN, qo = 0;
            while (qo < qlen) {
                if (qlen - qo < NLA_HDRLEN)
                    return false;
                const auto* b = reinterpret_cast<const nlattr*>(q + qo);
                if (b->nla_len < NLA_HDRLEN || b->nla_len > qlen - qo)
                    return false;
                qo += NLA_ALIGN(b->nla_len);
            }
        }
        off += NLA_ALIGN(a->nla_len);
    }
    return true;
}

// Read replies until every framed request in @pend is answered.
// @on_msg sees each family message (status replies, dump parts).
template <typename F>
void collect(std::map<uint32_t, Pending>& pend, F&& on_msg)
{
    auto outstanding = [&] {
        for (auto& [seq, p] : pend)
            if (p.framed && !p.done)
                return true;
        return false;
    };
    while (outstanding()) {
        ssize_t len = sock.recv(rxbuf, opt.timeout_ms);
        if (len == 0) {
            std::string s;
            for (auto& [seq, p] : pend)
                if (p.framed && !p.done)
                    s += " seq " + std::to_string(seq) + " (cmd " + std::to_string(p.cmd) +
                         (p.dump ? ", dump)" : ")");
            fail("no answer within %d ms to%s", opt.timeout_ms, s.c_str());
        }
        if (len < 0)
            fail("request socket overrun (ENOBUFS)");
        int rem = static_cast<int>(len);
        const auto* nlh = reinterpret_cast<const nlmsghdr*>(rxbuf.data());
        if (!mnl_nlmsg_ok(nlh, rem))
            fail("malformed reply datagram of %zd bytes", len);
        for (; mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem)) {
            auto it = pend.find(nlh->nlmsg_seq);
            if (it == pend.end())
                fail("reply type %u with unknown sequence number %u", nlh->nlmsg_type, nlh->nlmsg_seq);
            Pending& p = it->second;
            if (nlh->nlmsg_pid != sock.portid)
                fail("reply to seq %u addressed to port %u, not %u", nlh->nlmsg_seq, nlh->nlmsg_pid, sock.portid);
            if (p.done && p.framed)
                fail("message type %u after the end of the answer to seq %u", nlh->nlmsg_type, nlh->nlmsg_seq);
            if (nlh->nlmsg_type == NLMSG_ERROR) {
                auto ack = dtcp::nl::parse_ack(nlh);
                if (!ack)
                    fail("undecodable NLMSG_ERROR for seq %u: %s", nlh->nlmsg_seq, ack.error().describe().c_str());
                if (ack->error < 0 || ack->error > 4095)
                    fail("NLMSG_ERROR for seq %u carries error %d", nlh->nlmsg_seq, -ack->error);
                p.error = ack->error;
                p.extack = ack->message;
                p.done = true;
                if (!ack->error && p.dump)
                    fail("plain ACK to the dump request seq %u", nlh->nlmsg_seq);
            } else if (nlh->nlmsg_type == NLMSG_DONE) {
                if (!p.dump)
                    fail("NLMSG_DONE for the non-dump request seq %u", nlh->nlmsg_seq);
                int e = dtcp::nl::done_error(nlh);
                if (e < 0 || e > 4095)
                    fail("NLMSG_DONE for seq %u carries error %d", nlh->nlmsg_seq, e);
                p.error = e;
                p.done = true;
            } else if (nlh->nlmsg_type == family_id) {
                if (!attrs_well_formed(nlh))
                    fail("malformed family message (cmd %u) for seq %u", nlh->nlmsg_len >= NLMSG_HDRLEN + GENL_HDRLEN ?
                         reinterpret_cast<const genlmsghdr*>(mnl_nlmsg_get_payload(nlh))->cmd : 0, nlh->nlmsg_seq);
                const auto* g = static_cast<const genlmsghdr*>(mnl_nlmsg_get_payload(nlh));
                if (p.dump) {
                    if (!(nlh->nlmsg_flags & NLM_F_MULTI))
                        fail("dump part without NLM_F_MULTI for seq %u", nlh->nlmsg_seq);
                    if (g->cmd != p.cmd)
                        fail("dump part cmd %u for a dump of cmd %u", g->cmd, p.cmd);
                    p.parts++;
                } else if (g->cmd != DTCP_CMD_GET_STATUS || p.cmd != DTCP_CMD_GET_STATUS) {
                    fail("reply cmd %u to a request of cmd %u", g->cmd, p.cmd);
                }
                p.got_reply = true;
                on_msg(nlh, p);
            } else {
                fail("reply of unexpected type %u for seq %u", nlh->nlmsg_type, nlh->nlmsg_seq);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Module state (what a refused request must not change)

struct State {
    bool have_node = false, have_port = false, have_vip = false;
    uint32_t node = 0, vip = 0;
    uint16_t port = 0;
    uint8_t key = 0, daemon = 0;
    std::map<uint32_t, std::tuple<uint32_t, uint16_t, uint8_t>> peers;
    uint32_t live[DTCP_CNT_MAX + 1] = {};
    bool operator==(const State& o) const
    {
        return std::tie(have_node, node, have_port, port, have_vip, vip, key, daemon, peers) ==
               std::tie(o.have_node, o.node, o.have_port, o.port, o.have_vip, o.vip, o.key, o.daemon, o.peers);
    }
    std::string str() const
    {
        char buf[160];
        std::snprintf(buf, sizeof(buf), "node %s%u port %s%u vip %08x%s key %u daemon %u peers [",
                      have_node ? "" : "unset:", node, have_port ? "" : "unset:", port, vip,
                      have_vip ? "" : "(unset)", key, daemon);
        std::string s = buf;
        for (auto& [id, v] : peers)
            s += " " + std::to_string(id) + ":" + std::to_string(std::get<0>(v)) + "/" +
                 std::to_string(std::get<1>(v)) + "/" + std::to_string(std::get<2>(v));
        return s + " ]";
    }
};

uint32_t get_u32_exact(const nlattr* a, const char* what)
{
    if (mnl_attr_get_payload_len(a) != 4)
        fail("status: %s has %u bytes", what, mnl_attr_get_payload_len(a));
    return mnl_attr_get_u32(a);
}

// A u8 flag: 0 or 1.
uint8_t get_flag(const nlattr* a, const char* what)
{
    if (mnl_attr_get_payload_len(a) != 1 || mnl_attr_get_u8(a) > 1)
        fail("status: bad %s flag", what);
    return mnl_attr_get_u8(a);
}

void parse_status(const nlmsghdr* nlh, State& s)
{
    bool abi = false, ver = false, key = false, daemon = false, counters = false, stats = false;
    dtcp::nl::for_each_attr(static_cast<const char*>(mnl_nlmsg_get_payload(nlh)) + GENL_HDRLEN,
                            nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN, [&](const nlattr* a) {
        switch (mnl_attr_get_type(a)) {
        case DTCP_A_ABI_VERSION:
            if (get_u32_exact(a, "ABI version") != DTCP_ABI_VERSION)
                fail("status: ABI version %u", mnl_attr_get_u32(a));
            abi = true;
            break;
        case DTCP_A_MODULE_VERSION:
            if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0 || !*mnl_attr_get_str(a))
                fail("status: module version is not a NUL-terminated string");
            ver = true;
            break;
        case DTCP_A_NODE_ID:
            s.have_node = true;
            s.node = get_u32_exact(a, "node id");
            if (s.node < 1 || s.node > DTCP_NODE_ID_MAX)
                fail("status: node id %u out of range", s.node);
            break;
        case DTCP_A_TUNNEL_PORT:
            if (mnl_attr_get_payload_len(a) != 2 || !mnl_attr_get_u16(a))
                fail("status: bad tunnel port");
            s.have_port = true;
            s.port = mnl_attr_get_u16(a);
            break;
        case DTCP_A_VIP:
            s.have_vip = true;
            s.vip = get_u32_exact(a, "VIP");
            break;
        case DTCP_A_KEY_SET:
            s.key = get_flag(a, "key-set");
            key = true;
            break;
        case DTCP_A_DAEMON:
            s.daemon = get_flag(a, "daemon");
            daemon = true;
            break;
        case DTCP_A_COUNTERS: {
            unsigned n = 0;
            dtcp::nl::for_each_nested(a, [&](const nlattr* c) {
                uint16_t t = mnl_attr_get_type(c);
                if (t >= 1 && t <= DTCP_CNT_MAX) {
                    s.live[t] = get_u32_exact(c, "live counter");
                    n++;
                }
            });
            if (n != DTCP_CNT_MAX)
                fail("status: %u live counters, want %u", n, DTCP_CNT_MAX);
            counters = true;
            break;
        }
        case DTCP_A_STATS: {
            unsigned n = 0;
            dtcp::nl::for_each_nested(a, [&](const nlattr* c) {
                if (mnl_attr_get_type(c) != DTCP_STAT_PAD && mnl_attr_get_payload_len(c) != 8)
                    fail("status: statistic %u has %u bytes", mnl_attr_get_type(c), mnl_attr_get_payload_len(c));
                n++;
            });
            if (n < DTCP_STAT_MAX - 1)
                fail("status: %u statistics", n);
            stats = true;
            break;
        }
        default:
            break;
        }
    });
    if (!abi || !ver || !key || !daemon || !counters || !stats)
        fail("status reply incomplete (abi %d version %d key %d daemon %d counters %d stats %d)",
             abi, ver, key, daemon, counters, stats);
}

void parse_peer(const nlmsghdr* nlh, State& s)
{
    bool seen = false;
    dtcp::nl::for_each_attr(static_cast<const char*>(mnl_nlmsg_get_payload(nlh)) + GENL_HDRLEN,
                            nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN, [&](const nlattr* a) {
        if (mnl_attr_get_type(a) != DTCP_A_PEER)
            return;
        seen = true;
        uint32_t id = 0, addr = 0;
        uint16_t port = 0;
        uint8_t up = 9;
        unsigned n = 0;
        dtcp::nl::for_each_nested(a, [&](const nlattr* c) {
            switch (mnl_attr_get_type(c)) {
            case DTCP_PEER_A_ID: id = get_u32_exact(c, "peer id"); n++; break;
            case DTCP_PEER_A_ADDR: addr = get_u32_exact(c, "peer address"); n++; break;
            case DTCP_PEER_A_PORT: port = mnl_attr_get_u16(c); n++; break;
            case DTCP_PEER_A_UP: up = mnl_attr_get_u8(c); n++; break;
            case DTCP_PEER_A_TX: case DTCP_PEER_A_RX:
                if (mnl_attr_get_payload_len(c) != 8)
                    fail("peer counter of %u bytes", mnl_attr_get_payload_len(c));
                n++;
                break;
            }
        });
        if (n != 6 || id < 1 || id > DTCP_NODE_ID_MAX || !addr || !port || up > 1)
            fail("malformed peer in dump: id %u addr %08x port %u up %u (%u attributes)", id, addr, port, up, n);
        if (s.peers.count(id))
            fail("peer %u dumped twice", id);
        s.peers[id] = {addr, port, up};
    });
    if (!seen)
        fail("peer dump message without a peer");
}

// A well-formed GET_STATUS and GET_PEERS dump; with @conns also GET_CONNS
// (which must be empty: nothing in this namespace hands connections off).
State snapshot(bool conns)
{
    State s;
    std::map<uint32_t, Pending> pend;
    Bytes b = request_header(DTCP_CMD_GET_STATUS, NLM_F_REQUEST | NLM_F_ACK, next_seq);
    finish_header(b);
    Pending ps;
    ps.framed = true;
    ps.cmd = DTCP_CMD_GET_STATUS;
    pend[next_seq++] = ps;
    sock.send(b);
    collect(pend, [&](const nlmsghdr* nlh, Pending&) { parse_status(nlh, s); });
    for (auto& [seq, p] : pend) {
        if (p.error)
            fail("well-formed GET_STATUS refused: %s (%s)", std::strerror(p.error), p.extack.c_str());
        if (!p.got_reply)
            fail("well-formed GET_STATUS: ACK without a status message");
    }
    for (uint8_t cmd : {uint8_t(DTCP_CMD_GET_PEERS), uint8_t(DTCP_CMD_GET_CONNS)}) {
        if (cmd == DTCP_CMD_GET_CONNS && !conns)
            continue;
        pend.clear();
        Bytes d = request_header(cmd, NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP, next_seq);
        finish_header(d);
        Pending pd;
        pd.framed = true;
        pd.dump = true;
        pd.cmd = cmd;
        pend[next_seq++] = pd;
        sock.send(d);
        unsigned n = 0;
        collect(pend, [&](const nlmsghdr* nlh, Pending&) {
            n++;
            if (cmd == DTCP_CMD_GET_PEERS)
                parse_peer(nlh, s);
        });
        for (auto& [seq, p] : pend)
            if (p.error)
                fail("well-formed dump of cmd %u refused: %s (%s)", cmd, std::strerror(p.error), p.extack.c_str());
        if (cmd == DTCP_CMD_GET_CONNS && n)
            fail("%u connections in a namespace without any", n);
        if (cmd == DTCP_CMD_GET_PEERS && s.peers.size() > DTCP_MAX_PEERS)
            fail("%zu peers, more than DTCP_MAX_PEERS", s.peers.size());
    }
    return s;
}

// ---------------------------------------------------------------------------
// Events

// Read what the monitor socket has; check each event.  Returns the events
// seen, in order.  @wait_ms: how long to wait for the first one.
std::vector<uint32_t> drain_events(Sock& m, int wait_ms)
{
    std::vector<uint32_t> evs;
    int timeout = wait_ms;
    for (;;) {
        ssize_t len = m.recv(rxbuf, timeout);
        if (len == 0)
            break;
        timeout = 0;
        if (len < 0) {  // the fuzzer sends faster than it reads: allowed
            n_overruns++;
            continue;
        }
        int rem = static_cast<int>(len);
        const auto* nlh = reinterpret_cast<const nlmsghdr*>(rxbuf.data());
        for (; mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem)) {
            if (nlh->nlmsg_type != family_id || !attrs_well_formed(nlh))
                fail("malformed event message (type %u)", nlh->nlmsg_type);
            const auto* g = static_cast<const genlmsghdr*>(mnl_nlmsg_get_payload(nlh));
            if (g->cmd != DTCP_CMD_EVENT)
                fail("multicast message of cmd %u", g->cmd);
            uint32_t ev = 0;
            dtcp::nl::for_each_attr(reinterpret_cast<const char*>(g) + GENL_HDRLEN,
                                    nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN, [&](const nlattr* a) {
                if (mnl_attr_get_type(a) == DTCP_A_EVENT)
                    ev = get_u32_exact(a, "event");
            });
            if (ev < DTCP_EV_CONFIG_CHANGED || ev > DTCP_EV_DAEMON_GONE)
                fail("event with type %u", ev);
            evs.push_back(ev);
            n_events++;
        }
        if (rem > 0)
            fail("trailing bytes in an event datagram");
    }
    return evs;
}

void subscribe(Sock& m)
{
    if (mnl_socket_setsockopt(m.nl, NETLINK_ADD_MEMBERSHIP, &events_group, sizeof(events_group)) < 0)
        fail("cannot subscribe to the events group: %s", std::strerror(errno));
}

// ---------------------------------------------------------------------------
// The health check: the module still answers well-formed requests, and a
// configuration change is applied and announced.

State health(Rng& r, bool final)
{
    n_checks++;
    State s = snapshot(true);
    if (opt.unprivileged)
        return s;
    drain_events(mon, 0);
    // A fresh socket subscribed now must see the event too.
    Sock fresh;
    fresh.open();
    subscribe(fresh);
    uint32_t vip = htonl(0xc6120000 | (1 + r.below(254)));
    if (s.have_vip && vip == s.vip)
        vip ^= htonl(0x100);
    std::map<uint32_t, Pending> pend;
    Bytes b = request_header(DTCP_CMD_SET_CONFIG, NLM_F_REQUEST | NLM_F_ACK, next_seq);
    put_attr<uint32_t>(b, DTCP_A_VIP, vip);
    finish_header(b);
    Pending p;
    p.framed = true;
    p.cmd = DTCP_CMD_SET_CONFIG;
    pend[next_seq++] = p;
    sock.send(b);
    collect(pend, [](const nlmsghdr*, Pending&) {});
    for (auto& [seq, q] : pend)
        if (q.error)
            fail("well-formed SET_CONFIG VIP refused: %s (%s)", std::strerror(q.error), q.extack.c_str());
    State t = snapshot(false);
    if (!t.have_vip || t.vip != vip)
        fail("VIP set to %08x, status says %08x", vip, t.vip);
    for (Sock* m : {&mon, &fresh}) {
        bool seen = false;
        for (uint32_t ev : drain_events(*m, opt.timeout_ms))
            seen |= ev == DTCP_EV_CONFIG_CHANGED;
        if (!seen && !(m == &mon && n_overruns))
            fail("no config-changed event on the %s socket", m == &mon ? "monitor" : "freshly subscribed");
    }
    fresh.close();
    if (final || opt.verbose)
        std::fprintf(stderr, "nl-fuzz: check %" PRIu64 " ok: %s\n", n_checks, t.str().c_str());
    return t;
}

// ---------------------------------------------------------------------------
// What an accepted request must have done

// The attributes of [p, p + len), the last of each type (as the kernel's
// parser keeps them).
std::map<uint16_t, std::pair<const uint8_t*, size_t>> last_attrs(const uint8_t* p, size_t len)
{
    std::map<uint16_t, std::pair<const uint8_t*, size_t>> m;
    size_t off = 0;
    while (off + NLA_HDRLEN <= len) {
        nlattr h;
        std::memcpy(&h, p + off, sizeof(h));
        if (h.nla_len < NLA_HDRLEN || off + h.nla_len > len)
            break;
        m[h.nla_type & NLA_TYPE_MASK] = {p + off + NLA_HDRLEN, h.nla_len - NLA_HDRLEN};
        off += NLA_ALIGN(h.nla_len);
    }
    return m;
}

template <typename T>
T val(const std::pair<const uint8_t*, size_t>& a)
{
    T v{};
    std::memcpy(&v, a.first, std::min(sizeof(T), a.second));
    return v;
}

void check_applied(const Bytes& msg, const Pending& p, const State& before, const State& after)
{
    if (p.dump || msg.size() < NLMSG_HDRLEN + GENL_HDRLEN)
        return;
    size_t len = std::min<size_t>(reinterpret_cast<const nlmsghdr*>(msg.data())->nlmsg_len, msg.size());
    if (len < NLMSG_HDRLEN + GENL_HDRLEN)
        return;
    auto a = last_attrs(msg.data() + NLMSG_HDRLEN + GENL_HDRLEN, len - NLMSG_HDRLEN - GENL_HDRLEN);
    switch (p.cmd) {
    case DTCP_CMD_SET_CONFIG:
        if (a.count(DTCP_A_NODE_ID) && (!after.have_node || after.node != val<uint32_t>(a[DTCP_A_NODE_ID])))
            fail("SET_CONFIG accepted, node id %u not applied: %s", val<uint32_t>(a[DTCP_A_NODE_ID]), after.str().c_str());
        if (a.count(DTCP_A_TUNNEL_PORT) && (!after.have_port || after.port != val<uint16_t>(a[DTCP_A_TUNNEL_PORT])))
            fail("SET_CONFIG accepted, port %u not applied: %s", val<uint16_t>(a[DTCP_A_TUNNEL_PORT]), after.str().c_str());
        if (a.count(DTCP_A_VIP) && after.vip != val<uint32_t>(a[DTCP_A_VIP]))
            fail("SET_CONFIG accepted, VIP %08x not applied: %s", val<uint32_t>(a[DTCP_A_VIP]), after.str().c_str());
        if (a.count(DTCP_A_CLUSTER_KEY) && !after.key)
            fail("SET_CONFIG accepted with a key, status says no key");
        if (!a.count(DTCP_A_NODE_ID) && (after.have_node != before.have_node || after.node != before.node))
            fail("SET_CONFIG without a node id changed it");
        if (after.peers != before.peers)
            fail("SET_CONFIG changed the peers");
        break;
    case DTCP_CMD_SET_PEER:
    case DTCP_CMD_DEL_PEER: {
        if (!a.count(DTCP_A_PEER))
            fail("peer command accepted without a peer attribute");
        auto n = last_attrs(a[DTCP_A_PEER].first, a[DTCP_A_PEER].second);
        if (!n.count(DTCP_PEER_A_ID))
            fail("peer command accepted without a peer id");
        uint32_t id = val<uint32_t>(n[DTCP_PEER_A_ID]);
        auto others = [&](const State& s) { auto m = s.peers; m.erase(id); return m; };
        if (others(before) != others(after))
            fail("a command on peer %u changed other peers", id);
        if (p.cmd == DTCP_CMD_DEL_PEER) {
            if (after.peers.count(id) || !before.peers.count(id))
                fail("DEL_PEER %u accepted: before %s, after %s", id, before.str().c_str(), after.str().c_str());
            break;
        }
        auto it = after.peers.find(id);
        if (it == after.peers.end())
            fail("SET_PEER %u accepted, no such peer: %s", id, after.str().c_str());
        auto [addr, port, up] = it->second;
        if (n.count(DTCP_PEER_A_ADDR) && val<uint32_t>(n[DTCP_PEER_A_ADDR]) && addr != val<uint32_t>(n[DTCP_PEER_A_ADDR]))
            fail("SET_PEER %u accepted, address not applied: %s", id, after.str().c_str());
        if (n.count(DTCP_PEER_A_PORT) && port != val<uint16_t>(n[DTCP_PEER_A_PORT]))
            fail("SET_PEER %u accepted, port not applied: %s", id, after.str().c_str());
        if (n.count(DTCP_PEER_A_UP) && up != val<uint8_t>(n[DTCP_PEER_A_UP]))
            fail("SET_PEER %u accepted, state not applied: %s", id, after.str().c_str());
        if (after.have_node && after.node == id)
            fail("peer %u has this node's id", id);
        break;
    }
    default:
        if (!(before == after) && p.cmd != DTCP_CMD_SET_DAEMON)
            fail("cmd %u changed the state:\n  before %s\n  after  %s", p.cmd, before.str().c_str(), after.str().c_str());
        break;
    }
}

// ---------------------------------------------------------------------------
// One iteration

State state;

void iteration(uint64_t i)
{
    Rng r(splitmix(opt.seed ^ splitmix(i)));
    unsigned nmsg = r.pct(85) ? 1 : 2 + r.below(2);
    Bytes dgram;
    std::map<uint32_t, Pending> pend;
    bool framing_ok = true;
    for (unsigned m = 0; m < nmsg; m++) {
        uint32_t seq = next_seq++;
        uint8_t cmd;
        unsigned k = r.below(100);
        if (r.pct(35)) {  // plausible: a real command, its kind, sane flags
            cmd = r.pick<uint8_t>({DTCP_CMD_GET_STATUS, DTCP_CMD_SET_CONFIG, DTCP_CMD_SET_CONFIG,
                                   DTCP_CMD_SET_PEER, DTCP_CMD_SET_PEER, DTCP_CMD_DEL_PEER,
                                   DTCP_CMD_GET_PEERS, DTCP_CMD_GET_CONNS, DTCP_CMD_SET_DAEMON});
            uint16_t flags = NLM_F_REQUEST | NLM_F_ACK;
            bool dump = cmd == DTCP_CMD_GET_PEERS || cmd == DTCP_CMD_GET_CONNS;
            if (dump)
                flags |= NLM_F_DUMP;
            Bytes msg = request_header(cmd, flags, seq);
            add_plausible_attrs(r, msg, cmd);
            finish_header(msg);
            Pending p;
            p.cmd = cmd;
            p.dump = dump;
            p.framed = framing_ok;
            if (has_bad_top_type(msg.data() + NLMSG_HDRLEN + GENL_HDRLEN, msg.size() - NLMSG_HDRLEN - GENL_HDRLEN))
                p.must_fail = true, p.why = "attribute type UNSPEC or beyond DTCP_A_MAX";
            else if (opt.unprivileged && is_admin(cmd))
                p.must_fail = true, p.why = "unprivileged";
            pend[seq] = p;
            dgram.insert(dgram.end(), msg.begin(), msg.end());
            dgram.resize(NLMSG_ALIGN(dgram.size()), 0);
            continue;
        }
        if (k < 85)
            cmd = static_cast<uint8_t>(r.below(DTCP_CMD_MAX + 1));
        else if (k < 95)
            cmd = static_cast<uint8_t>(DTCP_CMD_MAX + 1 + r.below(3));
        else
            cmd = static_cast<uint8_t>(r.u64());
        uint16_t flags = NLM_F_REQUEST | NLM_F_ACK;
        if (r.pct(30) || ((cmd == DTCP_CMD_GET_PEERS || cmd == DTCP_CMD_GET_CONNS) && r.pct(60)))
            flags |= NLM_F_DUMP;
        if (r.pct(5))
            flags |= r.pick<uint16_t>({NLM_F_ECHO, NLM_F_ROOT, NLM_F_MATCH, NLM_F_ATOMIC, NLM_F_EXCL,
                                       NLM_F_CREATE, NLM_F_APPEND, 0x8000});
        // Flags the generic-netlink core refuses for new families: all but
        // REQUEST, ACK, ECHO and the two DUMP bits together.
        uint16_t odd = flags;
        if ((odd & NLM_F_DUMP) == NLM_F_DUMP)
            odd &= ~NLM_F_DUMP;
        bool bad_flags = odd & ~(NLM_F_REQUEST | NLM_F_ACK | NLM_F_ECHO);
        Bytes msg = request_header(cmd, flags, seq);
        auto* g = reinterpret_cast<genlmsghdr*>(msg.data() + NLMSG_HDRLEN);
        bool reserved = false;
        if (r.pct(3))
            g->version = static_cast<uint8_t>(r.u64());
        if (r.pct(3)) {
            g->reserved = static_cast<uint16_t>(r.u64() | 1);
            reserved = true;
        }
        add_attrs(r, msg, false, 0);
        finish_header(msg);
        bool dump = (flags & NLM_F_DUMP) == NLM_F_DUMP;
        bool bad_type = has_bad_top_type(msg.data() + NLMSG_HDRLEN + GENL_HDRLEN,
                                         msg.size() - NLMSG_HDRLEN - GENL_HDRLEN);
        bool last = m + 1 == nmsg;
        bool truncated = false;
        // The last message of the datagram may lie about its length.
        if (last && r.pct(4)) {
            auto* nlh = reinterpret_cast<nlmsghdr*>(msg.data());
            switch (r.below(3)) {
            case 0:  // cut: shorter, and the datagram ends there
                nlh->nlmsg_len = static_cast<uint32_t>(r.below(static_cast<uint32_t>(msg.size())));
                msg.resize(std::max<size_t>(nlh->nlmsg_len, std::min<size_t>(msg.size(), r.below(NLMSG_HDRLEN + 1))));
                truncated = true;
                break;
            case 1:  // claims more than the datagram holds
                nlh->nlmsg_len = static_cast<uint32_t>(msg.size() + 4 + r.below(1000));
                truncated = true;
                break;
            default:  // only a part of a header
                msg.resize(r.below(NLMSG_HDRLEN));
                truncated = true;
                break;
            }
        }
        Pending p;
        p.cmd = cmd;
        p.dump = dump;
        if (truncated) {
            // What the kernel does then: nothing below a header, nothing
            // for a message longer than the datagram, an error for one
            // shorter than the generic-netlink header, else it parses what
            // the length covers.
            auto* nlh = reinterpret_cast<nlmsghdr*>(msg.data());
            if (msg.size() < NLMSG_HDRLEN || nlh->nlmsg_len < NLMSG_HDRLEN || nlh->nlmsg_len > msg.size())
                framing_ok = false;
            else if (nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
                p.must_fail = true, p.why = "message shorter than the generic-netlink header";
        }
        p.framed = framing_ok;
        if (!has_handler(cmd, dump))
            p.must_fail = true, p.why = "no handler for this command";
        else if (bad_type && !truncated)
            p.must_fail = true, p.why = "attribute type UNSPEC or beyond DTCP_A_MAX";
        else if (reserved && cmd >= DTCP_CMD_GET_STATUS)
            p.must_fail = true, p.why = "reserved field not zero";
        else if (bad_flags && cmd >= DTCP_CMD_GET_STATUS)
            p.must_fail = true, p.why = "reserved netlink flags";
        else if (opt.unprivileged && is_admin(cmd))
            p.must_fail = true, p.why = "unprivileged";
        pend[seq] = p;
        dgram.insert(dgram.end(), msg.begin(), msg.end());
        if (!last)  // the kernel finds the next message at the aligned length
            dgram.resize(NLMSG_ALIGN(dgram.size()), 0);
    }
    n_msgs += nmsg;
    if (opt.verbose) {
        std::fprintf(stderr, "nl-fuzz: iteration %" PRIu64 ":", i);
        for (auto& [seq, p] : pend)
            std::fprintf(stderr, " [seq %u cmd %u%s%s]", seq, p.cmd, p.dump ? " dump" : "", p.framed ? "" : " unframed");
        std::fprintf(stderr, " %zu bytes:", dgram.size());
        for (size_t j = 0; j < dgram.size() && j < 256; j++)
            std::fprintf(stderr, "%s%02x", j % 4 ? "" : " ", dgram[j]);
        std::fprintf(stderr, "\n");
    }
    if (opt.show)
        return;
    bool any_framed = false;
    for (auto& [seq, p] : pend)
        any_framed |= p.framed;
    if (sock.send(dgram, !any_framed))
        n_send_refused++;
    collect(pend, [](const nlmsghdr*, Pending&) {});
    bool all_refused = true;
    for (auto& [seq, p] : pend) {
        if (!p.framed)
            continue;
        n_framed++;
        if (p.error) {
            n_errors++;
            errnos[p.error]++;
            n_errors_msg += !p.extack.empty();
        } else if (p.dump) {
            n_dumps++;
            n_dump_parts += p.parts;
        } else {
            n_acks++;
        }
        if (p.must_fail && !p.error)
            fail("cmd %u%s accepted (%s)", p.cmd, p.dump ? " (dump)" : "", p.why);
        if (!p.error)
            all_refused = false;
        if (!p.error && !p.dump && p.cmd == DTCP_CMD_GET_STATUS && !p.got_reply)
            fail("GET_STATUS acknowledged without a status message");
        if (opt.verbose && p.error)
            std::fprintf(stderr, "nl-fuzz:   seq %u: %s%s%s\n", seq, std::strerror(p.error),
                         p.extack.empty() ? "" : ": ", p.extack.c_str());
    }
    drain_events(mon, 0);
    // A refused request changes nothing; so does everything unprivileged.
    if (all_refused || opt.unprivileged) {
        State after = snapshot(false);
        if (!(after == state))
            fail("refused request changed the state:\n  before %s\n  after  %s",
                 state.str().c_str(), after.str().c_str());
        return;
    }
    State after = snapshot(false);
    if (pend.size() == 1)
        check_applied(dgram, pend.begin()->second, state, after);
    state = after;
}

void usage()
{
    std::fprintf(stderr,
                 "usage: dtcp-nl-fuzz [--seed S] [--iterations N] [--seconds T] [--from I]\n"
                 "                    [--check-every K] [--timeout-ms MS] [--unprivileged] [-v] [--show]\n");
    std::exit(2);
}

}  // namespace

int main(int argc, char** argv)
{
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        auto val = [&]() -> const char* {
            if (i + 1 >= argc)
                usage();
            return argv[++i];
        };
        if (a == "--seed") {
            opt.seed = std::strtoull(val(), nullptr, 0);
            opt.seed_given = true;
        } else if (a == "--iterations") {
            opt.iterations = std::strtoull(val(), nullptr, 0);
        } else if (a == "--seconds") {
            opt.seconds = std::strtod(val(), nullptr);
        } else if (a == "--from") {
            opt.from = std::strtoull(val(), nullptr, 0);
        } else if (a == "--check-every") {
            opt.check_every = std::strtoull(val(), nullptr, 0);
        } else if (a == "--timeout-ms") {
            opt.timeout_ms = std::atoi(val());
        } else if (a == "--unprivileged") {
            opt.unprivileged = true;
        } else if (a == "--show") {
            opt.show = opt.verbose = true;
        } else if (a == "-v" || a == "--verbose") {
            opt.verbose = true;
        } else {
            usage();
        }
    }
    if (!opt.iterations && opt.seconds <= 0)
        setup_error("give --iterations or --seconds (or both)");
    if (!opt.seed_given) {
        std::random_device rd;
        opt.seed = (uint64_t(rd()) << 32 | rd()) & 0xffffffffffffULL;
    }
    if (opt.timeout_ms <= 0 || opt.check_every == 0)
        usage();

    if (opt.show) {  // what the iterations would send (family id 32 assumed)
        family_id = 32;
        for (cur_iter = opt.from; cur_iter < opt.from + opt.iterations; cur_iter++)
            iteration(cur_iter);
        return 0;
    }
    {
        auto g = dtcp::nl::GenlSocket::open(DTCP_GENL_NAME);
        if (!g)
            setup_error("cannot resolve the generic-netlink family \"%s\": %s", DTCP_GENL_NAME,
                        g.error().describe().c_str());
        family_id = g->family().id;
        auto it = g->family().mcast_groups.find(DTCP_MCGRP_EVENTS);
        if (it == g->family().mcast_groups.end())
            setup_error("family \"%s\" has no multicast group \"%s\"", DTCP_GENL_NAME, DTCP_MCGRP_EVENTS);
        events_group = it->second;
    }
    std::fprintf(stderr, "nl-fuzz: seed %" PRIu64 ", family id %u, events group %u%s\n", opt.seed, family_id,
                 events_group, opt.unprivileged ? ", unprivileged" : "");
    sock.open();
    mon.open();
    subscribe(mon);
    // A UDP port taken by someone else: moving the tunnel there must fail
    // and change nothing.  (Already the tunnel's after an earlier run: fine.)
    int busy = -1;
    if (!opt.unprivileged) {
        busy = socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in sin{};
        sin.sin_family = AF_INET;
        sin.sin_port = htons(kBusyPort);
        if (busy >= 0 && bind(busy, reinterpret_cast<sockaddr*>(&sin), sizeof(sin)) < 0) {
            ::close(busy);
            busy = -1;
        }
    }

    Rng hr(splitmix(opt.seed ^ 0x6865616c7468ULL));
    state = snapshot(true);
    auto start = std::chrono::steady_clock::now();
    auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
    uint64_t done = fuzz::run_iterations(opt.from, opt.iterations, opt.seconds, opt.check_every, cur_iter,
                                         in_iteration, iteration, [&] { state = health(hr, false); });
    state = health(hr, true);

    std::string errs;
    for (auto& [e, n] : errnos)
        errs += " " + std::string(strerrorname_np(e) ? strerrorname_np(e) : std::to_string(e).c_str()) + "=" +
                std::to_string(n);
    std::fprintf(stderr,
                 "nl-fuzz: seed %" PRIu64 ": %" PRIu64 " iterations (%" PRIu64 "..%" PRIu64 ") in %.1f s: %" PRIu64
                 " messages, %" PRIu64 " answered: %" PRIu64 " ACK, %" PRIu64 " errors (%" PRIu64
                 " with a message), %" PRIu64 " complete dumps (%" PRIu64 " parts); %" PRIu64 " events, %" PRIu64
                 " overruns; %" PRIu64 " checks; %" PRIu64 " headerless datagrams refused by send; errors:%s\n",
                 opt.seed, done, opt.from, done ? opt.from + done - 1 : opt.from, elapsed(), n_msgs, n_framed,
                 n_acks, n_errors, n_errors_msg, n_dumps, n_dump_parts, n_events, n_overruns, n_checks,
                 n_send_refused, errs.c_str());
    std::printf("PASS seed %" PRIu64 " iterations %" PRIu64 "\n", opt.seed, done);
    sock.close();
    mon.close();
    if (busy >= 0)
        ::close(busy);
    return 0;
}
