// Generic-netlink client on libmnl.
#include "dtcp/netlink.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace dtcp {

std::string Error::describe() const
{
    std::string s = std::strerror(code);
    if (message.empty())
        return s;
    return message + " (" + s + ")";
}

namespace nl {

Message::Message(uint16_t type, uint16_t flags, uint8_t cmd, uint8_t version)
    : buf_(MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(genlmsghdr)) + 256)
{
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf_.data());
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = flags;
    auto* g = static_cast<genlmsghdr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(genlmsghdr)));
    g->cmd = cmd;
    g->version = version;
}

void Message::reserve_more(size_t extra)
{
    size_t need = size() + MNL_ALIGN(extra);
    if (need > buf_.size())
        buf_.resize(std::max(need, buf_.size() * 2));
}

void Message::put(uint16_t type, const void* data, size_t len)
{
    reserve_more(MNL_ATTR_HDRLEN + len);
    mnl_attr_put(header(), type, len, data);
}

void Message::put_string(uint16_t type, std::string_view s)
{
    reserve_more(MNL_ATTR_HDRLEN + s.size() + 1);
    std::string tmp(s);
    mnl_attr_put_strz(header(), type, tmp.c_str());
}

size_t Message::nest_start(uint16_t type)
{
    reserve_more(MNL_ATTR_HDRLEN);
    size_t off = size();
    mnl_attr_nest_start(header(), type);
    return off;
}

void Message::nest_end(size_t token)
{
    mnl_attr_nest_end(header(), reinterpret_cast<nlattr*>(buf_.data() + token));
}

namespace {

struct ParseCtx {
    std::vector<const nlattr*>* tb;
    const std::map<uint16_t, mnl_attr_data_type>* types;
    int bad_type = -1;
};

int parse_cb(const nlattr* attr, void* data)
{
    auto* ctx = static_cast<ParseCtx*>(data);
    uint16_t type = mnl_attr_get_type(attr);
    if (type >= ctx->tb->size())
        return MNL_CB_OK;  // newer than this program: ignore
    auto it = ctx->types->find(type);
    if (it != ctx->types->end() && mnl_attr_validate(attr, it->second) < 0) {
        ctx->bad_type = type;
        return MNL_CB_ERROR;
    }
    (*ctx->tb)[type] = attr;
    return MNL_CB_OK;
}

Error bad_attr(int type)
{
    return Error{EPROTO, "malformed attribute " + std::to_string(type) + " in kernel reply"};
}

}  // namespace

Result<Attrs> Attrs::parse_genl(const nlmsghdr* nlh, uint16_t max,
                                const std::map<uint16_t, mnl_attr_data_type>& types)
{
    Attrs a;
    a.tb_.assign(size_t(max) + 1, nullptr);
    ParseCtx ctx{&a.tb_, &types};
    if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(genlmsghdr)))
        return Error{EPROTO, "truncated generic netlink message"};
    if (mnl_attr_parse(nlh, sizeof(genlmsghdr), parse_cb, &ctx) < 0)
        return bad_attr(ctx.bad_type);
    return a;
}

Result<Attrs> Attrs::parse_nested(const nlattr* nest, uint16_t max,
                                  const std::map<uint16_t, mnl_attr_data_type>& types)
{
    Attrs a;
    a.tb_.assign(size_t(max) + 1, nullptr);
    ParseCtx ctx{&a.tb_, &types};
    if (mnl_attr_parse_nested(nest, parse_cb, &ctx) < 0)
        return bad_attr(ctx.bad_type);
    return a;
}

namespace {

// The attribute's value if it is present and of @type's size, else nullopt.
template <typename T, T (*Get)(const nlattr*)>
std::optional<T> typed(const nlattr* a, mnl_attr_data_type type)
{
    if (!a || mnl_attr_validate(a, type) < 0)
        return std::nullopt;
    return Get(a);
}

}  // namespace

std::optional<uint8_t> Attrs::u8(uint16_t t) const
{
    return typed<uint8_t, mnl_attr_get_u8>(get(t), MNL_TYPE_U8);
}

std::optional<uint16_t> Attrs::u16(uint16_t t) const
{
    return typed<uint16_t, mnl_attr_get_u16>(get(t), MNL_TYPE_U16);
}

std::optional<uint32_t> Attrs::u32(uint16_t t) const
{
    return typed<uint32_t, mnl_attr_get_u32>(get(t), MNL_TYPE_U32);
}

std::optional<uint64_t> Attrs::u64(uint16_t t) const
{
    return typed<uint64_t, mnl_attr_get_u64>(get(t), MNL_TYPE_U64);
}

