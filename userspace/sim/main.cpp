// dtcp-sim: trace-driven simulation of a DTCP / LARD web cluster (Kokku et al., section 4).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "dtcp/trace.hpp"
#include "report.hpp"
#include "simulator.hpp"

namespace {

using namespace dtcp;

struct Options {
    std::string trace, format = "auto";
    std::uint64_t specweb_requests = 0;
    SpecWebParams spec;
    std::vector<std::string> policies{"wrr", "lard", "bef", "dtcp"};
    std::string nodes = "1-16";
    std::string mode = "closed";
    double idle_s = 15;
    double cache_mb = 150, max_cached_kb = 500;
    double setup_us = 145, teardown_us = 145, transmit_us = 40, seek_ms = 14, disk_mb_s = 10;
    double adaptor_mbit = 100;
    unsigned jobs = 1;
    std::string csv, node_csv, svg_throughput, svg_bytes, svg_nodes, title;
    bool quiet = false, timing = false;
};

void write_file(const std::string& path, const std::string& text)
{
    std::ofstream out(path, std::ios::binary);
    if (!out || !(out << text))
        throw std::runtime_error(fmt::format("cannot write '{}'", path));
}

Trace load(const Options& o)
{
    if (o.trace.empty() == (o.specweb_requests == 0))
        throw std::runtime_error("give exactly one of --trace FILE or --specweb N");
    if (o.specweb_requests) {
        SpecWebParams p = o.spec;
        p.requests = o.specweb_requests;
        return generate_specweb99(p);
    }
    TraceFormat f;
    if (o.format == "auto") {
        std::ifstream in(o.trace);
        if (!in)
            throw std::runtime_error(fmt::format("cannot open trace '{}'", o.trace));
        auto d = detect_trace_format(in);
        if (!d)
            throw std::runtime_error(fmt::format("'{}': no line parses as clf, squid or tsv", o.trace));
        f = *d;
    } else if (auto n = trace_format_from_name(o.format)) {
        f = *n;
    } else {
        throw std::runtime_error(fmt::format("unknown trace format '{}' (use clf, squid, tsv or auto)", o.format));
    }
    return read_trace_file(o.trace, f);
}

// Runs every configuration, `jobs` at a time; results keep the order of `cfgs`.
std::vector<sim::Result> run_all(const Trace& t, const Connections& c, const std::vector<sim::Config>& cfgs,
                                 unsigned jobs)
{
    std::vector<sim::Result> out(cfgs.size());
    std::atomic<std::size_t> next{0};
    std::exception_ptr error;
    std::mutex error_lock;
    auto worker = [&] {
        for (std::size_t i; (i = next++) < cfgs.size();) {
            try {
                out[i] = sim::simulate(t, c, cfgs[i]);
            } catch (...) {
                std::lock_guard g(error_lock);
                error = std::current_exception();
            }
        }
    };
    std::vector<std::thread> threads;
    for (unsigned j = 1; j < std::max(1u, jobs); ++j)
        threads.emplace_back(worker);
    worker();
    for (auto& th : threads)
        th.join();
    if (error)
        std::rethrow_exception(error);
    return out;
}

} // namespace

