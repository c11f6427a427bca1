// UNIX-socket API request handling.
#include "api.hpp"

#include <charconv>

namespace dtcpd {

std::vector<uint32_t> live_peers(const PeerHealth& health)
{
    std::vector<uint32_t> v;
    for (uint32_t id : health.peers())
        if (health.state(id) == PeerState::Up)
            v.push_back(id);
    return v;
}

namespace {

bool parse_u32(std::string_view s, uint32_t& out)
{
    auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    return r.ec == std::errc() && r.ptr == s.data() + s.size() && !s.empty();
}

std::string err(ApiContext& ctx, const std::string& what)
{
    ctx.counters.api_errors++;
    return "ERR " + what;
}

}  // namespace

std::string handle_api_line(std::string_view line, ApiContext& ctx)
{
    ctx.counters.api_requests++;
    if (!line.empty() && line.back() == '\r')
        line.remove_suffix(1);
    size_t sp = line.find(' ');
    std::string_view cmd = line.substr(0, sp);
    std::string_view arg = sp == std::string_view::npos ? std::string_view{} : line.substr(sp + 1);

    auto need_name = [&]() -> bool { return !arg.empty(); };
    if ((cmd == "PREFER" || cmd == "SERVERS" || cmd == "CACHED" || cmd == "EVICTED") && arg.size() > kMaxObjectName)
        return err(ctx, "object name longer than " + std::to_string(kMaxObjectName) + " bytes");
    if (cmd == "PREFER") {
        if (!need_name())
            return err(ctx, "PREFER needs an object name");
        ctx.counters.lookups++;
        return "OK " + std::to_string(ctx.dir.preferred(arg, live_peers(ctx.health)));
    }
    if (cmd == "SERVERS") {
        if (!need_name())
            return err(ctx, "SERVERS needs an object name");
        std::string out = "OK";
        for (uint32_t id : ctx.dir.server_set(arg, live_peers(ctx.health)))
            out += " " + std::to_string(id);
        return out;
    }
    if (cmd == "CACHED") {
        if (!need_name())
            return err(ctx, "CACHED needs an object name");
        ctx.dir.local().cached(arg);
        return "OK";
    }
    if (cmd == "EVICTED") {
        if (!need_name())
            return err(ctx, "EVICTED needs an object name");
        ctx.dir.local().evicted(arg);
        return "OK";
    }
    if (cmd == "LOAD") {
        // LOAD <processing> <disk> [<requests>]; requests default to processing.
        uint32_t v[3];
        size_t n = 0;
        std::string_view rest = arg;
        while (n < 3 && !rest.empty()) {
            size_t e = rest.find(' ');
            if (!parse_u32(rest.substr(0, e), v[n]))
                break;
            n++;
            rest = e == std::string_view::npos ? std::string_view{} : rest.substr(e + 1);
            if (e != std::string_view::npos && rest.empty())
                n = 0;  // trailing space
        }
        if (n < 2 || !rest.empty())
            return err(ctx, "LOAD needs processing and disk load, and optionally requests in progress (unsigned integers)");
        ctx.dir.set_local_load({v[0], v[1], n == 3 ? v[2] : v[0]});
        return "OK";
    }
    if (cmd == "PEERS") {
        if (!arg.empty())
            return err(ctx, "PEERS takes no argument");
        std::string out = "OK";
        for (uint32_t id : ctx.health.peers())
            out += " " + std::to_string(id) + "=" + to_string(ctx.health.state(id));
        return out;
    }
    if (cmd == "PING") {
        if (!arg.empty())
            return err(ctx, "PING takes no argument");
        return "OK " + std::to_string(ctx.dir.self());
    }
    return err(ctx, "unknown request \"" + std::string(cmd.substr(0, 32)) +
                        "\" (PREFER, SERVERS, CACHED, EVICTED, LOAD, PEERS, PING)");
}

}  // namespace dtcpd
