// Prometheus formatting and the UNIX-socket API.
#include <catch2/catch.hpp>

#include <arpa/inet.h>

#include <map>
#include <random>
#include <regex>
#include <set>
#include <sstream>

#include "api.hpp"
#include "metrics.hpp"
#include "module_port.hpp"

using namespace dtcpd;
using namespace std::chrono_literals;

namespace {

std::map<std::string, std::string> samples(const std::string& text)
{
    std::map<std::string, std::string> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#')
            continue;
        size_t sp = line.rfind(' ');
        out[line.substr(0, sp)] = line.substr(sp + 1);
    }
    return out;
}

}  // namespace

TEST_CASE("metrics are valid Prometheus text with the module's statistics", "[dtcpd][metrics]")
{
    MetricsInput in;
    in.node_id = 3;
    in.module_attached = true;
    dtcp::Status st;
    st.live.values = {{"files", 0}, {"conns", 2}, {"handoffs", 1}, {"peers", 2}};
    for (auto [type, v] : std::vector<std::pair<uint16_t, uint64_t>>{
             {DTCP_STAT_HANDOFF_STARTED, 10}, {DTCP_STAT_HANDOFF_DONE, 8},
             {DTCP_STAT_HANDOFF_FAILED, 2},   {DTCP_STAT_DROP_BAD_MAC, 5},
             {DTCP_STAT_DROP_MALFORMED, 1},   {DTCP_STAT_DROP_REPLAY, 0},
             {40, 77}})
        st.stats.values.emplace_back(dtcp::stat_name(type), v);
    in.module = st;
    in.peers = {{2, inet_addr("10.0.0.2"), PeerState::Up, 0.1}, {4, inet_addr("10.0.0.4"), PeerState::Down, 3.5}};
    in.dir_objects = 12;
    in.dir_capacity = 100;
    in.load = {7, 2};
    in.counters.hb_sent = 5;
    std::string text = format_metrics(in);

    auto s = samples(text);
    CHECK(s["dtcpd_node_id"] == "3");
    CHECK(s["dtcpd_module_attached"] == "1");
    CHECK(s["dtcp_handoffs_started_total"] == "10");
    CHECK(s["dtcp_handoffs_completed_total"] == "8");
    CHECK(s["dtcp_handoffs_failed_total"] == "2");
    CHECK(s["dtcp_tunnel_drops_total{reason=\"malformed\"}"] == "1");
    CHECK(s["dtcp_tunnel_drops_total{reason=\"bad_mac\"}"] == "5");
    CHECK(s["dtcp_tunnel_drops_total{reason=\"replay\"}"] == "0");
    CHECK(s.count("dtcp_tunnel_drops_total{reason=\"no_conn\"}") == 0);  // not reported by the module
    CHECK(s["dtcp_stat_40_total"] == "77");                              // newer than dtcpd
    CHECK(s["dtcp_live_objects{kind=\"conns\"}"] == "2");
    CHECK(s["dtcp_live_objects{kind=\"handoffs\"}"] == "1");
    CHECK(s["dtcpd_peer_up{peer=\"2\",address=\"10.0.0.2\"}"] == "1");
    CHECK(s["dtcpd_peer_up{peer=\"4\",address=\"10.0.0.4\"}"] == "0");
    CHECK(s["dtcpd_peer_state{peer=\"4\",state=\"down\"}"] == "1");
    CHECK(s["dtcpd_peer_state{peer=\"4\",state=\"up\"}"] == "0");
    CHECK(s["dtcpd_peer_state{peer=\"4\",state=\"unknown\"}"] == "0");
    CHECK(s["dtcpd_peer_state{peer=\"2\",state=\"up\"}"] == "1");
    CHECK(s["dtcpd_module_peer_ops"] == "0");
    CHECK(s["dtcpd_peer_silent_seconds{peer=\"4\"}"] == "3.500");
    CHECK(s["dtcpd_directory_objects"] == "12");
    CHECK(s["dtcpd_load_processing"] == "7");
    CHECK(s["dtcpd_heartbeats_sent_total"] == "5");

    // Syntax: every sample line is NAME{LABELS} VALUE; every family has one
    // HELP and one TYPE line, before its samples.
    std::regex sample_re(R"(^([a-z_:][a-z0-9_:]*)(\{([a-z_]+="[^"\\]*")(,[a-z_]+="[^"\\]*")*\})? [0-9.]+$)");
    std::set<std::string> helped, typed;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        INFO(line);
        if (line.rfind("# HELP ", 0) == 0) {
            std::string name = line.substr(7, line.find(' ', 7) - 7);
            CHECK(helped.insert(name).second);
        } else if (line.rfind("# TYPE ", 0) == 0) {
            std::string name = line.substr(7, line.find(' ', 7) - 7);
            CHECK(typed.insert(name).second);
            std::string type = line.substr(line.rfind(' ') + 1);
            CHECK((type == "counter" || type == "gauge"));
        } else {
            std::smatch m;
            REQUIRE(std::regex_match(line, m, sample_re));
            CHECK(typed.count(m[1].str()) == 1);
        }
    }
    CHECK(text.back() == '\n');
}

