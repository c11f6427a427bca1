// dtcpd's event loop: signals, heartbeats, the UNIX-socket API, the metrics
// endpoint and module events, all in one thread around poll(2).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "api.hpp"
#include "config.hpp"
#include "directory.hpp"
#include "health.hpp"
#include "metrics.hpp"
#include "module_port.hpp"
#include "reconcile.hpp"
#include "siphash.hpp"

namespace dtcpd {

class Daemon {
public:
    Daemon(Config cfg, std::unique_ptr<ModulePort> module, bool module_attached);
    ~Daemon();
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    // Bind the sockets and push the configuration; exit status on failure.
    Result<void> start();
    // Serve until SIGTERM/SIGINT.  Returns the process exit status.
    int run();

private:
    struct Client {
        std::string in, out;
        bool http = false;
        bool closing = false;
        TimePoint accepted{};
    };

    void reload();
    void on_heartbeat_readable();
    void send_pings(TimePoint now);
    void send_digest(uint32_t peer, TimePoint now);
    void send_to(uint32_t peer, const std::vector<uint8_t>& msg);
    void accept_clients(int lfd, bool http);
    void on_client(int fd, short revents);
    void handle_http(int fd, Client& c);
    MetricsInput metrics_input();
    void close_client(int fd);
    void watch_module(TimePoint now);
    void register_daemon();

    Config cfg_;
    std::unique_ptr<ModulePort> module_;
    bool module_attached_;
    PeerHealth health_;
    Directory dir_;
    Reconciler rec_;
    DaemonCounters counters_;
    int sig_fd_ = -1, hb_fd_ = -1, api_fd_ = -1, http_fd_ = -1;
    std::map<int, Client> clients_;
    std::map<uint32_t, uint64_t> digest_sent_gen_;  // peer -> generation last sent
    std::map<uint32_t, TimePoint> digest_sent_at_;
    uint32_t seq_ = 0;
    // Liveness is a challenge-response: only a PONG echoing one of the last
    // pings sent to that peer counts, so replayed messages cannot make a
    // dead peer look alive.
    std::map<uint32_t, uint32_t> ping_seq_;  // peer -> sequence of the last PING
    std::optional<MacKey> mac_;
    // The local summary, rebuilt only when the directory changed.
    std::optional<std::pair<uint64_t, BloomSummary>> summary_;
    const BloomSummary& local_summary();
    uint32_t random_seq();
    bool socket_created_ = false;
    TimePoint next_module_check_{};
    bool module_lost_ = false;
};

// sd_notify(3) without libsystemd: "READY=1" etc. to $NOTIFY_SOCKET.
void notify_systemd(const std::string& state);

}  // namespace dtcpd
