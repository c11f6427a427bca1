// Heartbeat state machine, with a fake clock.
#include <catch2/catch.hpp>

#include "health.hpp"

using namespace dtcpd;
using namespace std::chrono_literals;

namespace {

struct FakeClock {
    TimePoint now{std::chrono::seconds(1000)};
    void advance(Millis d) { now += d; }
};

}  // namespace

TEST_CASE("a peer is unknown until it answers, then up", "[dtcpd][health]")
{
    FakeClock clk;
    PeerHealth h(100ms, 500ms);
    h.add(2, clk.now);
    CHECK(h.state(2) == PeerState::Unknown);
    clk.advance(50ms);
    CHECK(h.tick(clk.now).empty());
    auto ts = h.heard(2, clk.now);
    REQUIRE(ts.size() == 1);
    CHECK(ts[0].peer == 2);
    CHECK(ts[0].from == PeerState::Unknown);
    CHECK(ts[0].to == PeerState::Up);
    CHECK(h.state(2) == PeerState::Up);
    // Further heartbeats change nothing.
    clk.advance(100ms);
    CHECK(h.heard(2, clk.now).empty());
}

TEST_CASE("a silent peer goes down exactly at the timeout and comes back", "[dtcpd][health]")
{
    FakeClock clk;
    PeerHealth h(100ms, 500ms);
    h.add(2, clk.now);
    h.add(3, clk.now);
    h.heard(2, clk.now);
    h.heard(3, clk.now);
    for (int i = 0; i < 4; i++) {
        clk.advance(100ms);
        h.heard(3, clk.now);  // 3 keeps talking
        CHECK(h.tick(clk.now).empty());
    }
    clk.advance(99ms);  // 499 ms since 2 was last heard
    CHECK(h.tick(clk.now).empty());
    CHECK(h.state(2) == PeerState::Up);
    clk.advance(1ms);
    auto ts = h.tick(clk.now);
    REQUIRE(ts.size() == 1);
    CHECK(ts[0].peer == 2);
    CHECK(ts[0].from == PeerState::Up);
    CHECK(ts[0].to == PeerState::Down);
    CHECK(h.state(3) == PeerState::Up);
    // Down is reported once.
    clk.advance(1s);
    auto later = h.tick(clk.now);
    REQUIRE(later.size() == 1);  // 3 stopped too meanwhile
    CHECK(later[0].peer == 3);
    // And up again with the next heartbeat.
    ts = h.heard(2, clk.now);
    REQUIRE(ts.size() == 1);
    CHECK(ts[0].from == PeerState::Down);
    CHECK(ts[0].to == PeerState::Up);
}

TEST_CASE("a peer that never answers goes from unknown to down", "[dtcpd][health]")
{
    FakeClock clk;
    PeerHealth h(100ms, 300ms);
    h.add(4, clk.now);
    clk.advance(300ms);
    auto ts = h.tick(clk.now);
    REQUIRE(ts.size() == 1);
    CHECK(ts[0].from == PeerState::Unknown);
    CHECK(ts[0].to == PeerState::Down);
}

TEST_CASE("heartbeats from unknown or removed peers are ignored", "[dtcpd][health]")
{
    FakeClock clk;
    PeerHealth h(100ms, 300ms);
    CHECK(h.heard(9, clk.now).empty());
    h.add(9, clk.now);
    h.remove(9);
    CHECK(!h.has(9));
    CHECK(h.heard(9, clk.now).empty());
    CHECK(h.peers().empty());
}

TEST_CASE("pings are due once per interval and the deadline covers the timeouts", "[dtcpd][health]")
{
    FakeClock clk;
    PeerHealth h(100ms, 250ms);
    h.add(2, clk.now);
    CHECK(h.ping_due(clk.now));
    CHECK(!h.ping_due(clk.now));
    CHECK(h.next_deadline() == clk.now + 100ms);
    clk.advance(99ms);
    CHECK(!h.ping_due(clk.now));
    clk.advance(1ms);
    CHECK(h.ping_due(clk.now));
    // After a long stall, one round, not a burst.
    clk.advance(1s);
    CHECK(h.ping_due(clk.now));
    CHECK(!h.ping_due(clk.now));
    // The next deadline is the earlier of the next ping and a peer's timeout.
    FakeClock c2;
    PeerHealth h2(1000ms, 300ms);
    h2.add(5, c2.now);
    REQUIRE(h2.ping_due(c2.now));
    CHECK(h2.next_deadline() == c2.now + 300ms);
}

TEST_CASE("the timeout can change at runtime (SIGHUP)", "[dtcpd][health]")
{
    FakeClock clk;
    PeerHealth h(100ms, 1000ms);
    h.add(2, clk.now);
    h.heard(2, clk.now);
    clk.advance(400ms);
    CHECK(h.tick(clk.now).empty());
    h.set_timing(100ms, 300ms);
    auto ts = h.tick(clk.now);
    REQUIRE(ts.size() == 1);
    CHECK(ts[0].to == PeerState::Down);
}
