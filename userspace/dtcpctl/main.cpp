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

}  // namespace dtcpctl

int main(int argc, char** argv)
{
    using namespace dtcpctl;
    CLI::App app{"dtcpctl: control and inspect the DTCP kernel module (dtcp.ko).\n"
                 "Exit status: 0 success, 1 error (a message says why), 2 bad usage."};
    app.require_subcommand(1);
    Options opt;
    app.add_flag("-j,--json", opt.json, "print JSON instead of tables");

    auto* status = app.add_subcommand("status", "module version, node identity, live-object counters");

    auto* config = app.add_subcommand("config", "show or change the node's configuration");
    config->require_subcommand(1);
    config->add_subcommand("show", "the configuration the module holds");
    auto* set = config->add_subcommand("set", "change node id, tunnel port or cluster key (needs CAP_NET_ADMIN)");
    ConfigSet cs;
    set->add_option("--node-id", cs.node_id, "this node's id")->check(CLI::Range(1, DTCP_NODE_ID_MAX));
    set->add_option("--port", cs.port, "UDP port of the hand-off tunnel")->check(CLI::Range(1, 65535));
    set->add_option("--key-file", cs.key_file, "file holding the cluster key as 64 hex digits")
        ->check(CLI::ExistingFile);

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
    return kUsage;
}
