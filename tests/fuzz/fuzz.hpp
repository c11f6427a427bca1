// Shared by the VM fuzzers (nl_fuzz.cpp, ioctl_fuzz.cpp): one generator per
// iteration, seeded from (seed, iteration) with splitmix, so that a seed and
// an iteration number reproduce a call; and the iteration loop.
#pragma once

#include <chrono>
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

// Runs iteration(i) from @from on until @iterations are done (0: no limit) or
// @seconds have passed (0: no limit), with check() after every @check_every.
// @cur is the iteration running and @busy says that one runs (for failure
// reports); afterwards @cur is the last one done.  Returns how many ran.
template <typename Busy, typename Iteration, typename Check>
uint64_t run_iterations(uint64_t from, uint64_t iterations, double seconds, uint64_t check_every,
                        uint64_t& cur, Busy& busy, Iteration iteration, Check check)
{
    auto start = std::chrono::steady_clock::now();
    auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
    uint64_t done = 0;
    for (cur = from;; cur++) {
        if (iterations && done >= iterations)
            break;
        if (seconds > 0 && elapsed() >= seconds)
            break;
        busy = true;
        iteration(cur);
        done++;
        if (done % check_every == 0)
            check();
        busy = false;
    }
    if (done)
        cur--;
    busy = false;
    return done;
}

}  // namespace fuzz
