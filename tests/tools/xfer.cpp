// dtcp-xfer: a keep-alive test server and a verifying client.
//
// Protocol, one request per line over a persistent connection:
//   client: "GET <size> <seed>\n"
//   server: "OK <size>\n" then <size> bytes of the stream pattern(seed)
// The client checks every byte against the same pattern, so any lost,
// duplicated or reordered byte fails the run.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "proto.hpp"

namespace {

using dtcp::test::Pattern;

bool write_all(int fd, const void* p, size_t n)
{
    const char* c = static_cast<const char*>(p);
    while (n) {
        ssize_t w = ::write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        c += w;
        n -= static_cast<size_t>(w);
    }
    return true;
}

// Reads a line ending in '\n' (without it); false on EOF or error.
bool read_line(int fd, std::string& line, std::string& buf)
{
    for (;;) {
        auto nl = buf.find('\n');
        if (nl != std::string::npos) {
            line = buf.substr(0, nl);
            buf.erase(0, nl + 1);
            return true;
        }
        char tmp[4096];
        ssize_t r = ::read(fd, tmp, sizeof(tmp));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        buf.append(tmp, static_cast<size_t>(r));
        if (buf.size() > 65536)
            return false;
    }
}

void serve_conn(int fd)
{
    std::string buf, line;
    std::vector<uint8_t> out(65536);
    while (read_line(fd, line, buf)) {
        unsigned long long size = 0, seed = 0;
        if (std::sscanf(line.c_str(), "GET %llu %llu", &size, &seed) != 2) {
            write_all(fd, "ERR bad request\n", 16);
            break;
        }
        std::string hdr = fmt::format("OK {}\n", size);
        if (!write_all(fd, hdr.data(), hdr.size()))
            break;
        Pattern p(seed);
        bool ok = true;
        for (unsigned long long done = 0; done < size && ok;) {
            size_t n = static_cast<size_t>(std::min<unsigned long long>(out.size(), size - done));
            for (size_t i = 0; i < n; i++)
                out[i] = p.next();
            ok = write_all(fd, out.data(), n);
            done += n;
        }
        if (!ok)
            break;
    }
    ::close(fd);
}

int serve(const std::string& addr, uint16_t port)
{
    int ls = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    if (inet_pton(AF_INET, addr.c_str(), &sa.sin_addr) != 1) {
        fmt::print(stderr, "dtcp-xfer: bad address {}\n", addr);
        return 2;
    }
    if (::bind(ls, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) < 0 || ::listen(ls, 128) < 0) {
        fmt::print(stderr, "dtcp-xfer: cannot listen on {}:{}: {}\n", addr, port, std::strerror(errno));
        return 1;
    }
    for (;;) {
        int fd = ::accept(ls, nullptr, nullptr);
        if (fd < 0) {
            if (errno == EINTR)
                continue;
            return 1;
        }
        std::thread(serve_conn, fd).detach();
    }
}

int get(const std::string& host, uint16_t port, uint64_t size, unsigned count, uint64_t seed)
{
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    if (inet_pton(AF_INET, host.c_str(), &sa.sin_addr) != 1) {
        fmt::print(stderr, "dtcp-xfer: bad address {}\n", host);
        return 2;
    }
    if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) < 0) {
        fmt::print(stderr, "dtcp-xfer: connect {}:{}: {}\n", host, port, std::strerror(errno));
        return 1;
    }
    std::string buf, line;
    std::vector<char> in(65536);
    uint64_t total = 0;
    for (unsigned i = 0; i < count; i++) {
        uint64_t s = seed + i;
        std::string req = fmt::format("GET {} {}\n", size, s);
        if (!write_all(fd, req.data(), req.size()) || !read_line(fd, line, buf) ||
            line != fmt::format("OK {}", size)) {
            fmt::print(stderr, "dtcp-xfer: request {}: bad or missing reply '{}'\n", i, line);
            return 1;
        }
        Pattern p(s);
        uint64_t got = 0;
        auto check = [&](const char* d, size_t n) {
            for (size_t k = 0; k < n; k++, got++)
                if (static_cast<uint8_t>(d[k]) != p.next()) {
                    fmt::print(stderr, "dtcp-xfer: request {}: byte {} differs\n", i, got);
                    return false;
                }
            return true;
        };
        size_t take = static_cast<size_t>(std::min<uint64_t>(buf.size(), size));
        if (!check(buf.data(), take))
            return 1;
        buf.erase(0, take);
        while (got < size) {
            ssize_t r = ::read(fd, in.data(), static_cast<size_t>(std::min<uint64_t>(in.size(), size - got)));
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0) {
                fmt::print(stderr, "dtcp-xfer: request {}: connection ended after {} of {} bytes\n", i, got, size);
                return 1;
            }
            if (!check(in.data(), static_cast<size_t>(r)))
                return 1;
        }
        total += got;
    }
    ::close(fd);
    fmt::print("ok {} requests, {} bytes\n", count, total);
    return 0;
}

}  // namespace

int main(int argc, char** argv)
{
    CLI::App app{"dtcp-xfer: keep-alive test server and verifying client"};
    app.require_subcommand(1);
    std::string addr = "0.0.0.0";
    uint16_t port = 8080;
    auto* srv = app.add_subcommand("serve", "serve requests");
    srv->add_option("--addr", addr, "listen address");
    srv->add_option("--port", port, "listen port");
    auto* cli = app.add_subcommand("get", "fetch and verify");
    std::string host;
    uint64_t size = 1024, seed = 1;
    unsigned count = 1;
    cli->add_option("--host", host, "server address")->required();
    cli->add_option("--port", port, "server port");
    cli->add_option("--size", size, "bytes per response");
    cli->add_option("--count", count, "requests on the one connection");
    cli->add_option("--seed", seed, "pattern seed of the first request");
    CLI11_PARSE(app, argc, argv);
    if (srv->parsed())
        return serve(addr, port);
    return get(host, port, size, count, seed);
}
