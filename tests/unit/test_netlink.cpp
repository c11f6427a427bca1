// Unit tests of the netlink message code (no kernel needed).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>

#include "dtcp/control.hpp"
#include "dtcp/netlink.hpp"

using namespace dtcp;

namespace {

// Build a kernel-style NLMSG_ERROR reply by hand.
std::vector<uint8_t> make_error(int err, const nl::Message& req, bool capped, const char* msg,
                                uint32_t offs = 0)
{
    std::vector<uint8_t> buf(4096, 0);
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
    nlh->nlmsg_type = NLMSG_ERROR;
    nlh->nlmsg_flags = (capped ? NLM_F_CAPPED : 0) | (msg || offs ? NLM_F_ACK_TLVS : 0);
    size_t echo = capped ? sizeof(nlmsghdr) : req.size();
    auto* e = static_cast<nlmsgerr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nlmsgerr) - sizeof(nlmsghdr) + echo));
    e->error = -err;
    std::memcpy(&e->msg, req.header(), echo);
    if (msg)
        mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, msg);
    if (offs)
        mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, offs);
    buf.resize(nlh->nlmsg_len);
    return buf;
}

const nlmsghdr* hdr(const std::vector<uint8_t>& b)
{
    return reinterpret_cast<const nlmsghdr*>(b.data());
}

}  // namespace

TEST_CASE("Message grows instead of truncating", "[netlink]")
{
    nl::Message m(0x20, 0, 1, 1);
    for (uint32_t i = 0; i < 1000; i++)
        m.put_u32(1 + (i % 5), i);
    REQUIRE(m.size() == MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(genlmsghdr)) + 1000 * 8);
    uint32_t expect = 0;
    const auto* gh = static_cast<const char*>(mnl_nlmsg_get_payload(m.header()));
    nl::for_each_attr(gh + MNL_ALIGN(sizeof(genlmsghdr)), m.size() - MNL_NLMSG_HDRLEN - MNL_ALIGN(sizeof(genlmsghdr)), [&](const nlattr* a) {
        REQUIRE(mnl_attr_get_u32(a) == expect);
        REQUIRE(mnl_attr_get_type(a) == 1 + (expect % 5));
        expect++;
    });
    REQUIRE(expect == 1000);
}

TEST_CASE("Nests survive a reallocation of the buffer", "[netlink]")
{
    nl::Message m(0x20, 0, 1, 1);
    size_t tok = m.nest_start(7);
    std::vector<uint8_t> big(5000, 0xab);
    m.put(1, big.data(), big.size());
    m.put_u16(2, 0x1234);
    m.nest_end(tok);
    m.put_string(3, "after");

    auto attrs = nl::Attrs::parse_genl(m.header(), 7);
    REQUIRE(attrs.ok());
    REQUIRE(attrs->str(3) == std::optional<std::string>("after"));
    const nlattr* nest = attrs->get(7);
    REQUIRE(nest != nullptr);
    REQUIRE(mnl_attr_get_payload_len(nest) == MNL_ALIGN(MNL_ATTR_HDRLEN + 5000) + MNL_ATTR_HDRLEN + 4);
    auto inner = nl::Attrs::parse_nested(nest, 2);
    REQUIRE(inner.ok());
    REQUIRE(inner->u16(2) == std::optional<uint16_t>(0x1234));
    REQUIRE(mnl_attr_get_payload_len(inner->get(1)) == 5000);
}

TEST_CASE("Attributes newer than the table are ignored", "[netlink]")
{
    nl::Message m(0x20, 0, 1, 1);
    m.put_u32(2, 42);
    m.put_u32(200, 7);  // unknown to a table of max 5
    auto attrs = nl::Attrs::parse_genl(m.header(), 5);
    REQUIRE(attrs.ok());
    REQUIRE(attrs->u32(2) == std::optional<uint32_t>(42));
    REQUIRE_FALSE(attrs->has(200));
}

TEST_CASE("Known attributes with the wrong type are rejected", "[netlink]")
{
    nl::Message m(0x20, 0, 1, 1);
    m.put_u16(2, 1);  // expected u32
    auto attrs = nl::Attrs::parse_genl(m.header(), 5, {{2, MNL_TYPE_U32}});
    REQUIRE_FALSE(attrs.ok());
    REQUIRE(attrs.error().code == EPROTO);

    // Typed getters refuse a wrong-length attribute too.
    auto loose = nl::Attrs::parse_genl(m.header(), 5);
    REQUIRE(loose.ok());
    REQUIRE_FALSE(loose->u32(2).has_value());
    REQUIRE(loose->u16(2) == std::optional<uint16_t>(1));
}

