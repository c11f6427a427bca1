// ModulePort over the dtcp generic-netlink family (libmnl via dtcp::nl).
#include <fcntl.h>

#include "dtcp/control.hpp"
#include "module_port.hpp"

namespace dtcpd {

void encode_module_config(dtcp::nl::Message& msg, const ModuleConfig& c, bool with_vip)
{
    if (c.node_id)
        msg.put_u32(DTCP_A_NODE_ID, *c.node_id);
    if (c.tunnel_port)
        msg.put_u16(DTCP_A_TUNNEL_PORT, *c.tunnel_port);
    if (c.cluster_key)
        msg.put(DTCP_A_CLUSTER_KEY, c.cluster_key->data(), c.cluster_key->size());
    if (with_vip && c.vip)
        msg.put(DTCP_A_VIP, &*c.vip, sizeof(uint32_t));
}

void encode_peer(dtcp::nl::Message& msg, const ModulePeer& p)
{
    size_t nest = msg.nest_start(DTCP_A_PEER);
    msg.put_u32(DTCP_PEER_A_ID, p.id);
    if (p.addr)
        msg.put(DTCP_PEER_A_ADDR, &p.addr, sizeof(p.addr));
    if (p.port)
        msg.put_u16(DTCP_PEER_A_PORT, p.port);
    msg.put_u8(DTCP_PEER_A_UP, p.up ? 1 : 0);
    msg.nest_end(nest);
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
    default: return "stat_" + std::to_string(type);
    }
}

Result<ModuleStatus> decode_module_status(const nlmsghdr* nlh)
{
    auto base = dtcp::decode_status(nlh);
    if (!base)
        return base.error();
    ModuleStatus s;
    s.node_id = base->node_id;
    s.tunnel_port = base->tunnel_port;
    s.key_set = base->key_set;
    s.live = base->live.values;
    auto a = dtcp::nl::Attrs::parse_genl(nlh, DTCP_A_MAX, {{DTCP_A_STATS, MNL_TYPE_NESTED}});
    if (!a)
        return a.error();
    if (const nlattr* v = a->get(DTCP_A_VIP); v && mnl_attr_get_payload_len(v) == 4)
        s.vip = mnl_attr_get_u32(v);
    if (const nlattr* nest = a->get(DTCP_A_STATS)) {
        bool bad = false;
        dtcp::nl::for_each_nested(nest, [&](const nlattr* pos) {
            uint16_t t = mnl_attr_get_type(pos);
            if (t == DTCP_STAT_PAD)
                return;
            if (mnl_attr_validate(pos, MNL_TYPE_U64) < 0)
                bad = true;
            else
                s.stats.emplace_back(t, mnl_attr_get_u64(pos));
        });
        if (bad)
            return dtcp::Error{EPROTO, "malformed statistic in status reply"};
    }
    return s;
}

Result<ModuleEvent> decode_event(const nlmsghdr* nlh)
{
    auto a = dtcp::nl::Attrs::parse_genl(nlh, DTCP_A_MAX,
                                         {{DTCP_A_EVENT, MNL_TYPE_U32},
                                          {DTCP_A_PEER, MNL_TYPE_NESTED},
                                          {DTCP_A_CONN, MNL_TYPE_NESTED}});
    if (!a)
        return a.error();
    auto ev = a->u32(DTCP_A_EVENT);
    if (!ev)
        return dtcp::Error{EPROTO, "event without DTCP_A_EVENT"};
    ModuleEvent e;
    e.type = *ev;
    switch (e.type) {
    case DTCP_EV_CONFIG_CHANGED: e.text = "configuration changed"; break;
    case DTCP_EV_PEER_CHANGED: e.text = "peer changed"; break;
    case DTCP_EV_HANDOFF_FAILED: e.text = "hand-off failed"; break;
    default: e.text = "event " + std::to_string(e.type); break;
    }
    if (auto n = a->u32(DTCP_A_NODE_ID))
        e.text += " node " + std::to_string(*n);
    if (const nlattr* p = a->get(DTCP_A_PEER)) {
        auto pa = dtcp::nl::Attrs::parse_nested(p, DTCP_PEER_A_MAX);
        if (pa) {
            if (auto id = pa->u32(DTCP_PEER_A_ID))
                e.text += " peer " + std::to_string(*id);
            if (auto up = pa->u8(DTCP_PEER_A_UP))
                e.text += *up ? " up" : " down";
        }
    }
    if (const nlattr* c = a->get(DTCP_A_CONN)) {
        auto ca = dtcp::nl::Attrs::parse_nested(c, DTCP_CONN_A_MAX);
        if (ca) {
            if (auto id = ca->u32(DTCP_CONN_A_ID))
                e.text += " conn " + std::to_string(*id);
            if (auto o = ca->u32(DTCP_CONN_A_ORIGIN))
                e.text += " origin " + std::to_string(*o);
            if (auto peer = ca->u32(DTCP_CONN_A_PEER))
                e.text += " with node " + std::to_string(*peer);
            if (const nlattr* cl = ca->get(DTCP_CONN_A_CLIENT); cl && mnl_attr_get_payload_len(cl) == 4)
                e.text += " client " + ipv4_to_string(mnl_attr_get_u32(cl)) + ":" +
                          std::to_string(ca->u16(DTCP_CONN_A_CLIENT_PORT).value_or(0));
        }
    }
    return e;
}

