// Module configuration: initial push, SIGHUP diff, liveness.
#include "reconcile.hpp"

#include "log.hpp"

namespace dtcpd {

namespace {

// The VIP goes in a request of its own, so a module that does not know
// DTCP_A_VIP still takes the rest of the configuration.
dtcp::ConfigUpdate vip_only(uint32_t vip)
{
    dtcp::ConfigUpdate u;
    u.vip = vip;
    return u;
}

}  // namespace

void Reconciler::note_error(const std::string& what, const dtcp::Error& e)
{
    errors_++;
    log(Level::Error, what + ": " + e.describe());
}

Result<void> Reconciler::set_peer(const Config& cfg, const PeerConfig& p, bool up)
{
    if (!peer_ops_)
        return {};
    auto r = module_.set_peer({p.id, p.addr, cfg.peer_tunnel_port(p), up});
    if (!r && r.error().code == EOPNOTSUPP) {
        peer_ops_ = false;
        log(Level::Warning, "dtcp.ko does not support peers (SET_PEER: " + r.error().describe() +
                                "); peer liveness is tracked by dtcpd only");
        return {};
    }
    if (!r)
        note_error("SET_PEER " + std::to_string(p.id) + (up ? " up" : " down"), r.error());
    return r;
}

bool Reconciler::module_reset(const dtcp::Status& st, const Config& cfg)
{
    return st.node_id != cfg.node_id || st.tunnel_port != cfg.tunnel_port ||
           (cfg.cluster_key.has_value() && !st.key_set);
}

Result<void> Reconciler::push_all(const Config& cfg, TimePoint now)
{
    dtcp::ConfigUpdate core;
    core.node_id = cfg.node_id;
    core.tunnel_port = cfg.tunnel_port;
    core.cluster_key = cfg.cluster_key;
    if (auto r = module_.set_config(core); !r) {
        errors_++;
        return r.error();
    }
    if (cfg.vip) {
        if (auto r = module_.set_config(vip_only(*cfg.vip)); !r)
            note_error("setting the VIP " + ipv4_to_string(*cfg.vip), r.error());
    }
    for (const auto& p : cfg.peers) {
        health_.add(p.id, now);
        (void)set_peer(cfg, p, health_.state(p.id) == PeerState::Up);
    }
    log(Level::Info, "node " + std::to_string(cfg.node_id) + ", tunnel port " + std::to_string(cfg.tunnel_port) +
                         (cfg.vip ? ", VIP " + ipv4_to_string(*cfg.vip) : std::string(", no VIP")) +
                         (cfg.cluster_key ? ", cluster key set" : ", no cluster key") + ", " +
                         std::to_string(cfg.peers.size()) + " peer(s)");
    return {};
}

ConfigDiff Reconciler::reload(const Config& from, const Config& to, TimePoint now)
{
    ConfigDiff d = diff_configs(from, to);
    if (d.module_config_changed()) {
        dtcp::ConfigUpdate core;
        if (d.node_id) core.node_id = to.node_id;
        if (d.tunnel_port) core.tunnel_port = to.tunnel_port;
        if (d.cluster_key) core.cluster_key = to.cluster_key;
        if (!core.empty())
            if (auto r = module_.set_config(core); !r)
                note_error("SET_CONFIG", r.error());
        if (d.vip && to.vip)
            if (auto r = module_.set_config(vip_only(*to.vip)); !r)
                note_error("setting the VIP " + ipv4_to_string(*to.vip), r.error());
        if (d.vip && !to.vip)
            log(Level::Warning, "the VIP was removed from the configuration; the module keeps " +
                                    ipv4_to_string(*from.vip) + " until it is unloaded");
        if (d.cluster_key && !to.cluster_key)
            log(Level::Warning, "the cluster key was removed from the configuration; the module keeps the old one "
                                "until it is unloaded, and heartbeats are no longer authenticated");
        if (d.node_id)
            log(Level::Warning, "node id changed from " + std::to_string(from.node_id) + " to " +
                                    std::to_string(to.node_id) + ": connections handed out under the old id may fail");
    }
    for (uint32_t id : d.removed) {
        health_.remove(id);
        if (peer_ops_)
            if (auto r = module_.del_peer(id); !r && r.error().code != EOPNOTSUPP)
                note_error("DEL_PEER " + std::to_string(id), r.error());
        log(Level::Info, "peer " + std::to_string(id) + " removed");
    }
    for (const auto& p : d.added) {
        health_.add(p.id, now);
        (void)set_peer(to, p, false);
        log(Level::Info, "peer " + std::to_string(p.id) + " added (" + ipv4_to_string(p.addr) + ")");
    }
    for (const auto& p : d.changed) {
        (void)set_peer(to, p, health_.state(p.id) == PeerState::Up);
        log(Level::Info, "peer " + std::to_string(p.id) + " changed (" + ipv4_to_string(p.addr) + ")");
    }
    for (const auto& what : d.need_restart)
        log(Level::Warning, what + " changed: takes effect when dtcpd restarts");
    return d;
}

void Reconciler::apply(const std::vector<Transition>& ts, const Config& cfg)
{
    for (const auto& t : ts) {
        const PeerConfig* p = cfg.find_peer(t.peer);
        if (!p)
            continue;
        log(t.to == PeerState::Up ? Level::Notice : Level::Warning,
            "peer " + std::to_string(t.peer) + " (" + ipv4_to_string(p->addr) + ") is " + to_string(t.to) +
                " (was " + to_string(t.from) + ")");
        // Unknown -> Down changes nothing in the module: new peers start down.
        if (t.from == PeerState::Unknown && t.to == PeerState::Down)
            continue;
        (void)set_peer(cfg, *p, t.to == PeerState::Up);
    }
}

}  // namespace dtcpd
