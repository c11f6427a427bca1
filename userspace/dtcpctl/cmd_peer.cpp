// dtcpctl peer set | del
#include <fmt/core.h>

#include "dtcpctl.hpp"

namespace dtcpctl {

int cmd_peer_set(const Options&, const PeerSet& ps)
{
    auto addr = dtcp::parse_ip4(ps.addr);
    if (!addr) {
        fmt::print(stderr, "dtcpctl: peer set: {}\n", addr.error().message);
        return kUsage;
    }
    auto ctl = open_control();
    if (!ctl)
        return kError;
    auto r = ctl->set_peer(ps.id, *addr, ps.port, !ps.down);
    if (!r)
        return fail("peer set", admin_error(r.error(), "changing peers"));
    return kOk;
}

int cmd_peer_del(const Options&, uint32_t id)
{
    auto ctl = open_control();
    if (!ctl)
        return kError;
    auto r = ctl->del_peer(id);
    if (!r) {
        dtcp::Error e = admin_error(r.error(), "changing peers");
        if (e.code == ENOENT && e.message.empty())
            e.message = fmt::format("no peer {}", id);
        return fail("peer del", e);
    }
    return kOk;
}

}  // namespace dtcpctl
