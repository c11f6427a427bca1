// Unit tests of the control-client codecs for VIP, statistics, peers and
// connections (no kernel needed): replies are built here the way the module
// builds them, including 64-bit padding attributes and attributes newer
// than this program.
#include <catch2/catch.hpp>

#include <arpa/inet.h>

#include <cstring>

#include "dtcp/control.hpp"
#include "dtcp/netlink.hpp"

using namespace dtcp;

namespace {

// nla_put_u64_64bit: a zero-length PAD attribute first when the value would
// not be 8-byte aligned.
void put_u64_padded(nl::Message& m, uint16_t type, uint64_t v, uint16_t pad)
{
    if ((m.size() + MNL_ATTR_HDRLEN) % 8 != 0)
        m.put(pad, nullptr, 0);
    m.put_u64(type, v);
}

Ip4 ip(const char* s)
{
    in_addr a{};
    REQUIRE(inet_pton(AF_INET, s, &a) == 1);
    return a.s_addr;
}

nl::Message peer_msg(uint32_t id, const char* addr, bool up)
{
    nl::Message m(0x1b, NLM_F_MULTI, DTCP_CMD_GET_PEERS, 1);
    size_t n = m.nest_start(DTCP_A_PEER);
    m.put_u32(DTCP_PEER_A_ID, id);
    m.put_u32(DTCP_PEER_A_ADDR, ip(addr));
    m.put_u16(DTCP_PEER_A_PORT, 7401);
    m.put_u8(DTCP_PEER_A_UP, up);
    put_u64_padded(m, DTCP_PEER_A_TX, 1ull << 40, DTCP_PEER_A_PAD);
    put_u64_padded(m, DTCP_PEER_A_RX, 12, DTCP_PEER_A_PAD);
    m.put_u32(99, 1);  // newer than this program
    m.nest_end(n);
    m.put_u32(DTCP_A_MAX + 5, 3);
    return m;
}

}  // namespace

TEST_CASE("Status carries the VIP, the daemon flag and statistics", "[control]")
{
    nl::Message m(0x1b, 0, DTCP_CMD_GET_STATUS, 1);
    m.put_u32(DTCP_A_ABI_VERSION, 1);
    m.put_string(DTCP_A_MODULE_VERSION, "0.2.0");
    m.put_u32(DTCP_A_VIP, ip("198.18.0.100"));
    m.put_u8(DTCP_A_DAEMON, 1);
    m.put_string(DTCP_A_MAC_DRIVER, "cmac(aes-aesni)");
    m.put_string(DTCP_A_MAC_BLOCKS_DRIVER, "__cbc-aes-aesni");
    size_t n = m.nest_start(DTCP_A_STATS);
    put_u64_padded(m, DTCP_STAT_HANDOFF_STARTED, 10, DTCP_STAT_PAD);
    put_u64_padded(m, DTCP_STAT_HANDOFF_DONE, 9, DTCP_STAT_PAD);
    put_u64_padded(m, DTCP_STAT_DROP_NO_CONN, 1ull << 33, DTCP_STAT_PAD);
    put_u64_padded(m, 60, 4, DTCP_STAT_PAD);   // a newer statistic
    m.put_u32(61, 4);                          // a newer one of another size
    m.nest_end(n);

    auto s = decode_status(m.header());
    REQUIRE(s.ok());
    REQUIRE(s->vip.has_value());
    CHECK(ip4_str(*s->vip) == "198.18.0.100");
    CHECK(s->daemon == std::optional<bool>(true));
    CHECK(s->mac_driver == std::optional<std::string>("cmac(aes-aesni)"));
    CHECK(s->mac_blocks_driver == std::optional<std::string>("__cbc-aes-aesni"));
    CHECK(s->stats.get("handoff_started") == std::optional<uint64_t>(10));
    CHECK(s->stats.get("handoff_done") == std::optional<uint64_t>(9));
    CHECK(s->stats.get("drop_no_conn") == std::optional<uint64_t>(1ull << 33));
    CHECK(s->stats.get("stat-60") == std::optional<uint64_t>(4));
    CHECK_FALSE(s->stats.get("stat-61").has_value());
    CHECK_FALSE(s->stats.get("stat-16").has_value());  // padding is not a statistic
    REQUIRE(s->stats.values.size() == 4);
    CHECK(s->stats.values[0].first == "handoff_started");

    // An older module: no VIP, no daemon flag, no statistics.
    nl::Message old(0x1b, 0, DTCP_CMD_GET_STATUS, 1);
    old.put_u32(DTCP_A_ABI_VERSION, 1);
    old.put_string(DTCP_A_MODULE_VERSION, "0.1.0");
    auto o = decode_status(old.header());
    REQUIRE(o.ok());
    CHECK_FALSE(o->vip.has_value());
    CHECK_FALSE(o->daemon.has_value());
    CHECK_FALSE(o->mac_driver.has_value());
    CHECK_FALSE(o->mac_blocks_driver.has_value());
    CHECK(o->stats.values.empty());

    // A known statistic of the wrong size is an error.
    nl::Message bad(0x1b, 0, DTCP_CMD_GET_STATUS, 1);
    bad.put_u32(DTCP_A_ABI_VERSION, 1);
    bad.put_string(DTCP_A_MODULE_VERSION, "0.1.0");
    size_t b = bad.nest_start(DTCP_A_STATS);
    bad.put_u32(DTCP_STAT_TX_MSGS, 1);
    bad.nest_end(b);
    auto e = decode_status(bad.header());
    REQUIRE_FALSE(e.ok());
    CHECK(e.error().code == EPROTO);

    // A VIP that is not 4 bytes is refused.
    nl::Message badvip(0x1b, 0, DTCP_CMD_GET_STATUS, 1);
    badvip.put_u32(DTCP_A_ABI_VERSION, 1);
    badvip.put_string(DTCP_A_MODULE_VERSION, "0.1.0");
    badvip.put_u16(DTCP_A_VIP, 1);
    CHECK_FALSE(decode_status(badvip.header()).ok());
}