namespace {

Result<dtcp::nl::GenlSocket> open_request_socket()
{
    auto req = dtcp::nl::GenlSocket::open(DTCP_GENL_NAME);
    if (!req) {
        dtcp::Error e = req.error();
        if (e.code == ENOENT)
            e.message = "the dtcp kernel module is not loaded (generic netlink family \"dtcp\" not found)";
        return e;
    }
    return req;
}

std::optional<dtcp::nl::GenlSocket> open_event_socket()
{
    auto evs = dtcp::nl::GenlSocket::open(DTCP_GENL_NAME);
    if (!evs || !evs->subscribe(DTCP_MCGRP_EVENTS))
        return std::nullopt;
    int fd = evs->fd();
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return std::move(evs.value());
}

class NetlinkModule final : public ModulePort {
public:
    NetlinkModule(dtcp::nl::GenlSocket req, std::optional<dtcp::nl::GenlSocket> ev)
        : req_(std::move(req)), ev_(std::move(ev))
    {
    }

    Result<void> reconnect() override
    {
        auto req = open_request_socket();
        if (!req)
            return req.error();
        req_ = std::move(req.value());
        ev_ = open_event_socket();
        return {};
    }

    Result<void> set_config(const ModuleConfig& c) override
    {
        ModuleConfig core = c;
        core.vip.reset();
        if (!core.empty()) {
            auto msg = req_.message(DTCP_CMD_SET_CONFIG);
            encode_module_config(msg, core, false);
            if (auto r = req_.request(msg); !r)
                return r.error();
        }
        // The VIP goes on its own so a module without VIP support still
        // takes the rest.
        if (c.vip) {
            auto msg = req_.message(DTCP_CMD_SET_CONFIG);
            encode_module_config(msg, ModuleConfig::vip_only(*c.vip), true);
            if (auto r = req_.request(msg); !r)
                return r.error();
        }
        return {};
    }

    Result<void> set_peer(const ModulePeer& p) override
    {
        auto msg = req_.message(DTCP_CMD_SET_PEER);
        encode_peer(msg, p);
        return req_.request(msg);
    }

    Result<void> del_peer(uint32_t id) override
    {
        auto msg = req_.message(DTCP_CMD_DEL_PEER);
        size_t nest = msg.nest_start(DTCP_A_PEER);
        msg.put_u32(DTCP_PEER_A_ID, id);
        msg.nest_end(nest);
        return req_.request(msg);
    }

    Result<ModuleStatus> status() override
    {
        auto msg = req_.message(DTCP_CMD_GET_STATUS);
        std::optional<Result<ModuleStatus>> st;
        auto r = req_.request(msg, [&](const nlmsghdr* nlh) {
            st = decode_module_status(nlh);
            return MNL_CB_OK;
        });
        if (!r)
            return r.error();
        if (!st)
            return dtcp::Error{EPROTO, "no status reply"};
        return std::move(*st);
    }

    int event_fd() const override { return ev_ ? ev_->fd() : -1; }

    Result<void> read_events(const std::function<void(const ModuleEvent&)>& cb) override
    {
        if (!ev_)
            return {};
        auto r = ev_->listen([&](const nlmsghdr* nlh) {
            auto e = decode_event(nlh);
            cb(e ? *e : ModuleEvent{0, "undecodable event: " + e.error().message});
            return MNL_CB_OK;
        });
        // The socket is non-blocking: EAGAIN means drained.
        if (!r && r.error().code != EAGAIN && r.error().code != EWOULDBLOCK)
            return r.error();
        return {};
    }

private:
    dtcp::nl::GenlSocket req_;
    std::optional<dtcp::nl::GenlSocket> ev_;
};

class NullModule final : public ModulePort {
public:
    Result<void> set_config(const ModuleConfig& c) override
    {
        if (c.node_id) st_.node_id = c.node_id;
        if (c.tunnel_port) st_.tunnel_port = c.tunnel_port;
        if (c.vip) st_.vip = c.vip;
        if (c.cluster_key) st_.key_set = true;
        return {};
    }
    Result<void> set_peer(const ModulePeer&) override { return {}; }
    Result<void> del_peer(uint32_t) override { return {}; }
    Result<ModuleStatus> status() override { return st_; }

private:
    ModuleStatus st_;
};

}  // namespace

std::unique_ptr<ModulePort> open_netlink_module(dtcp::Error* err)
{
    auto req = open_request_socket();
    if (!req) {
        *err = req.error();
        return nullptr;
    }
    return std::make_unique<NetlinkModule>(std::move(req.value()), open_event_socket());
}

std::unique_ptr<ModulePort> make_null_module()
{
    return std::make_unique<NullModule>();
}

}  // namespace dtcpd
