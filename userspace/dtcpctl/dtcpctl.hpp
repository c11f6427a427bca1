// dtcpctl: shared declarations of the command files.
#pragma once

#include <string>

#include "dtcp/control.hpp"

namespace dtcpctl {

struct Options {
    bool json = false;
};

// Exit codes (documented in dtcpctl --help and the man page).
enum Exit { kOk = 0, kError = 1, kUsage = 2 };

// Print "dtcpctl: <what>: <error>" on stderr and return kError.
int fail(const std::string& what, const dtcp::Error& err);

// Open the control socket, printing the reason on failure.
std::optional<dtcp::Control> open_control();

int cmd_status(const Options& opt);
struct ConfigSet {
    std::optional<uint32_t> node_id;
    std::optional<uint16_t> port;
    std::string key_file;
    std::string vip;
};
int cmd_config_show(const Options& opt);
int cmd_config_set(const Options& opt, const ConfigSet& set);

int cmd_peers(const Options& opt);
struct PeerSet {
    uint32_t id = 0;
    std::string addr;
    std::optional<uint16_t> port;
    bool down = false;
};
int cmd_peer_set(const Options& opt, const PeerSet& set);
int cmd_peer_del(const Options& opt, uint32_t id);

int cmd_conns(const Options& opt);
int cmd_stats(const Options& opt);
int cmd_monitor(const Options& opt);

// Adds the hint for CAP_NET_ADMIN to a bare EPERM from a mutation.
dtcp::Error admin_error(dtcp::Error e, const std::string& what);

}  // namespace dtcpctl
