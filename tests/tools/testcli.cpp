// dtcp-testcli: verifying load client for dtcp-testsrv (protocol in proto.hpp).
//
// Opens --conns keep-alive connections in parallel; each sends --requests
// requests, up to --pipeline of them outstanding, and checks every response
// byte against the pattern (GET) or the CRC-32 the server computed (PUT).
// Prints one summary line (or JSON); exits 1 on any mismatch or error.
// For the failure scenarios a connection can also half-close (FIN) or
// abort (RST) once a given number of response bytes has arrived.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "proto.hpp"

using namespace dtcp::test;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
    std::string host;
    uint16_t port = 8080;
    unsigned conns = 1;
    unsigned requests = 10;
    std::vector<uint32_t> owners{0};
    bool random_owners = false;
    uint64_t seed = 1;
    std::vector<uint64_t> sizes{1024};
    unsigned pipeline = 1;
    uint64_t upload = 0;
    unsigned timeout_s = 30;
    bool json = false;
    std::optional<uint64_t> half_close_after;  // shutdown(SHUT_WR) after this many bytes in
    std::optional<uint64_t> reset_after;       // close with a RST after this many bytes in
};

struct ConnResult {
    uint64_t ok = 0;
    uint64_t failed = 0;
    uint64_t bytes = 0;  // response body bytes verified plus upload bytes sent
    std::vector<double> latencies_ms;
    std::vector<double> first_byte_ms;  // request sent -> first response byte read
};

std::mutex g_err_mu;

void report(unsigned conn, uint64_t req, const std::string& what)
{
    std::lock_guard lock(g_err_mu);
    fmt::print(stderr, "dtcp-testcli: connection {} request {}: {}\n", conn, req, what);
}

// The seed of request @j on connection @c: distinct for every request.
uint64_t request_seed(uint64_t base, unsigned c, unsigned j)
{
    uint64_t x = base * 0x9E3779B97F4A7C15ull ^ (uint64_t(c) << 32 | j);
    x ^= x >> 31;
    x *= 0xBF58476D1CE4E5B9ull;
    return x ^ (x >> 29);
}

struct Pending {
    ResponseChecker check;
    Clock::time_point sent;
    unsigned index;
    uint64_t upload;
    Clock::time_point first{};  // when its first response byte was read
};

