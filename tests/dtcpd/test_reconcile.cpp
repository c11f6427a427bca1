// The module sees the whole configuration at start, only the differences on
// SIGHUP, and UP=0/1 on heartbeat transitions (fake module).
#include <catch2/catch.hpp>

#include <arpa/inet.h>

#include "reconcile.hpp"

using namespace dtcpd;
using namespace std::chrono_literals;

namespace {

class FakeModule : public ModulePort {
public:
    std::vector<std::string> calls;
    bool peer_ops = true;
    bool vip_supported = true;
    int fail_config = 0;  // errno for SET_CONFIG, 0: accept

    Result<void> set_config(const dtcp::ConfigUpdate& c) override
    {
        std::string s = "config";
        if (c.node_id) s += " id=" + std::to_string(*c.node_id);
        if (c.tunnel_port) s += " port=" + std::to_string(*c.tunnel_port);
        if (c.cluster_key) s += " key";
        if (c.vip) s += " vip=" + ipv4_to_string(*c.vip);
        calls.push_back(s);
        if (c.vip && !vip_supported)
            return dtcp::Error{EINVAL, "Unsupported attribute"};
        if (fail_config)
            return dtcp::Error{fail_config, "refused"};
        return {};
    }
    Result<void> set_peer(const dtcp::PeerUpdate& p) override
    {
        calls.push_back("set " + std::to_string(p.id) + " " + ipv4_to_string(p.addr) + ":" +
                        (p.port ? std::to_string(*p.port) : "-") +
                        (p.up ? (*p.up ? " up" : " down") : " unchanged"));
        if (!peer_ops)
            return dtcp::Error{EOPNOTSUPP, ""};
        return {};
    }
    Result<void> del_peer(uint32_t id) override
    {
        calls.push_back("del " + std::to_string(id));
        if (!peer_ops)
            return dtcp::Error{EOPNOTSUPP, ""};
        return {};
    }
    Result<dtcp::Status> status() override { return dtcp::Status{}; }
};

const char* kBase = "[node]\nid = 1\nvip = \"198.18.0.100\"\n"
                    "[[peer]]\nid = 2\naddress = \"10.0.0.2\"\n"
                    "[[peer]]\nid = 3\naddress = \"10.0.0.3\"\n"
                    "[[peer]]\nid = 4\naddress = \"10.0.0.4\"\n";

Config cfg(const std::string& text)
{
    auto r = parse_config(text, "test.toml");
    REQUIRE(r.ok());
    return *r;
}

}  // namespace

TEST_CASE("start: the node configuration, the VIP, then every peer down", "[dtcpd][reconcile]")
{
    FakeModule m;
    PeerHealth h(100ms, 500ms);
    Reconciler rec(m, h);
    REQUIRE(rec.push_all(cfg(kBase), TimePoint{}).ok());
    CHECK(m.calls == std::vector<std::string>{"config id=1 port=7400", "config vip=198.18.0.100",
                                              "set 2 10.0.0.2:7400 down", "set 3 10.0.0.3:7400 down",
                                              "set 4 10.0.0.4:7400 down"});
    CHECK(h.peers() == std::vector<uint32_t>{2, 3, 4});
}

TEST_CASE("start fails when the module refuses the node configuration", "[dtcpd][reconcile]")
{
    FakeModule m;
    m.fail_config = EPERM;
    PeerHealth h(100ms, 500ms);
    Reconciler rec(m, h);
    auto r = rec.push_all(cfg(kBase), TimePoint{});
    REQUIRE(!r.ok());
    CHECK(r.error().code == EPERM);
    CHECK(m.calls.size() == 1);
}

TEST_CASE("a module without VIP or peer support still gets the rest", "[dtcpd][reconcile]")
{
    FakeModule m;
    m.vip_supported = false;
    m.peer_ops = false;
    PeerHealth h(100ms, 500ms);
    Reconciler rec(m, h);
    REQUIRE(rec.push_all(cfg(kBase), TimePoint{}).ok());
    CHECK(!rec.peer_ops_supported());
    // One SET_PEER found out; no more are sent, liveness still tracked.
    CHECK(m.calls == std::vector<std::string>{"config id=1 port=7400", "config vip=198.18.0.100",
                                              "set 2 10.0.0.2:7400 down"});
    CHECK(h.peers().size() == 3);
    CHECK(rec.errors() == 1);  // the VIP
}

