// dtcpd configuration: /etc/dtcp/dtcp.toml, parsed and validated.
// Every error names the file, the line and the key.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <linux/dtcp.h>

#include "dtcp/result.hpp"

namespace dtcpd {

inline constexpr const char* kDefaultConfigPath = "/etc/dtcp/dtcp.toml";
inline constexpr uint16_t kDefaultHeartbeatPort = 7401;
inline constexpr uint16_t kDefaultMetricsPort = 9474;
inline constexpr const char* kDefaultSocketPath = "/run/dtcp/dtcpd.sock";
// 127.0.0.1 in network byte order (the first byte in memory is 127).
inline const uint32_t kLoopback = [] { uint8_t b[4] = {127, 0, 0, 1}; uint32_t v; __builtin_memcpy(&v, b, 4); return v; }();

using Key = std::array<uint8_t, DTCP_KEY_LEN>;

struct PeerConfig {
    uint32_t id = 0;
    uint32_t addr = 0;            // IPv4, network byte order
    uint16_t tunnel_port = 0;     // 0: the node's tunnel port
    uint16_t heartbeat_port = 0;  // 0: heartbeat.port
    int line = 0;                 // where it was declared (for messages)

    bool operator==(const PeerConfig& o) const
    {
        return id == o.id && addr == o.addr && tunnel_port == o.tunnel_port &&
               heartbeat_port == o.heartbeat_port;
    }
};

struct Config {
    std::string path;  // the file it came from

    // [node]
    uint32_t node_id = 0;
    uint16_t tunnel_port = DTCP_DEFAULT_PORT;
    std::optional<uint32_t> vip;  // network byte order
    std::optional<Key> cluster_key;

    // [heartbeat]
    uint32_t hb_bind = 0;  // network byte order, 0 = any
    uint16_t hb_port = kDefaultHeartbeatPort;
    uint32_t hb_interval_ms = 200;
    uint32_t hb_timeout_ms = 1000;  // silence after which a peer is down

    // [directory]
    std::string socket_path = kDefaultSocketPath;
    std::optional<uint32_t> socket_gid;  // group given access to the socket (mode 0660)
    uint32_t dir_capacity = 65536;      // local objects remembered
    uint32_t dir_summary_bits = 65536;  // Bloom summary sent to peers
    uint32_t dir_hashes = 4;
    uint32_t dir_imbalance = 100;  // Algorithm 1's request imbalance

    // [metrics]
    uint32_t metrics_bind = kLoopback;  // network byte order
    uint16_t metrics_port = kDefaultMetricsPort;  // 0: disabled

    std::vector<PeerConfig> peers;

    uint16_t peer_tunnel_port(const PeerConfig& p) const { return p.tunnel_port ? p.tunnel_port : tunnel_port; }
    uint16_t peer_hb_port(const PeerConfig& p) const { return p.heartbeat_port ? p.heartbeat_port : hb_port; }
    const PeerConfig* find_peer(uint32_t id) const;
};

// Parse @text as if read from @path (used in messages and to resolve a
// relative cluster_key_file).  Errors: EINVAL, message "PATH:LINE: KEY: what".
dtcp::Result<Config> parse_config(const std::string& text, const std::string& path);
// Read and parse the file at @path.
dtcp::Result<Config> load_config(const std::string& path);

// What changed between two configurations (SIGHUP).
struct ConfigDiff {
    std::vector<PeerConfig> added;
    std::vector<uint32_t> removed;
    std::vector<PeerConfig> changed;  // same id, new address or ports
    bool node_id = false, tunnel_port = false, vip = false, cluster_key = false;
    // Settings that only take effect on restart (kept at their old values).
    std::vector<std::string> need_restart;

    bool module_config_changed() const { return node_id || tunnel_port || vip || cluster_key; }
    bool empty() const
    {
        return added.empty() && removed.empty() && changed.empty() && !module_config_changed() &&
               need_restart.empty();
    }
};
ConfigDiff diff_configs(const Config& from, const Config& to);

std::string ipv4_to_string(uint32_t be_addr);
std::optional<uint32_t> parse_ipv4(const std::string& s);

}  // namespace dtcpd