ConnResult run_conn(const Options& o, const sockaddr_in& sa, unsigned c)
{
    ConnResult res;
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || ::connect(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof(sa)) < 0) {
        report(c, 0, fmt::format("connect: {}", std::strerror(errno)));
        if (fd >= 0)
            ::close(fd);
        res.failed = o.requests;
        return res;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);

    std::mt19937_64 rng(o.seed ^ (uint64_t(c) << 20));
    std::deque<Pending> pending;
    std::string out;
    size_t out_off = 0;
    unsigned next = 0;
    std::vector<char> in(65536);
    std::string error;
    unsigned error_at = 0;
    uint64_t received = 0;
    bool half_closed = false;

    auto enqueue = [&] {
        unsigned j = next++;
        uint64_t seed = request_seed(o.seed, c, j);
        if (o.upload && j % 2 == 1) {
            std::string body(o.upload, '\0');
            Pattern(seed).fill(reinterpret_cast<uint8_t*>(body.data()), body.size());
            out += fmt::format("PUT {}\n", o.upload);
            out += body;
            pending.push_back({ResponseChecker::for_put(crc32(0, body.data(), body.size())), Clock::now(), j,
                               o.upload});
            return;
        }
        // GETs are numbered on their own so that uploads do not skew the
        // rotation of owners and sizes.
        unsigned g = o.upload ? j / 2 : j;
        uint32_t owner = o.random_owners ? o.owners[rng() % o.owners.size()] : o.owners[(c + g) % o.owners.size()];
        uint64_t size = o.sizes[g % o.sizes.size()];
        out += get_line(owner, size, seed);
        pending.push_back({ResponseChecker::for_get(size, seed), Clock::now(), j, 0});
    };

    while (error.empty() && (next < o.requests || !pending.empty())) {
        while (next < o.requests && pending.size() < o.pipeline)
            enqueue();
        pollfd p{fd, static_cast<short>(POLLIN | (out_off < out.size() ? POLLOUT : 0)), 0};
        int r = ::poll(&p, 1, static_cast<int>(o.timeout_s * 1000));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            error = r == 0 ? fmt::format("no progress for {} s", o.timeout_s) : std::strerror(errno);
            error_at = pending.empty() ? next : pending.front().index;
            break;
        }
        if (out_off < out.size() && (p.revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t w = ::send(fd, out.data() + out_off, out.size() - out_off, MSG_NOSIGNAL);
            if (w > 0) {
                out_off += static_cast<size_t>(w);
                if (out_off == out.size()) {
                    out.clear();
                    out_off = 0;
                }
            } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
                error = fmt::format("send: {}", std::strerror(errno));
                error_at = pending.empty() ? next : pending.front().index;
                break;
            }
        }
        if (!(p.revents & (POLLIN | POLLERR | POLLHUP)))
            continue;
        ssize_t n = ::read(fd, in.data(), in.size());
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (n <= 0) {
            error = n == 0 ? "connection closed by the server" : fmt::format("read: {}", std::strerror(errno));
            error_at = pending.empty() ? next : pending.front().index;
            break;
        }
        received += static_cast<uint64_t>(n);
        if (o.reset_after && received >= *o.reset_after) {
            // Abort: SO_LINGER with a zero timeout makes close() send a RST.
            linger lg{1, 0};
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
            ::close(fd);
            report(c, pending.empty() ? next : pending.front().index,
                   fmt::format("reset sent after {} bytes", received));
            res.ok = o.requests;  // got as far as asked
            return res;
        }
        if (o.half_close_after && !half_closed && received >= *o.half_close_after && next == o.requests &&
            out.empty()) {
            if (::shutdown(fd, SHUT_WR) < 0) {
                error = fmt::format("shutdown: {}", std::strerror(errno));
                break;
            }
            half_closed = true;
        }
        size_t used = 0, len = static_cast<size_t>(n);
        while (used < len) {
            if (pending.empty()) {
                error = fmt::format("{} bytes nobody asked for", len - used);
                error_at = next;
                break;
            }
            Pending& cur = pending.front();
            if (cur.first == Clock::time_point{})
                cur.first = Clock::now();
            used += cur.check.feed(in.data() + used, len - used);
            if (cur.check.failed()) {
                error = cur.check.error();
                error_at = cur.index;
                break;
            }
            if (cur.check.done()) {
                res.ok++;
                res.bytes += cur.check.body_bytes() + cur.upload;
                res.latencies_ms.push_back(
                    std::chrono::duration<double, std::milli>(Clock::now() - cur.sent).count());
                res.first_byte_ms.push_back(
                    std::chrono::duration<double, std::milli>(cur.first - cur.sent).count());
                pending.pop_front();
            }
        }
    }
    if (error.empty() && (o.reset_after || (o.half_close_after && !half_closed))) {
        error = fmt::format("only {} response bytes arrived: too few to {} after {}", received,
                            o.reset_after ? "reset" : "half-close",
                            o.reset_after ? *o.reset_after : *o.half_close_after);
        error_at = next;
    }
    if (error.empty() && half_closed) {
        // Every answer is in: the server must now close cleanly (EOF, not RST).
        pollfd p{fd, POLLIN, 0};
        char b;
        ssize_t n = ::poll(&p, 1, static_cast<int>(o.timeout_s * 1000)) == 1 ? ::read(fd, &b, 1) : -2;
        if (n == -2)
            error = fmt::format("no end of stream within {} s of the half-close", o.timeout_s);
        else if (n < 0)
            error = fmt::format("read after the half-close: {}", std::strerror(errno));
        else if (n > 0)
            error = "bytes nobody asked for after the half-close";
        error_at = next;
    }
    if (!error.empty()) {
        report(c, error_at, error);
        res.failed = o.requests - res.ok;
    }
    ::close(fd);
    return res;
}

double percentile(std::vector<double>& v, double q)
{
    if (v.empty())
        return 0;
    size_t k = static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
    std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
    return v[k];
}

}  // namespace

