// dtcpctl peers
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "dtcpctl.hpp"

namespace dtcpctl {

int cmd_peers(const Options& opt)
{
    auto ctl = open_control();
    if (!ctl)
        return kError;
    auto peers = ctl->peers();
    if (!peers)
        return fail("peers", peers.error());
    if (opt.json) {
        nlohmann::json j = nlohmann::json::array();
        for (const auto& p : *peers)
            j.push_back({{"id", p.id},
                         {"address", dtcp::ip4_str(p.addr)},
                         {"port", p.port ? nlohmann::json(*p.port) : nlohmann::json(nullptr)},
                         {"up", p.up},
                         {"tx", p.tx},
                         {"rx", p.rx}});
        fmt::print("{}\n", j.dump(2));
        return kOk;
    }
    fmt::print("{:>6} {:<16}{:>6} {:<6}{:>12}{:>12}\n", "id", "address", "port", "state", "tx", "rx");
    for (const auto& p : *peers)
        fmt::print("{:>6} {:<16}{:>6} {:<6}{:>12}{:>12}\n", p.id, dtcp::ip4_str(p.addr),
                   p.port ? std::to_string(*p.port) : "-", p.up ? "up" : "down", p.tx, p.rx);
    return kOk;
}

}  // namespace dtcpctl