TEST_CASE("Extended ack: message and offset, capped and uncapped", "[netlink]")
{
    nl::Message req(0x20, NLM_F_REQUEST, 2, 1);
    req.put_u32(3, 0);

    for (bool capped : {true, false}) {
        auto buf = make_error(EINVAL, req, capped, "node id out of range", 20);
        auto ack = nl::parse_ack(hdr(buf));
        REQUIRE(ack.ok());
        CHECK(ack->error == EINVAL);
        CHECK(ack->message == "node id out of range");
        CHECK(ack->bad_offset == 20);
    }
    auto plain = make_error(0, req, true, nullptr);
    auto ack = nl::parse_ack(hdr(plain));
    REQUIRE(ack.ok());
    CHECK(ack->error == 0);
    CHECK(ack->message.empty());

    auto bare = make_error(EPERM, req, false, nullptr);
    auto ack2 = nl::parse_ack(hdr(bare));
    REQUIRE(ack2.ok());
    CHECK(ack2->error == EPERM);
    CHECK(ack2->message.empty());
}

TEST_CASE("A truncated error message is refused", "[netlink]")
{
    std::vector<uint8_t> buf(MNL_NLMSG_HDRLEN + 4, 0);
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
    nlh->nlmsg_type = NLMSG_ERROR;
    nlh->nlmsg_len = buf.size();
    auto ack = nl::parse_ack(nlh);
    REQUIRE_FALSE(ack.ok());
    REQUIRE(ack.error().code == EPROTO);
}

TEST_CASE("Family reply: id, version, ops and multicast groups", "[netlink]")
{
    nl::Message m(GENL_ID_CTRL, 0, CTRL_CMD_NEWFAMILY, 2);
    m.put_string(CTRL_ATTR_FAMILY_NAME, "dtcp");
    m.put_u16(CTRL_ATTR_FAMILY_ID, 0x1b);
    m.put_u32(CTRL_ATTR_VERSION, 1);
    m.put_u32(CTRL_ATTR_MAXATTR, 9);
    size_t ops = m.nest_start(CTRL_ATTR_OPS);
    for (uint32_t i = 1; i <= 2; i++) {
        size_t op = m.nest_start(i);
        m.put_u32(CTRL_ATTR_OP_ID, i);
        m.put_u32(CTRL_ATTR_OP_FLAGS, 0);
        m.nest_end(op);
    }
    m.nest_end(ops);
    size_t grps = m.nest_start(CTRL_ATTR_MCAST_GROUPS);
    size_t g = m.nest_start(1);
    m.put_string(CTRL_ATTR_MCAST_GRP_NAME, "events");
    m.put_u32(CTRL_ATTR_MCAST_GRP_ID, 11);
    m.nest_end(g);
    m.nest_end(grps);

    auto f = nl::parse_family(m.header());
    REQUIRE(f.ok());
    CHECK(f->id == 0x1b);
    CHECK(f->version == 1);
    CHECK(f->max_attr == 9);
    CHECK(f->ops == std::vector<uint32_t>{1, 2});
    CHECK(f->mcast_groups.at("events") == 11);
}

TEST_CASE("Status reply decoding", "[netlink][control]")
{
    nl::Message m(0x1b, 0, DTCP_CMD_GET_STATUS, 1);
    m.put_u32(DTCP_A_ABI_VERSION, 1);
    m.put_string(DTCP_A_MODULE_VERSION, "0.1.0");
    m.put_u32(DTCP_A_NODE_ID, 3);
    m.put_u8(DTCP_A_KEY_SET, 1);
    size_t n = m.nest_start(DTCP_A_COUNTERS);
    m.put_u32(DTCP_CNT_FILES, 0);
    m.put_u32(DTCP_CNT_CONNS, 2);
    m.put_u32(77, 5);  // a counter newer than this program
    m.nest_end(n);

    auto s = decode_status(m.header());
    REQUIRE(s.ok());
    CHECK(s->abi_version == 1);
    CHECK(s->module_version == "0.1.0");
    CHECK(s->node_id == std::optional<uint32_t>(3));
    CHECK_FALSE(s->tunnel_port.has_value());
    CHECK(s->key_set);
    CHECK(s->live.get("conns") == std::optional<uint32_t>(2));
    CHECK(s->live.get("counter-77") == std::optional<uint32_t>(5));
    CHECK_FALSE(s->live.all_zero());

    nl::Message bad(0x1b, 0, DTCP_CMD_GET_STATUS, 1);
    bad.put_u32(DTCP_A_NODE_ID, 3);
    auto e = decode_status(bad.header());
    REQUIRE_FALSE(e.ok());
    CHECK(e.error().code == EPROTO);
}

