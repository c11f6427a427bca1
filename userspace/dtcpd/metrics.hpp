// Prometheus text exposition (format 0.0.4) of the module's and the daemon's figures.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "directory.hpp"
#include "health.hpp"
#include "module_port.hpp"

namespace dtcpd {

struct PeerMetric {
    uint32_t id = 0;
    uint32_t addr = 0;  // network byte order
    PeerState state = PeerState::Unknown;
    double silent_seconds = 0;  // since the last heartbeat (or since added)
};

struct DaemonCounters {
    uint64_t hb_sent = 0, hb_received = 0, hb_bytes_sent = 0, hb_bytes_received = 0;
    uint64_t hb_rejected = 0;  // malformed, unknown sender, wrong address
    uint64_t digests_sent = 0, digests_received = 0;
    uint64_t lookups = 0, api_requests = 0, api_errors = 0;
    uint64_t reloads = 0, reload_failures = 0;
    uint64_t module_errors = 0, module_events = 0;
};

struct MetricsInput {
    uint32_t node_id = 0;
    bool module_attached = false;
    bool module_peer_ops = false;  // the module implements SET_PEER
    std::optional<dtcp::Status> module;  // absent: no module or GET_STATUS failed
    std::vector<PeerMetric> peers;
    size_t dir_objects = 0;
    uint32_t dir_capacity = 0;
    uint64_t dir_generation = 0;
    uint64_t dir_forgotten = 0;
    Load load;
    DaemonCounters counters;
};

std::string format_metrics(const MetricsInput& in);

}  // namespace dtcpd
