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
};
int cmd_config_show(const Options& opt);
int cmd_config_set(const Options& opt, const ConfigSet& set);

}  // namespace dtcpctl
