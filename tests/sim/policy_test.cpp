#include <catch2/catch.hpp>

#include <set>

#include "dtcp/policy.hpp"

using dtcp::LruCache;
using dtcp::NodeId;
using dtcp::NodeLoad;
using dtcp::NodeSelector;

namespace {
auto caches(std::set<NodeId> holders)
{
    return [holders](NodeId n) { return holders.count(n) != 0; };
}
} // namespace

TEST_CASE("Algorithm 1: least processing-loaded member of the server set wins", "[policy]")
{
    std::vector<NodeLoad> loads{{5, 0, 5}, {2, 0, 2}, {3, 0, 3}, {0, 0, 0}};
    std::vector<NodeId> set{0, 1, 2};
    const auto s = NodeSelector{}.select(set, caches({0, 1, 2}), loads);
    CHECK(s.node == 1);
    CHECK(s.cached);
    CHECK_FALSE(s.added_to_set);
    CHECK(set == std::vector<NodeId>{0, 1, 2});
}

TEST_CASE("Algorithm 1: members that do not cache the file are removed (lines 3-4)", "[policy]")
{
    std::vector<NodeLoad> loads{{5, 0, 5}, {2, 0, 2}, {3, 0, 3}};
    std::vector<NodeId> set{0, 1, 2};
    const auto s = NodeSelector{}.select(set, caches({0, 2}), loads);
    CHECK(s.node == 2);
    CHECK(s.cached);
    CHECK(set == std::vector<NodeId>{0, 2});
}

TEST_CASE("Algorithm 1: an empty server set picks the least disk-loaded node (line 9)", "[policy]")
{
    std::vector<NodeLoad> loads{{0, 4, 0}, {9, 1, 9}, {0, 2, 0}};
    SECTION("set empty from the start")
    {
        std::vector<NodeId> set;
        const auto s = NodeSelector{}.select(set, caches({}), loads);
        CHECK(s.node == 1);
        CHECK_FALSE(s.cached);
        CHECK(s.added_to_set);
        CHECK(set == std::vector<NodeId>{1});
    }
    SECTION("set emptied by stale entries")
    {
        std::vector<NodeId> set{0, 2};
        const auto s = NodeSelector{}.select(set, caches({}), loads);
        CHECK(s.node == 1);
        CHECK(set == std::vector<NodeId>{1});
    }
}

TEST_CASE("Algorithm 1: imbalance above the threshold moves the request to N (lines 10-12)", "[policy]")
{
    // M = 0 caches the file but has 101 more requests than N = 1, the least disk-loaded.
    std::vector<NodeLoad> loads{{1, 3, 150}, {2, 0, 49}};
    std::vector<NodeId> set{0};
    const auto s = NodeSelector{}.select(set, caches({0}), loads);
    CHECK(s.node == 1);
    CHECK_FALSE(s.cached);
    CHECK(s.added_to_set);
    CHECK(set == std::vector<NodeId>{0, 1});
}

TEST_CASE("Algorithm 1: imbalance of exactly the threshold keeps M (line 14)", "[policy]")
{
    std::vector<NodeLoad> loads{{1, 3, 150}, {2, 0, 50}};
    std::vector<NodeId> set{0};
    const auto s = NodeSelector{}.select(set, caches({0}), loads);
    CHECK(s.node == 0);
    CHECK(s.cached);
    CHECK(set == std::vector<NodeId>{0});
}

TEST_CASE("Algorithm 1: N already in the server set keeps M (line 10 second clause)", "[policy]")
{
    // M = 0 has the least processing load; N = 1 has the least disk load, is in the
    // set and has far fewer requests, but is in the set already.
    std::vector<NodeLoad> loads{{1, 5, 300}, {4, 0, 10}};
    std::vector<NodeId> set{0, 1};
    const auto s = NodeSelector{}.select(set, caches({0, 1}), loads);
    CHECK(s.node == 0);
    CHECK(set == std::vector<NodeId>{0, 1});
}

TEST_CASE("Algorithm 1: configurable threshold and deterministic ties", "[policy]")
{
    std::vector<NodeLoad> loads{{1, 0, 20}, {1, 0, 20}, {1, 0, 5}};
    std::vector<NodeId> set{1, 0};
    CHECK(NodeSelector{100}.select(set, caches({0, 1}), loads).node == 0); // tie: lowest id
    std::vector<NodeId> set2{1};
    loads[0].disk = 1;
    loads[1].disk = 1;
    const auto s = NodeSelector{10}.select(set2, caches({1}), loads); // 20 - 5 > 10
    CHECK(s.node == 2);
    CHECK(s.added_to_set);
}

TEST_CASE("Algorithm 1: equal disk loads go to the node with fewest requests", "[policy]")
{
    std::vector<NodeLoad> loads{{0, 0, 7}, {0, 0, 3}, {0, 0, 3}, {0, 1, 0}};
    std::vector<NodeId> set;
    CHECK(NodeSelector{}.select(set, caches({}), loads).node == 1);
}

TEST_CASE("LRU cache evicts the least recently used object first", "[policy][lru]")
{
    LruCache c(100, 60);
    CHECK(c.insert(1, 30));
    CHECK(c.insert(2, 30));
    CHECK(c.insert(3, 30));
    CHECK(c.mru_order() == std::vector<dtcp::ObjectId>{3, 2, 1});
    CHECK(c.touch(1)); // 1 becomes most recent; 2 is now the oldest
    CHECK(c.insert(4, 30));
    CHECK_FALSE(c.contains(2));
    CHECK(c.mru_order() == std::vector<dtcp::ObjectId>{4, 1, 3});
    CHECK(c.used_bytes() == 90);
    CHECK(c.evictions() == 1);
    CHECK(c.insert(5, 60)); // needs 60: evicts 3 then 1
    CHECK(c.mru_order() == std::vector<dtcp::ObjectId>{5, 4});
    CHECK(c.used_bytes() == 90);
}

TEST_CASE("LRU cache never caches objects above the size limit", "[policy][lru]")
{
    LruCache c(1000, 500);
    CHECK_FALSE(c.insert(1, 501));
    CHECK_FALSE(c.contains(1));
    CHECK(c.insert(2, 500));
    CHECK_FALSE(c.access(1, 501));
    CHECK_FALSE(c.access(1, 501)); // still a miss
    CHECK(c.access(2, 500));
    CHECK(c.objects() == 1);
}

TEST_CASE("LRU cache re-insert updates size and recency", "[policy][lru]")
{
    LruCache c(100, 100);
    c.insert(1, 40);
    c.insert(2, 40);
    CHECK(c.insert(1, 70)); // grows: 2 must go
    CHECK(c.mru_order() == std::vector<dtcp::ObjectId>{1});
    CHECK(c.used_bytes() == 70);
    CHECK_FALSE(c.touch(2));
}

TEST_CASE("Weighted round-robin honours weights and interleaves", "[policy][wrr]")
{
    dtcp::WeightedRoundRobin w({3, 1, 0});
    std::vector<NodeId> picks;
    for (int i = 0; i < 8; ++i)
        picks.push_back(w.next());
    CHECK(picks == std::vector<NodeId>{0, 0, 1, 0, 0, 0, 1, 0});
    dtcp::WeightedRoundRobin eq({1, 1, 1});
    CHECK(eq.next() == 0);
    CHECK(eq.next() == 1);
    CHECK(eq.next() == 2);
    CHECK(eq.next() == 0);
    CHECK_THROWS_AS(dtcp::WeightedRoundRobin({0, 0}), std::invalid_argument);
}
