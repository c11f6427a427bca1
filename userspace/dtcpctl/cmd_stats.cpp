// dtcpctl stats
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "dtcpctl.hpp"

namespace dtcpctl {

int cmd_stats(const Options& opt)
{
    auto ctl = open_control();
    if (!ctl)
        return kError;
    auto st = ctl->status();
    if (!st)
        return fail("stats", st.error());
    if (opt.json) {
        nlohmann::json j = nlohmann::json::object();
        for (const auto& [name, v] : st->stats.values)
            j[name] = v;
        fmt::print("{}\n", j.dump(2));
        return kOk;
    }
    if (st->stats.values.empty()) {
        fmt::print(stderr, "dtcpctl: stats: the module reports no statistics\n");
        return kError;
    }
    size_t width = 0;
    for (const auto& [name, v] : st->stats.values)
        width = std::max(width, name.size());
    for (const auto& [name, v] : st->stats.values)
        fmt::print("{:<{}}  {}\n", name, width, v);
    return kOk;
}

}  // namespace dtcpctl
