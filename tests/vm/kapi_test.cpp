// Kernel-interface tests, run inside the test VM with dtcp.ko loaded:
// the generic-netlink family's validation and the /dev/dtcp ioctls.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "dtcp/control.hpp"

using namespace dtcp;

namespace {

Control open_ctl()
{
    auto c = Control::open();
    REQUIRE(c.ok());
    return std::move(c.value());
}

Status status_of(Control& c)
{
    auto s = c.status();
    REQUIRE(s.ok());
    return *s;
}

// Send @m and expect an error with errno @code and a non-empty ext-ack message.
std::string expect_rejected(Control& c, nl::Message& m, int code)
{
    auto r = c.socket().request(m);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == code);
    INFO("kernel said: " << r.error().message);
    CHECK_FALSE(r.error().message.empty());
    return r.error().message;
}

bool same_config(const Status& a, const Status& b)
{
    return a.node_id == b.node_id && a.tunnel_port == b.tunnel_port && a.key_set == b.key_set;
}

}  // namespace

TEST_CASE("Status reports version, node identity and zero counters", "[kapi]")
{
    auto c = open_ctl();
    auto s = status_of(c);
    CHECK(s.abi_version == DTCP_ABI_VERSION);
    CHECK_FALSE(s.module_version.empty());
    CHECK(s.live.get("conns") == std::optional<uint32_t>(0));
    CHECK(s.live.get("handoffs") == std::optional<uint32_t>(0));
    CHECK(s.live.get("files") == std::optional<uint32_t>(0));
}

TEST_CASE("Malformed configuration requests are refused and change nothing", "[kapi]")
{
    auto c = open_ctl();
    ConfigUpdate good;
    good.node_id = 7;
    good.tunnel_port = 7400;
    REQUIRE(c.set_config(good).ok());
    const Status before = status_of(c);
    REQUIRE(before.node_id == std::optional<uint32_t>(7));

    SECTION("wrong attribute type (u16 where u32 is due)")
    {
        auto m = c.socket().message(DTCP_CMD_SET_CONFIG);
        m.put_u16(DTCP_A_NODE_ID, 3);
        expect_rejected(c, m, EINVAL);
    }
    SECTION("node id out of range")
    {
        for (uint32_t bad : {0u, uint32_t(DTCP_NODE_ID_MAX) + 1}) {
            auto m = c.socket().message(DTCP_CMD_SET_CONFIG);
            m.put_u32(DTCP_A_NODE_ID, bad);
            expect_rejected(c, m, ERANGE);
        }
    }
    SECTION("oversize and undersize cluster key")
    {
        for (size_t len : {size_t(DTCP_KEY_LEN + 1), size_t(DTCP_KEY_LEN - 1), size_t(4096)}) {
            std::vector<uint8_t> key(len, 1);
            auto m = c.socket().message(DTCP_CMD_SET_CONFIG);
            m.put(DTCP_A_CLUSTER_KEY, key.data(), key.size());
            expect_rejected(c, m, ERANGE);  // the policy's exact length
        }
    }
    SECTION("a valid attribute beside an invalid one changes nothing")
    {
        auto m = c.socket().message(DTCP_CMD_SET_CONFIG);
        m.put_u32(DTCP_A_NODE_ID, 9);
        m.put_u16(DTCP_A_TUNNEL_PORT, 0);
        expect_rejected(c, m, ERANGE);
    }
    SECTION("missing attributes")
    {
        auto m = c.socket().message(DTCP_CMD_SET_CONFIG);
        auto msg = expect_rejected(c, m, EINVAL);
        CHECK(msg.find("nothing to configure") != std::string::npos);
    }
    SECTION("output-only attribute in a request")
    {
        auto m = c.socket().message(DTCP_CMD_SET_CONFIG);
        m.put_u32(DTCP_A_NODE_ID, 9);
        m.put_u32(DTCP_A_ABI_VERSION, 1);
        expect_rejected(c, m, EINVAL);
    }
    SECTION("unknown attribute type")
    {
        auto m = c.socket().message(DTCP_CMD_SET_CONFIG);
        m.put_u32(DTCP_A_NODE_ID, 9);
        m.put_u32(DTCP_A_MAX + 5, 1);
        expect_rejected(c, m, EINVAL);
    }
    SECTION("non-zero reserved header field")
    {
        auto m = c.socket().message(DTCP_CMD_SET_CONFIG);
        m.put_u32(DTCP_A_NODE_ID, 9);
        auto* g = static_cast<genlmsghdr*>(mnl_nlmsg_get_payload(m.header()));
        g->reserved = 1;
        auto r = c.socket().request(m);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == EINVAL);
    }
    SECTION("unknown command")
    {
        auto m = c.socket().message(DTCP_CMD_MAX + 10);
        auto r = c.socket().request(m);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == EOPNOTSUPP);
    }
    SECTION("the event command is not a request")
    {
        auto m = c.socket().message(DTCP_CMD_EVENT);
        auto r = c.socket().request(m);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == EOPNOTSUPP);
    }
    CHECK(same_config(status_of(c), before));
}

