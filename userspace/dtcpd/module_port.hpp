// What dtcpd needs from dtcp.ko, behind an interface: the netlink
// implementation talks to the module; tests and --no-module use others.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <linux/dtcp.h>

#include "config.hpp"
#include "dtcp/netlink.hpp"
#include "dtcp/result.hpp"

namespace dtcpd {

template <typename T>
using Result = dtcp::Result<T>;

struct ModuleConfig {
    std::optional<uint32_t> node_id;
    std::optional<uint16_t> tunnel_port;
    std::optional<uint32_t> vip;  // network byte order
    std::optional<Key> cluster_key;
    bool empty() const { return !node_id && !tunnel_port && !vip && !cluster_key; }
    static ModuleConfig vip_only(uint32_t v)
    {
        ModuleConfig c;
        c.vip = v;
        return c;
    }
};

struct ModulePeer {
    uint32_t id = 0;
    uint32_t addr = 0;  // network byte order
    uint16_t port = 0;
    bool up = false;
};

struct ModuleStatus {
    std::optional<uint32_t> node_id;
    std::optional<uint16_t> tunnel_port;
    std::optional<uint32_t> vip;
    bool key_set = false;
    std::vector<std::pair<std::string, uint32_t>> live;  // live-object counters
    std::vector<std::pair<uint16_t, uint64_t>> stats;    // enum dtcp_stat_attr -> value
};

struct ModuleEvent {
    uint32_t type = 0;  // enum dtcp_event
    std::string text;   // human-readable, for the log
};

class ModulePort {
public:
    virtual ~ModulePort() = default;
    virtual Result<void> set_config(const ModuleConfig& c) = 0;
    virtual Result<void> set_peer(const ModulePeer& p) = 0;
    virtual Result<void> del_peer(uint32_t id) = 0;
    virtual Result<ModuleStatus> status() = 0;
    // A descriptor that becomes readable when events are pending, or -1.
    virtual int event_fd() const { return -1; }
    // Drain pending events without blocking.
    virtual Result<void> read_events(const std::function<void(const ModuleEvent&)>&) { return {}; }
    // Open the connection again (the module was unloaded and loaded).
    virtual Result<void> reconnect() { return {}; }
};

// Pure codecs (unit-tested).
void encode_module_config(dtcp::nl::Message& msg, const ModuleConfig& c, bool with_vip);
void encode_peer(dtcp::nl::Message& msg, const ModulePeer& p);
Result<ModuleStatus> decode_module_status(const nlmsghdr* nlh);
Result<ModuleEvent> decode_event(const nlmsghdr* nlh);
// Prometheus-style name of a module statistic ("handoff_started", ...).
std::string stat_name(uint16_t type);

// The real module over generic netlink.
std::unique_ptr<ModulePort> open_netlink_module(dtcp::Error* err);
// --no-module: accepts everything, reports an empty status.
std::unique_ptr<ModulePort> make_null_module();

}  // namespace dtcpd
