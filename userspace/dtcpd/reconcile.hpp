// Keeps dtcp.ko's configuration in step with dtcp.toml and peer liveness:
// the whole configuration at start, only the differences on SIGHUP, and
// SET_PEER UP=0/1 when a peer stops or resumes answering heartbeats.
#pragma once

#include <string>
#include <vector>

#include "config.hpp"
#include "health.hpp"
#include "module_port.hpp"

namespace dtcpd {

class Reconciler {
public:
    Reconciler(ModulePort& module, PeerHealth& health) : module_(module), health_(health) {}

    // Push node id, tunnel port, cluster key, VIP and every peer (down until
    // it answers).  Fails if the module refuses the node configuration;
    // a module without VIP or peer support is only reported.
    Result<void> push_all(const Config& cfg, TimePoint now);
    // Apply the difference between @from and @to; peers not in the diff are
    // not touched.  Returns the diff that was applied.
    ConfigDiff reload(const Config& from, const Config& to, TimePoint now);
    // Tell the module about heartbeat transitions.
    void apply(const std::vector<Transition>& ts, const Config& cfg);

    // Whether the module's state shows it lost the configuration (it was
    // reloaded): node id, tunnel port or key differ from @cfg.
    static bool module_reset(const dtcp::Status& st, const Config& cfg);
    // Start over with a module that may be a different build.
    void forget_module_capabilities() { peer_ops_ = true; }

    bool peer_ops_supported() const { return peer_ops_; }
    uint64_t errors() const { return errors_; }

private:
    Result<void> set_peer(const Config& cfg, const PeerConfig& p, bool up);
    void note_error(const std::string& what, const dtcp::Error& e);

    ModulePort& module_;
    PeerHealth& health_;
    bool peer_ops_ = true;
    uint64_t errors_ = 0;
};

}  // namespace dtcpd
