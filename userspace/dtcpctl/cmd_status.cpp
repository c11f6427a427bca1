// dtcpctl status
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "dtcpctl.hpp"

namespace dtcpctl {

nlohmann::json status_json(const dtcp::Status& s)
{
    nlohmann::json j;
    j["module_version"] = s.module_version;
    j["abi_version"] = s.abi_version;
    j["node_id"] = s.node_id ? nlohmann::json(*s.node_id) : nlohmann::json(nullptr);
    j["tunnel_port"] = s.tunnel_port ? nlohmann::json(*s.tunnel_port) : nlohmann::json(nullptr);
    j["cluster_key_set"] = s.key_set;
    j["mac_driver"] = s.mac_driver ? nlohmann::json(*s.mac_driver) : nlohmann::json(nullptr);
    j["mac_blocks_driver"] =
        s.mac_blocks_driver ? nlohmann::json(*s.mac_blocks_driver) : nlohmann::json(nullptr);
    j["vip"] = s.vip ? nlohmann::json(dtcp::ip4_str(*s.vip)) : nlohmann::json(nullptr);
    j["daemon"] = s.daemon ? nlohmann::json(*s.daemon) : nlohmann::json(nullptr);
    nlohmann::json live = nlohmann::json::object();
    for (const auto& [name, v] : s.live.values)
        live[name] = v;
    j["live"] = live;
    return j;
}

int cmd_status(const Options& opt)
{
    auto ctl = open_control();
    if (!ctl)
        return kError;
    auto st = ctl->status();
    if (!st)
        return fail("status", st.error());
    const dtcp::Status& s = *st;
    if (opt.json) {
        fmt::print("{}\n", status_json(s).dump(2));
        return kOk;
    }
    fmt::print("{:<14}{} (ABI {})\n", "module", s.module_version, s.abi_version);
    fmt::print("{:<14}{}\n", "node id", s.node_id ? std::to_string(*s.node_id) : "unset");
    fmt::print("{:<14}{}\n", "tunnel port", s.tunnel_port ? std::to_string(*s.tunnel_port) : "unset");
    fmt::print("{:<14}{}\n", "cluster key", s.key_set ? "set" : "not set");
    if (s.mac_driver)
        fmt::print("{:<14}{}\n", "mac", *s.mac_driver);
    if (s.mac_blocks_driver)
        fmt::print("{:<14}{}\n", "mac blocks", *s.mac_blocks_driver);
    fmt::print("{:<14}{}\n", "vip", s.vip ? dtcp::ip4_str(*s.vip) : "unset");
    if (s.daemon)
        fmt::print("{:<14}{}\n", "daemon", *s.daemon ? "running" : "not running");
    std::string live;
    for (const auto& [name, v] : s.live.values)
        live += fmt::format("{}{} {}", live.empty() ? "" : "  ", name, v);
    fmt::print("{:<14}{}\n", "live objects", live);
    return kOk;
}

}  // namespace dtcpctl
