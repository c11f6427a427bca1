#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "report.hpp"
#include "simulator.hpp"
#include "svg_plot.hpp"

using namespace dtcp;
using namespace dtcp::sim;

namespace {

// prefix + number; written out because GCC 12 warns falsely (-Wrestrict) on "x" + string.
std::string name(const char* prefix, std::size_t i)
{
    std::string s(prefix);
    s += std::to_string(i);
    return s;
}

// `n` requests for object `object` of `bytes`, one per connection (clients never repeat).
Trace single_requests(std::size_t n, std::uint64_t bytes, bool distinct_objects = false)
{
    TraceBuilder b;
    for (std::size_t i = 0; i < n; ++i)
        b.add(static_cast<std::int64_t>(i), name("c", i),
              distinct_objects ? name("/o", i) : "/o", bytes, 200);
    return b.finish();
}

} // namespace

TEST_CASE("One node, all hits: throughput is 1 / CPU cost per request", "[sim]")
{
    const Trace t = single_requests(20000, 5120);
    Config c;
    c.policy = GENERATE(Policy::wrr, Policy::lard, Policy::bef, Policy::dtcp);
    c.nodes = 1;
    c.warmup_requests = 1000; // the first request misses; let the pipeline settle
    const Result r = simulate(t, group_connections(t), c);
    // 145 us setup + 10 x 40 us transmit + 145 us teardown
    CHECK(r.throughput_rps == Approx(1.0 / 690e-6).epsilon(0.002));
    CHECK(r.node[0].cpu_util == Approx(1.0).epsilon(0.02));
    CHECK(r.node[0].misses == 1);
    CHECK(r.backend_bytes == 0);
}

TEST_CASE("Persistent connections pay setup and teardown once", "[sim]")
{
    TraceBuilder b;
    for (int conn = 0; conn < 2000; ++conn)
        for (int k = 0; k < 10; ++k)
            b.add(k * 1000, name("c", conn), "/o", 5120, 200);
    const Trace t = b.finish();
    Config c;
    c.warmup_requests = 1000;
    const Result r = simulate(t, group_connections(t), c);
    // (145 + 10 x 400 + 145) us for 10 requests
    CHECK(r.throughput_rps == Approx(10.0 / 4290e-6).epsilon(0.002));
}

TEST_CASE("Disk-bound node: throughput is 1 / (seek + size / rate)", "[sim]")
{
    // 600 KB files are above the 500 KB limit and always come from disk.
    const Trace t = single_requests(2000, 600 * 1024, true);
    Config c;
    const Result r = simulate(t, group_connections(t), c);
    const double disk_s = 0.014 + 600.0 * 1024 / 10e6;
    CHECK(r.throughput_rps == Approx(1.0 / disk_s).epsilon(0.002));
    CHECK(r.hit_rate == 0.0);
    CHECK(r.node[0].disk_util == Approx(1.0).epsilon(0.002));
    CHECK(r.node[0].cpu_util < 0.7);
}

TEST_CASE("Cache size limit: a 150 MB cache holds files up to 500 KB", "[sim]")
{
    // Objects of 400 KB and 600 KB, each requested twice on separate connections.
    TraceBuilder b;
    for (int round = 0; round < 2; ++round) {
        b.add(round * 100000, name("a", round), "/small", 400 * 1024, 200);
        b.add(round * 100000 + 1, name("b", round), "/large", 600 * 1024, 200);
    }
    const Trace t = b.finish();
    Config c;
    c.clients_per_node = 1;
    const Result r = simulate(t, group_connections(t), c);
    CHECK(r.node[0].hits == 1);
    CHECK(r.node[0].misses == 3);
}

namespace {

// Two back-ends.  Open loop: /x is read at node 0; while node 0's disk is busy, /y
// goes to node 1.  Later one connection asks for /x then /y, so its second request is
// best served by node 1 although the connection lives on node 0.
Trace two_node_trace()
{
    TraceBuilder b;
    b.add(0, "a", "/x", 10240, 200);
    b.add(5, "b", "/y", 10240, 200);
    b.add(100000, "c", "/x", 10240, 200);
    b.add(101000, "c", "/y", 10240, 200);
    return b.finish();
}

Result run_two(Policy p)
{
    const Trace t = two_node_trace();
    Config c;
    c.policy = p;
    c.nodes = 2;
    c.mode = ClientMode::open;
    return simulate(t, group_connections(t), c);
}

} // namespace

TEST_CASE("Back-end forwarding relays the response and charges the first node twice", "[sim]")
{
    const Result r = run_two(Policy::bef);
    CHECK(r.remote == 1);
    CHECK(r.backend_bytes == 256 + 10240);
    // node 0: conn a (145+800+145) + c's /x (145+800) + forward request (20) + 2 x 800 + 145
    CHECK(r.node[0].cpu_busy_s == Approx(3800e-6).epsilon(1e-6));
    // node 1: conn b (1090) + receive request (20) + send /y (800)
    CHECK(r.node[1].cpu_busy_s == Approx(1910e-6).epsilon(1e-6));
    CHECK(r.node[0].misses == 1); // /x; the relayed /y is cached at node 0 without a disk read
    CHECK(r.node[1].hits == 1);
    CHECK(r.node[0].disk_busy_s == Approx(0.014 + 10240 / 10e6).epsilon(1e-9));
}

TEST_CASE("DTCP hands off: only state, request and ACKs cross the back-end network", "[sim]")
{
    const Result r = run_two(Policy::dtcp);
    CHECK(r.remote == 1);
    // hand-off 384 + 4 ACKs x 64 (8 segments) + hand-back 128
    CHECK(r.backend_bytes == 384 + 256 + 128);
    CHECK(r.node[0].cpu_busy_s == Approx((1090 + 945 + 30 + 20 + 10 + 145) * 1e-6).epsilon(1e-6));
    CHECK(r.node[1].cpu_busy_s == Approx((1090 + 30 + 20 + 800 + 10) * 1e-6).epsilon(1e-6));
}

