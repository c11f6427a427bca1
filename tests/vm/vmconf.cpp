// dtcp-vmconf: configure a node for the VM scenarios in one call.
//   dtcp-vmconf --node N --port P --vip A.B.C.D [--peer ID=ADDR ...]
#include <arpa/inet.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "dtcp/control.hpp"

int main(int argc, char** argv)
{
    dtcp::ConfigUpdate u;
    in_addr vip{};
    auto ctl = dtcp::Control::open();
    if (!ctl) {
        std::fprintf(stderr, "dtcp-vmconf: %s\n", ctl.error().describe().c_str());
        return 1;
    }
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string k = argv[i], v = argv[i + 1];
        if (k == "--node") {
            u.node_id = uint32_t(std::stoul(v));
        } else if (k == "--port") {
            u.tunnel_port = uint16_t(std::stoul(v));
        } else if (k == "--vip") {
            if (inet_pton(AF_INET, v.c_str(), &vip) != 1)
                return 2;
        } else if (k == "--peer") {
            auto eq = v.find('=');
            in_addr a{};
            if (eq == std::string::npos || inet_pton(AF_INET, v.substr(eq + 1).c_str(), &a) != 1)
                return 2;
            auto m = ctl->socket().message(DTCP_CMD_SET_PEER);
            size_t n = m.nest_start(DTCP_A_PEER);
            m.put_u32(DTCP_PEER_A_ID, uint32_t(std::stoul(v.substr(0, eq))));
            m.put(DTCP_PEER_A_ADDR, &a.s_addr, 4);
            m.nest_end(n);
            auto r = ctl->socket().request(m);
            if (!r) {
                std::fprintf(stderr, "dtcp-vmconf: peer %s: %s\n", v.c_str(), r.error().describe().c_str());
                return 1;
            }
        } else {
            return 2;
        }
    }
    auto m = ctl->socket().message(DTCP_CMD_SET_CONFIG);
    dtcp::encode_config(m, u);
    if (vip.s_addr)
        m.put(DTCP_A_VIP, &vip.s_addr, 4);
    auto r = ctl->socket().request(m);
    if (!r) {
        std::fprintf(stderr, "dtcp-vmconf: %s\n", r.error().describe().c_str());
        return 1;
    }
    return 0;
}