TEST_CASE("SIGHUP touches only what changed", "[dtcpd][reconcile]")
{
    FakeModule m;
    PeerHealth h(100ms, 500ms);
    Reconciler rec(m, h);
    Config a = cfg(kBase);
    REQUIRE(rec.push_all(a, TimePoint{}).ok());
    h.heard(2, TimePoint{});
    h.heard(4, TimePoint{});
    m.calls.clear();

    SECTION("unchanged file: no module call at all")
    {
        ConfigDiff d = rec.reload(a, cfg(kBase), TimePoint{});
        CHECK(d.empty());
        CHECK(m.calls.empty());
    }
    SECTION("peer 5 added, 3 removed, 4 moved; 2 untouched")
    {
        Config b = cfg("[node]\nid = 1\nvip = \"198.18.0.100\"\n"
                       "[[peer]]\nid = 2\naddress = \"10.0.0.2\"\n"
                       "[[peer]]\nid = 4\naddress = \"10.0.0.40\"\n"
                       "[[peer]]\nid = 5\naddress = \"10.0.0.5\"\n");
        rec.reload(a, b, TimePoint{});
        CHECK(m.calls == std::vector<std::string>{"del 3", "set 5 10.0.0.5:7400 down", "set 4 10.0.0.40:7400 up"});
        CHECK(h.has(5));
        CHECK(!h.has(3));
        CHECK(h.state(2) == PeerState::Up);  // kept its state
        CHECK(h.state(4) == PeerState::Up);
    }
    SECTION("node settings: only the changed fields")
    {
        Config b = cfg(std::string(kBase) + "\n");
        b.tunnel_port = 7500;
        b.vip = inet_addr("198.18.0.101");
        rec.reload(a, b, TimePoint{});
        // Peers without their own port follow the node's: updated in place, state kept.
        CHECK(m.calls == std::vector<std::string>{"config port=7500", "config vip=198.18.0.101",
                                                  "set 2 10.0.0.2:7500 up", "set 3 10.0.0.3:7500 down",
                                                  "set 4 10.0.0.4:7500 up"});
    }
}

TEST_CASE("heartbeat transitions become SET_PEER UP=0/1", "[dtcpd][reconcile]")
{
    FakeModule m;
    PeerHealth h(100ms, 500ms);
    Reconciler rec(m, h);
    Config c = cfg(kBase);
    TimePoint t0{};
    REQUIRE(rec.push_all(c, t0).ok());
    m.calls.clear();

    rec.apply(h.heard(2, t0 + 10ms), c);
    CHECK(m.calls == std::vector<std::string>{"set 2 10.0.0.2:7400 up"});
    m.calls.clear();
    // 3 and 4 never answered: unknown -> down needs no module call (already down).
    rec.apply(h.tick(t0 + 500ms), c);
    CHECK(m.calls.empty());
    rec.apply(h.tick(t0 + 510ms), c);
    CHECK(m.calls == std::vector<std::string>{"set 2 10.0.0.2:7400 down"});
    m.calls.clear();
    rec.apply(h.heard(2, t0 + 600ms), c);
    rec.apply(h.heard(3, t0 + 600ms), c);
    CHECK(m.calls == std::vector<std::string>{"set 2 10.0.0.2:7400 up", "set 3 10.0.0.3:7400 up"});
}

TEST_CASE("a reloaded module is recognised by its empty configuration", "[dtcpd][reconcile]")
{
    Config c = cfg(std::string(kBase));
    c.cluster_key = Key{};
    dtcp::Status st;
    st.node_id = 1;
    st.tunnel_port = 7400;
    st.key_set = true;
    CHECK(!Reconciler::module_reset(st, c));
    dtcp::Status empty;  // what a freshly loaded module reports
    CHECK(Reconciler::module_reset(empty, c));
    st.node_id = 5;  // changed behind dtcpd's back
    CHECK(Reconciler::module_reset(st, c));
    st.node_id = 1;
    st.key_set = false;
    CHECK(Reconciler::module_reset(st, c));
    c.cluster_key.reset();
    CHECK(!Reconciler::module_reset(st, c));
}

TEST_CASE("pushing again after a module reset keeps peers that are up", "[dtcpd][reconcile]")
{
    FakeModule m;
    m.peer_ops = false;
    PeerHealth h(100ms, 500ms);
    Reconciler rec(m, h);
    Config c = cfg(kBase);
    REQUIRE(rec.push_all(c, TimePoint{}).ok());
    CHECK(!rec.peer_ops_supported());
    h.heard(3, TimePoint{});
    // A new module build with peer support is loaded.
    m.peer_ops = true;
    m.calls.clear();
    rec.forget_module_capabilities();
    REQUIRE(rec.push_all(c, TimePoint{}).ok());
    CHECK(rec.peer_ops_supported());
    CHECK(m.calls == std::vector<std::string>{"config id=1 port=7400", "config vip=198.18.0.100",
                                              "set 2 10.0.0.2:7400 down", "set 3 10.0.0.3:7400 up",
                                              "set 4 10.0.0.4:7400 down"});
}