int main(int argc, char** argv)
{
    CLI::App app{"dtcp-testcli: verifying keep-alive load client for dtcp-testsrv.\n"
                 "Exit status: 0 every response verified, 1 any mismatch or error, 2 bad usage."};
    Options o;
    std::string owners = "0", sizes = "1024", upload = "0";
    app.add_option("--host", o.host, "server IPv4 address")->required();
    app.add_option("--port", o.port, "server port")->capture_default_str();
    app.add_option("--conns", o.conns, "parallel connections")->check(CLI::Range(1u, 10000u))->capture_default_str();
    app.add_option("--requests", o.requests, "requests per connection")->capture_default_str();
    app.add_option("--owners", owners, "owner node ids, comma-separated (0: any node); used in turn")
        ->capture_default_str();
    app.add_flag("--random-owners", o.random_owners, "pick each request's owner at random from --owners");
    app.add_option("--seed", o.seed, "seed of the owner choice and of the object contents")->capture_default_str();
    app.add_option("--sizes", sizes, "object sizes, comma-separated, k/M/G suffixes; used in turn")
        ->capture_default_str();
    app.add_option("--pipeline", o.pipeline, "requests outstanding per connection")
        ->check(CLI::Range(1u, 1024u))
        ->capture_default_str();
    app.add_option("--upload", upload, "every second request is a PUT of this many bytes (0: none)")
        ->capture_default_str();
    app.add_option("--timeout", o.timeout_s, "seconds without progress before a connection fails")
        ->check(CLI::Range(1u, 3600u))
        ->capture_default_str();
    app.add_flag("--json", o.json, "print the summary as JSON");
    std::string half_close, reset;
    app.add_option("--half-close-after", half_close,
                   "once every request is sent and this many response bytes arrived, shut down the sending "
                   "side; after the last answer a clean end of stream is required");
    app.add_option("--reset-after", reset, "abort the connection with a RST once this many response bytes arrived");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    if (!parse_u32_list(owners, o.owners)) {
        fmt::print(stderr, "dtcp-testcli: --owners: want a list of node ids, got '{}'\n", owners);
        return 2;
    }
    if (!parse_size_list(sizes, o.sizes)) {
        fmt::print(stderr, "dtcp-testcli: --sizes: want a list of sizes, got '{}'\n", sizes);
        return 2;
    }
    if (!parse_size(upload, o.upload)) {
        fmt::print(stderr, "dtcp-testcli: --upload: want a size, got '{}'\n", upload);
        return 2;
    }
    for (auto [text, opt, name] : {std::tuple{&half_close, &o.half_close_after, "--half-close-after"},
                                   std::tuple{&reset, &o.reset_after, "--reset-after"}}) {
        uint64_t v = 0;
        if (text->empty())
            continue;
        if (!parse_size(*text, v)) {
            fmt::print(stderr, "dtcp-testcli: {}: want a size, got '{}'\n", name, *text);
            return 2;
        }
        *opt = v;
    }
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(o.port);
    if (inet_pton(AF_INET, o.host.c_str(), &sa.sin_addr) != 1) {
        fmt::print(stderr, "dtcp-testcli: --host: '{}' is not an IPv4 address\n", o.host);
        return 2;
    }

    auto t0 = Clock::now();
    std::vector<ConnResult> results(o.conns);
    std::vector<std::thread> threads;
    for (unsigned c = 0; c < o.conns; c++)
        threads.emplace_back([&, c] { results[c] = run_conn(o, sa, c); });
    for (auto& t : threads)
        t.join();
    double secs = std::chrono::duration<double>(Clock::now() - t0).count();

    ConnResult all;
    for (auto& r : results) {
        all.ok += r.ok;
        all.failed += r.failed;
        all.bytes += r.bytes;
        all.latencies_ms.insert(all.latencies_ms.end(), r.latencies_ms.begin(), r.latencies_ms.end());
        all.first_byte_ms.insert(all.first_byte_ms.end(), r.first_byte_ms.begin(), r.first_byte_ms.end());
    }
    uint64_t total = uint64_t(o.conns) * o.requests;
    double p50 = percentile(all.latencies_ms, 0.50), p99 = percentile(all.latencies_ms, 0.99);
    double mbps = secs > 0 ? static_cast<double>(all.bytes) / secs / 1e6 : 0;
    if (o.json) {
        nlohmann::json j{{"requests", total},  {"ok", all.ok},    {"failures", all.failed},
                         {"bytes", all.bytes}, {"seconds", secs}, {"mb_per_s", mbps},
                         {"latency_ms", {{"p50", p50}, {"p99", p99}}},
                         {"first_byte_ms",
                          {{"p50", percentile(all.first_byte_ms, 0.50)},
                           {"p99", percentile(all.first_byte_ms, 0.99)}}}};
        fmt::print("{}\n", j.dump());
    } else {
        fmt::print("{} {} requests, {} ok, {} failures, {} bytes in {:.3f} s ({:.1f} MB/s), latency ms "
                   "p50 {:.3f} p99 {:.3f}\n",
                   all.failed ? "FAIL" : "ok", total, all.ok, all.failed, all.bytes, secs, mbps, p50, p99);
    }
    return all.failed || all.ok != total ? 1 : 0;
}
