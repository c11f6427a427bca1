// dtcp.toml parsing: good files and bad ones; every error names file, line and key.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "config.hpp"

using namespace dtcpd;

namespace {

const std::string kKey = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

std::string good()
{
    return R"(# a full configuration
[node]
id = 7
tunnel_port = 7500
vip = "198.18.0.100"
cluster_key = ")" + kKey + R"("

[heartbeat]
address = "127.0.0.1"
port = 7601
interval_ms = 50
timeout_ms = 300

[directory]
socket = "/run/test/d.sock"
capacity = 1000
summary_bits = 8192
hashes = 3
imbalance = 40

[metrics]
address = "0.0.0.0"
port = 0

[[peer]]
id = 2
address = "10.0.0.2"

[[peer]]
id = 3
address = "10.0.0.3"
tunnel_port = 7700
heartbeat_port = 7800
)";
}

struct TempDir {
    std::filesystem::path path;
    TempDir()
    {
        char tmpl[] = "/tmp/dtcpd-test-XXXXXX";
        path = mkdtemp(tmpl);
    }
    ~TempDir() { std::filesystem::remove_all(path); }
    std::string write(const std::string& name, const std::string& text) const
    {
        std::ofstream(path / name) << text;
        return (path / name).string();
    }
};

}  // namespace

TEST_CASE("a complete configuration parses into every field", "[dtcpd][config]")
{
    auto r = parse_config(good(), "/etc/dtcp/dtcp.toml");
    REQUIRE(r.ok());
    const Config& c = *r;
    CHECK(c.path == "/etc/dtcp/dtcp.toml");
    CHECK(c.node_id == 7);
    CHECK(c.tunnel_port == 7500);
    REQUIRE(c.vip);
    CHECK(ipv4_to_string(*c.vip) == "198.18.0.100");
    REQUIRE(c.cluster_key);
    CHECK((*c.cluster_key)[0] == 0x00);
    CHECK((*c.cluster_key)[1] == 0x11);
    CHECK((*c.cluster_key)[31] == 0xff);
    CHECK(ipv4_to_string(c.hb_bind) == "127.0.0.1");
    CHECK(c.hb_port == 7601);
    CHECK(c.hb_interval_ms == 50);
    CHECK(c.hb_timeout_ms == 300);
    CHECK(c.socket_path == "/run/test/d.sock");
    CHECK(c.dir_capacity == 1000);
    CHECK(c.dir_summary_bits == 8192);
    CHECK(c.dir_hashes == 3);
    CHECK(c.dir_imbalance == 40);
    CHECK(ipv4_to_string(c.metrics_bind) == "0.0.0.0");
    CHECK(c.metrics_port == 0);
    REQUIRE(c.peers.size() == 2);
    CHECK(c.peers[0].id == 2);
    CHECK(ipv4_to_string(c.peers[0].addr) == "10.0.0.2");
    CHECK(c.peer_tunnel_port(c.peers[0]) == 7500);  // inherits the node's
    CHECK(c.peer_hb_port(c.peers[0]) == 7601);
    CHECK(c.peers[0].line == 25);
    CHECK(c.peer_tunnel_port(c.peers[1]) == 7700);
    CHECK(c.peer_hb_port(c.peers[1]) == 7800);
}

TEST_CASE("directory.group names an existing group", "[dtcpd][config]")
{
    auto r = parse_config("[node]\nid = 1\n[directory]\ngroup = \"root\"\n", "g.toml");
    REQUIRE(r.ok());
    CHECK(r->socket_gid == 0u);
    auto none = parse_config("[node]\nid = 1\n", "g.toml");
    REQUIRE(none.ok());
    CHECK(!none->socket_gid);
}

