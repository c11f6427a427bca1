// dtcpctl's output: the configuration table and JSON, and monitor lines.
#include <catch2/catch.hpp>

#include <arpa/inet.h>

#include <regex>

#include "format.hpp"

using namespace dtcpctl;

namespace {

dtcp::Ip4 ip(const char* s)
{
    in_addr a{};
    REQUIRE(inet_pton(AF_INET, s, &a) == 1);
    return a.s_addr;
}

}  // namespace

TEST_CASE("config show: table and JSON of the running configuration", "[dtcpctl]")
{
    dtcp::Status st;
    st.node_id = 3;
    st.tunnel_port = 7400;
    st.vip = ip("198.18.0.100");
    st.key_set = true;
    std::vector<dtcp::Peer> peers(2);
    peers[0].id = 1;
    peers[0].addr = ip("198.19.0.11");
    peers[0].port = 7400;
    peers[0].up = true;
    peers[1].id = 12;
    peers[1].addr = ip("198.19.0.22");
    peers[1].up = false;

    CHECK(config_table(st, peers) ==
          "node id      3\n"
          "tunnel port  7400\n"
          "vip          198.18.0.100\n"
          "cluster key  set\n"
          "\n"
          "  peer  address           port  state\n"
          "     1  198.19.0.11       7400  up\n"
          "    12  198.19.0.22          -  down\n");

    auto j = config_json(st, peers);
    CHECK(j["node_id"] == 3);
    CHECK(j["tunnel_port"] == 7400);
    CHECK(j["vip"] == "198.18.0.100");
    CHECK(j["cluster_key_set"] == true);
    REQUIRE(j["peers"].size() == 2);
    CHECK(j["peers"][0] == nlohmann::json({{"id", 1}, {"address", "198.19.0.11"}, {"port", 7400}, {"up", true}}));
    CHECK(j["peers"][1]["port"].is_null());
    CHECK(j["peers"][1]["up"] == false);

    // A module that was just loaded: nothing set.
    dtcp::Status none;
    CHECK(config_table(none, {}) ==
          "node id      unset\n"
          "tunnel port  unset\n"
          "vip          unset\n"
          "cluster key  not set\n"
          "peers        none\n");
    auto n = config_json(none, {});
    CHECK(n["node_id"].is_null());
    CHECK(n["tunnel_port"].is_null());
    CHECK(n["vip"].is_null());
    CHECK(n["cluster_key_set"] == false);
    CHECK(n["peers"] == nlohmann::json::array());
}

TEST_CASE("monitor: one line or one JSON object per event", "[dtcpctl]")
{
    dtcp::Event gone;
    gone.type = DTCP_EV_DAEMON_GONE;
    CHECK(event_line(gone, "T") == "T daemon-gone     daemon gone");
    auto j = event_json(gone, "T");
    CHECK(j == nlohmann::json({{"time", "T"}, {"event", "daemon-gone"}, {"type", DTCP_EV_DAEMON_GONE},
                               {"text", "daemon gone"}}));
    CHECK(j.dump().find('\n') == std::string::npos);

    dtcp::Event failed;
    failed.type = DTCP_EV_HANDOFF_FAILED;
    failed.conn_id = 17;
    failed.conn_origin = 1;
    failed.conn_peer = 3;
    failed.client = ip("198.18.1.2");
    failed.client_port = 40000;
    CHECK(event_line(failed, "T") ==
          "T handoff-failed  hand-off failed conn 17 origin 1 with node 3 client 198.18.1.2:40000");
    auto f = event_json(failed, "T");
    CHECK(f["conn"] == nlohmann::json({{"id", 17}, {"origin", 1}, {"peer", 3}, {"client", "198.18.1.2:40000"}}));
    CHECK(!f.contains("peer"));

    dtcp::Event peer;
    peer.type = DTCP_EV_PEER_CHANGED;
    peer.peer_id = 2;
    peer.peer_up = true;
    CHECK(event_json(peer, "T")["peer"] == nlohmann::json({{"id", 2}, {"up", true}}));
    CHECK(!event_json(peer, "T").contains("conn"));
}

TEST_CASE("monitor timestamps are ISO 8601 with milliseconds", "[dtcpctl]")
{
    std::regex iso(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d{4}$)");
    CHECK(std::regex_match(timestamp_now(), iso));
}
