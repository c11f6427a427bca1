// ModulePort over the dtcp generic-netlink family, through dtcp::Control
// (requests) and dtcp::EventStream (notifications).
#include <optional>
#include <utility>

#include "module_port.hpp"

namespace dtcpd {

namespace {

class NetlinkModule final : public ModulePort {
public:
    NetlinkModule(dtcp::Control ctl, std::optional<dtcp::EventStream> ev)
        : ctl_(std::move(ctl)), ev_(std::move(ev))
    {
    }

    Result<void> reconnect() override
    {
        auto ctl = dtcp::Control::open();
        if (!ctl)
            return ctl.error();
        // Closing the old socket ends its daemon registration; the caller
        // registers the new one.
        ctl_ = std::move(ctl.value());
        ev_ = open_events();
        return {};
    }

    Result<void> set_config(const dtcp::ConfigUpdate& c) override { return ctl_.set_config(c); }
    Result<void> set_peer(const dtcp::PeerUpdate& p) override { return ctl_.set_peer(p); }
    Result<void> del_peer(uint32_t id) override { return ctl_.del_peer(id); }
    Result<dtcp::Status> status() override { return ctl_.status(); }
    Result<void> register_daemon() override { return ctl_.set_daemon(true); }

    int event_fd() const override { return ev_ ? ev_->fd() : -1; }

    Result<void> read_events(const std::function<void(const Result<dtcp::Event>&)>& cb) override
    {
        if (!ev_)
            return {};
        return ev_->drain(cb);
    }

    static std::optional<dtcp::EventStream> open_events()
    {
        auto ev = dtcp::EventStream::open();
        if (!ev)
            return std::nullopt;
        return std::move(ev.value());
    }

private:
    dtcp::Control ctl_;
    std::optional<dtcp::EventStream> ev_;
};

class NullModule final : public ModulePort {
public:
    Result<void> set_config(const dtcp::ConfigUpdate& c) override
    {
        if (c.node_id) st_.node_id = c.node_id;
        if (c.tunnel_port) st_.tunnel_port = c.tunnel_port;
        if (c.vip) st_.vip = c.vip;
        if (c.cluster_key) st_.key_set = true;
        return {};
    }
    Result<void> set_peer(const dtcp::PeerUpdate&) override { return {}; }
    Result<void> del_peer(uint32_t) override { return {}; }
    Result<dtcp::Status> status() override { return st_; }

private:
    dtcp::Status st_;
};

}  // namespace

std::unique_ptr<ModulePort> open_netlink_module(dtcp::Error* err)
{
    auto ctl = dtcp::Control::open();
    if (!ctl) {
        *err = ctl.error();
        return nullptr;
    }
    return std::make_unique<NetlinkModule>(std::move(ctl.value()), NetlinkModule::open_events());
}

std::unique_ptr<ModulePort> make_null_module()
{
    return std::make_unique<NullModule>();
}

}  // namespace dtcpd