TEST_CASE("a minimal configuration gets the documented defaults", "[dtcpd][config]")
{
    auto r = parse_config("[node]\nid = 1\n", "min.toml");
    REQUIRE(r.ok());
    CHECK(r->tunnel_port == DTCP_DEFAULT_PORT);
    CHECK(!r->vip);
    CHECK(!r->cluster_key);
    CHECK(r->hb_port == kDefaultHeartbeatPort);
    CHECK(r->hb_interval_ms == 200);
    CHECK(r->hb_timeout_ms == 1000);
    CHECK(r->socket_path == kDefaultSocketPath);
    CHECK(ipv4_to_string(r->metrics_bind) == "127.0.0.1");  // local only by default
    CHECK(r->metrics_port == kDefaultMetricsPort);
    CHECK(r->peers.empty());
}

TEST_CASE("the shipped example configuration is valid", "[dtcpd][config]")
{
    TempDir d;
    std::ifstream in(std::string(DTCPD_SOURCE_DIR) + "/dtcp.toml.example");
    REQUIRE(in);
    std::stringstream ss;
    ss << in.rdbuf();
    d.write("cluster.key", kKey + "\n");
    std::string path = d.write("dtcp.toml", ss.str());
    auto r = load_config(path);
    INFO((r ? std::string() : r.error().message));
    REQUIRE(r.ok());
    CHECK(r->node_id == 1);
    CHECK(r->cluster_key);
    CHECK(r->peers.size() == 2);
}

TEST_CASE("cluster_key_file is read relative to the configuration", "[dtcpd][config]")
{
    TempDir d;
    d.write("k", "  " + kKey + "\n");
    std::string path = d.write("c.toml", "[node]\nid = 1\ncluster_key_file = \"k\"\n");
    auto r = load_config(path);
    REQUIRE(r.ok());
    REQUIRE(r->cluster_key);
    CHECK((*r->cluster_key)[2] == 0x22);

    d.write("bad", "xyz\n");
    path = d.write("c2.toml", "[node]\nid = 1\n\ncluster_key_file = \"bad\"\n");
    r = load_config(path);
    REQUIRE(!r.ok());
    CHECK(r.error().message.rfind(path + ":4: node.cluster_key_file: ", 0) == 0);
    CHECK_THAT(r.error().message, Catch::Contains("hex digits"));

    path = d.write("c3.toml", "[node]\nid = 1\ncluster_key_file = \"missing\"\n");
    r = load_config(path);
    REQUIRE(!r.ok());
    CHECK(r.error().message.rfind(path + ":3: node.cluster_key_file: cannot read", 0) == 0);
}

TEST_CASE("a file that cannot be read is named", "[dtcpd][config]")
{
    auto r = load_config("/nonexistent/dtcp.toml");
    REQUIRE(!r.ok());
    CHECK_THAT(r.error().message, Catch::Contains("/nonexistent/dtcp.toml"));
}