TEST_CASE("Configuration encoding carries the VIP in network order", "[control]")
{
    ConfigUpdate u;
    CHECK(u.empty());
    auto vip = parse_ip4("10.1.2.3");
    REQUIRE(vip.ok());
    u.vip = *vip;
    CHECK_FALSE(u.empty());
    nl::Message m(0x1b, 0, DTCP_CMD_SET_CONFIG, 1);
    encode_config(m, u);
    auto a = nl::Attrs::parse_genl(m.header(), DTCP_A_MAX);
    REQUIRE(a.ok());
    const nlattr* v = a->get(DTCP_A_VIP);
    REQUIRE(v != nullptr);
    REQUIRE(mnl_attr_get_payload_len(v) == 4);
    const auto* b = static_cast<const uint8_t*>(mnl_attr_get_payload(v));
    CHECK((b[0] == 10 && b[1] == 1 && b[2] == 2 && b[3] == 3));
    CHECK_FALSE(a->has(DTCP_A_NODE_ID));
}

TEST_CASE("IPv4 addresses parse strictly", "[control]")
{
    CHECK(parse_ip4("127.0.0.1").ok());
    CHECK(ip4_str(*parse_ip4("198.19.0.11")) == "198.19.0.11");
    for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "a.b.c.d", "1.2.3.4 ", "::1"}) {
        auto r = parse_ip4(bad);
        INFO(bad);
        CHECK_FALSE(r.ok());
        if (!r.ok())
            CHECK(r.error().code == EINVAL);
    }
}

