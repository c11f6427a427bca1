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

namespace {

Segment echoing(uint32_t ts, uint32_t ecr)
{
    Segment s = seg(1000, 512, ts);
    s.tsecr = ecr;
    return s;
}

Segment client_seg(uint32_t ts, bool syn = false)
{
    Segment s;
    s.syn = syn;
    s.ack_flag = !syn;
    s.tsval = ts;
    return s;
}

}  // namespace

TEST_CASE("TSecr must echo a TSval the client sent, never an older one", "[wirecheck]")
{
    FlowChecker f;
    f.client_sent(client_seg(10, true));
    f.client_sent(client_seg(20));
    f.feed(echoing(100, 10));
    f.feed(echoing(101, 20));
    f.feed(echoing(102, 20));  // the same echo again: no new client segment
    CHECK(f.violations().empty());
    CHECK(f.checked_echoes() == 3);

    SECTION("an echo of nothing the client sent (ts_recent lost: 0)")
    {
        f.feed(echoing(103, 0));
        REQUIRE(f.violations().size() == 2);
        CHECK(f.violations()[0].find("TSecr 0 echoes no TSval the client sent") != std::string::npos);
        CHECK(f.violations()[1].find("TSecr went back from 20 to 0") != std::string::npos);
    }
    SECTION("an echo from the future")
    {
        f.feed(echoing(103, 30));
        REQUIRE(f.violations().size() == 1);
        CHECK(f.violations()[0].find("TSecr 30 echoes no TSval") != std::string::npos);
    }
    SECTION("an older echo")
    {
        f.feed(echoing(103, 10));
        REQUIRE(f.violations().size() == 1);
        CHECK(f.violations()[0].find("TSecr went back from 20 to 10") != std::string::npos);
    }
    SECTION("not judged when turned off")
    {
        FlowChecker off;
        off.set_echo_check(false);
        off.client_sent(client_seg(10, true));
        off.feed(echoing(100, 0));
        CHECK(off.violations().empty());
        CHECK(off.checked_echoes() == 0);
    }
}

TEST_CASE("Without the client's SYN only the order of the echoes is judged", "[wirecheck]")
{
    FlowChecker f;  // the client's TSvals before the capture are unknown
    f.client_sent(client_seg(50));
    f.feed(echoing(100, 40));
    f.feed(echoing(101, 50));
    CHECK(f.violations().empty());
    f.feed(echoing(102, 45));
    REQUIRE(f.violations().size() == 1);
    CHECK(f.violations()[0].find("TSecr went back from 50 to 45") != std::string::npos);
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
    auto frame = [&](bool from_server, uint8_t flags, uint32_t ack, uint16_t win, uint32_t ts, int wscale,
                     uint32_t ecr = 0) {
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
        uint32_t te = htonl(ecr);
        std::memcpy(o + 8, &te, 4);
        if (wscale >= 0)
            o[12] = 1, o[13] = 3, o[14] = 3, o[15] = static_cast<uint8_t>(wscale);
        pcap_pkthdr h{};
        h.caplen = h.len = static_cast<bpf_u_int32>(f.size());
        pcap_dump(reinterpret_cast<u_char*>(d), &h, f.data());
    };
    frame(false, 0x02, 0, 64240, 1, 7);       // client SYN, offers scaling
    frame(true, 0x12, 1, 65160, 50, 7, 1);    // SYN-ACK, echoing the SYN's TSval
    frame(true, 0x10, 100, 500, 60, -1, 1);   // edge 100 + 500 << 7
    frame(true, 0x10, 100, 400, 55, -1, 1);   // shrinks, and TSval goes back
    frame(false, 0x02, 0, 64240, 2, 7);       // the same client port again
    frame(true, 0x12, 1, 65160, 5, 7, 2);     // a new connection: its own clock
    frame(true, 0x10, 100, 500, 6, -1, 2);
    frame(false, 0x11, 100, 64240, 3, -1, 6); // the client closes
    frame(true, 0x11, 101, 500, 7, -1, 3);    // and the server answers
    frame(false, 0x02, 0, 64240, 9, 7);       // a third connection, port 40000 again
    frame(true, 0x12, 1, 65160, 70, 7, 9);
    frame(true, 0x10, 100, 500, 71, -1, 0);   // echoes nothing the client sent
    pcap_dump_close(d);
    pcap_close(dead);

    inet_pton(AF_INET, "198.18.0.100", &vip);
    // The client's FIN came first: a clean close, whether judged or not.
    for (bool clean : {false, true}) {
        auto again = check_capture(path, Endpoint{vip, 80}, clean);
        REQUIRE(again.size() == 3);
        CHECK(again[1].second.segments == 3);
        CHECK(again[1].second.echoes == 3);
        CHECK(again[1].second.violations.empty());
    }
    // Without the echo check the third connection passes.
    auto loose = check_capture(path, Endpoint{vip, 80}, false, false);
    REQUIRE(loose.size() == 3);
    CHECK(loose[2].second.echoes == 0);
    CHECK(loose[2].second.violations.empty());
    auto flows = check_capture(path, Endpoint{vip, 80});
    ::unlink(path);
    REQUIRE(flows.size() == 3);
    REQUIRE(flows[2].second.violations.size() == 2);  // and it went back from 9
    CHECK(flows[2].second.violations[0].find("TSecr 0 echoes no TSval the client sent") != std::string::npos);
    CHECK(flows[2].second.violations[1].find("TSecr went back from 9 to 0") != std::string::npos);
    // The port's first connection keeps its report (and its violations)
    // when the port is used again.
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
