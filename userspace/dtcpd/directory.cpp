// Content directory: local LRU + counting Bloom filter, peer summaries, Algorithm 1.
#include "directory.hpp"

#include "dtcp/policy.hpp"

#include <algorithm>
#include <bit>

namespace dtcpd {

BloomHash::BloomHash(std::string_view name)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (unsigned char c : name) {
        h ^= c;
        h *= 0x100000001b3ULL;
    }
    h1 = h;
    uint64_t z = h + 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    h2 = (z ^ (z >> 31)) | 1;  // odd: the probes cover distinct bits
}

bool BloomSummary::may_contain(const BloomHash& h) const
{
    if (!bits_)
        return false;
    for (uint32_t i = 0; i < hashes_; i++) {
        uint32_t b = h.index(i, bits_);
        if (!(words_[b / 64] >> (b % 64) & 1))
            return false;
    }
    return true;
}

size_t BloomSummary::popcount() const
{
    size_t n = 0;
    for (uint64_t w : words_)
        n += static_cast<size_t>(std::popcount(w));
    return n;
}

LocalContent::LocalContent(uint32_t capacity, uint32_t bits, uint32_t hashes)
    : capacity_(capacity), bits_(bits), hashes_(hashes), counters_(bits, 0)
{
}

void LocalContent::count(std::string_view name, int delta)
{
    BloomHash h(name);
    for (uint32_t i = 0; i < hashes_; i++) {
        uint16_t& c = counters_[h.index(i, bits_)];
        // A saturated counter stays saturated: decrementing it could make
        // another object's bit disappear (a false negative).
        if (c == UINT16_MAX)
            continue;
        c = static_cast<uint16_t>(c + delta);
    }
}

bool LocalContent::cached(std::string_view name)
{
    std::string key(name);
    auto it = index_.find(key);
    if (it != index_.end()) {
        lru_.splice(lru_.begin(), lru_, it->second);
        return false;
    }
    if (lru_.size() >= capacity_) {
        count(lru_.back(), -1);
        index_.erase(lru_.back());
        lru_.pop_back();
        forgotten_++;
    }
    lru_.push_front(key);
    index_.emplace(std::move(key), lru_.begin());
    count(name, +1);
    generation_++;
    return true;
}

bool LocalContent::evicted(std::string_view name)
{
    auto it = index_.find(std::string(name));
    if (it == index_.end())
        return false;
    count(name, -1);
    lru_.erase(it->second);
    index_.erase(it);
    generation_++;
    return true;
}

BloomSummary LocalContent::summary() const
{
    BloomSummary s(bits_, hashes_);
    for (uint32_t b = 0; b < bits_; b++)
        if (counters_[b])
            s.set(b);
    return s;
}

void Directory::peer_summary(uint32_t id, uint64_t generation, BloomSummary s)
{
    Remote& r = peers_[id];
    r.generation = generation;
    r.summary = std::move(s);
}

std::optional<uint64_t> Directory::peer_generation(uint32_t id) const
{
    auto it = peers_.find(id);
    return it == peers_.end() ? std::nullopt : it->second.generation;
}

std::optional<Load> Directory::load_of(uint32_t id) const
{
    if (id == self_)
        return local_load_;
    auto it = peers_.find(id);
    if (it == peers_.end())
        return std::nullopt;
    return it->second.load;
}

bool Directory::caches(uint32_t node, std::string_view name, const BloomHash& h) const
{
    if (node == self_)
        return local_.contains(name);
    auto it = peers_.find(node);
    return it != peers_.end() && it->second.summary.may_contain(h);
}

std::vector<uint32_t> Directory::server_set(std::string_view name, const std::vector<uint32_t>& live) const
{
    BloomHash h(name);
    std::vector<uint32_t> set;
    if (caches(self_, name, h))
        set.push_back(self_);
    for (uint32_t id : live)
        if (id != self_ && caches(id, name, h))
            set.push_back(id);
    return set;
}

uint32_t Directory::preferred(std::string_view name, const std::vector<uint32_t>& live) const
{
    // Dense indexes for the policy library: 0 is this node, so that ties
    // (broken towards the lowest index) keep the request here.
    std::vector<uint32_t> nodes{self_};
    for (uint32_t id : live)
        if (id != self_)
            nodes.push_back(id);
    std::sort(nodes.begin() + 1, nodes.end());
    std::vector<dtcp::NodeLoad> loads;
    loads.reserve(nodes.size());
    for (uint32_t id : nodes) {
        Load l = load_of(id).value_or(Load{});
        loads.push_back({l.processing, l.disk, l.requests});
    }
    BloomHash h(name);
    std::vector<dtcp::NodeId> set;
    for (uint32_t i = 0; i < nodes.size(); i++)
        if (caches(nodes[i], name, h))
            set.push_back(i);
    dtcp::NodeSelector sel(imbalance_);
    // The server set is already filtered by the directory: every member caches it.
    dtcp::Selection s = sel.select(set, [](dtcp::NodeId) { return true; }, loads);
    return nodes[s.node];
}

}  // namespace dtcpd
