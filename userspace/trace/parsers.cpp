// Line parsers for the supported access-log formats.
#include "dtcp/trace.hpp"

#include <array>
#include <charconv>
#include <chrono>
#include <istream>
#include <string>

namespace dtcp {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view s)
{
    while (!s.empty() && is_space(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && is_space(s.back()))
        s.remove_suffix(1);
    return s;
}

// Splits off the next run of non-blank characters.
std::string_view next_field(std::string_view& s)
{
    while (!s.empty() && is_space(s.front()))
        s.remove_prefix(1);
    std::size_t n = 0;
    while (n < s.size() && !is_space(s[n]))
        ++n;
    auto f = s.substr(0, n);
    s.remove_prefix(n);
    return f;
}

template <class T>
std::optional<T> to_number(std::string_view s)
{
    T v{};
    if (s.empty())
        return std::nullopt;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || p != s.data() + s.size())
        return std::nullopt;
    return v;
}

// Response bytes: digits, or "-" for none.
std::optional<std::uint64_t> to_bytes(std::string_view s)
{
    if (s == "-")
        return 0;
    return to_number<std::uint64_t>(s);
}

std::optional<int> to_status(std::string_view s)
{
    auto v = to_number<int>(s);
    if (!v || *v < 0 || *v > 999)
        return std::nullopt;
    return v;
}

// Seconds with an optional fraction ("1286536308.779") to milliseconds.
std::optional<std::int64_t> to_epoch_ms(std::string_view s)
{
    const auto dot = s.find('.');
    auto secs = to_number<std::int64_t>(s.substr(0, dot));
    if (!secs || *secs < 0)
        return std::nullopt;
    std::int64_t ms = 0;
    if (dot != std::string_view::npos) {
        auto frac = s.substr(dot + 1);
        if (frac.empty() || !to_number<std::uint64_t>(frac))
            return std::nullopt;
        int scale = 100;
        for (std::size_t i = 0; i < frac.size() && i < 3; ++i, scale /= 10)
            ms += (frac[i] - '0') * scale;
    }
    return *secs * 1000 + ms;
}

// "17/May/2015:10:05:03 +0000" to epoch milliseconds.
std::optional<std::int64_t> parse_clf_time(std::string_view s)
{
    static constexpr std::array<std::string_view, 12> months{
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    if (s.size() != 26 || s[2] != '/' || s[6] != '/' || s[11] != ':' || s[14] != ':' ||
        s[17] != ':' || s[20] != ' ' || (s[21] != '+' && s[21] != '-'))
        return std::nullopt;
    auto day = to_number<unsigned>(s.substr(0, 2));
    auto year = to_number<int>(s.substr(7, 4));
    auto hh = to_number<int>(s.substr(12, 2));
    auto mm = to_number<int>(s.substr(15, 2));
    auto ss = to_number<int>(s.substr(18, 2));
    auto tzh = to_number<int>(s.substr(22, 2));
    auto tzm = to_number<int>(s.substr(24, 2));
    unsigned month = 0;
    for (unsigned i = 0; i < months.size(); ++i)
        if (s.substr(3, 3) == months[i])
            month = i + 1;
    if (!day || !year || !hh || !mm || !ss || !tzh || !tzm || month == 0 || *hh > 23 ||
        *mm > 59 || *ss > 60 || *tzh > 23 || *tzm > 59)
        return std::nullopt;
    using namespace std::chrono;
    const year_month_day ymd{std::chrono::year{*year}, std::chrono::month{month},
                             std::chrono::day{*day}};
    if (!ymd.ok())
        return std::nullopt;
    const std::int64_t days = sys_days{ymd}.time_since_epoch().count();
    std::int64_t secs = days * 86400 + *hh * 3600 + *mm * 60 + *ss;
    const std::int64_t tz = (*tzh * 3600 + *tzm * 60) * (s[21] == '-' ? -1 : 1);
    secs -= tz; // local time = UTC + offset
    return secs * 1000;
}

} // namespace

std::optional<TraceFormat> trace_format_from_name(std::string_view name)
{
    if (name == "clf" || name == "combined" || name == "common")
        return TraceFormat::clf;
    if (name == "squid")
        return TraceFormat::squid;
    if (name == "tsv" || name == "nasa")
        return TraceFormat::tsv;
    return std::nullopt;
}

std::string_view trace_format_name(TraceFormat f)
{
    switch (f) {
    case TraceFormat::clf: return "clf";
    case TraceFormat::squid: return "squid";
    case TraceFormat::tsv: return "tsv";
    }
    return "?";
}

