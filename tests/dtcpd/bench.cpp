// Directory lookup latency: in-process, and a round trip over a running
// daemon's UNIX socket when DTCPD_SOCKET names one.
#include <benchmark/benchmark.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "directory.hpp"

using namespace dtcpd;

static void BM_Preferred(benchmark::State& state)
{
    Directory d(1, 65536, 65536, 4, 100);
    for (int i = 0; i < 50000; i++)
        d.local().cached("/local/" + std::to_string(i));
    std::vector<uint32_t> live;
    for (uint32_t p = 2; p <= static_cast<uint32_t>(state.range(0)); p++) {
        LocalContent other(65536, 65536, 4);
        for (int i = 0; i < 50000; i++)
            other.cached("/peer" + std::to_string(p) + "/" + std::to_string(i));
        d.peer_summary(p, 1, other.summary());
        d.peer_load(p, {p * 3, p});
        live.push_back(p);
    }
    int i = 0;
    for (auto _ : state) {
        std::string name = "/peer2/" + std::to_string(i++ % 100000);
        benchmark::DoNotOptimize(d.preferred(name, live));
    }
}
BENCHMARK(BM_Preferred)->Arg(3)->Arg(16);

static void BM_Cached(benchmark::State& state)
{
    LocalContent lc(65536, 65536, 4);
    int i = 0;
    for (auto _ : state)
        benchmark::DoNotOptimize(lc.cached("/obj/" + std::to_string(i++)));
}
BENCHMARK(BM_Cached);

static void BM_SocketPrefer(benchmark::State& state)
{
    const char* path = std::getenv("DTCPD_SOCKET");
    if (!path) {
        state.SkipWithError("set DTCPD_SOCKET to a running dtcpd's socket");
        return;
    }
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::strncpy(sa.sun_path, path, sizeof(sa.sun_path) - 1);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) < 0) {
        state.SkipWithError("cannot connect");
        return;
    }
    const char req[] = "PREFER /index.html\n";
    char buf[256];
    for (auto _ : state) {
        if (write(fd, req, sizeof(req) - 1) < 0 || read(fd, buf, sizeof(buf)) <= 0) {
            state.SkipWithError("daemon went away");
            break;
        }
    }
    close(fd);
}
BENCHMARK(BM_SocketPrefer);

BENCHMARK_MAIN();
