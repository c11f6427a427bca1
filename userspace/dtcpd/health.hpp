// Peer liveness: the heartbeat state machine, driven by an explicit clock
// so tests can use a fake one.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <vector>

namespace dtcpd {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Millis = std::chrono::milliseconds;

enum class PeerState { Unknown, Up, Down };
const char* to_string(PeerState s);

struct Transition {
    uint32_t peer;
    PeerState from, to;
};

// A peer is Unknown until it first answers or stays silent for @timeout;
// Up as soon as a heartbeat from it arrives; Down once nothing has arrived
// for @timeout.  A Down peer comes back Up with the next heartbeat.
class PeerHealth {
public:
    PeerHealth(Millis interval, Millis timeout) : interval_(interval), timeout_(timeout) {}

    void set_timing(Millis interval, Millis timeout) { interval_ = interval; timeout_ = timeout; }
    void add(uint32_t peer, TimePoint now);
    void remove(uint32_t peer);
    bool has(uint32_t peer) const { return peers_.count(peer) != 0; }

    // A heartbeat (ping or pong) from @peer arrived.
    std::vector<Transition> heard(uint32_t peer, TimePoint now);
    // Time passes: peers silent for longer than the timeout go down.
    std::vector<Transition> tick(TimePoint now);

    // Whether it is time to send the next round of pings; if so, the next
    // round is scheduled one interval later.
    bool ping_due(TimePoint now);
    // The earliest instant at which tick() or ping_due() can change anything.
    TimePoint next_deadline() const;

    PeerState state(uint32_t peer) const;
    TimePoint last_heard(uint32_t peer) const;
    std::vector<uint32_t> peers() const;
    Millis timeout() const { return timeout_; }

private:
    struct Entry {
        PeerState state = PeerState::Unknown;
        TimePoint since;  // added, or last heard
    };
    Millis interval_, timeout_;
    TimePoint next_ping_{};
    std::map<uint32_t, Entry> peers_;
};

}  // namespace dtcpd
