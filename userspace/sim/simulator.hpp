// Trace-driven discrete-event simulation of the cluster in section 4 of Kokku et al.
//
// Each back-end has one CPU, one disk, two input and two output adaptors, all FCFS
// servers, and an LRU cache.  A front-end pins every persistent connection to one
// back-end (the active node); depending on the policy, later requests on the
// connection are served there, fetched from a better node and relayed (back-end
// forwarding) or served by a better node directly (DTCP partial hand-off).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "dtcp/trace.hpp"

namespace dtcp::sim {

enum class Policy {
    wrr,  // weighted round-robin per connection, no content awareness
    lard, // Algorithm 1 picks the node per connection, no hand-off
    bef,  // LARD with back-end forwarding per request
    dtcp, // Algorithm 1 per request, partial hand-off
};
std::optional<Policy> policy_from_name(std::string_view name);
std::string_view policy_name(Policy p);
std::string_view policy_label(Policy p); // for plots

// Costs of the request-processing steps.  Defaults: the paper (after LARD) for the
// CPU and disk; the adaptor speed and message sizes are this simulator's choices.
struct Costs {
    std::int64_t conn_setup_ns = 145'000;
    std::int64_t conn_teardown_ns = 145'000;
    std::int64_t transmit_ns_per_512 = 40'000; // CPU per 512 bytes sent or received
    std::int64_t disk_seek_ns = 14'000'000;
    double disk_bytes_per_s = 10e6;
    double adaptor_bits_per_s = 100e6;  // each of the 2 input and 2 output adaptors
    std::uint64_t request_bytes = 256;  // an HTTP request
    std::uint64_t handoff_bytes = 384;  // DTCP: TCP state + request, active -> passive
    std::uint64_t handback_bytes = 128; // DTCP: state returned, passive -> active
    std::uint64_t ack_bytes = 64;       // DTCP: one forwarded client ACK (tunnelled)
    std::uint64_t segment_bytes = 1460; // one ACK per two segments of response
    double bef_charge = 2.0;            // BEF: transmits charged at the first back-end

    std::int64_t transmit_ns(std::uint64_t bytes) const;
    std::int64_t disk_ns(std::uint64_t bytes) const;
    std::int64_t wire_ns(std::uint64_t bytes) const;
};

enum class ClientMode {
    closed, // each client issues its next request as soon as the previous completes
    open,   // requests issued at their trace timestamps (scaled), in order per connection
};

struct Config {
    Policy policy = Policy::dtcp;
    std::uint32_t nodes = 1;
    std::uint64_t cache_bytes = 150ull << 20;
    std::uint64_t max_cached_bytes = 500ull << 10;
    std::uint32_t imbalance = 100; // Algorithm 1's request-count threshold
    ClientMode mode = ClientMode::closed;
    std::uint32_t clients_per_node = 32; // closed loop: concurrent clients per back-end
    double time_scale = 1.0;             // open loop: trace time is divided by this
    std::vector<std::uint32_t> weights;  // weighted round-robin; empty = all 1
    std::uint64_t warmup_requests = 0;   // completions excluded from the throughput
    Costs costs;
};

struct NodeStats {
    double cpu_util = 0, disk_util = 0, in_util = 0, out_util = 0; // busy fraction
    double cpu_busy_s = 0, disk_busy_s = 0;                          // busy time
    std::uint64_t served = 0;      // responses sent (or read, for BEF) by this node
    std::uint64_t hits = 0, misses = 0;
    std::uint64_t connections = 0; // connections this node was active for
};

struct Result {
    Policy policy = Policy::dtcp;
    std::uint32_t nodes = 0;
    std::uint64_t requests = 0;
    double makespan_s = 0;
    double throughput_rps = 0;
    double hit_rate = 0;
    std::uint64_t backend_bytes = 0; // bytes over the back-end network
    std::uint64_t remote = 0;        // requests forwarded or handed off
    double mean_response_ms = 0;
    std::vector<NodeStats> node;
};

// Runs one simulation.  Deterministic: the same inputs give the same result.
// Throws std::invalid_argument on a bad configuration.
Result simulate(const Trace& trace, const Connections& conns, const Config& cfg);

} // namespace dtcp::sim