TEST_CASE("Peer updates: id and address always, port and state when given", "[control]")
{
    PeerUpdate p{2, ip("198.19.0.12"), std::nullopt, std::nullopt};
    nl::Message m(0x1b, 0, DTCP_CMD_SET_PEER, 1);
    encode_peer(m, p);
    auto a = nl::Attrs::parse_genl(m.header(), DTCP_A_MAX);
    REQUIRE(a.ok());
    REQUIRE(a->has(DTCP_A_PEER));
    auto n = nl::Attrs::parse_nested(a->get(DTCP_A_PEER), DTCP_PEER_A_MAX);
    REQUIRE(n.ok());
    CHECK(n->u32(DTCP_PEER_A_ID) == std::optional<uint32_t>(2));
    CHECK(n->u32(DTCP_PEER_A_ADDR) == std::optional<uint32_t>(ip("198.19.0.12")));
    CHECK_FALSE(n->has(DTCP_PEER_A_PORT));
    CHECK_FALSE(n->has(DTCP_PEER_A_UP));

    p.port = 7500;
    p.up = false;
    nl::Message m2(0x1b, 0, DTCP_CMD_SET_PEER, 1);
    encode_peer(m2, p);
    auto a2 = nl::Attrs::parse_genl(m2.header(), DTCP_A_MAX);
    REQUIRE(a2.ok());
    auto n2 = nl::Attrs::parse_nested(a2->get(DTCP_A_PEER), DTCP_PEER_A_MAX);
    REQUIRE(n2.ok());
    CHECK(n2->u16(DTCP_PEER_A_PORT) == std::optional<uint16_t>(7500));
    CHECK(n2->u8(DTCP_PEER_A_UP) == std::optional<uint8_t>(0));

    nl::Message d(0x1b, 0, DTCP_CMD_DEL_PEER, 1);
    encode_peer_id(d, 9);
    auto ad = nl::Attrs::parse_genl(d.header(), DTCP_A_MAX);
    REQUIRE(ad.ok());
    auto nd = nl::Attrs::parse_nested(ad->get(DTCP_A_PEER), DTCP_PEER_A_MAX);
    REQUIRE(nd.ok());
    CHECK(nd->u32(DTCP_PEER_A_ID) == std::optional<uint32_t>(9));
    CHECK_FALSE(nd->has(DTCP_PEER_A_ADDR));
}

TEST_CASE("Peer dump messages decode, newer attributes ignored", "[control]")
{
    auto m = peer_msg(3, "198.19.0.13", true);
    auto p = decode_peer(m.header());
    REQUIRE(p.ok());
    CHECK(p->id == 3);
    CHECK(ip4_str(p->addr) == "198.19.0.13");
    CHECK(p->port == std::optional<uint16_t>(7401));
    CHECK(p->up);
    CHECK(p->tx == 1ull << 40);
    CHECK(p->rx == 12);

    // Minimal: id and address only.
    nl::Message min(0x1b, NLM_F_MULTI, DTCP_CMD_GET_PEERS, 1);
    size_t n = min.nest_start(DTCP_A_PEER);
    min.put_u32(DTCP_PEER_A_ID, 1);
    min.put_u32(DTCP_PEER_A_ADDR, ip("10.0.0.1"));
    min.nest_end(n);
    auto q = decode_peer(min.header());
    REQUIRE(q.ok());
    CHECK_FALSE(q->port.has_value());
    CHECK_FALSE(q->up);
    CHECK(q->tx == 0);

    // No address, or no nest at all: malformed.
    nl::Message noaddr(0x1b, NLM_F_MULTI, DTCP_CMD_GET_PEERS, 1);
    n = noaddr.nest_start(DTCP_A_PEER);
    noaddr.put_u32(DTCP_PEER_A_ID, 1);
    noaddr.nest_end(n);
    CHECK(decode_peer(noaddr.header()).error().code == EPROTO);
    nl::Message empty(0x1b, NLM_F_MULTI, DTCP_CMD_GET_PEERS, 1);
    CHECK(decode_peer(empty.header()).error().code == EPROTO);
    // A wrongly sized counter is refused.
    nl::Message badtx(0x1b, NLM_F_MULTI, DTCP_CMD_GET_PEERS, 1);
    n = badtx.nest_start(DTCP_A_PEER);
    badtx.put_u32(DTCP_PEER_A_ID, 1);
    badtx.put_u32(DTCP_PEER_A_ADDR, ip("10.0.0.1"));
    badtx.put_u32(DTCP_PEER_A_TX, 1);
    badtx.nest_end(n);
    CHECK_FALSE(decode_peer(badtx.header()).ok());
}

