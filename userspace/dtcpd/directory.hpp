// The content directory and load figures behind the request-distribution
// policy (DESIGN §5, the paper's Algorithm 1).
//
// Locally, the objects the node's server reports as cached are kept in a
// bounded LRU set (exact, so repeated reports and evictions are idempotent)
// mirrored into a counting Bloom filter.  Peers receive the filter's bit
// projection (a fixed-size summary) and answer "does node X cache object O"
// with it: no false negatives, a small rate of false positives.
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace dtcpd {

// Bloom-filter hashing shared by every daemon (stable across builds):
// FNV-1a 64 plus a splitmix64 finalizer for the second hash, double hashing.
struct BloomHash {
    uint64_t h1, h2;
    explicit BloomHash(std::string_view name);
    uint32_t index(uint32_t i, uint32_t bits) const
    {
        return static_cast<uint32_t>((h1 + uint64_t(i) * h2) & (bits - 1));
    }
};

// A fixed-size bit summary, as received from a peer.
class BloomSummary {
public:
    BloomSummary() = default;
    BloomSummary(uint32_t bits, uint32_t hashes) : bits_(bits), hashes_(hashes), words_((bits + 63) / 64) {}
    bool may_contain(const BloomHash& h) const;
    uint32_t bits() const { return bits_; }
    uint32_t hashes() const { return hashes_; }
    const std::vector<uint64_t>& words() const { return words_; }
    std::vector<uint64_t>& words() { return words_; }
    void set(uint32_t bit) { words_[bit / 64] |= uint64_t(1) << (bit % 64); }
    size_t popcount() const;

private:
    uint32_t bits_ = 0, hashes_ = 0;
    std::vector<uint64_t> words_;
};

// This node's cached objects: bounded LRU set + counting Bloom filter.
class LocalContent {
public:
    LocalContent(uint32_t capacity, uint32_t bits, uint32_t hashes);

    // Returns true if the set changed.  A full set forgets its least
    // recently reported object.
    bool cached(std::string_view name);
    bool evicted(std::string_view name);
    bool contains(std::string_view name) const { return index_.count(std::string(name)) != 0; }
    size_t size() const { return lru_.size(); }
    uint32_t capacity() const { return capacity_; }
    uint64_t generation() const { return generation_; }
    uint64_t forgotten() const { return forgotten_; }
    BloomSummary summary() const;
    uint32_t bits() const { return bits_; }
    uint32_t hashes() const { return hashes_; }

private:
    void count(std::string_view name, int delta);
    uint32_t capacity_, bits_, hashes_;
    std::list<std::string> lru_;  // front: most recent
    std::unordered_map<std::string, std::list<std::string>::iterator> index_;
    std::vector<uint16_t> counters_;  // saturating
    uint64_t generation_ = 0, forgotten_ = 0;
};

// A node's load, as the paper's section 4.3 and dtcp::NodeLoad define it.
struct Load {
    uint32_t processing = 0;  // outstanding requests in CPU and input
    uint32_t disk = 0;        // requests waiting for the disk
    uint32_t requests = 0;    // requests in progress ("req." of Algorithm 1, line 10)
};

class Directory {
public:
    Directory(uint32_t self, uint32_t capacity, uint32_t bits, uint32_t hashes, uint32_t imbalance)
        : self_(self), local_(capacity, bits, hashes), imbalance_(imbalance) {}

    LocalContent& local() { return local_; }
    const LocalContent& local() const { return local_; }
    uint32_t self() const { return self_; }
    void set_self(uint32_t id) { self_ = id; }
    void set_imbalance(uint32_t v) { imbalance_ = v; }

    void set_local_load(Load l) { local_load_ = l; }
    Load local_load() const { return local_load_; }

    // Figures received from peer @id.
    void peer_load(uint32_t id, Load l) { peers_[id].load = l; }
    void peer_summary(uint32_t id, uint64_t generation, BloomSummary s);
    void forget_peer(uint32_t id) { peers_.erase(id); }
    std::optional<uint64_t> peer_generation(uint32_t id) const;
    std::optional<Load> load_of(uint32_t id) const;

    // Algorithm 1 (dtcp::NodeSelector, the policy library the simulator
    // uses) over this node and the peers in @live (those that are up):
    // M = least processing load among the nodes caching @name (server set),
    // N = least disk load among all; N if req(M) - req(N) > imbalance and
    // N does not cache it, else M; N when nobody caches it.  Ties go to this
    // node, then to the lowest id.
    uint32_t preferred(std::string_view name, const std::vector<uint32_t>& live) const;
    // Nodes believed to cache @name (this node included), among @live.
    std::vector<uint32_t> server_set(std::string_view name, const std::vector<uint32_t>& live) const;

private:
    struct Remote {
        Load load;
        std::optional<uint64_t> generation;
        BloomSummary summary;
    };
    bool caches(uint32_t node, std::string_view name, const BloomHash& h) const;

    uint32_t self_;
    LocalContent local_;
    uint32_t imbalance_;
    Load local_load_;
    std::map<uint32_t, Remote> peers_;
};

}  // namespace dtcpd