int main(int argc, char** argv)
{
    Options o;
    sim::Config base;
    CLI::App app{"dtcp-sim: trace-driven simulation of a web cluster under WRR, LARD, "
                 "LARD with back-end forwarding and DTCP partial hand-off"};
    app.set_config("--config", "", "read options from a TOML file (keys are the long option names)");

    auto* in = "Input";
    app.add_option("-t,--trace", o.trace, "access log to replay")->group(in);
    app.add_option("-f,--format", o.format, "trace format: clf, squid, tsv or auto")->capture_default_str()->group(in);
    app.add_option("--specweb", o.specweb_requests, "use a synthetic SPECweb99 trace of N requests")->group(in);
    app.add_option("--spec-dirs", o.spec.directories, "SPECweb99 directories")->capture_default_str()->group(in);
    app.add_option("--spec-zipf", o.spec.zipf_alpha, "SPECweb99 directory Zipf exponent")->capture_default_str()->group(in);
    app.add_option("--spec-min-per-conn", o.spec.min_per_conn, "SPECweb99 fewest requests per connection")->capture_default_str()->group(in);
    app.add_option("--spec-max-per-conn", o.spec.max_per_conn, "SPECweb99 most requests per connection")->capture_default_str()->group(in);
    app.add_option("--spec-conn-gap-ms", o.spec.conn_gap_ms, "SPECweb99 time between connection starts, ms")->capture_default_str()->group(in);
    app.add_option("--seed", o.spec.seed, "SPECweb99 random seed")->capture_default_str()->group(in);

    auto* cl = "Cluster";
    app.add_option("-p,--policies", o.policies, "policies: wrr, lard, bef, dtcp")->delimiter(',')->capture_default_str()->group(cl);
    app.add_option("-n,--nodes", o.nodes, "back-end counts, e.g. 1-16 or 1,2,4,8")->capture_default_str()->group(cl);
    app.add_option("--cache-mb", o.cache_mb, "LRU cache per node, MiB")->capture_default_str()->group(cl);
    app.add_option("--max-cached-kb", o.max_cached_kb, "larger files are never cached, KiB")->capture_default_str()->group(cl);
    app.add_option("--imbalance", base.imbalance, "Algorithm 1 load-difference threshold, requests")->capture_default_str()->group(cl);
    app.add_option("--weights", base.weights, "weighted round-robin weights, one per node")->delimiter(',')->group(cl);
    app.add_option("--idle", o.idle_s, "persistent-connection idle time, seconds")->capture_default_str()->group(cl);

    auto* cc = "Clients";
    app.add_option("--mode", o.mode, "closed (as fast as served) or open (trace timestamps)")->capture_default_str()->group(cc);
    app.add_option("--clients-per-node", base.clients_per_node, "closed loop: concurrent clients per back-end")->capture_default_str()->group(cc);
    app.add_option("--time-scale", base.time_scale, "open loop: replay this many times faster")->capture_default_str()->group(cc);
    app.add_option("--warmup", base.warmup_requests, "completions left out of the throughput")->capture_default_str()->group(cc);

    auto* co = "Costs";
    app.add_option("--conn-setup-us", o.setup_us, "connection establishment, us")->capture_default_str()->group(co);
    app.add_option("--conn-teardown-us", o.teardown_us, "connection teardown, us")->capture_default_str()->group(co);
    app.add_option("--transmit-us", o.transmit_us, "CPU per 512 bytes sent or received, us")->capture_default_str()->group(co);
    app.add_option("--disk-seek-ms", o.seek_ms, "disk seek, ms")->capture_default_str()->group(co);
    app.add_option("--disk-mb-s", o.disk_mb_s, "disk transfer rate, MB/s")->capture_default_str()->group(co);
    app.add_option("--adaptor-mbit", o.adaptor_mbit, "network adaptor speed, Mbit/s")->capture_default_str()->group(co);
    app.add_option("--request-bytes", base.costs.request_bytes, "HTTP request size")->capture_default_str()->group(co);
    app.add_option("--handoff-bytes", base.costs.handoff_bytes, "DTCP hand-off message (state + request)")->capture_default_str()->group(co);
    app.add_option("--handback-bytes", base.costs.handback_bytes, "DTCP hand-back message")->capture_default_str()->group(co);
    app.add_option("--ack-bytes", base.costs.ack_bytes, "DTCP forwarded ACK size")->capture_default_str()->group(co);
    app.add_option("--segment-bytes", base.costs.segment_bytes, "TCP segment size (one ACK per two)")->capture_default_str()->group(co);
    app.add_option("--bef-charge", base.costs.bef_charge, "BEF: transmit charges of a relayed response at the first back-end")->capture_default_str()->group(co);

    auto* out = "Output";
    app.add_option("--csv", o.csv, "throughput and back-end bytes per (policy, nodes)")->group(out);
    app.add_option("--node-csv", o.node_csv, "per-node utilisation")->group(out);
    app.add_option("--svg-throughput", o.svg_throughput, "plot of throughput vs nodes (Fig. 7)")->group(out);
    app.add_option("--svg-backend", o.svg_bytes, "plot of back-end traffic vs nodes (Fig. 8)")->group(out);
    app.add_option("--svg-nodes", o.svg_nodes, "plot of per-node CPU and disk utilisation at the largest size")->group(out);
    app.add_option("--title", o.title, "plot title prefix")->group(out);
    app.add_option("-j,--jobs", o.jobs, "simulations run in parallel")->capture_default_str()->group(out);
    app.add_flag("-q,--quiet", o.quiet, "no table on stdout")->group(out);
    app.add_flag("--timing", o.timing, "print wall-clock times of loading and simulating on stderr")->group(out);

    CLI11_PARSE(app, argc, argv);
    try {
        if (o.mode == "closed")
            base.mode = sim::ClientMode::closed;
        else if (o.mode == "open")
            base.mode = sim::ClientMode::open;
        else
            throw std::runtime_error(fmt::format("unknown client mode '{}' (use closed or open)", o.mode));
        if (o.cache_mb < 0 || o.max_cached_kb < 0 || o.idle_s < 0 || o.disk_mb_s <= 0 || o.adaptor_mbit <= 0)
            throw std::runtime_error("sizes and times must not be negative, rates must be positive");
        base.cache_bytes = static_cast<std::uint64_t>(o.cache_mb * 1024 * 1024);
        base.max_cached_bytes = static_cast<std::uint64_t>(o.max_cached_kb * 1024);
        base.costs.conn_setup_ns = static_cast<std::int64_t>(o.setup_us * 1e3);
        base.costs.conn_teardown_ns = static_cast<std::int64_t>(o.teardown_us * 1e3);
        base.costs.transmit_ns_per_512 = static_cast<std::int64_t>(o.transmit_us * 1e3);
        base.costs.disk_seek_ns = static_cast<std::int64_t>(o.seek_ms * 1e6);
        base.costs.disk_bytes_per_s = o.disk_mb_s * 1e6;
        base.costs.adaptor_bits_per_s = o.adaptor_mbit * 1e6;

        std::vector<sim::Policy> policies;
        for (const auto& name : o.policies) {
            auto p = sim::policy_from_name(name);
            if (!p)
                throw std::runtime_error(fmt::format("unknown policy '{}' (use wrr, lard, bef, dtcp)", name));
            policies.push_back(*p);
        }
        const auto node_counts = sim::parse_node_list(o.nodes);
        using clock = std::chrono::steady_clock;
        const auto t_start = clock::now();
        const Trace trace = load(o);
        if (trace.stats.malformed)
            std::cerr << fmt::format("dtcp-sim: skipped {} malformed of {} lines (first at line {})\n",
                                     trace.stats.malformed, trace.stats.lines, trace.stats.first_malformed_line);
        if (trace.requests.empty())
            throw std::runtime_error("the trace has no requests");
        const Connections conns = group_connections(trace, static_cast<std::int64_t>(o.idle_s * 1000));

        std::vector<sim::Config> cfgs;
        for (auto p : policies)
            for (auto n : node_counts) {
                sim::Config c = base;
                c.policy = p;
                c.nodes = n;
                if (!c.weights.empty() && c.weights.size() != n)
                    throw std::runtime_error(fmt::format("--weights has {} entries, need {} (one per node)",
                                                         c.weights.size(), n));
                cfgs.push_back(c);
            }
        const auto t_loaded = clock::now();
        const auto results = run_all(trace, conns, cfgs, o.jobs);
        if (o.timing) {
            const std::chrono::duration<double> load_s = t_loaded - t_start, sim_s = clock::now() - t_loaded;
            std::uint64_t simulated = 0;
            for (const auto& r : results)
                simulated += r.requests;
            std::cerr << fmt::format("timing: load {:.3f} s, simulate {:.3f} s, {} requests simulated, {:.0f} requests/s\n",
                                     load_s.count(), sim_s.count(), simulated,
                                     sim_s.count() > 0 ? static_cast<double>(simulated) / sim_s.count() : 0.0);
        }

        if (!o.quiet)
            std::cout << sim::results_table(results);
        const std::string prefix = o.title.empty() ? "" : o.title + ": ";
        if (!o.csv.empty())
            write_file(o.csv, sim::results_csv(results));
        if (!o.node_csv.empty())
            write_file(o.node_csv, sim::nodes_csv(results));
        if (!o.svg_throughput.empty())
            write_file(o.svg_throughput, sim::throughput_svg(results, prefix + "cluster throughput"));
        if (!o.svg_bytes.empty())
            write_file(o.svg_bytes, sim::backend_svg(results, prefix + "back-end network traffic"));
        if (!o.svg_nodes.empty())
            write_file(o.svg_nodes, sim::nodes_svg(results, prefix + "per-node utilisation"));
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "dtcp-sim: " << e.what() << '\n';
        return 1;
    }
}