std::optional<std::string> Attrs::str(uint16_t t) const
{
    const nlattr* a = get(t);
    if (!a || mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
        return std::nullopt;
    return std::string(mnl_attr_get_str(a));
}

Result<AckInfo> parse_ack(const nlmsghdr* nlh)
{
    if (nlh->nlmsg_type != NLMSG_ERROR)
        return Error{EPROTO, "not an error/ack message"};
    if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(nlmsgerr))
        return Error{EPROTO, "truncated netlink error message"};
    auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
    AckInfo info;
    info.error = -err->error;
    if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
        return info;

    // TLVs follow the error header and, unless capped, the echoed request.
    size_t off = sizeof(nlmsgerr);
    if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
        off += err->msg.nlmsg_len - sizeof(nlmsghdr);
    size_t payload_len = nlh->nlmsg_len - MNL_NLMSG_HDRLEN;
    if (off > payload_len)
        return Error{EPROTO, "malformed extended ack"};
    const auto* p = static_cast<const uint8_t*>(mnl_nlmsg_get_payload(nlh)) + off;
    size_t len = payload_len - off;
    for_each_attr(p, len, [&](const nlattr* attr) {
        switch (mnl_attr_get_type(attr)) {
        case NLMSGERR_ATTR_MSG:
            if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
                info.message = mnl_attr_get_str(attr);
            break;
        case NLMSGERR_ATTR_OFFS:
            if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
                info.bad_offset = mnl_attr_get_u32(attr);
            break;
        default:
            break;
        }
    });
    return info;
}

Result<FamilyInfo> parse_family(const nlmsghdr* nlh)
{
    auto attrs = Attrs::parse_genl(nlh, CTRL_ATTR_MAX,
                                   {{CTRL_ATTR_FAMILY_ID, MNL_TYPE_U16},
                                    {CTRL_ATTR_VERSION, MNL_TYPE_U32},
                                    {CTRL_ATTR_MAXATTR, MNL_TYPE_U32},
                                    {CTRL_ATTR_OPS, MNL_TYPE_NESTED},
                                    {CTRL_ATTR_MCAST_GROUPS, MNL_TYPE_NESTED}});
    if (!attrs)
        return attrs.error();
    FamilyInfo f;
    auto id = attrs->u16(CTRL_ATTR_FAMILY_ID);
    if (!id)
        return Error{EPROTO, "family reply without an id"};
    f.id = *id;
    f.version = attrs->u32(CTRL_ATTR_VERSION).value_or(0);
    f.max_attr = attrs->u32(CTRL_ATTR_MAXATTR).value_or(0);
    if (const nlattr* ops = attrs->get(CTRL_ATTR_OPS)) {
        for_each_nested(ops, [&](const nlattr* pos) {
            auto op = Attrs::parse_nested(pos, CTRL_ATTR_OP_MAX);
            if (op && op->u32(CTRL_ATTR_OP_ID))
                f.ops.push_back(*op->u32(CTRL_ATTR_OP_ID));
        });
    }
    if (const nlattr* grps = attrs->get(CTRL_ATTR_MCAST_GROUPS)) {
        for_each_nested(grps, [&](const nlattr* pos) {
            auto g = Attrs::parse_nested(pos, CTRL_ATTR_MCAST_GRP_MAX);
            if (g && g->str(CTRL_ATTR_MCAST_GRP_NAME) && g->u32(CTRL_ATTR_MCAST_GRP_ID))
                f.mcast_groups[*g->str(CTRL_ATTR_MCAST_GRP_NAME)] = *g->u32(CTRL_ATTR_MCAST_GRP_ID);
        });
    }
    return f;
}

Result<GenlSocket> GenlSocket::open(const std::string& family)
{
    GenlSocket s;
    s.sock_.reset(mnl_socket_open(NETLINK_GENERIC));
    if (!s.sock_)
        return Error{errno, "cannot open a generic netlink socket"};
    int one = 1;
    // Extended acks carry the kernel's message; capped acks keep replies small.
    mnl_socket_setsockopt(s.sock_.get(), NETLINK_EXT_ACK, &one, sizeof(one));
    mnl_socket_setsockopt(s.sock_.get(), NETLINK_CAP_ACK, &one, sizeof(one));
    if (mnl_socket_bind(s.sock_.get(), 0, MNL_SOCKET_AUTOPID) < 0)
        return Error{errno, "cannot bind a generic netlink socket"};
    s.portid_ = mnl_socket_get_portid(s.sock_.get());
    s.seq_ = static_cast<uint32_t>(time(nullptr));

    Message m(GENL_ID_CTRL, 0, CTRL_CMD_GETFAMILY, 1);
    m.put_string(CTRL_ATTR_FAMILY_NAME, family);
    std::optional<Result<FamilyInfo>> fam;
    auto r = s.send_and_receive(m, [&](const nlmsghdr* nlh) {
        fam = parse_family(nlh);
        return MNL_CB_OK;
    }, GENL_ID_CTRL);
    if (!r) {
        Error e = r.error();
        if (e.code == ENOENT)
            e.message = "generic netlink family \"" + family + "\" not found";
        return e;
    }
    if (!fam)
        return Error{EPROTO, "no reply to the family lookup"};
    if (!*fam)
        return fam->error();
    s.family_ = std::move(fam->value());
    return s;
}

