// dtcpctl: command-line control of the dtcp kernel module.
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "dtcpctl.hpp"

namespace dtcpctl {

int fail(const std::string& what, const dtcp::Error& err)
{
    fmt::print(stderr, "dtcpctl: {}: {}\n", what, err.describe());
    return kError;
}

std::optional<dtcp::Control> open_control()
{
    auto c = dtcp::Control::open();
    if (!c) {
        if (c.error().code == ENOENT)
            fmt::print(stderr, "dtcpctl: {}; load it with 'modprobe dtcp'\n", c.error().message);
        else
            fail("cannot talk to the dtcp module", c.error());
        return std::nullopt;
    }
    return std::move(c.value());
}

dtcp::Error admin_error(dtcp::Error e, const std::string& what)
{
    if (e.code == EPERM && e.message.empty())
        e.message = what + " needs CAP_NET_ADMIN";
    return e;
}

}  // namespace dtcpctl

int main(int argc, char** argv)
{
    using namespace dtcpctl;
    CLI::App app{"dtcpctl: control and inspect the DTCP kernel module (dtcp.ko).\n"
                 "Exit status: 0 success, 1 error (a message says why), 2 bad usage."};
    app.require_subcommand(1);
    Options opt;
    app.add_flag("-j,--json", opt.json, "print JSON instead of tables (also accepted after the command)");
    app.fallthrough();

    auto* status = app.add_subcommand("status", "module version, node identity, live-object counters");

    auto* config = app.add_subcommand("config", "show or change the node's configuration");
    config->require_subcommand(1);
    config->add_subcommand("show", "the running configuration: node id, tunnel port, VIP, key, peers");
    auto* set = config->add_subcommand("set", "change node id, tunnel port or cluster key (needs CAP_NET_ADMIN)");
    ConfigSet cs;
    set->add_option("--node-id", cs.node_id, "this node's id")->check(CLI::Range(1, DTCP_NODE_ID_MAX));
    set->add_option("--port", cs.port, "UDP port of the hand-off tunnel")->check(CLI::Range(1, 65535));
    set->add_option("--key-file", cs.key_file, "file holding the cluster key as 64 hex digits")
        ->check(CLI::ExistingFile);
    set->add_option("--vip", cs.vip, "the cluster's virtual IPv4 address (A.B.C.D)");

    auto* peers = app.add_subcommand("peers", "the peer back-ends: address, port, state, tunnel messages");
    auto* peer = app.add_subcommand("peer", "add, change or remove a peer (needs CAP_NET_ADMIN)");
    peer->require_subcommand(1);
    auto* pset = peer->add_subcommand("set", "add or update peer ID at ADDR");
    PeerSet ps;
    pset->add_option("ID", ps.id, "the peer's node id")->required()->check(CLI::Range(1, DTCP_NODE_ID_MAX));
    pset->add_option("ADDR", ps.addr, "the peer's tunnel IPv4 address")->required();
    pset->add_option("--port", ps.port, "the peer's tunnel UDP port (default: this node's)")
        ->check(CLI::Range(1, 65535));
    pset->add_flag("--down", ps.down, "mark the peer down: no hand-offs to it");
    auto* pdel = peer->add_subcommand("del", "remove peer ID");
    uint32_t del_id = 0;
    pdel->add_option("ID", del_id, "the peer's node id")->required()->check(CLI::Range(1, DTCP_NODE_ID_MAX));

    auto* conns = app.add_subcommand("conns", "connections handed out or served for another node");
    auto* stats = app.add_subcommand("stats", "hand-off, tunnel and drop statistics");
    auto* monitor = app.add_subcommand("monitor",
                                       "print the module's events as they happen, one per line, "
                                       "until SIGINT or SIGTERM");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int rc = app.exit(e);
        return rc == 0 ? kOk : kUsage;
    }

    if (status->parsed())
        return cmd_status(opt);
    if (config->got_subcommand("show"))
        return cmd_config_show(opt);
    if (set->parsed())
        return cmd_config_set(opt, cs);
    if (peers->parsed())
        return cmd_peers(opt);
    if (pset->parsed())
        return cmd_peer_set(opt, ps);
    if (pdel->parsed())
        return cmd_peer_del(opt, del_id);
    if (conns->parsed())
        return cmd_conns(opt);
    if (stats->parsed())
        return cmd_stats(opt);
    if (monitor->parsed())
        return cmd_monitor(opt);
    return kUsage;
}
