// dtcp-wirecheck's checks: each invariant violation is found, and what TCP
// legitimately does (retransmissions, sequence wrap, resets) is not one.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "wirecheck.hpp"

using namespace dtcp::test;

namespace {

Segment seg(uint32_t ack, uint16_t win, std::optional<uint32_t> ts)
{
    Segment s;
    s.ack_flag = true;
    s.ack = ack;
    s.window = win;
    s.tsval = ts;
    return s;
}

FlowChecker after_handshake(uint8_t shift, uint32_t tsval = 100)
{
    FlowChecker f;
    f.set_peer_offered_wscale(true);
    Segment synack;
    synack.syn = synack.ack_flag = true;
    synack.wscale = shift;
    synack.tsval = tsval;
    f.feed(synack);
    return f;
}

}  // namespace

TEST_CASE("A well-behaved sender violates nothing", "[wirecheck]")
{
    auto f = after_handshake(7);
    f.feed(seg(1000, 512, 100));
    f.feed(seg(1000, 512, 100));  // retransmission: same values
    f.feed(seg(2000, 510, 105));  // window a little smaller, edge further right
    Segment rst;
    rst.rst = rst.ack_flag = true;
    rst.ack = 0;                  // a reset: ignored
    f.feed(rst);
    CHECK(f.violations().empty());
    CHECK(f.checked_tsvals() == 3);
}

TEST_CASE("Each invariant violation is reported", "[wirecheck]")
{
    SECTION("TSval goes back")
    {
        auto f = after_handshake(0);
        f.feed(seg(10, 100, 500));
        f.feed(seg(10, 100, 499));
        REQUIRE(f.violations().size() == 1);
        CHECK(f.violations()[0].find("TSval went back from 500 to 499") != std::string::npos);
    }
    SECTION("acknowledgement goes back")
    {
        auto f = after_handshake(0);
        f.feed(seg(5000, 100, std::nullopt));
        f.feed(seg(4000, 2000, std::nullopt));
        REQUIRE(f.violations().size() == 1);
        CHECK(f.violations()[0].find("acknowledgement went back") != std::string::npos);
    }
    SECTION("window shrinks (scaled)")
    {
        auto f = after_handshake(4);
        f.feed(seg(1000, 100, std::nullopt));  // edge 1000 + 1600
        f.feed(seg(1100, 90, std::nullopt));   // edge 1100 + 1440 < 2600
        REQUIRE(f.violations().size() == 1);
        CHECK(f.violations()[0].find("receive window shrank") != std::string::npos);
    }
}

TEST_CASE("With the clean-close check, a server RST or early FIN is a violation", "[wirecheck]")
{
    Segment fin = seg(1000, 512, 110);
    fin.fin = true;
    Segment rst;
    rst.rst = true;
    SECTION("a reset")
    {
        auto f = after_handshake(0);
        f.set_clean_close(true);
        f.feed(seg(1000, 512, 100));
        f.feed(rst);
        REQUIRE(f.violations().size() == 1);
        CHECK(f.violations()[0].find("the server side reset the connection") != std::string::npos);
    }
    SECTION("a FIN before the client's")
    {
        auto f = after_handshake(0);
        f.set_clean_close(true);
        f.feed(fin);
        REQUIRE(f.violations().size() == 1);
        CHECK(f.violations()[0].find("sent FIN before the client did") != std::string::npos);
    }
    SECTION("a FIN answering the client's")
    {
        auto f = after_handshake(0);
        f.set_clean_close(true);
        f.peer_fin();
        f.feed(fin);
        CHECK(f.violations().empty());
    }
    SECTION("without the check, neither is judged")
    {
        auto f = after_handshake(0);
        f.feed(fin);
        f.feed(rst);
        CHECK(f.violations().empty());
    }
}

TEST_CASE("Sequence numbers and TSvals compare across the wrap", "[wirecheck]")
{
    auto f = after_handshake(0, 0xfffffff0u);
    f.feed(seg(0xfffffff0u, 100, 0xfffffffeu));
    f.feed(seg(0x00000010u, 100, 0x00000002u));
    CHECK(f.violations().empty());
}

TEST_CASE("Without the handshake the window is not judged", "[wirecheck]")
{
    FlowChecker f;  // the capture started mid-connection: scale unknown
    f.feed(seg(1000, 100, 7));
    f.feed(seg(1000, 1, 8));
    CHECK(f.violations().empty());
}