int GenlSocket::fd() const
{
    return mnl_socket_get_fd(sock_.get());
}

Message GenlSocket::message(uint8_t cmd, uint16_t flags) const
{
    return Message(family_.id, flags, cmd, static_cast<uint8_t>(family_.version));
}

Result<void> GenlSocket::request(Message& msg, const Callback& cb)
{
    return send_and_receive(msg, cb, family_.id);
}

Result<void> GenlSocket::dump(Message& msg, const Callback& cb, bool* interrupted)
{
    msg.header()->nlmsg_flags |= NLM_F_DUMP;
    bool intr = false;
    auto r = send_and_receive(msg, cb, family_.id, &intr);
    if (interrupted)
        *interrupted = intr;
    return r;
}

int done_error(const nlmsghdr* nlh)
{
    if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(int))
        return 0;
    int err;
    std::memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
    return err < 0 ? -err : 0;
}

Result<void> GenlSocket::send_and_receive(Message& msg, const Callback& cb, uint16_t expect_type,
                                          bool* interrupted)
{
    nlmsghdr* nlh = msg.header();
    nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
    nlh->nlmsg_seq = ++seq_;
    if (mnl_socket_sendto(sock_.get(), nlh, nlh->nlmsg_len) < 0)
        return Error{errno, "cannot send a netlink request"};

    std::vector<uint8_t> buf(std::max<size_t>(MNL_SOCKET_BUFFER_SIZE, 32768));
    for (;;) {
        ssize_t n = mnl_socket_recvfrom(sock_.get(), buf.data(), buf.size());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return Error{errno, "cannot receive a netlink reply"};
        }
        auto* h = reinterpret_cast<const nlmsghdr*>(buf.data());
        int len = static_cast<int>(n);
        for (; mnl_nlmsg_ok(h, len); h = mnl_nlmsg_next(h, &len)) {
            if (h->nlmsg_seq != nlh->nlmsg_seq || h->nlmsg_pid != portid_)
                continue;  // stale reply to an earlier request
            if (interrupted && (h->nlmsg_flags & NLM_F_DUMP_INTR))
                *interrupted = true;
            if (h->nlmsg_type == NLMSG_ERROR) {
                auto ack = parse_ack(h);
                if (!ack)
                    return ack.error();
                if (ack->error)
                    return Error{ack->error, ack->message};
                return {};
            }
            if (h->nlmsg_type == NLMSG_DONE) {
                if (int err = done_error(h))
                    return Error{err, "the kernel ended the dump with an error"};
                return {};
            }
            if (h->nlmsg_type == NLMSG_NOOP || h->nlmsg_type == NLMSG_OVERRUN)
                continue;
            if (h->nlmsg_type != expect_type)
                return Error{EPROTO, "unexpected netlink message type " + std::to_string(h->nlmsg_type)};
            if (cb) {
                int r = cb(h);
                if (r < MNL_CB_OK)
                    return Error{EPROTO, "could not parse the kernel's reply"};
            }
        }
    }
}

Result<void> GenlSocket::subscribe(const std::string& group)
{
    auto it = family_.mcast_groups.find(group);
    if (it == family_.mcast_groups.end())
        return Error{ENOENT, "multicast group \"" + group + "\" not found"};
    int id = static_cast<int>(it->second);
    if (mnl_socket_setsockopt(sock_.get(), NETLINK_ADD_MEMBERSHIP, &id, sizeof(id)) < 0)
        return Error{errno, "cannot join multicast group \"" + group + "\""};
    return {};
}

Result<void> GenlSocket::listen(const Callback& cb)
{
    std::vector<uint8_t> buf(std::max<size_t>(MNL_SOCKET_BUFFER_SIZE, 32768));
    for (;;) {
        ssize_t n = mnl_socket_recvfrom(sock_.get(), buf.data(), buf.size());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return Error{errno, "cannot receive netlink events"};
        }
        auto* h = reinterpret_cast<const nlmsghdr*>(buf.data());
        int len = static_cast<int>(n);
        for (; mnl_nlmsg_ok(h, len); h = mnl_nlmsg_next(h, &len)) {
            if (h->nlmsg_type != family_.id)
                continue;
            int r = cb(h);
            if (r == MNL_CB_STOP)
                return {};
            if (r < MNL_CB_OK)
                return Error{EPROTO, "could not parse an event"};
        }
    }
}

}  // namespace nl
}  // namespace dtcp
