// dtcp-trace: inspect access logs (the paper's Tables 1-2) and generate SPECweb99 traces.
#include "dtcp/trace.hpp"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <stdexcept>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace {

dtcp::TraceFormat resolve_format(const std::string& name, const std::string& path)
{
    if (name != "auto") {
        if (auto f = dtcp::trace_format_from_name(name))
            return *f;
        throw std::runtime_error(fmt::format("unknown trace format '{}' (use clf, squid, tsv or auto)", name));
    }
    std::ifstream in(path);
    if (!in)
        throw std::runtime_error(fmt::format("cannot open trace '{}'", path));
    if (auto f = dtcp::detect_trace_format(in))
        return *f;
    throw std::runtime_error(fmt::format("'{}': no line parses as clf, squid or tsv", path));
}

void print_stats_line(const dtcp::ParseStats& st)
{
    std::cerr << fmt::format("lines {} parsed {} malformed {}", st.lines, st.parsed, st.malformed);
    if (st.malformed)
        std::cerr << fmt::format(" (first at line {})", st.first_malformed_line);
    std::cerr << '\n';
}

int cmd_analyze(const std::string& path, const std::string& format, std::size_t top,
                double idle_s, bool json)
{
    const auto trace = dtcp::read_trace_file(path, resolve_format(format, path));
    print_stats_line(trace.stats);
    auto reports = dtcp::analyze_proxy(trace, static_cast<std::int64_t>(idle_s * 1000));
    if (top && reports.size() > top)
        reports.resize(top);
    if (json) {
        auto arr = nlohmann::json::array();
        for (const auto& r : reports)
            arr.push_back({{"server", r.server}, {"requests", r.requests},
                           {"unrelated", r.unrelated}, {"unrelated_pct", r.unrelated_pct()},
                           {"connections", r.connections}, {"clients", r.clients}});
        std::cout << arr.dump(2) << '\n';
        return 0;
    }
    std::cout << fmt::format("{:<32} {:>11} {:>15} {:>9} {:>11} {:>8}\n", "Server", "Total Reqs.",
                             "Unrelated Reqs.", "% Unrel.", "Pers. Conn.", "Clients");
    for (const auto& r : reports)
        std::cout << fmt::format("{:<32} {:>11} {:>15} {:>8.2f}% {:>11} {:>8}\n", r.server,
                                 r.requests, r.unrelated, r.unrelated_pct(), r.connections,
                                 r.clients);
    return 0;
}

int cmd_stats(const std::string& path, const std::string& format, double idle_s, bool json)
{
    const auto trace = dtcp::read_trace_file(path, resolve_format(format, path));
    print_stats_line(trace.stats);
    const auto conns = dtcp::group_connections(trace, static_cast<std::int64_t>(idle_s * 1000));
    std::uint64_t bytes = 0, distinct_bytes = 0;
    for (const auto& r : trace.requests)
        bytes += r.bytes;
    for (auto s : trace.object_size)
        distinct_bytes += s;
    const double per_conn = conns.count() ? static_cast<double>(trace.requests.size()) / conns.count() : 0;
    if (json) {
        nlohmann::json j{{"requests", trace.requests.size()}, {"clients", trace.clients.size()},
                         {"objects", trace.objects.size()}, {"connections", conns.count()},
                         {"requests_per_connection", per_conn}, {"bytes", bytes},
                         {"distinct_bytes", distinct_bytes}};
        std::cout << j.dump(2) << '\n';
        return 0;
    }
    std::cout << fmt::format("requests {}\nclients {}\nobjects {}\nconnections {}\n"
                             "requests/connection {:.2f}\nbytes {}\nmean response bytes {:.0f}\n"
                             "distinct object bytes {}\n",
                             trace.requests.size(), trace.clients.size(), trace.objects.size(),
                             conns.count(), per_conn, bytes,
                             trace.requests.empty() ? 0.0 : static_cast<double>(bytes) / trace.requests.size(),
                             distinct_bytes);
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    CLI::App app{"dtcp-trace: access-log analysis (Kokku et al. Tables 1-2) and SPECweb99 traces"};
    app.require_subcommand(1);

    std::string path, format = "auto";
    std::size_t top = 10;
    double idle_s = 15;
    bool json = false;
    auto* analyze = app.add_subcommand("analyze", "per origin server: requests, unrelated requests, persistent connections, clients");
    analyze->add_option("trace", path, "access log (proxy log for meaningful results)")->required();
    analyze->add_option("-f,--format", format, "clf, squid, tsv or auto")->capture_default_str();
    analyze->add_option("--top", top, "show the N busiest servers (0: all)")->capture_default_str();
    analyze->add_option("--idle", idle_s, "persistent-connection idle timeout, seconds")->capture_default_str();
    analyze->add_flag("-j,--json", json, "JSON output");

    auto* stats = app.add_subcommand("stats", "requests, clients, objects, persistent connections of a log");
    stats->add_option("trace", path, "access log")->required();
    stats->add_option("-f,--format", format, "clf, squid, tsv or auto")->capture_default_str();
    stats->add_option("--idle", idle_s, "persistent-connection idle timeout, seconds")->capture_default_str();
    stats->add_flag("-j,--json", json, "JSON output");

    dtcp::SpecWebParams sp;
    std::string out_path = "-";
    auto* gen = app.add_subcommand("gen-specweb", "write a synthetic SPECweb99 trace as CLF");
    gen->add_option("-n,--requests", sp.requests, "requests")->capture_default_str();
    gen->add_option("--dirs", sp.directories, "directories in the file set")->capture_default_str();
    gen->add_option("--zipf", sp.zipf_alpha, "Zipf exponent of directory popularity")->capture_default_str();
    gen->add_option("--min-per-conn", sp.min_per_conn, "fewest requests per connection")->capture_default_str();
    gen->add_option("--max-per-conn", sp.max_per_conn, "most requests per connection")->capture_default_str();
    gen->add_option("--seed", sp.seed, "random seed")->capture_default_str();
    gen->add_option("-o,--output", out_path, "output file, - for stdout")->capture_default_str();

    CLI11_PARSE(app, argc, argv);
    try {
        if (*analyze)
            return cmd_analyze(path, format, top, idle_s, json);
        if (*stats)
            return cmd_stats(path, format, idle_s, json);
        const auto trace = dtcp::generate_specweb99(sp);
        if (out_path == "-") {
            dtcp::write_clf(std::cout, trace);
        } else {
            std::ofstream out(out_path);
            if (!out)
                throw std::runtime_error(fmt::format("cannot write '{}'", out_path));
            dtcp::write_clf(out, trace);
        }
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "dtcp-trace: " << e.what() << '\n';
        return 1;
    }
}
