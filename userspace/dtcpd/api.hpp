// The local UNIX-socket API (docs/dtcpd.md): one request per line, one
// response line per request, in order.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "directory.hpp"
#include "health.hpp"
#include "metrics.hpp"

namespace dtcpd {

inline constexpr size_t kMaxRequestLine = 4096;
// Object names are bounded so the directory's memory is too:
// about directory.capacity x (name + 100) bytes.
inline constexpr size_t kMaxObjectName = 1024;

struct ApiContext {
    Directory& dir;
    const PeerHealth& health;
    DaemonCounters& counters;
};

// Peers that are up, i.e. may receive a hand-off.
std::vector<uint32_t> live_peers(const PeerHealth& health);

// Answer one request line (without its newline).  Never throws.
std::string handle_api_line(std::string_view line, ApiContext& ctx);

}  // namespace dtcpd
