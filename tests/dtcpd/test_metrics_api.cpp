// Prometheus formatting, the UNIX-socket API and the netlink codecs of the module port.
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
    ModuleStatus st;
    st.live = {{"files", 0}, {"conns", 2}, {"handoffs", 1}, {"peers", 2}};
    st.stats = {{DTCP_STAT_HANDOFF_STARTED, 10}, {DTCP_STAT_HANDOFF_DONE, 8},
                {DTCP_STAT_HANDOFF_FAILED, 2},   {DTCP_STAT_DROP_BAD_MAC, 5},
                {DTCP_STAT_DROP_MALFORMED, 1},   {DTCP_STAT_DROP_REPLAY, 0},
                {40, 77}};
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

TEST_CASE("SET_PEER and SET_CONFIG encode the uapi attributes", "[dtcpd][netlink]")
{
    dtcp::nl::Message msg(0x20, 0, DTCP_CMD_SET_PEER, 1);
    encode_peer(msg, {5, inet_addr("10.0.0.5"), 7400, false});
    auto top = dtcp::nl::Attrs::parse_genl(msg.header(), DTCP_A_MAX);
    REQUIRE(top.ok());
    const nlattr* nest = top->get(DTCP_A_PEER);
    REQUIRE(nest);
    auto p = dtcp::nl::Attrs::parse_nested(nest, DTCP_PEER_A_MAX);
    REQUIRE(p.ok());
    CHECK(p->u32(DTCP_PEER_A_ID) == 5u);
    CHECK(p->u16(DTCP_PEER_A_PORT) == 7400);
    CHECK(p->u8(DTCP_PEER_A_UP) == 0);
    REQUIRE(p->u32(DTCP_PEER_A_ADDR));
    CHECK(*p->u32(DTCP_PEER_A_ADDR) == inet_addr("10.0.0.5"));  // network byte order

    dtcp::nl::Message cm(0x20, 0, DTCP_CMD_SET_CONFIG, 1);
    ModuleConfig c;
    c.node_id = 4;
    c.tunnel_port = 7500;
    c.vip = inet_addr("198.18.0.100");
    encode_module_config(cm, c, false);
    auto a = dtcp::nl::Attrs::parse_genl(cm.header(), DTCP_A_MAX);
    REQUIRE(a.ok());
    CHECK(a->u32(DTCP_A_NODE_ID) == 4u);
    CHECK(a->u16(DTCP_A_TUNNEL_PORT) == 7500);
    CHECK(!a->has(DTCP_A_VIP));
    CHECK(!a->has(DTCP_A_CLUSTER_KEY));
    dtcp::nl::Message vm(0x20, 0, DTCP_CMD_SET_CONFIG, 1);
    encode_module_config(vm, ModuleConfig::vip_only(*c.vip), true);
    auto v = dtcp::nl::Attrs::parse_genl(vm.header(), DTCP_A_MAX);
    REQUIRE(v.ok());
    CHECK(v->u32(DTCP_A_VIP) == inet_addr("198.18.0.100"));
    CHECK(!v->has(DTCP_A_NODE_ID));
}

TEST_CASE("GET_STATUS replies and events decode", "[dtcpd][netlink]")
{
    dtcp::nl::Message r(0x20, 0, DTCP_CMD_GET_STATUS, 1);
    r.put_u32(DTCP_A_ABI_VERSION, 1);
    r.put_string(DTCP_A_MODULE_VERSION, "0.1.0");
    r.put_u32(DTCP_A_NODE_ID, 2);
    r.put_u16(DTCP_A_TUNNEL_PORT, 7400);
    uint32_t vip = inet_addr("198.18.0.100");
    r.put(DTCP_A_VIP, &vip, 4);
    size_t n = r.nest_start(DTCP_A_COUNTERS);
    r.put_u32(DTCP_CNT_CONNS, 3);
    r.nest_end(n);
    n = r.nest_start(DTCP_A_STATS);
    r.put_u64(DTCP_STAT_HANDOFF_STARTED, 11);
    r.put_u64(DTCP_STAT_DROP_REPLAY, 4);
    r.nest_end(n);
    auto st = decode_module_status(r.header());
    REQUIRE(st.ok());
    CHECK(st->node_id == 2u);
    CHECK(st->vip == vip);
    REQUIRE(st->live.size() == 1);
    CHECK(st->live[0] == std::make_pair(std::string("conns"), 3u));
    REQUIRE(st->stats.size() == 2);
    CHECK(st->stats[0] == std::make_pair(uint16_t(DTCP_STAT_HANDOFF_STARTED), uint64_t(11)));
    CHECK(stat_name(st->stats[1].first) == "drop_replay");

    dtcp::nl::Message bad(0x20, 0, DTCP_CMD_GET_STATUS, 1);
    bad.put_u32(DTCP_A_ABI_VERSION, 1);
    bad.put_string(DTCP_A_MODULE_VERSION, "0.1.0");
    n = bad.nest_start(DTCP_A_STATS);
    bad.put_u32(DTCP_STAT_HANDOFF_STARTED, 1);  // u32 where a u64 belongs
    bad.nest_end(n);
    CHECK(!decode_module_status(bad.header()).ok());

    dtcp::nl::Message ev(0x20, 0, DTCP_CMD_EVENT, 1);
    ev.put_u32(DTCP_A_EVENT, DTCP_EV_HANDOFF_FAILED);
    n = ev.nest_start(DTCP_A_CONN);
    ev.put_u32(DTCP_CONN_A_ID, 17);
    ev.put_u32(DTCP_CONN_A_PEER, 3);
    ev.nest_end(n);
    auto e = decode_event(ev.header());
    REQUIRE(e.ok());
    CHECK(e->type == DTCP_EV_HANDOFF_FAILED);
    CHECK(e->text == "hand-off failed conn 17 with node 3");

    dtcp::nl::Message pe(0x20, 0, DTCP_CMD_EVENT, 1);
    pe.put_u32(DTCP_A_EVENT, DTCP_EV_PEER_CHANGED);
    n = pe.nest_start(DTCP_A_PEER);
    pe.put_u32(DTCP_PEER_A_ID, 2);
    pe.put_u8(DTCP_PEER_A_UP, 0);
    pe.nest_end(n);
    auto p = decode_event(pe.header());
    REQUIRE(p.ok());
    CHECK(p->text == "peer changed peer 2 down");

    dtcp::nl::Message none(0x20, 0, DTCP_CMD_EVENT, 1);
    CHECK(!decode_event(none.header()).ok());
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
