// Micro-benchmarks of the simulator's hot paths (Google Benchmark):
// Algorithm 1 on 16 nodes, LRU access, CLF parsing, and one whole small simulation.
#include <benchmark/benchmark.h>

#include "dtcp/policy.hpp"
#include "dtcp/trace.hpp"
#include "simulator.hpp"

namespace {

void algorithm1_16_nodes(benchmark::State& state)
{
    std::vector<dtcp::NodeLoad> loads(16);
    for (std::uint32_t i = 0; i < 16; ++i)
        loads[i] = {i % 5, (i * 7) % 3, i * 3};
    const dtcp::NodeSelector sel;
    std::vector<dtcp::NodeId> set;
    for (auto _ : state) {
        set.assign({3, 7, 11});
        benchmark::DoNotOptimize(sel.select(set, [](dtcp::NodeId n) { return n != 7; }, loads));
    }
}
BENCHMARK(algorithm1_16_nodes);

void lru_access(benchmark::State& state)
{
    dtcp::LruCache cache(150ull << 20, 500 << 10);
    std::uint64_t x = 1;
    for (auto _ : state) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        const auto id = (x >> 33) % 20000;
        benchmark::DoNotOptimize(cache.access(id, 1024 + id * 16));
    }
}
BENCHMARK(lru_access);

void parse_combined_line(benchmark::State& state)
{
    const std::string line =
        R"log(83.149.9.216 - - [17/May/2015:10:05:03 +0000] "GET /presentations/logstash-monitorama-2013/images/kibana-search.png HTTP/1.1" 200 203023 "http://semicomplete.com/presentations/logstash-monitorama-2013/" "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_1)")log";
    for (auto _ : state)
        benchmark::DoNotOptimize(dtcp::parse_clf_line(line));
}
BENCHMARK(parse_combined_line);

void simulate_specweb(benchmark::State& state)
{
    dtcp::SpecWebParams p;
    p.requests = 100000;
    const auto trace = dtcp::generate_specweb99(p);
    const auto conns = dtcp::group_connections(trace);
    dtcp::sim::Config cfg;
    cfg.nodes = 16;
    for (auto _ : state)
        benchmark::DoNotOptimize(dtcp::sim::simulate(trace, conns, cfg));
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 100000);
}
BENCHMARK(simulate_specweb)->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();