TEST_CASE("every configuration error names file, line and key", "[dtcpd][config]")
{
    struct Case {
        const char* text;
        int line;
        const char* key;
        const char* what;  // part of the message
    };
    // clang-format off
    const Case cases[] = {
        {"[node]\nid = 1\n[heartbeat\nport = 3\n", 3, "[heartbeat", ""},
        {"[node]\nid = \"one\n", 2, "id", ""},
        {"[heartbeat]\nport = 7401\n", 1, "node", "missing table [node]"},
        {"node = 3\n", 1, "node", "must be a table"},
        {"[node]\ntunnel_port = 7400\n", 1, "node.id", "missing"},
        {"[node]\n\nid = 0\n", 3, "node.id", "out of range 1..65535"},
        {"[node]\nid = 70000\n", 2, "node.id", "out of range"},
        {"[node]\nid = \"1\"\n", 2, "node.id", "must be an integer, not a string"},
        {"[node]\nid = 1.5\n", 2, "node.id", "must be an integer, not a float"},
        {"[node]\nid = 1\ntunnel_port = 0\n", 3, "node.tunnel_port", "out of range 1..65535"},
        {"[node]\nid = 1\nvip = \"300.1.1.1\"\n", 3, "node.vip", "not an IPv4 address"},
        {"[node]\nid = 1\nvip = 5\n", 3, "node.vip", "must be a string"},
        {"[node]\nid = 1\ncluster_key = \"abcd\"\n", 3, "node.cluster_key", "64 hex digits"},
        {"[node]\nid = 1\ncluster_key = \"zz112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\"\n", 3, "node.cluster_key", "only hex digits"},
        {"[node]\nid = 1\ncluster_key = \"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\"\ncluster_key_file = \"k\"\n", 4, "node.cluster_key_file", "not both"},
        {"[node]\nid = 1\nname = \"x\"\n", 3, "node.name", "unknown key"},
        {"[node]\nid = 1\n[extra]\nx = 1\n", 3, "extra", "unknown key"},
        {"[node]\nid = 1\n[heartbeat]\ninterval_ms = 500\ntimeout_ms = 600\n", 5, "heartbeat.timeout_ms", "at least twice"},
        {"[node]\nid = 1\n[heartbeat]\ninterval_ms = 5\n", 4, "heartbeat.interval_ms", "out of range"},
        {"[node]\nid = 1\n[heartbeat]\nport = 7400\n", 1, "heartbeat.port", "must differ from node.tunnel_port"},
        {"[node]\nid = 1\n[heartbeat]\naddress = \"localhost\"\n", 4, "heartbeat.address", "not an IPv4"},
        {"[node]\nid = 1\n[heartbeat]\nspeed = 1\n", 4, "heartbeat.speed", "unknown key"},
        {"[node]\nid = 1\n[directory]\nsummary_bits = 3000\n", 4, "directory.summary_bits", "not a power of two"},
        {"[node]\nid = 1\n[directory]\nsummary_bits = 524288\n", 4, "directory.summary_bits", "out of range"},
        {"[node]\nid = 1\n[directory]\nsocket = \"rel/path\"\n", 4, "directory.socket", "absolute path"},
        {"[node]\nid = 1\n[directory]\ncapacity = 0\n", 4, "directory.capacity", "out of range"},
        {"[node]\nid = 1\n[directory]\n\ngroup = \"no-such-group-dtcp\"\n", 5, "directory.group", "no such group"},
        {"[node]\nid = 1\n[directory]\nhashes = 17\n", 4, "directory.hashes", "out of range"},
        {"[node]\nid = 1\n[metrics]\nport = \"80\"\n", 4, "metrics.port", "must be an integer"},
        {"[node]\nid = 1\n[metrics]\naddress = \"::1\"\n", 4, "metrics.address", "not an IPv4"},
        {"[node]\nid = 1\n[[peer]]\nid = 2\n", 3, "peer[0].address", "missing"},
        {"[node]\nid = 1\n[[peer]]\naddress = \"10.0.0.2\"\n", 3, "peer[0].id", "missing"},
        {"[node]\nid = 1\n[[peer]]\nid = 1\naddress = \"10.0.0.2\"\n", 4, "peer[0].id", "own id"},
        {"[node]\nid = 1\n[[peer]]\nid = 2\naddress = \"10.0.0.2\"\n[[peer]]\nid = 2\naddress = \"10.0.0.3\"\n", 7, "peer[1].id", "duplicate peer id 2"},
        {"[node]\nid = 1\n[[peer]]\nid = 2\naddress = \"10.0.0.2\"\n[[peer]]\nid = 3\naddress = \"10.0.0.2\"\n", 8, "peer[1].address", "already uses 10.0.0.2"},
        {"[node]\nid = 1\n[[peer]]\nid = 2\naddress = \"10.0.0.2\"\nweight = 3\n", 6, "peer[0].weight", "unknown key"},
        {"[node]\nid = 1\n[[peer]]\nid = 2\naddress = \"10.0.0.2\"\nheartbeat_port = 70000\n", 6, "peer[0].heartbeat_port", "out of range"},
        {"[node]\nid = 1\npeer = 3\n", 3, "node.peer", "unknown key"},
        {"peer = 3\n[node]\nid = 1\n", 1, "peer", "array of tables"},
        {"peer = [1]\n[node]\nid = 1\n", 1, "peer[0]", "must be a table"},
    };
    // clang-format on
    for (const Case& c : cases) {
        const std::string path = "/etc/dtcp/test.toml";
        auto r = parse_config(c.text, path);
        INFO("config:\n" << c.text);
        REQUIRE(!r.ok());
        const std::string& m = r.error().message;
        INFO("message: " << m);
        CHECK(r.error().code == EINVAL);
        std::string prefix = path + ":" + std::to_string(c.line) + ": " + c.key + ": ";
        CHECK(m.rfind(prefix, 0) == 0);
        CHECK_THAT(m, Catch::Contains(c.what));
    }
}