TEST_CASE("Configuration encoding carries only what is set", "[netlink][control]")
{
    ConfigUpdate u;
    u.tunnel_port = 7400;
    nl::Message m(0x1b, 0, DTCP_CMD_SET_CONFIG, 1);
    encode_config(m, u);
    auto a = nl::Attrs::parse_genl(m.header(), DTCP_A_MAX);
    REQUIRE(a.ok());
    CHECK(a->u16(DTCP_A_TUNNEL_PORT) == std::optional<uint16_t>(7400));
    CHECK_FALSE(a->has(DTCP_A_NODE_ID));
    CHECK_FALSE(a->has(DTCP_A_CLUSTER_KEY));

    u.node_id = 9;
    u.cluster_key = std::array<uint8_t, DTCP_KEY_LEN>{};
    u.cluster_key->fill(0x5a);
    nl::Message m2(0x1b, 0, DTCP_CMD_SET_CONFIG, 1);
    encode_config(m2, u);
    auto a2 = nl::Attrs::parse_genl(m2.header(), DTCP_A_MAX);
    REQUIRE(a2.ok());
    CHECK(a2->u32(DTCP_A_NODE_ID) == std::optional<uint32_t>(9));
    REQUIRE(a2->has(DTCP_A_CLUSTER_KEY));
    CHECK(mnl_attr_get_payload_len(a2->get(DTCP_A_CLUSTER_KEY)) == DTCP_KEY_LEN);
}

TEST_CASE("Cluster keys are 64 hex digits", "[control]")
{
    std::string good(64, 'a');
    good[0] = '0';
    good[1] = 'F';
    auto k = parse_key_hex("  " + good + "\n");
    REQUIRE(k.ok());
    CHECK((*k)[0] == 0x0f);
    CHECK((*k)[31] == 0xaa);

    CHECK_FALSE(parse_key_hex(std::string(63, 'a')).ok());
    CHECK_FALSE(parse_key_hex(std::string(66, 'a')).ok());
    auto bad = parse_key_hex(std::string(63, 'a') + "g");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().code == EINVAL);
}

TEST_CASE("A multi-part dump is read to NLMSG_DONE (the kernel's family list)", "[netlink]")
{
    // The generic-netlink controller exists in every kernel: no module needed.
    auto s = nl::GenlSocket::open("nlctrl");
    if (!s) {
        WARN("no generic netlink here: " << s.error().describe());
        return;
    }
    REQUIRE(s->family().id == GENL_ID_CTRL);
    auto msg = s->message(CTRL_CMD_GETFAMILY);
    std::vector<std::string> names;
    bool interrupted = true;
    auto r = s->dump(msg, [&](const nlmsghdr* nlh) {
        auto a = nl::Attrs::parse_genl(nlh, CTRL_ATTR_MAX);
        REQUIRE(a.ok());
        REQUIRE(a->str(CTRL_ATTR_FAMILY_NAME).has_value());
        names.push_back(*a->str(CTRL_ATTR_FAMILY_NAME));
        return MNL_CB_OK;
    }, &interrupted);
    REQUIRE(r.ok());
    CHECK_FALSE(interrupted);
    CHECK(std::find(names.begin(), names.end(), "nlctrl") != names.end());
    CHECK(names.size() >= 2);
    // The socket is usable for a plain request afterwards.
    auto again = s->message(CTRL_CMD_GETFAMILY);
    again.put_string(CTRL_ATTR_FAMILY_NAME, "nlctrl");
    std::optional<uint16_t> id;
    REQUIRE(s->request(again, [&](const nlmsghdr* nlh) {
        auto f = nl::parse_family(nlh);
        if (f)
            id = f->id;
        return MNL_CB_OK;
    }).ok());
    CHECK(id == std::optional<uint16_t>(GENL_ID_CTRL));
}
