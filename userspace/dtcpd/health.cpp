// Peer liveness state machine.
#include "health.hpp"

#include <algorithm>

namespace dtcpd {

const char* to_string(PeerState s)
{
    switch (s) {
    case PeerState::Up: return "up";
    case PeerState::Down: return "down";
    default: return "unknown";
    }
}

void PeerHealth::add(uint32_t peer, TimePoint now)
{
    peers_.try_emplace(peer, Entry{PeerState::Unknown, now});
}

void PeerHealth::remove(uint32_t peer)
{
    peers_.erase(peer);
}

std::vector<Transition> PeerHealth::heard(uint32_t peer, TimePoint now)
{
    std::vector<Transition> out;
    auto it = peers_.find(peer);
    if (it == peers_.end())
        return out;
    Entry& e = it->second;
    e.since = now;
    if (e.state != PeerState::Up) {
        out.push_back({peer, e.state, PeerState::Up});
        e.state = PeerState::Up;
    }
    return out;
}

std::vector<Transition> PeerHealth::tick(TimePoint now)
{
    std::vector<Transition> out;
    for (auto& [id, e] : peers_) {
        if (e.state != PeerState::Down && now - e.since >= timeout_) {
            out.push_back({id, e.state, PeerState::Down});
            e.state = PeerState::Down;
        }
    }
    return out;
}

bool PeerHealth::ping_due(TimePoint now)
{
    if (now < next_ping_)
        return false;
    // Skip rounds missed while the process was not scheduled.
    next_ping_ = std::max(next_ping_ + interval_, now);
    if (next_ping_ == now)
        next_ping_ = now + interval_;
    return true;
}

TimePoint PeerHealth::next_deadline() const
{
    TimePoint t = next_ping_;
    for (const auto& [id, e] : peers_)
        if (e.state != PeerState::Down)
            t = std::min(t, e.since + timeout_);
    return t;
}

PeerState PeerHealth::state(uint32_t peer) const
{
    auto it = peers_.find(peer);
    return it == peers_.end() ? PeerState::Unknown : it->second.state;
}

TimePoint PeerHealth::last_heard(uint32_t peer) const
{
    auto it = peers_.find(peer);
    return it == peers_.end() ? TimePoint{} : it->second.since;
}

std::vector<uint32_t> PeerHealth::peers() const
{
    std::vector<uint32_t> v;
    for (const auto& [id, e] : peers_)
        v.push_back(id);
    return v;
}

}  // namespace dtcpd