TEST_CASE("LARD without hand-off serves the whole connection on its node", "[sim]")
{
    const Result r = run_two(Policy::lard);
    CHECK(r.remote == 0);
    CHECK(r.backend_bytes == 0);
    CHECK(r.node[0].misses == 2); // /x, then /y read again at node 0
    CHECK(r.node[0].served == 3);
    CHECK(r.node[1].served == 1);
}

TEST_CASE("Open loop: requests start at their trace times", "[sim]")
{
    const Result r = run_two(Policy::lard);
    // The last request (/y, read from node 0's disk) is issued at 101 s and takes
    // 20.48 us (in) + 14 ms + 1.024 ms (disk) + 945 us (CPU) + 819.2 us (out).
    CHECK(r.makespan_s == Approx(101.0168087).epsilon(1e-9));
    CHECK(r.mean_response_ms > 1.0);
    CHECK(r.mean_response_ms < 20.0);
}

TEST_CASE("Same inputs give byte-identical output", "[sim]")
{
    SpecWebParams p;
    p.requests = 20000;
    const Trace t = generate_specweb99(p);
    const Connections c = group_connections(t);
    std::vector<Result> a, b;
    for (auto pol : {Policy::wrr, Policy::lard, Policy::bef, Policy::dtcp}) {
        Config cfg;
        cfg.policy = pol;
        cfg.nodes = 4;
        a.push_back(simulate(t, c, cfg));
        b.push_back(simulate(t, c, cfg));
    }
    CHECK(results_csv(a) == results_csv(b));
    CHECK(nodes_csv(a) == nodes_csv(b));
    CHECK(throughput_svg(a, "t") == throughput_svg(b, "t"));
}

TEST_CASE("DTCP beats back-end forwarding on SPECweb99 with many nodes", "[sim]")
{
    SpecWebParams p;
    p.requests = 60000;
    const Trace t = generate_specweb99(p);
    const Connections c = group_connections(t);
    Config cfg;
    cfg.nodes = 8;
    cfg.policy = Policy::bef;
    const Result bef = simulate(t, c, cfg);
    cfg.policy = Policy::dtcp;
    const Result dt = simulate(t, c, cfg);
    CHECK(dt.throughput_rps > 1.3 * bef.throughput_rps);
    CHECK(dt.backend_bytes * 5 < bef.backend_bytes);
}

TEST_CASE("Bad configurations are refused", "[sim]")
{
    const Trace t = single_requests(10, 100);
    const Connections c = group_connections(t);
    Config cfg;
    cfg.nodes = 0;
    CHECK_THROWS_AS(simulate(t, c, cfg), std::invalid_argument);
    cfg.nodes = 2;
    cfg.weights = {1, 2, 3};
    CHECK_THROWS_AS(simulate(t, c, cfg), std::invalid_argument);
}

TEST_CASE("Node lists", "[sim][cli]")
{
    CHECK(parse_node_list("1-4") == std::vector<std::uint32_t>{1, 2, 3, 4});
    CHECK(parse_node_list("8,1,2-3,2") == std::vector<std::uint32_t>{1, 2, 3, 8});
    CHECK_THROWS_AS(parse_node_list("0"), std::invalid_argument);
    CHECK_THROWS_AS(parse_node_list("4-2"), std::invalid_argument);
    CHECK_THROWS_AS(parse_node_list("a"), std::invalid_argument);
    CHECK_THROWS_AS(parse_node_list("1,"), std::invalid_argument);
}

TEST_CASE("SVG plot has title, axes labels, legend and one line per series", "[sim][svg]")
{
    SvgPlot plot("Fig & 7", "nodes", "req/s");
    plot.add({"A", {{1, 10}, {2, 20}}});
    plot.add({"B", {{1, 5}, {2, 30}}});
    const std::string s = plot.render();
    CHECK(s.rfind("<svg", 0) == 0);
    CHECK(s.find("Fig &amp; 7") != std::string::npos);
    CHECK(s.find(">nodes<") != std::string::npos);
    CHECK(s.find(">req/s<") != std::string::npos);
    CHECK(s.find(">A<") != std::string::npos);
    CHECK(s.find(">B<") != std::string::npos);
    std::size_t lines = 0;
    for (auto pos = s.find("<polyline"); pos != std::string::npos; pos = s.find("<polyline", pos + 1))
        ++lines;
    CHECK(lines == 2);
    CHECK(nice_step(30, 6) == 5);
    CHECK(nice_step(16, 8) == 2);
    CHECK(nice_step(9000, 6) == 2000);
}

TEST_CASE("Golden CSV for the small fixture trace", "[sim][golden]")
{
    const Trace t = read_trace_file(DTCP_SIM_TEST_DATA "/small.log", TraceFormat::clf);
    CHECK(t.stats.malformed == 3);
    const Connections c = group_connections(t);
    std::vector<Result> results;
    for (auto pol : {Policy::wrr, Policy::lard, Policy::bef, Policy::dtcp})
        for (std::uint32_t n = 1; n <= 4; ++n) {
            Config cfg;
            cfg.policy = pol;
            cfg.nodes = n;
            cfg.cache_bytes = 1 << 20;
            cfg.clients_per_node = 2;
            results.push_back(simulate(t, c, cfg));
        }
    std::ifstream golden(DTCP_SIM_TEST_DATA "/small-golden.csv", std::ios::binary);
    REQUIRE(golden);
    std::stringstream want;
    want << golden.rdbuf();
    CHECK(results_csv(results) == want.str());
}
