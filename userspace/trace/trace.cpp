// Trace building, reading, connection grouping, proxy analysis and CLF output.
#include "dtcp/trace.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <numeric>
#include <ostream>
#include <stdexcept>
#include <unordered_set>

#include <fmt/format.h>

namespace dtcp {

std::uint32_t TraceBuilder::intern(std::unordered_map<std::string, std::uint32_t>& index,
                                   std::vector<std::string>& names, std::string_view name)
{
    auto [it, inserted] = index.try_emplace(std::string(name), static_cast<std::uint32_t>(names.size()));
    if (inserted)
        names.emplace_back(name);
    return it->second;
}

void TraceBuilder::add(std::int64_t time_ms, std::string_view client, std::string_view object,
                       std::uint64_t bytes, int status)
{
    Request r;
    r.time_ms = time_ms;
    r.client = intern(client_index_, t_.clients, client);
    r.object = intern(object_index_, t_.objects, object);
    r.bytes = bytes;
    r.status = status;
    t_.requests.push_back(r);
}

void TraceBuilder::add(const LogRecord& r)
{
    add(r.time_ms, r.client, r.url, r.bytes, r.status);
}

Trace TraceBuilder::finish(ParseStats stats)
{
    Trace t = std::move(t_);
    t_ = Trace{};
    client_index_.clear();
    object_index_.clear();
    std::stable_sort(t.requests.begin(), t.requests.end(),
                     [](const Request& a, const Request& b) { return a.time_ms < b.time_ms; });
    t.object_size.assign(t.objects.size(), 0);
    for (const auto& r : t.requests)
        t.object_size[r.object] = std::max(t.object_size[r.object], r.bytes);
    t.stats = stats;
    return t;
}

Trace read_trace(std::istream& in, TraceFormat f)
{
    TraceBuilder b;
    ParseStats st;
    std::string line;
    std::uint64_t lineno = 0;
    while (std::getline(in, line)) {
        ++lineno;
        if (line.find_first_not_of(" \t\r") == std::string::npos)
            continue;
        ++st.lines;
        if (auto r = parse_line(f, line)) {
            ++st.parsed;
            b.add(*r);
        } else {
            ++st.malformed;
            if (st.first_malformed_line == 0)
                st.first_malformed_line = lineno;
        }
    }
    return b.finish(st);
}

Trace read_trace_file(const std::string& path, TraceFormat f)
{
    std::ifstream in(path);
    if (!in)
        throw std::runtime_error(fmt::format("cannot open trace '{}'", path));
    return read_trace(in, f);
}

Connections group_connections(const Trace& t, std::int64_t idle_ms)
{
    const std::size_t n = t.requests.size();
    std::vector<std::uint32_t> conn_of(n);
    std::vector<std::int64_t> last_time(t.clients.size(), 0);
    std::vector<std::uint32_t> open_conn(t.clients.size(), UINT32_MAX);
    std::vector<std::uint32_t> sizes;
    for (std::size_t i = 0; i < n; ++i) {
        const auto& r = t.requests[i];
        auto& c = open_conn[r.client];
        if (c == UINT32_MAX || r.time_ms - last_time[r.client] > idle_ms) {
            c = static_cast<std::uint32_t>(sizes.size());
            sizes.push_back(0);
        }
        last_time[r.client] = r.time_ms;
        conn_of[i] = c;
        ++sizes[c];
    }
    Connections out;
    out.offsets.resize(sizes.size() + 1, 0);
    std::partial_sum(sizes.begin(), sizes.end(), out.offsets.begin() + 1);
    out.requests.resize(n);
    std::vector<std::uint32_t> fill(out.offsets.begin(), out.offsets.end() - 1);
    for (std::size_t i = 0; i < n; ++i)
        out.requests[fill[conn_of[i]]++] = static_cast<std::uint32_t>(i);
    return out;
}

std::string_view url_server(std::string_view url)
{
    const auto scheme = url.find("://");
    if (scheme == std::string_view::npos) {
        // "host:port" as used by CONNECT requests
        if (!url.empty() && url.front() != '/' && url.find('/') == std::string_view::npos)
            return url;
        return "-";
    }
    auto rest = url.substr(scheme + 3);
    return rest.substr(0, rest.find_first_of("/?#"));
}

std::vector<ServerReport> analyze_proxy(const Trace& t, std::int64_t idle_ms)
{
    struct State {
        ServerReport report;
        std::uint32_t opener = 0;
        std::int64_t last = 0;
        bool open = false;
        std::unordered_set<std::uint32_t> clients;
    };
    std::unordered_map<std::string_view, std::size_t> index;
    std::vector<State> servers;
    for (const auto& r : t.requests) {
        const auto name = url_server(t.objects[r.object]);
        auto [it, inserted] = index.try_emplace(name, servers.size());
        if (inserted) {
            servers.emplace_back();
            servers.back().report.server = std::string(name);
        }
        State& s = servers[it->second];
        if (!s.open || r.time_ms - s.last > idle_ms) {
            s.open = true;
            s.opener = r.client;
            ++s.report.connections;
        } else if (r.client != s.opener) {
            ++s.report.unrelated;
        }
        s.last = r.time_ms;
        ++s.report.requests;
        s.clients.insert(r.client);
    }
    std::vector<ServerReport> out;
    out.reserve(servers.size());
    for (auto& s : servers) {
        s.report.clients = s.clients.size();
        out.push_back(std::move(s.report));
    }
    std::sort(out.begin(), out.end(), [](const ServerReport& a, const ServerReport& b) {
        return a.requests != b.requests ? a.requests > b.requests : a.server < b.server;
    });
    return out;
}

void write_clf(std::ostream& out, const Trace& t)
{
    static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    using namespace std::chrono;
    for (const auto& r : t.requests) {
        const sys_seconds tp{seconds{r.time_ms / 1000}};
        const auto day = floor<days>(tp);
        const year_month_day ymd{day};
        const hh_mm_ss hms{tp - day};
        out << fmt::format("{} - - [{:02}/{}/{:04}:{:02}:{:02}:{:02} +0000] \"GET {} HTTP/1.1\" {} {}\n",
                           t.clients[r.client], static_cast<unsigned>(ymd.day()),
                           months[static_cast<unsigned>(ymd.month()) - 1],
                           static_cast<int>(ymd.year()), hms.hours().count(),
                           hms.minutes().count(), hms.seconds().count(), t.objects[r.object],
                           r.status, r.bytes);
    }
}

} // namespace dtcp