TEST_CASE("Configuration changes need CAP_NET_ADMIN", "[kapi]")
{
    // Run the unprivileged half in a child so this process keeps its rights.
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
            _exit(10);
        auto c = Control::open();
        if (!c)
            _exit(11);
        if (!c->status())
            _exit(12);  // reading is allowed
        ConfigUpdate u;
        u.node_id = 42;
        auto r = c->set_config(u);
        _exit(!r.ok() && r.error().code == EPERM ? 0 : 13);
    }
    int st = 0;
    REQUIRE(waitpid(pid, &st, 0) == pid);
    REQUIRE(WIFEXITED(st));
    CHECK(WEXITSTATUS(st) == 0);
    auto c = open_ctl();
    CHECK(status_of(c).node_id != std::optional<uint32_t>(42));
}

TEST_CASE("Events are multicast on configuration changes", "[kapi]")
{
    auto listener = open_ctl();
    REQUIRE(listener.socket().subscribe(DTCP_MCGRP_EVENTS).ok());
    auto c = open_ctl();
    ConfigUpdate u;
    u.tunnel_port = 7401;
    REQUIRE(c.set_config(u).ok());
    uint32_t ev = 0;
    auto r = listener.socket().listen([&](const nlmsghdr* nlh) {
        auto a = nl::Attrs::parse_genl(nlh, DTCP_A_MAX);
        if (a && a->u32(DTCP_A_EVENT))
            ev = *a->u32(DTCP_A_EVENT);
        return MNL_CB_STOP;
    });
    REQUIRE(r.ok());
    CHECK(ev == DTCP_EV_CONFIG_CHANGED);
}

TEST_CASE("/dev/dtcp ioctls validate their arguments", "[kapi]")
{
    int fd = ::open("/dev/dtcp", O_RDWR | O_CLOEXEC);
    REQUIRE(fd >= 0);
    auto c = open_ctl();
    CHECK(status_of(c).live.get("files") == std::optional<uint32_t>(1));

    dtcp_ioc_info info{};
    info.size = sizeof(info);
    REQUIRE(ioctl(fd, DTCP_IOC_INFO, &info) == 0);
    CHECK(info.abi_version == DTCP_ABI_VERSION);
    CHECK(info.node_id == status_of(c).node_id.value_or(0));

    SECTION("wrong size")
    {
        dtcp_ioc_info bad{};
        bad.size = sizeof(bad) - 8;
        CHECK(ioctl(fd, DTCP_IOC_INFO, &bad) == -1);
        CHECK(errno == EINVAL);
    }
    SECTION("unknown flags")
    {
        dtcp_ioc_info bad{};
        bad.size = sizeof(bad);
        bad.flags = 1;
        CHECK(ioctl(fd, DTCP_IOC_INFO, &bad) == -1);
        CHECK(errno == EINVAL);
    }
    SECTION("reserved fields")
    {
        dtcp_ioc_info bad{};
        bad.size = sizeof(bad);
        bad.reserved[1] = 1;
        CHECK(ioctl(fd, DTCP_IOC_INFO, &bad) == -1);
        CHECK(errno == EINVAL);
    }
    SECTION("bad pointer")
    {
        CHECK(ioctl(fd, DTCP_IOC_INFO, reinterpret_cast<void*>(8)) == -1);
        CHECK(errno == EFAULT);
    }
    SECTION("unknown ioctl")
    {
        CHECK(ioctl(fd, _IOWR(DTCP_IOC_MAGIC, 0x7f, dtcp_ioc_info), &info) == -1);
        CHECK(errno == ENOTTY);
        CHECK(ioctl(fd, 0x5401 /* TCGETS */, &info) == -1);
        CHECK(errno == ENOTTY);
    }
    ::close(fd);
    CHECK(status_of(c).live.get("files") == std::optional<uint32_t>(0));
}