TEST_CASE("the SIGHUP diff lists added, removed and changed peers", "[dtcpd][config][diff]")
{
    auto base = parse_config("[node]\nid = 1\n[[peer]]\nid = 2\naddress = \"10.0.0.2\"\n"
                             "[[peer]]\nid = 3\naddress = \"10.0.0.3\"\n"
                             "[[peer]]\nid = 4\naddress = \"10.0.0.4\"\n",
                             "a");
    REQUIRE(base.ok());

    SECTION("identical configurations differ in nothing")
    {
        CHECK(diff_configs(*base, *base).empty());
    }
    SECTION("peers added, removed and changed; others untouched")
    {
        auto next = parse_config("[node]\nid = 1\n[[peer]]\nid = 2\naddress = \"10.0.0.2\"\n"
                                 "[[peer]]\nid = 4\naddress = \"10.0.0.44\"\n"
                                 "[[peer]]\nid = 5\naddress = \"10.0.0.5\"\n",
                                 "b");
        REQUIRE(next.ok());
        ConfigDiff d = diff_configs(*base, *next);
        REQUIRE(d.added.size() == 1);
        CHECK(d.added[0].id == 5);
        REQUIRE(d.removed.size() == 1);
        CHECK(d.removed[0] == 3);
        REQUIRE(d.changed.size() == 1);
        CHECK(d.changed[0].id == 4);
        CHECK(ipv4_to_string(d.changed[0].addr) == "10.0.0.44");
        CHECK(!d.module_config_changed());
        CHECK(d.need_restart.empty());
    }
    SECTION("a peer's effective tunnel port follows the node's")
    {
        auto next = parse_config("[node]\nid = 1\ntunnel_port = 7500\n[[peer]]\nid = 2\naddress = \"10.0.0.2\"\n"
                                 "[[peer]]\nid = 3\naddress = \"10.0.0.3\"\n"
                                 "[[peer]]\nid = 4\naddress = \"10.0.0.4\"\ntunnel_port = 7500\n",
                                 "b");
        REQUIRE(next.ok());
        ConfigDiff d = diff_configs(*base, *next);
        CHECK(d.tunnel_port);
        CHECK(!d.node_id);
        CHECK(d.changed.size() == 3);
    }
    SECTION("node settings and restart-only settings")
    {
        auto next = parse_config("[node]\nid = 9\nvip = \"1.2.3.4\"\ncluster_key = \"" + kKey +
                                     "\"\n[heartbeat]\nport = 9000\n[metrics]\nport = 1\n"
                                     "[[peer]]\nid = 2\naddress = \"10.0.0.2\"\n"
                                     "[[peer]]\nid = 3\naddress = \"10.0.0.3\"\n"
                                     "[[peer]]\nid = 4\naddress = \"10.0.0.4\"\n",
                                 "b");
        REQUIRE(next.ok());
        ConfigDiff d = diff_configs(*base, *next);
        CHECK(d.node_id);
        CHECK(d.vip);
        CHECK(d.cluster_key);
        CHECK(!d.tunnel_port);
        CHECK(d.need_restart.size() == 2);
        CHECK(d.added.empty());
        CHECK(d.removed.empty());
        // Only the heartbeat port of every peer changed: they are "changed"
        // for dtcpd (new destination) though not for the module.
        CHECK(d.changed.size() == 3);
    }
}
