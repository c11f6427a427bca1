// Synthetic SPECweb99 static-content workload.
#include "dtcp/trace.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <random>
#include <stdexcept>

#include <fmt/format.h>

namespace dtcp {
namespace {

// Uniform double in [0, 1) from 53 random bits: same on every platform.
double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

// Index into a cumulative distribution.
std::size_t pick(const std::vector<double>& cdf, double u)
{
    const auto it = std::upper_bound(cdf.begin(), cdf.end(), u * cdf.back());
    return std::min<std::size_t>(static_cast<std::size_t>(it - cdf.begin()), cdf.size() - 1);
}

std::vector<double> cumulative(const std::vector<double>& w)
{
    std::vector<double> c(w.size());
    double sum = 0;
    for (std::size_t i = 0; i < w.size(); ++i)
        c[i] = (sum += w[i]);
    return c;
}

} // namespace

std::uint64_t specweb99_file_size(unsigned cls, unsigned file)
{
    std::uint64_t scale = 1;
    for (unsigned i = 0; i < cls; ++i)
        scale *= 10;
    return (file + 1) * 1024 * scale / 10;
}

Trace generate_specweb99(const SpecWebParams& p)
{
    if (p.directories == 0 || p.min_per_conn == 0 || p.max_per_conn < p.min_per_conn)
        throw std::invalid_argument("specweb99: need directories > 0 and 0 < min <= max requests per connection");
    std::mt19937_64 rng(p.seed);
    const auto class_cdf = cumulative({0.35, 0.50, 0.14, 0.01});
    const auto file_cdf = cumulative({0.039, 0.059, 0.088, 0.177, 0.353, 0.118, 0.071, 0.050, 0.044});
    std::vector<double> dir_w(p.directories);
    for (std::uint32_t d = 0; d < p.directories; ++d)
        dir_w[d] = 1.0 / std::pow(static_cast<double>(d + 1), p.zipf_alpha);
    const auto dir_cdf = cumulative(dir_w);

    TraceBuilder b;
    std::uint64_t made = 0;
    for (std::uint64_t conn = 0; made < p.requests; ++conn) {
        const std::uint32_t span = p.max_per_conn - p.min_per_conn + 1;
        std::uint64_t len = p.min_per_conn + rng() % span;
        len = std::min(len, p.requests - made);
        const std::string client = fmt::format("client{}", conn);
        const std::int64_t start = static_cast<std::int64_t>(conn) * p.conn_gap_ms;
        for (std::uint64_t j = 0; j < len; ++j) {
            const auto dir = pick(dir_cdf, uniform01(rng));
            const auto cls = static_cast<unsigned>(pick(class_cdf, uniform01(rng)));
            const auto file = static_cast<unsigned>(pick(file_cdf, uniform01(rng)));
            b.add(start + static_cast<std::int64_t>(j) * 1000, client,
                  fmt::format("/file_set/dir{:05}/class{}_{}", dir, cls, file),
                  specweb99_file_size(cls, file), 200);
        }
        made += len;
    }
    ParseStats st;
    st.lines = st.parsed = made;
    return b.finish(st);
}

} // namespace dtcp
