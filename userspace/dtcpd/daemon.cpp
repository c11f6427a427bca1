// dtcpd event loop.
#include "daemon.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <random>

#include "log.hpp"
#include "wire.hpp"

namespace dtcpd {

namespace {

constexpr auto kDigestRefresh = std::chrono::seconds(10);
constexpr size_t kMaxClients = 256;
constexpr size_t kMaxHttpRequest = 8192;
// A metrics request must be complete and its answer gone within this time;
// API clients (the local server) may stay connected and idle.
constexpr auto kHttpDeadline = std::chrono::seconds(5);
// How often the module's configuration is compared with ours (a reloaded
// module starts empty).
constexpr auto kModuleCheck = std::chrono::seconds(2);

dtcp::Error sys_error(const std::string& what)
{
    return dtcp::Error{errno, what};
}

int bind_inet(int type, uint32_t addr, uint16_t port, const std::string& what, dtcp::Error* err)
{
    int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *err = sys_error("socket for " + what);
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = addr;
    sa.sin_port = htons(port);
    if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) < 0 ||
        (type == SOCK_STREAM && listen(fd, 64) < 0)) {
        *err = sys_error("cannot bind " + what + " to " + ipv4_to_string(addr) + ":" + std::to_string(port));
        close(fd);
        return -1;
    }
    return fd;
}

}  // namespace

void notify_systemd(const std::string& state)
{
    const char* path = std::getenv("NOTIFY_SOCKET");
    if (!path || !*path)
        return;
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    size_t len = std::strlen(path);
    if (len >= sizeof(sa.sun_path))
        return;
    std::memcpy(sa.sun_path, path, len);
    if (sa.sun_path[0] == '@')
        sa.sun_path[0] = '\0';
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    sendto(fd, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&sa),
           static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len));
    close(fd);
}

Daemon::Daemon(Config cfg, std::unique_ptr<ModulePort> module, bool module_attached)
    : cfg_(std::move(cfg)),
      module_(std::move(module)),
      module_attached_(module_attached),
      health_(Millis(cfg_.hb_interval_ms), Millis(cfg_.hb_timeout_ms)),
      dir_(cfg_.node_id, cfg_.dir_capacity, cfg_.dir_summary_bits, cfg_.dir_hashes, cfg_.dir_imbalance),
      rec_(*module_, health_)
{
    if (cfg_.cluster_key)
        mac_ = wire::mac_key(*cfg_.cluster_key);
    seq_ = random_seq();
}

uint32_t Daemon::random_seq()
{
    static std::random_device rd;
    return rd();
}

Daemon::~Daemon()
{
    for (auto& [fd, c] : clients_)
        close(fd);
    for (int fd : {sig_fd_, hb_fd_, api_fd_, http_fd_})
        if (fd >= 0)
            close(fd);
    if (socket_created_)
        unlink(cfg_.socket_path.c_str());
}

