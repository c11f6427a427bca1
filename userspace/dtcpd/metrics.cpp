// Prometheus text format.
#include "metrics.hpp"

#include <fmt/core.h>

#include <cctype>
#include <map>
#include <set>

namespace dtcpd {

namespace {

class Writer {
public:
    void family(const std::string& name, const char* type, const std::string& help)
    {
        out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
    }
    template <typename V>
    void sample(const std::string& name, const std::string& labels, V v)
    {
        if (labels.empty())
            out_ += fmt::format("{} {}\n", name, v);
        else
            out_ += fmt::format("{}{{{}}} {}\n", name, labels, v);
    }
    template <typename V>
    void single(const std::string& name, const char* type, const std::string& help, V v)
    {
        family(name, type, help);
        sample(name, "", v);
    }
    std::string take() { return std::move(out_); }

private:
    std::string out_;
};

struct StatInfo {
    const char* metric;
    const char* label;  // reason label for drops, else empty
    const char* help;
};

const std::map<uint16_t, StatInfo>& stat_table()
{
    static const std::map<uint16_t, StatInfo> t = {
        {DTCP_STAT_HANDOFF_STARTED, {"dtcp_handoffs_started_total", "", "Hand-offs started as active node."}},
        {DTCP_STAT_HANDOFF_DONE, {"dtcp_handoffs_completed_total", "", "Hand-offs whose connection came back."}},
        {DTCP_STAT_HANDOFF_FAILED, {"dtcp_handoffs_failed_total", "", "Hand-offs that failed."}},
        {DTCP_STAT_HANDOFF_SERVED, {"dtcp_handoffs_served_total", "", "Hand-offs served as passive node."}},
        {DTCP_STAT_SEG_FORWARDED, {"dtcp_segments_forwarded_total", "", "Client segments sent to a passive node."}},
        {DTCP_STAT_SEG_INJECTED, {"dtcp_segments_injected_total", "", "Client segments injected as passive node."}},
        {DTCP_STAT_FROZEN_DROPPED, {"dtcp_frozen_dropped_total", "", "Packets a frozen socket tried to send."}},
        {DTCP_STAT_TX_MSGS, {"dtcp_tunnel_tx_messages_total", "", "Tunnel messages sent."}},
        {DTCP_STAT_RX_MSGS, {"dtcp_tunnel_rx_messages_total", "", "Tunnel messages received."}},
        {DTCP_STAT_RETRANSMITS, {"dtcp_tunnel_retransmits_total", "", "Control messages sent again."}},
        {DTCP_STAT_DROP_MALFORMED, {"dtcp_tunnel_drops_total", "malformed", ""}},
        {DTCP_STAT_DROP_UNKNOWN_PEER, {"dtcp_tunnel_drops_total", "unknown_peer", ""}},
        {DTCP_STAT_DROP_BAD_MAC, {"dtcp_tunnel_drops_total", "bad_mac", ""}},
        {DTCP_STAT_DROP_REPLAY, {"dtcp_tunnel_drops_total", "replay", ""}},
        {DTCP_STAT_DROP_NO_CONN, {"dtcp_tunnel_drops_total", "no_conn", ""}},
        {DTCP_STAT_DROP_STALE, {"dtcp_tunnel_drops_total", "stale", ""}},
        {DTCP_STAT_HANDOFF_TIMEOUT, {"dtcp_handoff_timeouts_total", "", "Hand-offs the passive node did not answer in time."}},
        {DTCP_STAT_PEER_LOST, {"dtcp_handoffs_peer_lost_total", "", "Hand-offs ended because the other node went silent or down."}},
        {DTCP_STAT_SEG_RETURNED, {"dtcp_segments_returned_total", "", "Client segments that reached the passive node after the return, sent back to the active node."}},
        {DTCP_STAT_TAIL_RETURNED, {"dtcp_tail_returns_total", "", "Returns that carried response bytes the client had not acknowledged yet."}},
        {DTCP_STAT_DRAIN_ACKED, {"dtcp_drains_acked_total", "", "Drains on the passive node ended as the client's ACK came in rather than at the next poll."}},
        {DTCP_STAT_UPLOAD_DROPPED, {"dtcp_upload_dropped_total", "", "Client segments not sent to the passive node because their bytes could not be kept (upload_max_kb)."}},
        {DTCP_STAT_UPLOAD_RESTORED, {"dtcp_upload_restored_total", "", "Returns whose client bytes, received unread by the passive node, came from the copy kept here."}},
        {DTCP_STAT_HANDOFF_AGAIN, {"dtcp_handoffs_again_total", "", "Hand-offs started over because a client segment reached the socket just before the freeze."}},
    };
    return t;
}

}  // namespace

std::string format_metrics(const MetricsInput& in)
{
    Writer w;
    w.single("dtcpd_node_id", "gauge", "This node's id.", in.node_id);
    w.single("dtcpd_module_attached", "gauge", "1 if dtcpd drives dtcp.ko, 0 with --no-module.",
             in.module_attached ? 1 : 0);
    w.single("dtcpd_module_peer_ops", "gauge", "1 if dtcp.ko accepts peers (SET_PEER), else 0.",
             in.module_attached && in.module_peer_ops ? 1 : 0);

    if (in.module) {
        const dtcp::Status& m = *in.module;
        w.family("dtcp_live_objects", "gauge", "Objects dtcp.ko holds right now, by kind.");
        for (const auto& [kind, v] : m.live.values)
            w.sample("dtcp_live_objects", fmt::format("kind=\"{}\"", kind), v);

        // Known statistics in a fixed order; drops share one family.
        std::map<std::string, uint64_t> stats(m.stats.values.begin(), m.stats.values.end());
        std::set<std::string> known;
        bool drops_done = false;
        for (const auto& [type, info] : stat_table()) {
            known.insert(dtcp::stat_name(type));
            auto it = stats.find(dtcp::stat_name(type));
            if (it == stats.end())
                continue;
            if (*info.label) {
                if (drops_done)
                    continue;
                drops_done = true;
                w.family("dtcp_tunnel_drops_total", "counter", "Tunnel messages dropped, by reason.");
                for (const auto& [t2, i2] : stat_table()) {
                    auto s = stats.find(dtcp::stat_name(t2));
                    if (*i2.label && s != stats.end())
                        w.sample("dtcp_tunnel_drops_total", fmt::format("reason=\"{}\"", i2.label), s->second);
                }
                continue;
            }
            w.single(info.metric, "counter", info.help, it->second);
        }
        // Statistics newer than this program keep a generic name
        // ("stat-40" becomes dtcp_stat_40_total).
        for (const auto& [name, v] : stats) {
            if (known.count(name))
                continue;
            std::string metric = name;
            for (char& c : metric)
                if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_'))
                    c = '_';
            w.single(fmt::format("dtcp_{}_total", metric), "counter",
                     "Module statistic without a dtcpd description.", v);
        }
    }

    w.family("dtcpd_peer_up", "gauge", "1 if the peer answers heartbeats (hand-offs allowed), else 0.");
    for (const auto& p : in.peers)
        w.sample("dtcpd_peer_up", fmt::format("peer=\"{}\",address=\"{}\"", p.id, ipv4_to_string(p.addr)),
                 p.state == PeerState::Up ? 1 : 0);
    w.family("dtcpd_peer_state", "gauge", "1 for the peer's current liveness state, 0 for the others.");
    for (const auto& p : in.peers)
        for (PeerState st : {PeerState::Unknown, PeerState::Up, PeerState::Down})
            w.sample("dtcpd_peer_state", fmt::format("peer=\"{}\",state=\"{}\"", p.id, to_string(st)),
                     p.state == st ? 1 : 0);
    w.family("dtcpd_peer_silent_seconds", "gauge", "Seconds since the peer's last heartbeat (or since it was added).");
    for (const auto& p : in.peers)
        w.sample("dtcpd_peer_silent_seconds", fmt::format("peer=\"{}\"", p.id), fmt::format("{:.3f}", p.silent_seconds));

    w.single("dtcpd_directory_objects", "gauge", "Objects this node reports as cached.", in.dir_objects);
    w.single("dtcpd_directory_capacity", "gauge", "Objects the local directory remembers at most.", in.dir_capacity);
    w.single("dtcpd_directory_generation", "counter", "Changes to the local directory.", in.dir_generation);
    w.single("dtcpd_directory_forgotten_total", "counter", "Objects dropped because the directory was full.", in.dir_forgotten);
    w.single("dtcpd_load_processing", "gauge", "Processing load reported by the local server.", in.load.processing);
    w.single("dtcpd_load_requests", "gauge", "Requests in progress reported by the local server.", in.load.requests);
    w.single("dtcpd_load_disk", "gauge", "Disk load reported by the local server.", in.load.disk);

    const DaemonCounters& c = in.counters;
    w.single("dtcpd_heartbeats_sent_total", "counter", "Heartbeat messages sent.", c.hb_sent);
    w.single("dtcpd_heartbeats_received_total", "counter", "Heartbeat messages accepted.", c.hb_received);
    w.single("dtcpd_heartbeat_bytes_sent_total", "counter", "Bytes of daemon messages sent.", c.hb_bytes_sent);
    w.single("dtcpd_heartbeat_bytes_received_total", "counter", "Bytes of daemon messages accepted.", c.hb_bytes_received);
    w.single("dtcpd_heartbeats_rejected_total", "counter", "Daemon messages dropped (malformed, unknown sender).", c.hb_rejected);
    w.single("dtcpd_digests_sent_total", "counter", "Directory summaries sent.", c.digests_sent);
    w.single("dtcpd_digests_received_total", "counter", "Directory summaries accepted.", c.digests_received);
    w.single("dtcpd_lookups_total", "counter", "Preferred-node lookups answered.", c.lookups);
    w.single("dtcpd_api_requests_total", "counter", "Requests on the UNIX socket.", c.api_requests);
    w.single("dtcpd_api_errors_total", "counter", "Requests on the UNIX socket answered with ERR.", c.api_errors);
    w.single("dtcpd_reloads_total", "counter", "Configurations applied on SIGHUP.", c.reloads);
    w.single("dtcpd_reload_failures_total", "counter", "SIGHUP reloads rejected (bad file).", c.reload_failures);
    w.single("dtcpd_module_errors_total", "counter", "Module requests that failed.", c.module_errors);
    w.single("dtcpd_module_events_total", "counter", "Module events received.", c.module_events);
    return w.take();
}

}  // namespace dtcpd
