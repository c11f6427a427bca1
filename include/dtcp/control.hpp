// Client of the dtcp generic-netlink family: status and configuration.
// Shared by dtcpd and dtcpctl.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <linux/dtcp.h>

#include "dtcp/netlink.hpp"
#include "dtcp/result.hpp"

namespace dtcp {

// Live-object counters, in the module's order (enum dtcp_counter_attr).
struct Counters {
    std::vector<std::pair<std::string, uint32_t>> values;
    bool all_zero() const;
    std::optional<uint32_t> get(const std::string& name) const;
};

struct Status {
    uint32_t abi_version = 0;
    std::string module_version;
    std::optional<uint32_t> node_id;
    std::optional<uint16_t> tunnel_port;
    bool key_set = false;
    Counters live;
};

struct ConfigUpdate {
    std::optional<uint32_t> node_id;
    std::optional<uint16_t> tunnel_port;
    std::optional<std::array<uint8_t, DTCP_KEY_LEN>> cluster_key;
    bool empty() const { return !node_id && !tunnel_port && !cluster_key; }
};

// Name of a live-object counter (enum dtcp_counter_attr), "counter-N" if unknown.
std::string counter_name(uint16_t type);

// Pure codecs, unit-tested without a kernel.
Result<Status> decode_status(const nlmsghdr* nlh);
void encode_config(nl::Message& msg, const ConfigUpdate& update);
// Parse a cluster key written as 64 hex digits (whitespace around it ignored).
Result<std::array<uint8_t, DTCP_KEY_LEN>> parse_key_hex(const std::string& text);

class Control {
public:
    // ENOENT (with a message saying so) when the module is not loaded.
    static Result<Control> open();

    Result<Status> status();
    Result<void> set_config(const ConfigUpdate& update);
    nl::GenlSocket& socket() { return sock_; }

private:
    explicit Control(nl::GenlSocket s) : sock_(std::move(s)) {}
    nl::GenlSocket sock_;
};

}  // namespace dtcp
