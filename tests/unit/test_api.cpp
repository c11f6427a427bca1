// Unit tests of the libdtcp application API (include/dtcp/dtcp.h) without the
// kernel: argument checks, and what reaches the ioctl.  This executable
// interposes ioctl(2): calls on the fake control fd are recorded and answered
// here; every other fd goes to the real system call.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstddef>
#include <cstring>
#include <vector>

#include "dtcp/dtcp.h"

namespace {

int g_fake_fd = -1;                 // the "control fd" the fake answers for
unsigned long g_last_req = 0;       // last ioctl request number seen on it
std::vector<uint8_t> g_last_arg;    // copy of its argument structure
int g_calls = 0;
// What the fake kernel does with an accept.
int g_accept_err = 0;
int g_accept_fd = -1;
uint32_t g_accept_origin = 0;
std::vector<uint8_t> g_accept_req;
int g_handoff_err = 0;

struct FakeCtl {
    FakeCtl()
    {
        g_fake_fd = ::dup(0);
        g_calls = 0;
        g_last_req = 0;
        g_last_arg.clear();
        g_accept_err = g_handoff_err = 0;
        g_accept_fd = -1;
    }
    ~FakeCtl() { ::close(g_fake_fd); }
    int fd() const { return g_fake_fd; }
};

int fake_ioctl(unsigned long req, void* arg)
{
    g_calls++;
    g_last_req = req;
    g_last_arg.assign(static_cast<uint8_t*>(arg), static_cast<uint8_t*>(arg) + _IOC_SIZE(req));
    if (req == DTCP_IOC_HANDOFF && g_handoff_err) {
        errno = g_handoff_err;
        return -1;
    }
    if (req == DTCP_IOC_ACCEPT) {
        auto* a = static_cast<dtcp_ioc_accept*>(arg);
        if (g_accept_req.size() > a->request_cap) {
            a->request_len = static_cast<uint32_t>(g_accept_req.size());
            errno = EMSGSIZE;
            return -1;
        }
        if (g_accept_err) {
            errno = g_accept_err;
            return -1;
        }
        std::memcpy(reinterpret_cast<void*>(static_cast<uintptr_t>(a->request)), g_accept_req.data(),
                    g_accept_req.size());
        a->request_len = static_cast<uint32_t>(g_accept_req.size());
        a->fd = g_accept_fd;
        a->origin_node = g_accept_origin;
    }
    if (req == DTCP_IOC_INFO) {
        auto* i = static_cast<dtcp_ioc_info*>(arg);
        i->abi_version = DTCP_ABI_VERSION;
        i->node_id = 4;
    }
    return 0;
}

// A connected TCP/IPv4 pair on loopback (the listener closes at scope end).
struct TcpPair {
    int a = -1, b = -1;
    TcpPair()
    {
        int ls = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof(sa);
        REQUIRE(::bind(ls, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0);
        REQUIRE(::listen(ls, 1) == 0);
        REQUIRE(::getsockname(ls, reinterpret_cast<sockaddr*>(&sa), &len) == 0);
        a = ::socket(AF_INET, SOCK_STREAM, 0);
        REQUIRE(::connect(a, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0);
        b = ::accept(ls, nullptr, nullptr);
        REQUIRE(b >= 0);
        ::close(ls);
    }
    ~TcpPair()
    {
        ::close(a);
        ::close(b);
    }
};

template <typename T>
T last_arg()
{
    REQUIRE(g_last_arg.size() == sizeof(T));
    T t;
    std::memcpy(&t, g_last_arg.data(), sizeof(T));
    return t;
}

}  // namespace

extern "C" int ioctl(int fd, unsigned long req, ...)
{
    va_list ap;
    va_start(ap, req);
    void* arg = va_arg(ap, void*);
    va_end(ap);
    if (fd == g_fake_fd && g_fake_fd >= 0)
        return fake_ioctl(req, arg);
    return static_cast<int>(syscall(SYS_ioctl, fd, req, arg));
}

TEST_CASE("ioctl argument structures match the ABI layout", "[api]")
{
    STATIC_REQUIRE(sizeof(dtcp_ioc_info) == 32);
    STATIC_REQUIRE(sizeof(dtcp_ioc_handoff) == 48);
    STATIC_REQUIRE(offsetof(dtcp_ioc_handoff, sockfd) == 8);
    STATIC_REQUIRE(offsetof(dtcp_ioc_handoff, node_id) == 12);
    STATIC_REQUIRE(offsetof(dtcp_ioc_handoff, request) == 16);
    STATIC_REQUIRE(offsetof(dtcp_ioc_handoff, request_len) == 24);
    STATIC_REQUIRE(offsetof(dtcp_ioc_handoff, timeout_ms) == 28);
    STATIC_REQUIRE(offsetof(dtcp_ioc_handoff, reserved) == 32);
    STATIC_REQUIRE(sizeof(dtcp_ioc_accept) == 48);
    STATIC_REQUIRE(offsetof(dtcp_ioc_accept, request) == 8);
    STATIC_REQUIRE(offsetof(dtcp_ioc_accept, request_cap) == 16);
    STATIC_REQUIRE(offsetof(dtcp_ioc_accept, request_len) == 20);
    STATIC_REQUIRE(offsetof(dtcp_ioc_accept, fd) == 24);
    STATIC_REQUIRE(offsetof(dtcp_ioc_accept, origin_node) == 28);
    STATIC_REQUIRE(offsetof(dtcp_ioc_accept, reserved) == 32);
    // The ioctl numbers encode the structure sizes and directions.
    CHECK(_IOC_SIZE(DTCP_IOC_HANDOFF) == sizeof(dtcp_ioc_handoff));
    CHECK(_IOC_DIR(DTCP_IOC_HANDOFF) == _IOC_WRITE);
    CHECK(_IOC_SIZE(DTCP_IOC_ACCEPT) == sizeof(dtcp_ioc_accept));
    CHECK(_IOC_DIR(DTCP_IOC_ACCEPT) == (_IOC_READ | _IOC_WRITE));
    CHECK(_IOC_SIZE(DTCP_IOC_LISTEN) == sizeof(uint32_t));
    CHECK(_IOC_TYPE(DTCP_IOC_LISTEN) == DTCP_IOC_MAGIC);
}

TEST_CASE("dtcp_handoff refuses bad arguments before the kernel", "[api]")
{
    FakeCtl ctl;
    TcpPair p;
    const char req[] = "GET 2 100 1\n";
    auto refused = [&](int rc, int err) {
        CHECK(rc == -1);
        CHECK(errno == err);
    };
    refused(dtcp_handoff(-1, p.a, 2, req, sizeof(req) - 1, 0), EBADF);
    refused(dtcp_handoff(ctl.fd(), -1, 2, req, sizeof(req) - 1, 0), EINVAL);
    refused(dtcp_handoff(ctl.fd(), p.a, 0, req, sizeof(req) - 1, 0), EINVAL);
    refused(dtcp_handoff(ctl.fd(), p.a, DTCP_NODE_ID_MAX + 1, req, sizeof(req) - 1, 0), EINVAL);
    refused(dtcp_handoff(ctl.fd(), p.a, 2, nullptr, 5, 0), EINVAL);
    refused(dtcp_handoff(ctl.fd(), p.a, 2, req, 0, 0), EINVAL);
    refused(dtcp_handoff(ctl.fd(), p.a, 2, req, sizeof(req) - 1, 1), EINVAL);
    std::vector<char> big(DTCP_MAX_REQUEST + 1, 'x');
    refused(dtcp_handoff(ctl.fd(), p.a, 2, big.data(), big.size(), 0), EMSGSIZE);
    refused(dtcp_handoff_timeout(ctl.fd(), p.a, 2, req, sizeof(req) - 1, DTCP_MAX_ANSWER_MS + 1, 0), EINVAL);
    refused(dtcp_handoff_timeout(-1, p.a, 2, req, sizeof(req) - 1, 100, 0), EBADF);
    refused(dtcp_handoff_timeout(ctl.fd(), p.a, 2, req, sizeof(req) - 1, 100, 1), EINVAL);

    // Not a TCP/IPv4 socket.
    int u = ::socket(AF_INET, SOCK_DGRAM, 0);
    refused(dtcp_handoff(ctl.fd(), u, 2, req, sizeof(req) - 1, 0), EINVAL);
    ::close(u);
    int sp[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
    refused(dtcp_handoff(ctl.fd(), sp[0], 2, req, sizeof(req) - 1, 0), EINVAL);
    ::close(sp[0]);
    ::close(sp[1]);
    int t6 = ::socket(AF_INET6, SOCK_STREAM, 0);
    refused(dtcp_handoff(ctl.fd(), t6, 2, req, sizeof(req) - 1, 0), EINVAL);
    ::close(t6);

    // TCP/IPv4 but never connected: unconnected, listening.
    int t4 = ::socket(AF_INET, SOCK_STREAM, 0);
    refused(dtcp_handoff(ctl.fd(), t4, 2, req, sizeof(req) - 1, 0), ENOTCONN);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(t4, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0);
    REQUIRE(::listen(t4, 1) == 0);
    refused(dtcp_handoff(ctl.fd(), t4, 2, req, sizeof(req) - 1, 0), ENOTCONN);
    ::close(t4);
    CHECK(g_calls == 0);
}

TEST_CASE("dtcp_handoff passes the request to the kernel and its errno back", "[api]")
{
    FakeCtl ctl;
    TcpPair p;
    const char req[] = "GET 2 100 1\n";
    REQUIRE(dtcp_handoff(ctl.fd(), p.a, 2, req, sizeof(req) - 1, 0) == 0);
    CHECK(g_last_req == DTCP_IOC_HANDOFF);
    auto h = last_arg<dtcp_ioc_handoff>();
    CHECK(h.size == sizeof(dtcp_ioc_handoff));
    CHECK(h.flags == 0);
    CHECK(h.sockfd == p.a);
    CHECK(h.node_id == 2);
    CHECK(h.request == reinterpret_cast<uintptr_t>(req));
    CHECK(h.request_len == sizeof(req) - 1);
    CHECK(h.timeout_ms == 0);
    CHECK(h.reserved[0] == 0);
    CHECK(h.reserved[1] == 0);

    // The largest request is allowed.
    std::vector<char> max(DTCP_MAX_REQUEST, 'x');
    REQUIRE(dtcp_handoff(ctl.fd(), p.a, DTCP_NODE_ID_MAX, max.data(), max.size(), 0) == 0);

    // An answer timeout goes to the kernel as given, the longest included.
    for (unsigned ms : {1u, 250u, unsigned(DTCP_MAX_ANSWER_MS)}) {
        REQUIRE(dtcp_handoff_timeout(ctl.fd(), p.a, 2, req, sizeof(req) - 1, ms, 0) == 0);
        auto t = last_arg<dtcp_ioc_handoff>();
        CHECK(t.timeout_ms == ms);
        CHECK(t.node_id == 2);
        CHECK(t.request_len == sizeof(req) - 1);
    }

    for (int err : {ENOENT, EBUSY, ECONNREFUSED, ETIMEDOUT, EADDRNOTAVAIL, ECONNABORTED, ECONNRESET}) {
        g_handoff_err = err;
        CHECK(dtcp_handoff(ctl.fd(), p.a, 3, req, sizeof(req) - 1, 0) == -1);
        CHECK(errno == err);
    }
}

TEST_CASE("dtcp_accept returns the socket, the request and its origin", "[api]")
{
    FakeCtl ctl;
    g_accept_req = {'G', 'E', 'T', ' ', '3', '\n'};
    g_accept_fd = 42;
    g_accept_origin = 7;
    char buf[64];
    size_t len = 0;
    uint32_t origin = 0;
    int fd = dtcp_accept(ctl.fd(), buf, sizeof(buf), &len, &origin, DTCP_ACCEPT_CLOEXEC);
    CHECK(fd == 42);
    CHECK(len == 6);
    CHECK(origin == 7);
    CHECK(std::memcmp(buf, "GET 3\n", 6) == 0);
    auto a = last_arg<dtcp_ioc_accept>();
    CHECK(a.size == sizeof(dtcp_ioc_accept));
    CHECK(a.flags == DTCP_ACCEPT_CLOEXEC);
    CHECK(a.request_cap == sizeof(buf));

    // Too small a buffer: EMSGSIZE and the size needed.
    len = 0;
    CHECK(dtcp_accept(ctl.fd(), buf, 3, &len, nullptr, 0) == -1);
    CHECK(errno == EMSGSIZE);
    CHECK(len == 6);

    g_accept_req.clear();
    g_accept_err = EAGAIN;
    CHECK(dtcp_accept(ctl.fd(), buf, sizeof(buf), nullptr, nullptr, DTCP_ACCEPT_NONBLOCK) == -1);
    CHECK(errno == EAGAIN);
}

TEST_CASE("dtcp_accept and dtcp_listen refuse bad arguments", "[api]")
{
    FakeCtl ctl;
    char buf[8];
    CHECK(dtcp_accept(-1, buf, sizeof(buf), nullptr, nullptr, 0) == -1);
    CHECK(errno == EBADF);
    CHECK(dtcp_accept(ctl.fd(), buf, sizeof(buf), nullptr, nullptr, 0x4) == -1);
    CHECK(errno == EINVAL);
    CHECK(dtcp_accept(ctl.fd(), nullptr, 8, nullptr, nullptr, 0) == -1);
    CHECK(errno == EINVAL);
    CHECK(dtcp_listen(ctl.fd(), 2) == -1);
    CHECK(errno == EINVAL);
    CHECK(dtcp_listen(-1, 1) == -1);
    CHECK(errno == EBADF);
    CHECK(g_calls == 0);

    REQUIRE(dtcp_listen(ctl.fd(), 1) == 0);
    CHECK(g_last_req == DTCP_IOC_LISTEN);
    CHECK(last_arg<uint32_t>() == 1);
    REQUIRE(dtcp_listen(ctl.fd(), 0) == 0);
    CHECK(last_arg<uint32_t>() == 0);

    uint32_t node = 0, abi = 0;
    REQUIRE(dtcp_info(ctl.fd(), &node, &abi) == 0);
    CHECK(node == 4);
    CHECK(abi == DTCP_ABI_VERSION);
    auto i = last_arg<dtcp_ioc_info>();
    CHECK(i.size == sizeof(dtcp_ioc_info));
    CHECK(i.flags == 0);
}

TEST_CASE("dtcp_open reports a missing module as an errno", "[api]")
{
    int fd = dtcp_open();
    if (fd >= 0) {
        ::close(fd);
        SUCCEED("/dev/dtcp exists on this machine");
    } else {
        CHECK((errno == ENOENT || errno == EACCES || errno == ENXIO || errno == ENODEV));
    }
}
