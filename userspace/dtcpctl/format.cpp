// dtcpctl: pure formatting of what the commands print.
#include "format.hpp"

#include <chrono>
#include <ctime>

#include <fmt/core.h>

namespace dtcpctl {

namespace {

template <typename T>
nlohmann::json or_null(const std::optional<T>& v)
{
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

}  // namespace

nlohmann::json config_json(const dtcp::Status& st, const std::vector<dtcp::Peer>& peers)
{
    nlohmann::json j;
    j["node_id"] = or_null(st.node_id);
    j["tunnel_port"] = or_null(st.tunnel_port);
    j["vip"] = st.vip ? nlohmann::json(dtcp::ip4_str(*st.vip)) : nlohmann::json(nullptr);
    j["cluster_key_set"] = st.key_set;
    nlohmann::json ps = nlohmann::json::array();
    for (const auto& p : peers)
        ps.push_back({{"id", p.id}, {"address", dtcp::ip4_str(p.addr)}, {"port", or_null(p.port)}, {"up", p.up}});
    j["peers"] = ps;
    return j;
}

std::string config_table(const dtcp::Status& st, const std::vector<dtcp::Peer>& peers)
{
    std::string out;
    out += fmt::format("{:<13}{}\n", "node id", st.node_id ? std::to_string(*st.node_id) : "unset");
    out += fmt::format("{:<13}{}\n", "tunnel port", st.tunnel_port ? std::to_string(*st.tunnel_port) : "unset");
    out += fmt::format("{:<13}{}\n", "vip", st.vip ? dtcp::ip4_str(*st.vip) : "unset");
    out += fmt::format("{:<13}{}\n", "cluster key", st.key_set ? "set" : "not set");
    if (peers.empty()) {
        out += fmt::format("{:<13}{}\n", "peers", "none");
        return out;
    }
    out += fmt::format("\n{:>6}  {:<16}{:>6}  {}\n", "peer", "address", "port", "state");
    for (const auto& p : peers)
        out += fmt::format("{:>6}  {:<16}{:>6}  {}\n", p.id, dtcp::ip4_str(p.addr),
                           p.port ? std::to_string(*p.port) : "-", p.up ? "up" : "down");
    return out;
}

std::string event_line(const dtcp::Event& e, const std::string& time)
{
    return fmt::format("{} {:<15} {}", time, dtcp::event_name(e.type), dtcp::event_text(e));
}

nlohmann::json event_json(const dtcp::Event& e, const std::string& time)
{
    nlohmann::json j;
    j["time"] = time;
    j["event"] = dtcp::event_name(e.type);
    j["type"] = e.type;
    j["text"] = dtcp::event_text(e);
    if (e.node_id)
        j["node_id"] = *e.node_id;
    if (e.daemon)
        j["daemon"] = *e.daemon;
    if (e.peer_id || e.peer_up) {
        nlohmann::json p = nlohmann::json::object();
        if (e.peer_id)
            p["id"] = *e.peer_id;
        if (e.peer_up)
            p["up"] = *e.peer_up;
        j["peer"] = p;
    }
    if (e.conn_id || e.conn_origin || e.conn_peer || e.client) {
        nlohmann::json c = nlohmann::json::object();
        if (e.conn_id)
            c["id"] = *e.conn_id;
        if (e.conn_origin)
            c["origin"] = *e.conn_origin;
        if (e.conn_peer)
            c["peer"] = *e.conn_peer;
        if (e.client)
            c["client"] = fmt::format("{}:{}", dtcp::ip4_str(*e.client), e.client_port.value_or(0));
        j["conn"] = c;
    }
    return j;
}

std::string timestamp_now()
{
    auto now = std::chrono::system_clock::now();
    std::time_t t = std::chrono::system_clock::to_time_t(now);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm tm{};
    localtime_r(&t, &tm);
    char date[32], zone[8];
    std::strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
    std::strftime(zone, sizeof(zone), "%z", &tm);
    return fmt::format("{}.{:03}{}", date, ms, zone);
}

}  // namespace dtcpctl
