// dtcpctl conns
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "dtcpctl.hpp"

namespace dtcpctl {

namespace {

std::string endpoint(dtcp::Ip4 addr, uint16_t port)
{
    return fmt::format("{}:{}", dtcp::ip4_str(addr), port);
}

}  // namespace

int cmd_conns(const Options& opt)
{
    auto ctl = open_control();
    if (!ctl)
        return kError;
    auto conns = ctl->conns();
    if (!conns)
        return fail("conns", conns.error());
    if (opt.json) {
        nlohmann::json j = nlohmann::json::array();
        for (const auto& c : *conns)
            j.push_back({{"id", c.id},
                         {"origin", c.origin},
                         {"role", dtcp::role_name(c.role)},
                         {"state", dtcp::conn_state_name(c.state)},
                         {"client", endpoint(c.client, c.client_port)},
                         {"local", endpoint(c.local, c.local_port)},
                         {"peer", c.peer},
                         {"handoffs", c.handoffs},
                         {"bytes", c.bytes}});
        fmt::print("{}\n", j.dump(2));
        return kOk;
    }
    const char* row = "{:>10} {:>6} {:<8}{:<11}{:<22}{:<22}{:>5}{:>9}{:>14}\n";
    fmt::print(fmt::runtime(row), "id", "origin", "role", "state", "client", "local", "peer", "handoffs",
               "bytes");
    for (const auto& c : *conns)
        fmt::print(fmt::runtime(row), c.id, c.origin, dtcp::role_name(c.role), dtcp::conn_state_name(c.state),
                   endpoint(c.client, c.client_port), endpoint(c.local, c.local_port), c.peer, c.handoffs,
                   c.bytes);
    return kOk;
}

}  // namespace dtcpctl
