// dtcpctl config show | set
#include <fstream>
#include <sstream>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "dtcpctl.hpp"
#include "format.hpp"

namespace dtcpctl {

int cmd_config_show(const Options& opt)
{
    auto ctl = open_control();
    if (!ctl)
        return kError;
    auto st = ctl->status();
    if (!st)
        return fail("config show", st.error());
    auto peers = ctl->peers();
    if (!peers)
        return fail("config show", peers.error());
    if (opt.json)
        fmt::print("{}\n", config_json(*st, *peers).dump(2));
    else
        fmt::print("{}", config_table(*st, *peers));
    return kOk;
}

int cmd_config_set(const Options&, const ConfigSet& cs)
{
    dtcp::ConfigUpdate u;
    u.node_id = cs.node_id;
    u.tunnel_port = cs.port;
    if (!cs.key_file.empty()) {
        std::ifstream f(cs.key_file);
        std::stringstream ss;
        ss << f.rdbuf();
        auto key = dtcp::parse_key_hex(ss.str());
        if (!key)
            return fail(cs.key_file, key.error());
        u.cluster_key = *key;
    }
    if (!cs.vip.empty()) {
        auto vip = dtcp::parse_ip4(cs.vip);
        if (!vip) {
            fmt::print(stderr, "dtcpctl: config set: --vip: {}\n", vip.error().message);
            return kUsage;
        }
        u.vip = *vip;
    }
    if (u.empty()) {
        fmt::print(stderr, "dtcpctl: config set: give --node-id, --port, --key-file or --vip\n");
        return kUsage;
    }
    auto ctl = open_control();
    if (!ctl)
        return kError;
    auto r = ctl->set_config(u);
    if (!r)
        return fail("config set", admin_error(r.error(), "changing the configuration"));
    return kOk;
}

}  // namespace dtcpctl