TEST_CASE("metrics without a module omit the module's families", "[dtcpd][metrics]")
{
    MetricsInput in;
    in.node_id = 1;
    std::string text = format_metrics(in);
    auto s = samples(text);
    CHECK(s["dtcpd_module_attached"] == "0");
    CHECK(text.find("dtcp_handoffs_started_total") == std::string::npos);
    CHECK(text.find("dtcp_live_objects") == std::string::npos);
}

TEST_CASE("the UNIX-socket API answers requests line by line", "[dtcpd][api]")
{
    Directory dir(1, 100, 4096, 4, 100);
    PeerHealth health(100ms, 500ms);
    DaemonCounters counters;
    ApiContext ctx{dir, health, counters};
    TimePoint now{};
    health.add(2, now);
    health.add(3, now);
    health.heard(2, now);

    CHECK(handle_api_line("PING", ctx) == "OK 1");
    CHECK(handle_api_line("PEERS", ctx) == "OK 2=up 3=unknown");
    CHECK(handle_api_line("PREFER /a.html", ctx) == "OK 1");
    CHECK(handle_api_line("CACHED /a.html", ctx) == "OK");
    CHECK(handle_api_line("SERVERS /a.html", ctx) == "OK 1");
    CHECK(dir.local().contains("/a.html"));
    // Names may contain spaces: everything after the first one is the name.
    CHECK(handle_api_line("CACHED /with space.html\r", ctx) == "OK");
    CHECK(dir.local().contains("/with space.html"));

    LocalContent peer(100, 4096, 4);
    peer.cached("/b.html");
    dir.peer_summary(2, 1, peer.summary());
    dir.peer_summary(3, 1, peer.summary());
    CHECK(handle_api_line("PREFER /b.html", ctx) == "OK 2");  // 3 caches it too but is not up
    CHECK(handle_api_line("SERVERS /b.html", ctx) == "OK 2");
    CHECK(handle_api_line("LOAD 12 3", ctx) == "OK");
    CHECK(dir.local_load().processing == 12);
    CHECK(dir.local_load().disk == 3);
    CHECK(dir.local_load().requests == 12);
    CHECK(handle_api_line("LOAD 12 3 40", ctx) == "OK");
    CHECK(dir.local_load().requests == 40);
    CHECK(handle_api_line("EVICTED /a.html", ctx) == "OK");
    CHECK(!dir.local().contains("/a.html"));
    CHECK(counters.lookups == 2);

    uint64_t errors = counters.api_errors;
    CHECK(handle_api_line("PREFER", ctx).rfind("ERR ", 0) == 0);
    CHECK(handle_api_line("CACHED ", ctx).rfind("ERR ", 0) == 0);
    CHECK(handle_api_line("LOAD 1", ctx).rfind("ERR ", 0) == 0);
    CHECK(handle_api_line("LOAD -1 2", ctx).rfind("ERR ", 0) == 0);
    CHECK(handle_api_line("LOAD 1 2x", ctx).rfind("ERR ", 0) == 0);
    CHECK(handle_api_line("LOAD 1 2 ", ctx).rfind("ERR ", 0) == 0);
    CHECK(handle_api_line("LOAD 1 2 3 4", ctx).rfind("ERR ", 0) == 0);
    CHECK(handle_api_line("PEERS x", ctx).rfind("ERR ", 0) == 0);
    CHECK(handle_api_line("prefer /a", ctx).rfind("ERR unknown request", 0) == 0);
    CHECK(handle_api_line("", ctx).rfind("ERR ", 0) == 0);
    CHECK(handle_api_line("CACHED /" + std::string(kMaxObjectName, 'x'), ctx) ==
          "ERR object name longer than 1024 bytes");
    CHECK(handle_api_line("CACHED " + std::string(kMaxObjectName, 'x'), ctx) == "OK");
    CHECK(counters.api_errors == errors + 11);
}

TEST_CASE("the API answers every line, however malformed, with one OK/ERR line", "[dtcpd][api]")
{
    Directory dir(1, 50, 4096, 4, 100);
    PeerHealth health(100ms, 500ms);
    DaemonCounters counters;
    ApiContext ctx{dir, health, counters};
    std::mt19937 rng(7);
    const char* words[] = {"PREFER", "SERVERS", "CACHED", "EVICTED", "LOAD", "PEERS", "PING", "", " ", "\r"};
    for (int i = 0; i < 20000; i++) {
        std::string line = words[rng() % 10];
        for (int n = rng() % 20; n > 0; n--) {
            char c = static_cast<char>(rng() % 256);
            line += c == '\n' ? ' ' : c;
        }
        std::string r = handle_api_line(line, ctx);
        INFO(line);
        CHECK((r == "OK" || r.rfind("OK ", 0) == 0 || r.rfind("ERR ", 0) == 0));
        CHECK(r.find('\n') == std::string::npos);
    }
    CHECK(dir.local().size() <= 50);
    CHECK(counters.api_requests == 20000);
}
