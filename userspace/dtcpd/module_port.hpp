// What dtcpd needs from dtcp.ko, behind an interface: the netlink
// implementation talks to the module through dtcp::Control; tests and
// --no-module use others.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include <linux/dtcp.h>

#include "config.hpp"
#include "dtcp/control.hpp"
#include "dtcp/result.hpp"

namespace dtcpd {

template <typename T>
using Result = dtcp::Result<T>;

class ModulePort {
public:
    virtual ~ModulePort() = default;
    virtual Result<void> set_config(const dtcp::ConfigUpdate& c) = 0;
    virtual Result<void> set_peer(const dtcp::PeerUpdate& p) = 0;
    virtual Result<void> del_peer(uint32_t id) = 0;
    virtual Result<dtcp::Status> status() = 0;
    // Register as this namespace's daemon (DTCP_CMD_SET_DAEMON): the module
    // reports it in its status until the connection is closed.
    virtual Result<void> register_daemon() { return {}; }
    // A descriptor that becomes readable when events are pending, or -1.
    virtual int event_fd() const { return -1; }
    // Drain pending events without blocking.
    virtual Result<void> read_events(const std::function<void(const Result<dtcp::Event>&)>&) { return {}; }
    // Open the connection again (the module was unloaded and loaded).
    virtual Result<void> reconnect() { return {}; }
};

// The real module over generic netlink.
std::unique_ptr<ModulePort> open_netlink_module(dtcp::Error* err);
// --no-module: accepts everything, reports an empty status.
std::unique_ptr<ModulePort> make_null_module();

}  // namespace dtcpd
