// Client of the dtcp generic-netlink family.
#include "dtcp/control.hpp"

#include <arpa/inet.h>

#include <fcntl.h>

#include <cctype>

namespace dtcp {

bool Counters::all_zero() const
{
    for (const auto& [name, v] : values)
        if (v)
            return false;
    return true;
}

std::optional<uint32_t> Counters::get(const std::string& name) const
{
    for (const auto& [n, v] : values)
        if (n == name)
            return v;
    return std::nullopt;
}

std::string counter_name(uint16_t type)
{
    switch (type) {
    case DTCP_CNT_FILES: return "files";
    case DTCP_CNT_CONNS: return "conns";
    case DTCP_CNT_HANDOFFS: return "handoffs";
    case DTCP_CNT_PEERS: return "peers";
    case DTCP_CNT_UPLOAD_PAGES: return "upload_pages";
    default: return "counter-" + std::to_string(type);
    }
}

std::optional<uint64_t> Stats::get(const std::string& name) const
{
    for (const auto& [n, v] : values)
        if (n == name)
            return v;
    return std::nullopt;
}

std::string stat_name(uint16_t type)
{
    switch (type) {
    case DTCP_STAT_HANDOFF_STARTED: return "handoff_started";
    case DTCP_STAT_HANDOFF_DONE: return "handoff_done";
    case DTCP_STAT_HANDOFF_FAILED: return "handoff_failed";
    case DTCP_STAT_HANDOFF_SERVED: return "handoff_served";
    case DTCP_STAT_SEG_FORWARDED: return "seg_forwarded";
    case DTCP_STAT_SEG_INJECTED: return "seg_injected";
    case DTCP_STAT_FROZEN_DROPPED: return "frozen_dropped";
    case DTCP_STAT_TX_MSGS: return "tx_msgs";
    case DTCP_STAT_RX_MSGS: return "rx_msgs";
    case DTCP_STAT_RETRANSMITS: return "retransmits";
    case DTCP_STAT_DROP_MALFORMED: return "drop_malformed";
    case DTCP_STAT_DROP_UNKNOWN_PEER: return "drop_unknown_peer";
    case DTCP_STAT_DROP_BAD_MAC: return "drop_bad_mac";
    case DTCP_STAT_DROP_REPLAY: return "drop_replay";
    case DTCP_STAT_DROP_NO_CONN: return "drop_no_conn";
    case DTCP_STAT_DROP_STALE: return "drop_stale";
    case DTCP_STAT_HANDOFF_TIMEOUT: return "handoff_timeout";
    case DTCP_STAT_PEER_LOST: return "peer_lost";
    case DTCP_STAT_SEG_RETURNED: return "seg_returned";
    case DTCP_STAT_TAIL_RETURNED: return "tail_returned";
    case DTCP_STAT_DRAIN_ACKED: return "drain_acked";
    case DTCP_STAT_UPLOAD_DROPPED: return "upload_dropped";
    case DTCP_STAT_UPLOAD_RESTORED: return "upload_restored";
    case DTCP_STAT_HANDOFF_AGAIN: return "handoff_again";
    case DTCP_STAT_HANDOFF_REFUSED: return "handoff_refused";
    default: return "stat-" + std::to_string(type);
    }
}

std::string role_name(uint8_t role)
{
    switch (role) {
    case DTCP_ROLE_ACTIVE: return "active";
    case DTCP_ROLE_PASSIVE: return "passive";
    default: return "role-" + std::to_string(role);
    }
}

std::string conn_state_name(uint8_t state)
{
    switch (state) {
    case DTCP_CONN_FREEZING: return "freezing";
    case DTCP_CONN_HANDING: return "handing";
    case DTCP_CONN_HANDED_OUT: return "handed-out";
    case DTCP_CONN_RETURNING: return "returning";
    case DTCP_CONN_BUILDING: return "building";
    case DTCP_CONN_QUEUED: return "queued";
    case DTCP_CONN_SERVING: return "serving";
    case DTCP_CONN_DRAINING: return "draining";
    case DTCP_CONN_RETURNED: return "returned";
    default: return "state-" + std::to_string(state);
    }
}

std::string event_name(uint32_t type)
{
    switch (type) {
    case DTCP_EV_CONFIG_CHANGED: return "config-changed";
    case DTCP_EV_PEER_CHANGED: return "peer-changed";
    case DTCP_EV_HANDOFF_FAILED: return "handoff-failed";
    case DTCP_EV_DAEMON_UP: return "daemon-up";
    case DTCP_EV_DAEMON_GONE: return "daemon-gone";
    default: return "event-" + std::to_string(type);
    }
}

std::string event_text(const Event& e)
{
    std::string t;
    switch (e.type) {
    case DTCP_EV_CONFIG_CHANGED: t = "configuration changed"; break;
    case DTCP_EV_PEER_CHANGED: t = "peer changed"; break;
    case DTCP_EV_HANDOFF_FAILED: t = "hand-off failed"; break;
    case DTCP_EV_DAEMON_UP: t = "daemon registered"; break;
    case DTCP_EV_DAEMON_GONE: t = "daemon gone"; break;
    default: t = "event " + std::to_string(e.type); break;
    }
    if (e.node_id)
        t += " node " + std::to_string(*e.node_id);
    if (e.peer_id)
        t += " peer " + std::to_string(*e.peer_id);
    if (e.peer_up)
        t += *e.peer_up ? " up" : " down";
    if (e.conn_id)
        t += " conn " + std::to_string(*e.conn_id);
    if (e.conn_origin)
        t += " origin " + std::to_string(*e.conn_origin);
    if (e.conn_peer)
        t += " with node " + std::to_string(*e.conn_peer);
    if (e.client)
        t += " client " + ip4_str(*e.client) + ":" + std::to_string(e.client_port.value_or(0));
    return t;
}

std::string ip4_str(Ip4 addr)
{
    char buf[INET_ADDRSTRLEN];
    in_addr a{addr};
    return inet_ntop(AF_INET, &a, buf, sizeof(buf)) ? buf : "?";
}

Result<Ip4> parse_ip4(const std::string& text)
{
    in_addr a{};
    if (inet_pton(AF_INET, text.c_str(), &a) != 1)
        return Error{EINVAL, "'" + text + "' is not an IPv4 address (A.B.C.D)"};
    return Ip4{a.s_addr};
}

namespace {

// be32 attributes are read as raw 4 bytes: the value stays in network order.
std::optional<Ip4> be32(const nl::Attrs& a, uint16_t type)
{
    return a.u32(type);
}

}  // namespace

Result<Status> decode_status(const nlmsghdr* nlh)
{
    auto a = nl::Attrs::parse_genl(nlh, DTCP_A_MAX,
                                   {{DTCP_A_ABI_VERSION, MNL_TYPE_U32},
                                    {DTCP_A_MODULE_VERSION, MNL_TYPE_NUL_STRING},
                                    {DTCP_A_NODE_ID, MNL_TYPE_U32},
                                    {DTCP_A_TUNNEL_PORT, MNL_TYPE_U16},
                                    {DTCP_A_KEY_SET, MNL_TYPE_U8},
                                    {DTCP_A_COUNTERS, MNL_TYPE_NESTED},
                                    {DTCP_A_VIP, MNL_TYPE_U32},
                                    {DTCP_A_STATS, MNL_TYPE_NESTED},
                                    {DTCP_A_DAEMON, MNL_TYPE_U8},
                                    {DTCP_A_MAC_DRIVER, MNL_TYPE_NUL_STRING},
                                    {DTCP_A_MAC_BLOCKS_DRIVER, MNL_TYPE_NUL_STRING}});
    if (!a)
        return a.error();
    Status s;
    auto abi = a->u32(DTCP_A_ABI_VERSION);
    auto ver = a->str(DTCP_A_MODULE_VERSION);
    if (!abi || !ver)
        return Error{EPROTO, "status reply without a version"};
    s.abi_version = *abi;
    s.module_version = *ver;
    s.node_id = a->u32(DTCP_A_NODE_ID);
    s.tunnel_port = a->u16(DTCP_A_TUNNEL_PORT);
    s.key_set = a->u8(DTCP_A_KEY_SET).value_or(0) != 0;
    s.mac_driver = a->str(DTCP_A_MAC_DRIVER);
    s.mac_blocks_driver = a->str(DTCP_A_MAC_BLOCKS_DRIVER);
    if (const nlattr* nest = a->get(DTCP_A_COUNTERS)) {
        bool bad = false;
        nl::for_each_nested(nest, [&](const nlattr* pos) {
            if (mnl_attr_validate(pos, MNL_TYPE_U32) < 0)
                bad = true;
            else
                s.live.values.emplace_back(counter_name(mnl_attr_get_type(pos)), mnl_attr_get_u32(pos));
        });
        if (bad)
            return Error{EPROTO, "malformed counter in status reply"};
    }
    s.vip = be32(*a, DTCP_A_VIP);
    if (auto d = a->u8(DTCP_A_DAEMON))
        s.daemon = *d != 0;
    if (const nlattr* nest = a->get(DTCP_A_STATS)) {
        bool bad = false;
        nl::for_each_nested(nest, [&](const nlattr* pos) {
            uint16_t type = mnl_attr_get_type(pos);
            if (type == DTCP_STAT_PAD || type == DTCP_STAT_UNSPEC)
                return;
            if (mnl_attr_validate(pos, MNL_TYPE_U64) < 0) {
                if (type <= DTCP_STAT_MAX)
                    bad = true;  // newer statistics of another size are skipped
                return;
            }
            s.stats.values.emplace_back(stat_name(type), mnl_attr_get_u64(pos));
        });
        if (bad)
            return Error{EPROTO, "malformed statistic in status reply"};
    }
    return s;
}

void encode_config(nl::Message& msg, const ConfigUpdate& u)
{
    if (u.node_id)
        msg.put_u32(DTCP_A_NODE_ID, *u.node_id);
    if (u.tunnel_port)
        msg.put_u16(DTCP_A_TUNNEL_PORT, *u.tunnel_port);
    if (u.cluster_key)
        msg.put(DTCP_A_CLUSTER_KEY, u.cluster_key->data(), u.cluster_key->size());
    if (u.vip)
        msg.put_u32(DTCP_A_VIP, *u.vip);
}

void encode_peer(nl::Message& msg, const PeerUpdate& p)
{
    size_t nest = msg.nest_start(DTCP_A_PEER);
    msg.put_u32(DTCP_PEER_A_ID, p.id);
    msg.put_u32(DTCP_PEER_A_ADDR, p.addr);
    if (p.port)
        msg.put_u16(DTCP_PEER_A_PORT, *p.port);
    if (p.up)
        msg.put_u8(DTCP_PEER_A_UP, *p.up ? 1 : 0);
    msg.nest_end(nest);
}

void encode_peer_id(nl::Message& msg, uint32_t id)
{
    size_t nest = msg.nest_start(DTCP_A_PEER);
    msg.put_u32(DTCP_PEER_A_ID, id);
    msg.nest_end(nest);
}

Result<Peer> decode_peer(const nlmsghdr* nlh)
{
    auto a = nl::Attrs::parse_genl(nlh, DTCP_A_MAX, {{DTCP_A_PEER, MNL_TYPE_NESTED}});
    if (!a)
        return a.error();
    const nlattr* nest = a->get(DTCP_A_PEER);
    if (!nest)
        return Error{EPROTO, "peer dump message without a peer"};
    auto p = nl::Attrs::parse_nested(nest, DTCP_PEER_A_MAX,
                                     {{DTCP_PEER_A_ID, MNL_TYPE_U32},
                                      {DTCP_PEER_A_ADDR, MNL_TYPE_U32},
                                      {DTCP_PEER_A_PORT, MNL_TYPE_U16},
                                      {DTCP_PEER_A_UP, MNL_TYPE_U8},
                                      {DTCP_PEER_A_TX, MNL_TYPE_U64},
                                      {DTCP_PEER_A_RX, MNL_TYPE_U64}});
    if (!p)
        return p.error();
    auto id = p->u32(DTCP_PEER_A_ID);
    auto addr = be32(*p, DTCP_PEER_A_ADDR);
    if (!id || !addr)
        return Error{EPROTO, "peer without an id or address"};
    Peer peer;
    peer.id = *id;
    peer.addr = *addr;
    peer.port = p->u16(DTCP_PEER_A_PORT);
    peer.up = p->u8(DTCP_PEER_A_UP).value_or(0) != 0;
    peer.tx = p->u64(DTCP_PEER_A_TX).value_or(0);
    peer.rx = p->u64(DTCP_PEER_A_RX).value_or(0);
    return peer;
}

Result<Conn> decode_conn(const nlmsghdr* nlh)
{
    auto a = nl::Attrs::parse_genl(nlh, DTCP_A_MAX, {{DTCP_A_CONN, MNL_TYPE_NESTED}});
    if (!a)
        return a.error();
    const nlattr* nest = a->get(DTCP_A_CONN);
    if (!nest)
        return Error{EPROTO, "connection dump message without a connection"};
    auto c = nl::Attrs::parse_nested(nest, DTCP_CONN_A_MAX,
                                     {{DTCP_CONN_A_ID, MNL_TYPE_U32},
                                      {DTCP_CONN_A_ORIGIN, MNL_TYPE_U32},
                                      {DTCP_CONN_A_ROLE, MNL_TYPE_U8},
                                      {DTCP_CONN_A_STATE, MNL_TYPE_U8},
                                      {DTCP_CONN_A_CLIENT, MNL_TYPE_U32},
                                      {DTCP_CONN_A_CLIENT_PORT, MNL_TYPE_U16},
                                      {DTCP_CONN_A_LOCAL, MNL_TYPE_U32},
                                      {DTCP_CONN_A_LOCAL_PORT, MNL_TYPE_U16},
                                      {DTCP_CONN_A_PEER, MNL_TYPE_U32},
                                      {DTCP_CONN_A_HANDOFFS, MNL_TYPE_U32},
                                      {DTCP_CONN_A_BYTES, MNL_TYPE_U64}});
    if (!c)
        return c.error();
    auto id = c->u32(DTCP_CONN_A_ID);
    if (!id)
        return Error{EPROTO, "connection without an id"};
    Conn conn;
    conn.id = *id;
    conn.origin = c->u32(DTCP_CONN_A_ORIGIN).value_or(0);
    conn.role = c->u8(DTCP_CONN_A_ROLE).value_or(0);
    conn.state = c->u8(DTCP_CONN_A_STATE).value_or(0);
    conn.client = be32(*c, DTCP_CONN_A_CLIENT).value_or(0);
    conn.client_port = c->u16(DTCP_CONN_A_CLIENT_PORT).value_or(0);
    conn.local = be32(*c, DTCP_CONN_A_LOCAL).value_or(0);
    conn.local_port = c->u16(DTCP_CONN_A_LOCAL_PORT).value_or(0);
    conn.peer = c->u32(DTCP_CONN_A_PEER).value_or(0);
    conn.handoffs = c->u32(DTCP_CONN_A_HANDOFFS).value_or(0);
    conn.bytes = c->u64(DTCP_CONN_A_BYTES).value_or(0);
    return conn;
}

Result<Event> decode_event(const nlmsghdr* nlh)
{
    auto a = nl::Attrs::parse_genl(nlh, DTCP_A_MAX,
                                   {{DTCP_A_EVENT, MNL_TYPE_U32},
                                    {DTCP_A_NODE_ID, MNL_TYPE_U32},
                                    {DTCP_A_DAEMON, MNL_TYPE_U8},
                                    {DTCP_A_PEER, MNL_TYPE_NESTED},
                                    {DTCP_A_CONN, MNL_TYPE_NESTED}});
    if (!a)
        return a.error();
    auto type = a->u32(DTCP_A_EVENT);
    if (!type)
        return Error{EPROTO, "event without DTCP_A_EVENT"};
    Event e;
    e.type = *type;
    e.node_id = a->u32(DTCP_A_NODE_ID);
    if (auto d = a->u8(DTCP_A_DAEMON))
        e.daemon = *d != 0;
    if (const nlattr* nest = a->get(DTCP_A_PEER)) {
        auto p = nl::Attrs::parse_nested(nest, DTCP_PEER_A_MAX,
                                         {{DTCP_PEER_A_ID, MNL_TYPE_U32}, {DTCP_PEER_A_UP, MNL_TYPE_U8}});
        if (!p)
            return p.error();
        e.peer_id = p->u32(DTCP_PEER_A_ID);
        if (auto up = p->u8(DTCP_PEER_A_UP))
            e.peer_up = *up != 0;
    }
    if (const nlattr* nest = a->get(DTCP_A_CONN)) {
        auto c = nl::Attrs::parse_nested(nest, DTCP_CONN_A_MAX,
                                         {{DTCP_CONN_A_ID, MNL_TYPE_U32},
                                          {DTCP_CONN_A_ORIGIN, MNL_TYPE_U32},
                                          {DTCP_CONN_A_PEER, MNL_TYPE_U32},
                                          {DTCP_CONN_A_CLIENT, MNL_TYPE_U32},
                                          {DTCP_CONN_A_CLIENT_PORT, MNL_TYPE_U16}});
        if (!c)
            return c.error();
        e.conn_id = c->u32(DTCP_CONN_A_ID);
        e.conn_origin = c->u32(DTCP_CONN_A_ORIGIN);
        e.conn_peer = c->u32(DTCP_CONN_A_PEER);
        e.client = be32(*c, DTCP_CONN_A_CLIENT);
        e.client_port = c->u16(DTCP_CONN_A_CLIENT_PORT);
    }
    return e;
}

void encode_daemon(nl::Message& msg, bool on)
{
    msg.put_u8(DTCP_A_DAEMON, on ? 1 : 0);
}

Result<std::array<uint8_t, DTCP_KEY_LEN>> parse_key_hex(const std::string& text)
{
    size_t b = 0, e = text.size();
    while (b < e && std::isspace(static_cast<unsigned char>(text[b])))
        b++;
    while (e > b && std::isspace(static_cast<unsigned char>(text[e - 1])))
        e--;
    if (e - b != 2 * DTCP_KEY_LEN)
        return Error{EINVAL, "a cluster key is " + std::to_string(2 * DTCP_KEY_LEN) +
                                 " hex digits, got " + std::to_string(e - b) + " characters"};
    std::array<uint8_t, DTCP_KEY_LEN> key{};
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    for (size_t i = 0; i < DTCP_KEY_LEN; i++) {
        int hi = nibble(text[b + 2 * i]), lo = nibble(text[b + 2 * i + 1]);
        if (hi < 0 || lo < 0)
            return Error{EINVAL, "a cluster key has only hex digits"};
        key[i] = static_cast<uint8_t>(hi << 4 | lo);
    }
    return key;
}

namespace {

Result<nl::GenlSocket> open_family()
{
    auto s = nl::GenlSocket::open(DTCP_GENL_NAME);
    if (!s) {
        Error e = s.error();
        if (e.code == ENOENT)
            e.message = "the dtcp kernel module is not loaded (generic netlink family \"dtcp\" not found)";
        return e;
    }
    return s;
}

}  // namespace

Result<Control> Control::open()
{
    auto s = open_family();
    if (!s)
        return s.error();
    return Control(std::move(s.value()));
}

Result<Status> Control::status()
{
    auto msg = sock_.message(DTCP_CMD_GET_STATUS);
    std::optional<Result<Status>> st;
    auto r = sock_.request(msg, [&](const nlmsghdr* nlh) {
        st = decode_status(nlh);
        return MNL_CB_OK;
    });
    if (!r)
        return r.error();
    if (!st)
        return Error{EPROTO, "no status reply"};
    return std::move(*st);
}

Result<void> Control::set_config(const ConfigUpdate& u)
{
    auto msg = sock_.message(DTCP_CMD_SET_CONFIG);
    encode_config(msg, u);
    return sock_.request(msg);
}

Result<void> Control::set_peer(uint32_t id, Ip4 addr, std::optional<uint16_t> port, std::optional<bool> up)
{
    return set_peer(PeerUpdate{id, addr, port, up});
}

Result<void> Control::set_peer(const PeerUpdate& p)
{
    auto msg = sock_.message(DTCP_CMD_SET_PEER);
    encode_peer(msg, p);
    return sock_.request(msg);
}

Result<void> Control::del_peer(uint32_t id)
{
    auto msg = sock_.message(DTCP_CMD_DEL_PEER);
    encode_peer_id(msg, id);
    return sock_.request(msg);
}

Result<void> Control::set_daemon(bool on)
{
    auto msg = sock_.message(DTCP_CMD_SET_DAEMON);
    encode_daemon(msg, on);
    return sock_.request(msg);
}

template <typename T>
Result<std::vector<T>> Control::dump(uint8_t cmd, Result<T> (*decode)(const nlmsghdr*))
{
    constexpr int kAttempts = 8;
    for (int attempt = 0; attempt < kAttempts; attempt++) {
        auto msg = sock_.message(cmd);
        std::vector<T> out;
        std::optional<Error> bad;
        bool interrupted = false;
        auto r = sock_.dump(msg, [&](const nlmsghdr* nlh) {
            auto item = decode(nlh);
            if (item)
                out.push_back(std::move(item.value()));
            else if (!bad)
                bad = item.error();
            return MNL_CB_OK;
        }, &interrupted);
        if (!r)
            return r.error();
        if (interrupted)
            continue;  // the table changed under the dump: take it again
        if (bad)
            return *bad;
        return out;
    }
    return Error{EAGAIN, "the table kept changing while it was dumped"};
}

Result<std::vector<Peer>> Control::peers()
{
    return dump<Peer>(DTCP_CMD_GET_PEERS, &decode_peer);
}

Result<std::vector<Conn>> Control::conns()
{
    return dump<Conn>(DTCP_CMD_GET_CONNS, &decode_conn);
}

Result<EventStream> EventStream::open()
{
    auto s = open_family();
    if (!s)
        return s.error();
    if (auto r = s->subscribe(DTCP_MCGRP_EVENTS); !r)
        return r.error();
    int fd = s->fd();
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return Error{errno, "cannot make the event socket non-blocking"};
    return EventStream(std::move(s.value()));
}

Result<void> EventStream::drain(const std::function<void(const Result<Event>&)>& cb)
{
    auto r = sock_.listen([&](const nlmsghdr* nlh) {
        cb(decode_event(nlh));
        return MNL_CB_OK;
    });
    // The socket is non-blocking: EAGAIN means drained.
    if (!r && r.error().code != EAGAIN && r.error().code != EWOULDBLOCK)
        return r.error();
    return {};
}

}  // namespace dtcp