TEST_CASE("A capture file is read and checked per connection", "[wirecheck]")
{
    char path[] = "/tmp/dtcp-wirecheck-XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    ::close(fd);
    pcap_t* dead = pcap_open_dead(DLT_EN10MB, 65535);
    pcap_dumper_t* d = pcap_dump_open(dead, path);
    REQUIRE(d);
    uint32_t vip = inet_addr("198.18.0.100"), cli = inet_addr("198.18.1.2");
    auto frame = [&](bool from_server, uint8_t flags, uint32_t ack, uint16_t win, uint32_t ts, int wscale) {
        std::vector<uint8_t> f(14 + 20 + 20 + 12 + (wscale >= 0 ? 4 : 0), 0);
        f[12] = 0x08;
        uint8_t* ip = f.data() + 14;
        ip[0] = 0x45;
        uint16_t tot = htons(static_cast<uint16_t>(f.size() - 14));
        std::memcpy(ip + 2, &tot, 2);
        ip[8] = 64;
        ip[9] = 6;
        std::memcpy(ip + 12, from_server ? &vip : &cli, 4);
        std::memcpy(ip + 16, from_server ? &cli : &vip, 4);
        uint8_t* t = ip + 20;
        uint16_t sp = htons(from_server ? 80 : 40000), dp = htons(from_server ? 40000 : 80);
        std::memcpy(t, &sp, 2);
        std::memcpy(t + 2, &dp, 2);
        uint32_t a = htonl(ack);
        std::memcpy(t + 8, &a, 4);
        t[12] = static_cast<uint8_t>(((f.size() - 34) / 4) << 4);
        t[13] = flags;
        uint16_t w = htons(win);
        std::memcpy(t + 14, &w, 2);
        uint8_t* o = t + 20;
        o[0] = 1, o[1] = 1, o[2] = 8, o[3] = 10;
        uint32_t tv = htonl(ts);
        std::memcpy(o + 4, &tv, 4);
        if (wscale >= 0)
            o[12] = 1, o[13] = 3, o[14] = 3, o[15] = static_cast<uint8_t>(wscale);
        pcap_pkthdr h{};
        h.caplen = h.len = static_cast<bpf_u_int32>(f.size());
        pcap_dump(reinterpret_cast<u_char*>(d), &h, f.data());
    };
    frame(false, 0x02, 0, 64240, 1, 7);       // client SYN, offers scaling
    frame(true, 0x12, 1, 65160, 50, 7);       // SYN-ACK
    frame(true, 0x10, 100, 500, 60, -1);      // edge 100 + 500 << 7
    frame(true, 0x10, 100, 400, 55, -1);      // shrinks, and TSval goes back
    frame(false, 0x02, 0, 64240, 2, 7);       // the same client port again
    frame(true, 0x12, 1, 65160, 5, 7);        // a new connection: its own clock
    frame(true, 0x10, 100, 500, 6, -1);
    frame(false, 0x11, 100, 64240, 3, -1);    // the client closes
    frame(true, 0x11, 101, 500, 7, -1);       // and the server answers
    pcap_dump_close(d);
    pcap_close(dead);

    inet_pton(AF_INET, "198.18.0.100", &vip);
    // The client's FIN came first: a clean close, whether judged or not.
    for (bool clean : {false, true}) {
        auto again = check_capture(path, Endpoint{vip, 80}, clean);
        REQUIRE(again.size() == 2);
        CHECK(again[1].second.segments == 3);
        CHECK(again[1].second.violations.empty());
    }
    auto flows = check_capture(path, Endpoint{vip, 80});
    ::unlink(path);
    // The port's first connection keeps its report (and its violations)
    // when the port is used again.
    REQUIRE(flows.size() == 2);
    const auto& r = flows[0].second;
    CHECK(flows[0].first.port == 40000);
    CHECK(r.segments == 3);
    REQUIRE(r.violations.size() == 2);
    CHECK(r.violations[0].find("TSval went back from 60 to 55") != std::string::npos);
    CHECK(r.violations[1].find("receive window shrank") != std::string::npos);
    CHECK(flows[1].first.port == 40000);
    CHECK(flows[1].second.segments == 3);
    CHECK(flows[1].second.violations.empty());

    CHECK_THROWS_AS(check_capture("/nonexistent/capture.pcap", Endpoint{vip, 80}), std::runtime_error);
}
