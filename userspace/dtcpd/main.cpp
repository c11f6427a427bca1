// dtcpd: the DTCP control daemon.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstring>
#include <iostream>

#include "daemon.hpp"
#include "log.hpp"

namespace {

// dtcpd query: send one request line to a running daemon, print the answer.
int query(const std::string& path, const std::vector<std::string>& words)
{
    std::string line;
    for (const auto& w : words)
        line += (line.empty() ? "" : " ") + w;
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (path.size() >= sizeof(sa.sun_path)) {
        std::cerr << "dtcpd: socket path too long: " << path << "\n";
        return 1;
    }
    std::memcpy(sa.sun_path, path.data(), path.size());
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) < 0) {
        std::cerr << "dtcpd: cannot connect to " << path << ": " << std::strerror(errno) << "\n";
        return 1;
    }
    line += '\n';
    if (write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
        std::cerr << "dtcpd: cannot send the request: " << std::strerror(errno) << "\n";
        return 1;
    }
    std::string reply;
    char buf[4096];
    ssize_t n;
    while (reply.find('\n') == std::string::npos && (n = read(fd, buf, sizeof(buf))) > 0)
        reply.append(buf, static_cast<size_t>(n));
    close(fd);
    reply = reply.substr(0, reply.find('\n'));
    std::cout << reply << "\n";
    return reply.rfind("OK", 0) == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv)
{
    CLI::App app{"dtcpd: DTCP control daemon (configuration, peer liveness, events, metrics, content directory)"};
    std::string config = dtcpd::kDefaultConfigPath;
    bool no_module = false, check = false, verbose = false;
    app.add_option("-c,--config", config, "configuration file")->capture_default_str();
    app.add_flag("--no-module", no_module, "do not talk to dtcp.ko (heartbeats, directory and metrics only)");
    app.add_flag("--check", check, "validate the configuration and exit");
    app.add_flag("-v,--verbose", verbose, "log debug messages");

    std::string socket_path = dtcpd::kDefaultSocketPath;
    std::vector<std::string> words;
    CLI::App* q = app.add_subcommand("query", "send one request to a running dtcpd's UNIX socket and print the answer");
    q->add_option("-s,--socket", socket_path, "the daemon's socket")->capture_default_str();
    q->add_option("request", words, "request words, e.g. PREFER /index.html")->required();

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    if (q->parsed())
        return query(socket_path, words);
    if (verbose)
        dtcpd::set_log_level(dtcpd::Level::Debug);

    auto cfg = dtcpd::load_config(config);
    if (!cfg) {
        dtcpd::log(dtcpd::Level::Error, cfg.error().message);
        return 1;
    }
    if (check) {
        std::cout << config << ": ok (node " << cfg->node_id << ", " << cfg->peers.size() << " peer(s))\n";
        return 0;
    }

    std::unique_ptr<dtcpd::ModulePort> module;
    if (no_module) {
        module = dtcpd::make_null_module();
    } else {
        dtcp::Error err;
        module = dtcpd::open_netlink_module(&err);
        if (!module) {
            dtcpd::log(dtcpd::Level::Error, err.describe());
            return 1;
        }
    }
    dtcpd::Daemon d(std::move(*cfg), std::move(module), !no_module);
    if (auto r = d.start(); !r) {
        dtcpd::log(dtcpd::Level::Error, r.error().describe());
        return 1;
    }
    return d.run();
}