TEST_CASE("Connection dump messages decode", "[control]")
{
    nl::Message m(0x1b, NLM_F_MULTI, DTCP_CMD_GET_CONNS, 1);
    size_t n = m.nest_start(DTCP_A_CONN);
    m.put_u32(DTCP_CONN_A_ID, 77);
    m.put_u32(DTCP_CONN_A_ORIGIN, 1);
    m.put_u8(DTCP_CONN_A_ROLE, DTCP_ROLE_ACTIVE);
    m.put_u8(DTCP_CONN_A_STATE, DTCP_CONN_HANDED_OUT);
    m.put_u32(DTCP_CONN_A_CLIENT, ip("198.18.1.2"));
    m.put_u16(DTCP_CONN_A_CLIENT_PORT, 40000);
    m.put_u32(DTCP_CONN_A_LOCAL, ip("198.18.0.100"));
    m.put_u16(DTCP_CONN_A_LOCAL_PORT, 80);
    m.put_u32(DTCP_CONN_A_PEER, 2);
    m.put_u32(DTCP_CONN_A_HANDOFFS, 5);
    put_u64_padded(m, DTCP_CONN_A_BYTES, 123456789012ull, DTCP_CONN_A_PAD);
    m.put_u8(200, 1);
    m.nest_end(n);

    auto c = decode_conn(m.header());
    REQUIRE(c.ok());
    CHECK(c->id == 77);
    CHECK(c->origin == 1);
    CHECK(role_name(c->role) == "active");
    CHECK(conn_state_name(c->state) == "handed-out");
    CHECK(ip4_str(c->client) == "198.18.1.2");
    CHECK(c->client_port == 40000);
    CHECK(ip4_str(c->local) == "198.18.0.100");
    CHECK(c->local_port == 80);
    CHECK(c->peer == 2);
    CHECK(c->handoffs == 5);
    CHECK(c->bytes == 123456789012ull);

    nl::Message noid(0x1b, NLM_F_MULTI, DTCP_CMD_GET_CONNS, 1);
    n = noid.nest_start(DTCP_A_CONN);
    noid.put_u32(DTCP_CONN_A_ORIGIN, 1);
    noid.nest_end(n);
    CHECK(decode_conn(noid.header()).error().code == EPROTO);
}

TEST_CASE("Names of roles, states and statistics", "[control]")
{
    CHECK(role_name(DTCP_ROLE_PASSIVE) == "passive");
    CHECK(role_name(9) == "role-9");
    CHECK(conn_state_name(DTCP_CONN_FREEZING) == "freezing");
    CHECK(conn_state_name(DTCP_CONN_RETURNED) == "returned");
    CHECK(conn_state_name(0) == "state-0");
    CHECK(stat_name(DTCP_STAT_DROP_BAD_MAC) == "drop_bad_mac");
    CHECK(stat_name(DTCP_STAT_HANDOFF_SERVED) == "handoff_served");
    CHECK(stat_name(DTCP_STAT_HANDOFF_REFUSED) == "handoff_refused");
    // Every statistic the ABI defines has a name, those after the padding too.
    for (uint16_t t = DTCP_STAT_HANDOFF_STARTED; t <= DTCP_STAT_MAX; t++)
        if (t != DTCP_STAT_PAD)
            CHECK(stat_name(t).rfind("stat-", 0) == std::string::npos);
}

