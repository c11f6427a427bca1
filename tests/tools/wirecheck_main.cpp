// dtcp-wirecheck: checks a capture taken at the client against the
// invariants of DESIGN 4.2 (see wirecheck.hpp), the clean-close check
// with --clean-close.  Exit status: 0 none
// violated, 1 a violation (each printed), 2 bad usage or unreadable file.
#include <arpa/inet.h>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <stdexcept>

#include "wirecheck.hpp"

using namespace dtcp::test;

int main(int argc, char** argv)
{
    CLI::App app{"dtcp-wirecheck: TSval, TSecr, acknowledgement and receive window of the server side of every "
                 "connection in a capture never go backwards, and TSecr echoes a TSval the client sent; with "
                 "--clean-close, no server RST and no server FIN before the client's."};
    std::string file, addr;
    uint16_t port = 80;
    uint64_t min_segments = 1;
    bool clean_close = false, no_echo_check = false;
    app.add_option("capture", file, "pcap file")->required();
    app.add_option("--server", addr, "server (virtual) IPv4 address")->required();
    app.add_option("--port", port, "server port")->capture_default_str();
    app.add_option("--min-segments", min_segments, "fail if fewer server segments were seen")
        ->capture_default_str();
    app.add_flag("--clean-close", clean_close,
                 "the client closes every connection itself: a server RST, or a server FIN before the "
                 "client's, is a violation");
    app.add_flag("--no-echo-check", no_echo_check,
                 "do not judge TSecr (a capture that may have missed some of the client's segments)");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    Endpoint server;
    if (inet_pton(AF_INET, addr.c_str(), &server.addr) != 1) {
        fmt::print(stderr, "dtcp-wirecheck: --server: '{}' is not an IPv4 address\n", addr);
        return 2;
    }
    server.port = port;
    FlowReports flows;
    try {
        flows = check_capture(file, server, clean_close, !no_echo_check);
    } catch (const std::exception& e) {
        fmt::print(stderr, "dtcp-wirecheck: {}\n", e.what());
        return 2;
    }
    uint64_t segs = 0, ts = 0, ecr = 0, bad = 0;
    for (const auto& [ep, f] : flows) {
        char a[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &ep.addr, a, sizeof(a));
        segs += f.segments;
        ts += f.tsvals;
        ecr += f.echoes;
        bad += f.violations.size();
        for (const auto& v : f.violations)
            fmt::print("{}:{}: {}\n", a, ep.port, v);
    }
    fmt::print("{} connections, {} server segments, {} TSvals and {} TSecr checked, {} violations\n", flows.size(),
               segs, ts, ecr, bad);
    if (segs < min_segments) {
        fmt::print("too few segments: {} < {}\n", segs, min_segments);
        return 1;
    }
    return bad ? 1 : 0;
}
