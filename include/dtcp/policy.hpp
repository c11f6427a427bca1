// Request-distribution policy shared by the simulator and the reference server.
//
// Algorithm 1 of Kokku et al. ("Distributed TCP"), an LRU content cache with the
// paper's size limit, and a smooth weighted round-robin.  Everything here is a pure
// function of its arguments or a self-contained value type: a server passes in its
// view of the cluster (server sets from the content directory, load figures from the
// daemons) and gets a node back.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <unordered_map>
#include <vector>

namespace dtcp {

using NodeId = std::uint32_t;
using ObjectId = std::uint64_t;

// Load figures of one back-end, as defined in section 4.3 of the paper.
struct NodeLoad {
    std::uint32_t processing = 0; // requests queued at or served by the CPU and input adaptors
    std::uint32_t disk = 0;       // requests queued at or served by the disk
    std::uint32_t requests = 0;   // requests in progress at the node ("req." in line 10)
};

// Outcome of Algorithm 1.
struct Selection {
    NodeId node = 0;          // the preferred node
    bool cached = false;      // node came from the server set (it caches the object)
    bool added_to_set = false; // node N was added to the server set (line 11)
};

// Algorithm 1 (node selection).  `server_set` holds the nodes believed to cache the
// object; entries that turn out not to cache it are removed while searching (lines
// 1-8), and the least disk-loaded node is added when it is chosen (line 11).
// `in_cache(node)` tells whether a node really caches the object.  `loads` has one
// entry per node (at least one) and every set member indexes into it.
//
// Ties are broken deterministically: for M by the lowest id; for N by the fewest
// requests in progress, then the lowest id.
//
// When the server set empties, there is no M; the least disk-loaded node N is chosen
// and added to the set (the object will be read from N's disk and cached there).
class NodeSelector {
public:
    explicit NodeSelector(std::uint32_t imbalance = 100) : imbalance_(imbalance) {}

    std::uint32_t imbalance() const { return imbalance_; }

    template <class InCache>
    Selection select(std::vector<NodeId>& server_set, InCache&& in_cache,
                     std::span<const NodeLoad> loads) const
    {
        // Lines 1-8: the least processing-loaded member that really caches the object.
        bool have_m = false;
        NodeId m = 0;
        while (!server_set.empty()) {
            std::size_t best = 0;
            for (std::size_t i = 1; i < server_set.size(); ++i) {
                const auto a = loads[server_set[i]].processing;
                const auto b = loads[server_set[best]].processing;
                if (a < b || (a == b && server_set[i] < server_set[best]))
                    best = i;
            }
            if (!in_cache(server_set[best])) {
                server_set.erase(server_set.begin() + static_cast<std::ptrdiff_t>(best));
                continue;
            }
            m = server_set[best];
            have_m = true;
            break;
        }
        // Line 9: the node with the least disk load; among equals the one with the
        // fewest requests in progress (then the lowest id), so that an idle cluster
        // does not send every uncached object to node 0.
        NodeId n = 0;
        for (NodeId i = 1; i < loads.size(); ++i)
            if (loads[i].disk < loads[n].disk ||
                (loads[i].disk == loads[n].disk && loads[i].requests < loads[n].requests))
                n = i;
        // Line 10: req. of M - req. of N > 100 && N not in Server Set, where "req." is
        // the number of requests in progress at a node.  With no M (empty set) N is
        // taken; N cannot be in an empty set.
        const bool take_n =
            !have_m || (static_cast<std::int64_t>(loads[m].requests) -
                                static_cast<std::int64_t>(loads[n].requests) >
                            static_cast<std::int64_t>(imbalance_) &&
                        !contains(server_set, n));
        if (take_n) {
            server_set.push_back(n);
            return {n, false, true};
        }
        return {m, true, false};
    }

private:
    static bool contains(const std::vector<NodeId>& set, NodeId n)
    {
        for (auto x : set)
            if (x == n)
                return true;
        return false;
    }

    std::uint32_t imbalance_;
};

// LRU cache of whole objects.  Objects larger than `max_object_bytes` are never
// cached (the paper, after LARD, uses 500 KB).  Lookups are O(1).
class LruCache {
public:
    LruCache(std::uint64_t capacity_bytes, std::uint64_t max_object_bytes);

    bool contains(ObjectId id) const { return index_.count(id) != 0; }
    // Marks a cached object most recently used; false when it is not cached.
    bool touch(ObjectId id);
    // Inserts (or refreshes) an object, evicting least recently used objects to make
    // room.  Returns false, changing nothing, when the object is not cacheable.
    bool insert(ObjectId id, std::uint64_t size);
    // touch() on a hit, insert() on a miss; returns whether it was a hit.
    bool access(ObjectId id, std::uint64_t size);

    std::uint64_t used_bytes() const { return used_; }
    std::uint64_t capacity_bytes() const { return capacity_; }
    std::uint64_t max_object_bytes() const { return max_object_; }
    std::size_t objects() const { return index_.size(); }
    std::uint64_t evictions() const { return evictions_; }
    // Cached objects, most recently used first.
    std::vector<ObjectId> mru_order() const;

private:
    static constexpr std::uint32_t nil = std::numeric_limits<std::uint32_t>::max();
    struct Slot {
        ObjectId id;
        std::uint64_t size;
        std::uint32_t prev, next;
    };
    void unlink(std::uint32_t s);
    void push_front(std::uint32_t s);
    void evict_one();

    std::uint64_t capacity_, max_object_, used_ = 0, evictions_ = 0;
    std::vector<Slot> slots_;
    std::vector<std::uint32_t> free_;
    std::unordered_map<ObjectId, std::uint32_t> index_;
    std::uint32_t head_ = nil, tail_ = nil;
};

// Smooth weighted round-robin (the nginx variant): over any window of sum(weights)
// picks, node i is chosen weights[i] times, interleaved.  Zero weights are skipped.
class WeightedRoundRobin {
public:
    explicit WeightedRoundRobin(std::vector<std::uint32_t> weights);
    NodeId next();

private:
    std::vector<std::uint32_t> weights_;
    std::vector<std::int64_t> current_;
    std::int64_t total_ = 0;
};

} // namespace dtcp
