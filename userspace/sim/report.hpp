// CSV tables and plots of simulation results.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "simulator.hpp"

namespace dtcp::sim {

// One line per (policy, nodes): throughput (Fig. 7) and back-end bytes (Fig. 8).
std::string results_csv(const std::vector<Result>& results);
// One line per (policy, nodes, node): utilisation of each device and cache counters.
std::string nodes_csv(const std::vector<Result>& results);
// Fixed-width summary for the terminal.
std::string results_table(const std::vector<Result>& results);
// SVG line charts: throughput and back-end network traffic against cluster size.
std::string throughput_svg(const std::vector<Result>& results, const std::string& title);
std::string backend_svg(const std::vector<Result>& results, const std::string& title);
// CPU (solid) and disk (dashed) utilisation of each node, per policy, at the largest
// cluster size among the results.
std::string nodes_svg(const std::vector<Result>& results, const std::string& title);

// "1-16", "1,2,4,8" or "1-4,8,16" to a sorted list without duplicates.
// Throws std::invalid_argument on anything else.
std::vector<std::uint32_t> parse_node_list(std::string_view spec);

} // namespace dtcp::sim
