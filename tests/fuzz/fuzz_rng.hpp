// Randomness for the VM fuzzers (nl_fuzz.cpp, ioctl_fuzz.cpp): one
// generator per iteration, seeded from (seed, iteration) with splitmix, so
// that a seed and an iteration number reproduce a call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <random>

namespace fuzz {

inline uint64_t splitmix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

struct Rng {
    std::mt19937_64 g;
    explicit Rng(uint64_t s) : g(s) {}
    uint64_t u64() { return g(); }
    uint32_t u32() { return static_cast<uint32_t>(g()); }
    uint32_t below(uint32_t n) { return n ? static_cast<uint32_t>(g() % n) : 0; }
    uint32_t range(uint32_t lo, uint32_t hi) { return lo + below(hi - lo + 1); }  // [lo, hi]
    bool pct(unsigned p) { return below(100) < p; }
    bool permille(unsigned p) { return below(1000) < p; }
    template <typename T>
    T pick(std::initializer_list<T> l) { return *(l.begin() + below(static_cast<uint32_t>(l.size()))); }
    void fill(void* p, size_t n)
    {
        auto* b = static_cast<uint8_t*>(p);
        for (size_t i = 0; i < n; i++)
            b[i] = static_cast<uint8_t>(g());
    }
};

}  // namespace fuzz