Result<void> Daemon::start()
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, nullptr);
    signal(SIGPIPE, SIG_IGN);
    sig_fd_ = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sig_fd_ < 0)
        return sys_error("signalfd");

    dtcp::Error err;
    hb_fd_ = bind_inet(SOCK_DGRAM, cfg_.hb_bind, cfg_.hb_port, "the heartbeat socket", &err);
    if (hb_fd_ < 0)
        return err;
    if (cfg_.metrics_port) {
        http_fd_ = bind_inet(SOCK_STREAM, cfg_.metrics_bind, cfg_.metrics_port, "the metrics endpoint", &err);
        if (http_fd_ < 0)
            return err;
    }

    // The UNIX socket: a stale file from a crashed instance is replaced,
    // a live instance is not.
    api_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (api_fd_ < 0)
        return sys_error("socket for the API");
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::memcpy(sa.sun_path, cfg_.socket_path.data(), cfg_.socket_path.size());
    {
        int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (probe >= 0 && connect(probe, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0) {
            close(probe);
            return dtcp::Error{EADDRINUSE, "another dtcpd is serving " + cfg_.socket_path};
        }
        if (probe >= 0)
            close(probe);
    }
    unlink(cfg_.socket_path.c_str());
    mode_t old = umask(0117);  // srw-rw----
    int br = bind(api_fd_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
    umask(old);
    if (br < 0 || listen(api_fd_, 64) < 0)
        return sys_error("cannot bind the API socket " + cfg_.socket_path);
    socket_created_ = true;
    if (cfg_.socket_gid && chown(cfg_.socket_path.c_str(), static_cast<uid_t>(-1), *cfg_.socket_gid) < 0)
        return sys_error("cannot give group " + std::to_string(*cfg_.socket_gid) + " the API socket " +
                         cfg_.socket_path);

    if (auto r = rec_.push_all(cfg_, Clock::now()); !r) {
        dtcp::Error e = r.error();
        e.message = "the module refused the node configuration from " + cfg_.path + ": " + e.message;
        return e;
    }
    if (module_attached_ && module_->event_fd() < 0)
        log(Level::Warning, "not subscribed to the module's events");
    if (module_attached_)
        register_daemon();
    log(Level::Info, "heartbeats on " + ipv4_to_string(cfg_.hb_bind) + ":" + std::to_string(cfg_.hb_port) +
                         " every " + std::to_string(cfg_.hb_interval_ms) + " ms, peers down after " +
                         std::to_string(cfg_.hb_timeout_ms) + " ms; API " + cfg_.socket_path +
                         (cfg_.metrics_port ? "; metrics http://" + ipv4_to_string(cfg_.metrics_bind) + ":" +
                                                  std::to_string(cfg_.metrics_port) + "/metrics"
                                            : std::string("; metrics off")));
    return {};
}

void Daemon::register_daemon()
{
    if (auto r = module_->register_daemon(); !r)
        log(Level::Warning, "cannot register with dtcp.ko as its daemon: " + r.error().describe());
}

void Daemon::watch_module(TimePoint now)
{
    if (!module_attached_ || now < next_module_check_)
        return;
    next_module_check_ = now + kModuleCheck;
    auto st = module_->status();
    if (!st) {
        // The family is gone or was registered again: open a new connection.
        if (!module_lost_)
            log(Level::Warning, "lost dtcp.ko (" + st.error().describe() + "); waiting for it");
        module_lost_ = true;
        if (!module_->reconnect())
            return;
        st = module_->status();
        if (!st)
            return;
    }
    if (!module_lost_ && !Reconciler::module_reset(*st, cfg_)) {
        // The registration lives as long as the request socket: a module
        // that reports no daemon lost it (or never took it): try again.
        if (st->daemon == false)
            register_daemon();
        return;
    }
    log(Level::Warning, "dtcp.ko lost its configuration (reloaded?): pushing it again");
    // A new registration of the family may reuse the old id: open fresh
    // sockets so the event subscription is current too.
    if (!module_lost_)
        (void)module_->reconnect();
    module_lost_ = false;
    rec_.forget_module_capabilities();
    if (auto r = rec_.push_all(cfg_, now); !r)
        log(Level::Error, "the module refused the node configuration: " + r.error().describe());
    register_daemon();
}

void Daemon::reload()
{
    notify_systemd("RELOADING=1");
    auto next = load_config(cfg_.path);
    if (!next) {
        counters_.reload_failures++;
        log(Level::Error, "SIGHUP: configuration rejected, keeping the running one: " + next.error().message);
        notify_systemd("READY=1\nSTATUS=last reload rejected");
        return;
    }
    ConfigDiff d = rec_.reload(cfg_, *next, Clock::now());
    // Settings that need a restart keep their running values.
    Config applied = *next;
    applied.hb_bind = cfg_.hb_bind;
    applied.hb_port = cfg_.hb_port;
    applied.socket_path = cfg_.socket_path;
    applied.socket_gid = cfg_.socket_gid;
    applied.metrics_bind = cfg_.metrics_bind;
    applied.metrics_port = cfg_.metrics_port;
    applied.dir_capacity = cfg_.dir_capacity;
    applied.dir_summary_bits = cfg_.dir_summary_bits;
    applied.dir_hashes = cfg_.dir_hashes;
    for (uint32_t id : d.removed) {
        dir_.forget_peer(id);
        digest_sent_gen_.erase(id);
        digest_sent_at_.erase(id);
    }
    cfg_ = std::move(applied);
    mac_.reset();
    if (cfg_.cluster_key)
        mac_ = wire::mac_key(*cfg_.cluster_key);
    for (uint32_t id : d.removed)
        ping_seq_.erase(id);
    health_.set_timing(Millis(cfg_.hb_interval_ms), Millis(cfg_.hb_timeout_ms));
    dir_.set_self(cfg_.node_id);
    dir_.set_imbalance(cfg_.dir_imbalance);
    counters_.reloads++;
    log(Level::Info, "SIGHUP: configuration reloaded: " + std::to_string(d.added.size()) + " peer(s) added, " +
                         std::to_string(d.removed.size()) + " removed, " + std::to_string(d.changed.size()) +
                         " changed" + (d.module_config_changed() ? ", node settings changed" : ""));
    notify_systemd("READY=1\nSTATUS=running");
}

void Daemon::send_to(uint32_t peer, const std::vector<uint8_t>& msg)
{
    const PeerConfig* p = cfg_.find_peer(peer);
    if (!p)
        return;
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = p->addr;
    sa.sin_port = htons(cfg_.peer_hb_port(*p));
    ssize_t n = sendto(hb_fd_, msg.data(), msg.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
    if (n == static_cast<ssize_t>(msg.size())) {
        counters_.hb_sent++;
        counters_.hb_bytes_sent += msg.size();
    }
}

const BloomSummary& Daemon::local_summary()
{
    uint64_t gen = dir_.local().generation();
    if (!summary_ || summary_->first != gen)
        summary_.emplace(gen, dir_.local().summary());
    return summary_->second;
}

void Daemon::send_digest(uint32_t peer, TimePoint now)
{
    wire::Message m{wire::Type::Digest, cfg_.node_id, ++seq_, dir_.local_load(), dir_.local().generation(),
                    local_summary()};
    send_to(peer, wire::encode(m, mac_ ? &*mac_ : nullptr));
    counters_.digests_sent++;
    digest_sent_gen_[peer] = dir_.local().generation();
    digest_sent_at_[peer] = now;
}

void Daemon::send_pings(TimePoint now)
{
    for (const auto& p : cfg_.peers) {
        auto [it, fresh] = ping_seq_.try_emplace(p.id, random_seq());
        wire::Message m{wire::Type::Ping, cfg_.node_id, ++it->second, dir_.local_load(), dir_.local().generation(), {}};
        send_to(p.id, wire::encode(m, mac_ ? &*mac_ : nullptr));
        // Directory summaries: when the local set changed (at most once per
        // heartbeat round) and periodically, to repair losses.
        if (health_.state(p.id) != PeerState::Up)
            continue;
        auto g = digest_sent_gen_.find(p.id);
        auto at = digest_sent_at_.find(p.id);
        if (g == digest_sent_gen_.end() || g->second != dir_.local().generation() ||
            now - at->second >= kDigestRefresh)
            send_digest(p.id, now);
    }
}

void Daemon::on_heartbeat_readable()
{
    std::vector<uint8_t> buf(wire::kMaxMessage + 1);
    // A bounded batch, so a flood cannot starve the API and the timers.
    for (int batch = 0; batch < 256; batch++) {
        sockaddr_in from{};
        socklen_t fl = sizeof(from);
        ssize_t n = recvfrom(hb_fd_, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &fl);
        if (n < 0)
            return;
        auto m = wire::decode(buf.data(), static_cast<size_t>(n), mac_ ? &*mac_ : nullptr);
        const PeerConfig* p = m ? cfg_.find_peer(m->sender) : nullptr;
        if (!m || !p || p->addr != from.sin_addr.s_addr) {
            counters_.hb_rejected++;
            continue;
        }
        TimePoint now = Clock::now();
        if (m->type == wire::Type::Pong) {
            // Fresh only if it answers one of the pings of the last timeout.
            auto it = ping_seq_.find(p->id);
            uint32_t window = cfg_.hb_timeout_ms / cfg_.hb_interval_ms + 2;
            if (it == ping_seq_.end() || it->second - m->seq > window) {
                counters_.hb_rejected++;
                continue;
            }
        }
        counters_.hb_received++;
        counters_.hb_bytes_received += static_cast<uint64_t>(n);
        dir_.peer_load(p->id, m->load);
        switch (m->type) {
        case wire::Type::Ping: {
            wire::Message pong{wire::Type::Pong, cfg_.node_id, m->seq, dir_.local_load(), dir_.local().generation(), {}};
            send_to(p->id, wire::encode(pong, mac_ ? &*mac_ : nullptr));
            break;
        }
        case wire::Type::Digest:
            counters_.digests_received++;
            dir_.peer_summary(p->id, m->generation, std::move(*m->digest));
            break;
        case wire::Type::Pong: {
            auto ts = health_.heard(p->id, now);
            rec_.apply(ts, cfg_);
            for (const auto& t : ts)
                if (t.to == PeerState::Up)
                    send_digest(p->id, now);  // it may have restarted with an empty view of us
            break;
        }
        }
    }
}

void Daemon::accept_clients(int lfd, bool http)
{
    for (;;) {
        int fd = accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        if (clients_.size() >= kMaxClients) {
            close(fd);
            continue;
        }
        Client& c = clients_[fd];
        c.http = http;
        c.accepted = Clock::now();
    }
}

MetricsInput Daemon::metrics_input()
{
    MetricsInput in;
    in.node_id = cfg_.node_id;
    in.module_attached = module_attached_;
    in.module_peer_ops = rec_.peer_ops_supported();
    if (module_attached_) {
        auto st = module_->status();
        if (st)
            in.module = std::move(*st);
        else
            counters_.module_errors++;
    }
    TimePoint now = Clock::now();
    for (const auto& p : cfg_.peers) {
        PeerMetric pm{p.id, p.addr, health_.state(p.id),
                      std::chrono::duration<double>(now - health_.last_heard(p.id)).count()};
        in.peers.push_back(pm);
    }
    in.dir_objects = dir_.local().size();
    in.dir_capacity = dir_.local().capacity();
    in.dir_generation = dir_.local().generation();
    in.dir_forgotten = dir_.local().forgotten();
    in.load = dir_.local_load();
    in.counters = counters_;
    in.counters.module_errors += rec_.errors();
    return in;
}

void Daemon::handle_http(int fd, Client& c)
{
    size_t end = c.in.find("\r\n\r\n");
    if (end == std::string::npos) {
        if (c.in.size() > kMaxHttpRequest)
            close_client(fd);
        return;
    }
    std::string line = c.in.substr(0, c.in.find("\r\n"));
    std::string status = "200 OK", type = "text/plain; version=0.0.4; charset=utf-8", body;
    if (line.rfind("GET /metrics ", 0) == 0 || line.rfind("GET / ", 0) == 0) {
        body = format_metrics(metrics_input());
    } else if (line.rfind("GET ", 0) == 0) {
        status = "404 Not Found";
        body = "try /metrics\n";
    } else {
        status = "405 Method Not Allowed";
        body = "GET only\n";
    }
    c.out = "HTTP/1.1 " + status + "\r\nContent-Type: " + type + "\r\nContent-Length: " +
            std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    c.in.clear();
    c.closing = true;
}

void Daemon::on_client(int fd, short revents)
{
    auto it = clients_.find(fd);
    if (it == clients_.end())
        return;
    Client& c = it->second;
    if (revents & POLLIN) {
        char buf[16384];
        for (;;) {
            ssize_t n = read(fd, buf, sizeof(buf));
            if (n == 0) {
                if (c.out.empty()) {
                    close_client(fd);
                    return;
                }
                c.closing = true;
                break;
            }
            if (n < 0)
                break;
            c.in.append(buf, static_cast<size_t>(n));
        }
        if (c.http) {
            handle_http(fd, c);
            if (!clients_.count(fd))
                return;
        } else {
            ApiContext ctx{dir_, health_, counters_};
            size_t start = 0, nl;
            while ((nl = c.in.find('\n', start)) != std::string::npos) {
                c.out += handle_api_line(std::string_view(c.in).substr(start, nl - start), ctx);
                c.out += '\n';
                start = nl + 1;
            }
            c.in.erase(0, start);
            if (c.in.size() > kMaxRequestLine) {
                c.out += "ERR request line longer than " + std::to_string(kMaxRequestLine) + " bytes\n";
                counters_.api_errors++;
                c.in.clear();
                c.closing = true;
            }
        }
    }
    if (revents & (POLLERR | POLLHUP) && !(revents & POLLIN)) {
        close_client(fd);
        return;
    }
    while (!c.out.empty()) {
        ssize_t n = write(fd, c.out.data(), c.out.size());
        if (n <= 0) {
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                return;
            close_client(fd);
            return;
        }
        c.out.erase(0, static_cast<size_t>(n));
    }
    if (c.closing)
        close_client(fd);
}

void Daemon::close_client(int fd)
{
    close(fd);
    clients_.erase(fd);
}

int Daemon::run()
{
    notify_systemd("READY=1\nSTATUS=running");
    std::vector<pollfd> fds;
    for (;;) {
        TimePoint now = Clock::now();
        rec_.apply(health_.tick(now), cfg_);
        if (health_.ping_due(now))
            send_pings(now);
        watch_module(now);
        for (auto it = clients_.begin(); it != clients_.end();) {
            auto next = std::next(it);
            if (it->second.http && now - it->second.accepted > kHttpDeadline)
                close_client(it->first);
            it = next;
        }

        fds.clear();
        fds.push_back({sig_fd_, POLLIN, 0});
        fds.push_back({hb_fd_, POLLIN, 0});
        fds.push_back({api_fd_, POLLIN, 0});
        fds.push_back({http_fd_, POLLIN, 0});  // -1 is ignored by poll
        fds.push_back({module_->event_fd(), POLLIN, 0});
        for (const auto& [fd, c] : clients_)
            fds.push_back({fd, static_cast<short>(POLLIN | (c.out.empty() ? 0 : POLLOUT)), 0});

        auto wait = std::chrono::duration_cast<Millis>(health_.next_deadline() - Clock::now()).count() + 1;
        int n = poll(fds.data(), fds.size(), static_cast<int>(std::clamp<int64_t>(wait, 0, 1000)));
        if (n < 0 && errno != EINTR) {
            log(Level::Error, std::string("poll: ") + std::strerror(errno));
            return 1;
        }
        if (n <= 0)
            continue;
        if (fds[0].revents & POLLIN) {
            signalfd_siginfo si;
            while (read(sig_fd_, &si, sizeof(si)) == sizeof(si)) {
                if (si.ssi_signo == SIGHUP) {
                    reload();
                } else {
                    log(Level::Info, std::string("stopping on ") + strsignal(static_cast<int>(si.ssi_signo)));
                    notify_systemd("STOPPING=1");
                    return 0;
                }
            }
        }
        if (fds[1].revents & POLLIN)
            on_heartbeat_readable();
        if (fds[2].revents & POLLIN)
            accept_clients(api_fd_, false);
        if (fds[3].revents & POLLIN)
            accept_clients(http_fd_, true);
        if (fds[4].revents & POLLIN) {
            auto r = module_->read_events([&](const Result<dtcp::Event>& e) {
                counters_.module_events++;
                if (!e)
                    log(Level::Warning, "module: undecodable event: " + e.error().describe());
                else
                    log(e->type == DTCP_EV_HANDOFF_FAILED ? Level::Warning : Level::Info,
                        "module: " + dtcp::event_text(*e));
            });
            if (!r)
                log(Level::Error, "module events: " + r.error().describe());
        }
        for (size_t i = 5; i < fds.size(); i++)
            if (fds[i].revents)
                on_client(fds[i].fd, fds[i].revents);
    }
}

}  // namespace dtcpd
