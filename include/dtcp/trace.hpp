// Web access-log parsing, persistent-connection grouping, proxy-log analysis
// (Tables 1-2 of Kokku et al.) and a synthetic SPECweb99 workload generator.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace dtcp {

enum class TraceFormat {
    clf,   // Common Log Format, and combined (CLF + referer + user agent)
    squid, // Squid native access.log
    tsv,   // NASA-style TSV: host, logname, epoch, method, url, response, bytes
};

std::optional<TraceFormat> trace_format_from_name(std::string_view name);
std::string_view trace_format_name(TraceFormat f);

// One parsed log line.
struct LogRecord {
    std::int64_t time_ms = 0; // Unix epoch, milliseconds
    std::string client;       // remote host (the client behind a proxy, for proxy logs)
    std::string method;
    std::string url;
    int status = 0;
    std::uint64_t bytes = 0; // "-" is read as 0
};

// Line parsers: nullopt for a malformed line.
std::optional<LogRecord> parse_clf_line(std::string_view line);
std::optional<LogRecord> parse_squid_line(std::string_view line);
std::optional<LogRecord> parse_tsv_line(std::string_view line);
std::optional<LogRecord> parse_line(TraceFormat f, std::string_view line);

// Guesses the format from the first non-empty lines: the one that parses most.
std::optional<TraceFormat> detect_trace_format(std::istream& in);

struct ParseStats {
    std::uint64_t lines = 0;     // non-empty lines seen
    std::uint64_t parsed = 0;
    std::uint64_t malformed = 0; // counted and skipped
    std::uint64_t first_malformed_line = 0; // 1-based line number, 0 when none
};

// A request with interned client and object names.
struct Request {
    std::int64_t time_ms = 0;
    std::uint32_t client = 0;
    std::uint32_t object = 0;
    std::uint64_t bytes = 0; // bytes of this response
    std::int32_t status = 0;
};

// A trace ready for simulation: requests in time order (stable for equal times),
// names interned, each object's size the largest response seen for it.
struct Trace {
    std::vector<Request> requests;
    std::vector<std::string> clients;
    std::vector<std::string> objects;
    std::vector<std::uint64_t> object_size;
    ParseStats stats;
};

// Builds a Trace from log records (used by the readers and the generator).
class TraceBuilder {
public:
    void add(const LogRecord& r);
    void add(std::int64_t time_ms, std::string_view client, std::string_view object,
             std::uint64_t bytes, int status);
    Trace finish(ParseStats stats = {});

private:
    static std::uint32_t intern(std::unordered_map<std::string, std::uint32_t>& index,
                                std::vector<std::string>& names, std::string_view name);
    Trace t_;
    std::unordered_map<std::string, std::uint32_t> client_index_, object_index_;
};

// Reads a whole log; malformed lines are counted in Trace::stats and skipped.
Trace read_trace(std::istream& in, TraceFormat f);
// Opens and reads a log file; throws std::runtime_error("cannot open ...") on failure.
Trace read_trace_file(const std::string& path, TraceFormat f);

// Persistent connections: two requests from the same client belong to the same
// connection when the second arrives at most `idle_ms` after the first (15 s in the
// paper).  Connections are numbered by their first request's position in the trace.
struct Connections {
    std::vector<std::uint32_t> requests; // request indices, grouped by connection
    std::vector<std::uint32_t> offsets;  // connection i is requests[offsets[i] .. offsets[i+1])
    std::size_t count() const { return offsets.empty() ? 0 : offsets.size() - 1; }
};
Connections group_connections(const Trace& t, std::int64_t idle_ms = 15000);

// Tables 1-2 of the paper for a proxy log.  The proxy keeps one persistent
// connection per origin server, opened by the request of some client and kept while
// requests to that server arrive within `idle_ms`.  A request is *unrelated* when it
// is sent on a connection opened for another client.
struct ServerReport {
    std::string server;
    std::uint64_t requests = 0;
    std::uint64_t unrelated = 0;
    std::uint64_t connections = 0;
    std::uint64_t clients = 0;
    double unrelated_pct() const
    {
        return requests ? 100.0 * static_cast<double>(unrelated) / static_cast<double>(requests) : 0.0;
    }
};
// The server of a URL: the host of an absolute URL, "-" for a path-only URL.
std::string_view url_server(std::string_view url);
// Reports sorted by requests (descending), ties by server name.
std::vector<ServerReport> analyze_proxy(const Trace& t, std::int64_t idle_ms = 15000);

// Synthetic SPECweb99 static workload: per directory 4 classes x 9 files (class k
// file i has (i+1) * 0.1 KB * 10^k), class mix 35/50/14/1 %, the SPECweb99 in-class
// file popularity, Zipf popularity of directories.  Each connection comes from a
// fresh client and carries a uniform number of independent requests, 1 s apart;
// connections start `conn_gap_ms` apart.
struct SpecWebParams {
    std::uint64_t requests = 1000000;
    std::uint32_t directories = 200;
    double zipf_alpha = 1.0;
    std::uint32_t min_per_conn = 5;
    std::uint32_t max_per_conn = 15;
    std::int64_t conn_gap_ms = 10;
    std::uint64_t seed = 1;
};
Trace generate_specweb99(const SpecWebParams& p);
// Size in bytes of SPECweb99 file `file` (0-8) of class `cls` (0-3).
std::uint64_t specweb99_file_size(unsigned cls, unsigned file);

// Writes a trace as CLF (one line per request) so the other tools can replay it.
void write_clf(std::ostream& out, const Trace& t);

} // namespace dtcp