// host ident authuser [date] "method url protocol" status bytes ["referer" "agent"]
std::optional<LogRecord> parse_clf_line(std::string_view line)
{
    std::string_view s = trim(line);
    LogRecord r;
    r.client = std::string(next_field(s));
    if (r.client.empty() || next_field(s).empty() || next_field(s).empty())
        return std::nullopt;
    s = trim(s);
    if (s.empty() || s.front() != '[')
        return std::nullopt;
    const auto close = s.find(']');
    if (close == std::string_view::npos)
        return std::nullopt;
    auto t = parse_clf_time(s.substr(1, close - 1));
    if (!t)
        return std::nullopt;
    r.time_ms = *t;
    s = trim(s.substr(close + 1));
    if (s.empty() || s.front() != '"')
        return std::nullopt;
    // The request ends at the first quote followed by a blank (quotes inside a
    // request are escaped as \" by Apache, never followed by a blank).
    std::size_t end = 1;
    for (;;) {
        end = s.find('"', end);
        if (end == std::string_view::npos)
            return std::nullopt;
        if (s[end - 1] != '\\' && (end + 1 == s.size() || is_space(s[end + 1])))
            break;
        ++end;
    }
    std::string_view req = s.substr(1, end - 1);
    s.remove_prefix(end + 1);
    r.method = std::string(next_field(req));
    r.url = std::string(next_field(req));
    next_field(req); // protocol, absent in HTTP/0.9
    if (r.method.empty() || r.url.empty() || !trim(req).empty())
        return std::nullopt;
    auto status = to_status(next_field(s));
    auto bytes = to_bytes(next_field(s));
    if (!status || !bytes)
        return std::nullopt;
    r.status = *status;
    r.bytes = *bytes;
    return r;
}

// time.ms elapsed client action/status bytes method url ident hierarchy/from type
std::optional<LogRecord> parse_squid_line(std::string_view line)
{
    std::string_view s = trim(line);
    std::array<std::string_view, 7> f;
    for (auto& x : f) {
        x = next_field(s);
        if (x.empty())
            return std::nullopt;
    }
    auto t = to_epoch_ms(f[0]);
    auto elapsed = to_number<std::int64_t>(f[1]);
    const auto slash = f[3].rfind('/');
    auto bytes = to_bytes(f[4]);
    if (!t || !elapsed || slash == std::string_view::npos || !bytes)
        return std::nullopt;
    auto status = to_status(f[3].substr(slash + 1));
    if (!status)
        return std::nullopt;
    LogRecord r;
    r.time_ms = *t;
    r.client = std::string(f[2]);
    r.status = *status;
    r.bytes = *bytes;
    r.method = std::string(f[5]);
    r.url = std::string(f[6]);
    return r;
}

// host \t logname \t epoch \t method \t url \t response \t bytes
std::optional<LogRecord> parse_tsv_line(std::string_view line)
{
    std::string_view s = line;
    while (!s.empty() && (s.back() == '\r' || s.back() == '\n'))
        s.remove_suffix(1);
    std::array<std::string_view, 7> f;
    for (std::size_t i = 0; i < f.size(); ++i) {
        const auto tab = s.find('\t');
        if ((tab == std::string_view::npos) != (i + 1 == f.size()))
            return std::nullopt; // too few or too many fields
        f[i] = s.substr(0, tab);
        if (tab != std::string_view::npos)
            s.remove_prefix(tab + 1);
    }
    auto t = to_epoch_ms(f[2]);
    auto status = to_status(f[5]);
    auto bytes = to_bytes(f[6]);
    if (f[0].empty() || f[3].empty() || f[4].empty() || !t || !status || !bytes)
        return std::nullopt;
    LogRecord r;
    r.client = std::string(f[0]);
    r.time_ms = *t;
    r.method = std::string(f[3]);
    r.url = std::string(f[4]);
    r.status = *status;
    r.bytes = *bytes;
    return r;
}

std::optional<LogRecord> parse_line(TraceFormat f, std::string_view line)
{
    switch (f) {
    case TraceFormat::clf: return parse_clf_line(line);
    case TraceFormat::squid: return parse_squid_line(line);
    case TraceFormat::tsv: return parse_tsv_line(line);
    }
    return std::nullopt;
}

std::optional<TraceFormat> detect_trace_format(std::istream& in)
{
    std::array<int, 3> score{};
    const std::array<TraceFormat, 3> formats{TraceFormat::clf, TraceFormat::squid, TraceFormat::tsv};
    std::string line;
    int seen = 0;
    while (seen < 20 && std::getline(in, line)) {
        if (trim(line).empty())
            continue;
        ++seen;
        for (std::size_t i = 0; i < formats.size(); ++i)
            score[i] += parse_line(formats[i], line).has_value();
    }
    std::size_t best = 0;
    for (std::size_t i = 1; i < score.size(); ++i)
        if (score[i] > score[best])
            best = i;
    if (score[best] == 0)
        return std::nullopt;
    return formats[best];
}

} // namespace dtcp