TEST_CASE("Events decode into fields and one log line", "[control][events]")
{
    nl::Message ev(0x1b, 0, DTCP_CMD_EVENT, 1);
    ev.put_u32(DTCP_A_EVENT, DTCP_EV_HANDOFF_FAILED);
    size_t n = ev.nest_start(DTCP_A_CONN);
    ev.put_u32(DTCP_CONN_A_ID, 17);
    ev.put_u32(DTCP_CONN_A_PEER, 3);
    ev.put_u32(DTCP_CONN_A_CLIENT, ip("198.18.1.2"));
    ev.put_u16(DTCP_CONN_A_CLIENT_PORT, 40000);
    put_u64_padded(ev, DTCP_CONN_A_BYTES, 5, DTCP_CONN_A_PAD);  // not part of an Event: ignored
    ev.nest_end(n);
    auto e = decode_event(ev.header());
    REQUIRE(e.ok());
    CHECK(e->type == DTCP_EV_HANDOFF_FAILED);
    CHECK(e->conn_id == 17u);
    CHECK(e->conn_peer == 3u);
    CHECK(!e->conn_origin);
    CHECK(e->client == ip("198.18.1.2"));
    CHECK(event_name(e->type) == "handoff-failed");
    CHECK(event_text(*e) == "hand-off failed conn 17 with node 3 client 198.18.1.2:40000");

    nl::Message pe(0x1b, 0, DTCP_CMD_EVENT, 1);
    pe.put_u32(DTCP_A_EVENT, DTCP_EV_PEER_CHANGED);
    n = pe.nest_start(DTCP_A_PEER);
    pe.put_u32(DTCP_PEER_A_ID, 2);
    pe.put_u8(DTCP_PEER_A_UP, 0);
    pe.nest_end(n);
    auto p = decode_event(pe.header());
    REQUIRE(p.ok());
    CHECK(p->peer_id == 2u);
    CHECK(p->peer_up == false);
    CHECK(event_text(*p) == "peer changed peer 2 down");

    // The daemon events: bare, or with the DAEMON flag.
    nl::Message dg(0x1b, 0, DTCP_CMD_EVENT, 1);
    dg.put_u32(DTCP_A_EVENT, DTCP_EV_DAEMON_GONE);
    dg.put_u8(DTCP_A_DAEMON, 0);
    dg.put_u32(DTCP_A_MAX + 3, 1);  // newer than this program
    auto d = decode_event(dg.header());
    REQUIRE(d.ok());
    CHECK(d->type == DTCP_EV_DAEMON_GONE);
    CHECK(d->daemon == false);
    CHECK(event_name(d->type) == "daemon-gone");
    CHECK(event_text(*d) == "daemon gone");
    CHECK(event_name(DTCP_EV_DAEMON_UP) == "daemon-up");
    CHECK(event_name(DTCP_EV_CONFIG_CHANGED) == "config-changed");
    CHECK(event_name(DTCP_EV_PEER_CHANGED) == "peer-changed");
    CHECK(event_name(42) == "event-42");
    Event unknown;
    unknown.type = 42;
    unknown.node_id = 7;
    CHECK(event_text(unknown) == "event 42 node 7");
    // Every event the ABI defines has a name.
    for (uint32_t t = DTCP_EV_CONFIG_CHANGED; t < __DTCP_EV_MAX; t++)
        CHECK(event_name(t).rfind("event-", 0) == std::string::npos);

    nl::Message none(0x1b, 0, DTCP_CMD_EVENT, 1);
    CHECK(decode_event(none.header()).error().code == EPROTO);
    nl::Message badpeer(0x1b, 0, DTCP_CMD_EVENT, 1);
    badpeer.put_u32(DTCP_A_EVENT, DTCP_EV_PEER_CHANGED);
    n = badpeer.nest_start(DTCP_A_PEER);
    badpeer.put_u16(DTCP_PEER_A_ID, 2);  // u16 where a u32 belongs
    badpeer.nest_end(n);
    CHECK_FALSE(decode_event(badpeer.header()).ok());
}

TEST_CASE("SET_DAEMON carries the requested state", "[control]")
{
    nl::Message on(0x1b, NLM_F_REQUEST, DTCP_CMD_SET_DAEMON, 1);
    encode_daemon(on, true);
    auto a = nl::Attrs::parse_genl(on.header(), DTCP_A_MAX);
    REQUIRE(a.ok());
    CHECK(a->u8(DTCP_A_DAEMON) == 1);
    nl::Message off(0x1b, NLM_F_REQUEST, DTCP_CMD_SET_DAEMON, 1);
    encode_daemon(off, false);
    auto b = nl::Attrs::parse_genl(off.header(), DTCP_A_MAX);
    REQUIRE(b.ok());
    CHECK(b->u8(DTCP_A_DAEMON) == 0);
}

TEST_CASE("NLMSG_DONE carries the dump's error", "[netlink]")
{
    std::vector<uint8_t> buf(64, 0);
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
    nlh->nlmsg_type = NLMSG_DONE;
    int* err = static_cast<int*>(mnl_nlmsg_put_extra_header(nlh, sizeof(int)));
    *err = 0;
    CHECK(nl::done_error(nlh) == 0);
    *err = -EMSGSIZE;
    CHECK(nl::done_error(nlh) == EMSGSIZE);
    nlh->nlmsg_len = MNL_NLMSG_HDRLEN;  // an old-style DONE without payload
    CHECK(nl::done_error(nlh) == 0);
}
