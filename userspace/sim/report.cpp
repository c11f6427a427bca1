#include "report.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <stdexcept>

#include <fmt/format.h>

#include "svg_plot.hpp"

namespace dtcp::sim {

namespace {

double mean_of(const Result& r, double NodeStats::*field)
{
    double s = 0;
    for (const auto& n : r.node)
        s += n.*field;
    return r.node.empty() ? 0 : s / static_cast<double>(r.node.size());
}

double backend_mb_per_s(const Result& r)
{
    return r.makespan_s > 0 ? static_cast<double>(r.backend_bytes) / r.makespan_s / 1e6 : 0;
}

std::string by_policy_svg(const std::vector<Result>& results, const std::string& title,
                          const std::string& y_label, double (*metric)(const Result&))
{
    SvgPlot plot(title, "back-end nodes", y_label);
    std::vector<Policy> order;
    for (const auto& r : results)
        if (std::find(order.begin(), order.end(), r.policy) == order.end())
            order.push_back(r.policy);
    for (Policy p : order) {
        Series s{std::string(policy_label(p)), {}};
        for (const auto& r : results)
            if (r.policy == p)
                s.points.emplace_back(r.nodes, metric(r));
        plot.add(std::move(s));
    }
    return plot.render();
}

} // namespace

std::string results_csv(const std::vector<Result>& results)
{
    std::string o = "policy,nodes,requests,makespan_s,throughput_rps,hit_rate,remote_requests,"
                    "backend_bytes,backend_bytes_per_request,backend_mb_per_s,mean_response_ms,"
                    "cpu_util_mean,disk_util_mean\n";
    for (const auto& r : results)
        o += fmt::format("{},{},{},{:.6f},{:.3f},{:.6f},{},{},{:.1f},{:.6f},{:.3f},{:.6f},{:.6f}\n",
                         policy_name(r.policy), r.nodes, r.requests, r.makespan_s, r.throughput_rps,
                         r.hit_rate, r.remote, r.backend_bytes,
                         r.requests ? static_cast<double>(r.backend_bytes) / static_cast<double>(r.requests) : 0.0,
                         backend_mb_per_s(r), r.mean_response_ms, mean_of(r, &NodeStats::cpu_util),
                         mean_of(r, &NodeStats::disk_util));
    return o;
}

std::string nodes_csv(const std::vector<Result>& results)
{
    std::string o = "policy,nodes,node,served,hits,misses,connections,cpu_util,disk_util,in_util,out_util\n";
    for (const auto& r : results)
        for (std::size_t i = 0; i < r.node.size(); ++i) {
            const auto& n = r.node[i];
            o += fmt::format("{},{},{},{},{},{},{},{:.6f},{:.6f},{:.6f},{:.6f}\n", policy_name(r.policy),
                             r.nodes, i, n.served, n.hits, n.misses, n.connections, n.cpu_util,
                             n.disk_util, n.in_util, n.out_util);
        }
    return o;
}

std::string results_table(const std::vector<Result>& results)
{
    std::string o = fmt::format("{:<6} {:>5} {:>9} {:>12} {:>6} {:>7} {:>12} {:>6} {:>6} {:>9}\n", "policy",
                                "nodes", "requests", "req/s", "hit%", "remote%", "backend MB", "cpu%",
                                "disk%", "resp ms");
    for (const auto& r : results)
        o += fmt::format("{:<6} {:>5} {:>9} {:>12.3f} {:>6.1f} {:>7.1f} {:>12.1f} {:>6.1f} {:>6.1f} {:>9.2f}\n",
                         policy_name(r.policy), r.nodes, r.requests, r.throughput_rps, 100 * r.hit_rate,
                         r.requests ? 100.0 * static_cast<double>(r.remote) / static_cast<double>(r.requests) : 0.0,
                         static_cast<double>(r.backend_bytes) / 1e6, 100 * mean_of(r, &NodeStats::cpu_util),
                         100 * mean_of(r, &NodeStats::disk_util), r.mean_response_ms);
    return o;
}

std::string throughput_svg(const std::vector<Result>& results, const std::string& title)
{
    return by_policy_svg(results, title, "throughput (requests/s)",
                         [](const Result& r) { return r.throughput_rps; });
}

std::string backend_svg(const std::vector<Result>& results, const std::string& title)
{
    return by_policy_svg(results, title, "back-end network traffic (MB/s)", backend_mb_per_s);
}

std::string nodes_svg(const std::vector<Result>& results, const std::string& title)
{
    std::uint32_t largest = 0;
    for (const auto& r : results)
        largest = std::max(largest, r.nodes);
    SvgPlot plot(fmt::format("{} ({} nodes)", title, largest), "node", "utilisation (busy fraction)");
    int color = 0;
    for (const auto& r : results) {
        if (r.nodes != largest)
            continue;
        Series cpu{fmt::format("{} CPU", policy_name(r.policy)), {}, color, false};
        Series disk{fmt::format("{} disk", policy_name(r.policy)), {}, color, true};
        for (std::size_t i = 0; i < r.node.size(); ++i) {
            cpu.points.emplace_back(static_cast<double>(i), r.node[i].cpu_util);
            disk.points.emplace_back(static_cast<double>(i), r.node[i].disk_util);
        }
        plot.add(std::move(cpu));
        plot.add(std::move(disk));
        ++color;
    }
    return plot.render();
}

std::vector<std::uint32_t> parse_node_list(std::string_view spec)
{
    auto number = [&](std::string_view s) {
        std::uint32_t v = 0;
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (s.empty() || ec != std::errc{} || p != s.data() + s.size() || v == 0)
            throw std::invalid_argument(fmt::format("bad node list '{}' (use e.g. 1-16 or 1,2,4,8)", spec));
        return v;
    };
    std::vector<std::uint32_t> out;
    std::string_view rest = spec;
    while (true) {
        const auto comma = rest.find(',');
        const auto item = rest.substr(0, comma);
        const auto dash = item.find('-');
        if (dash == std::string_view::npos) {
            out.push_back(number(item));
        } else {
            const auto lo = number(item.substr(0, dash)), hi = number(item.substr(dash + 1));
            if (hi < lo || hi - lo > 4096)
                throw std::invalid_argument(fmt::format("bad node range '{}'", item));
            for (auto n = lo; n <= hi; ++n)
                out.push_back(n);
        }
        if (comma == std::string_view::npos)
            break;
        rest.remove_prefix(comma + 1);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

} // namespace dtcp::sim
