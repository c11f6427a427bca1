#include <catch2/catch.hpp>

#include <map>
#include <sstream>

#include "dtcp/trace.hpp"

using namespace dtcp;

TEST_CASE("CLF: combined line", "[trace][clf]")
{
    const auto r = parse_clf_line(
        R"(83.149.9.216 - - [17/May/2015:10:05:03 +0000] "GET /presentations/kibana-search.png HTTP/1.1" 200 203023 "http://semicomplete.com/" "Mozilla/5.0 (X11) \"quoted\"")");
    REQUIRE(r);
    CHECK(r->client == "83.149.9.216");
    CHECK(r->time_ms == 1431857103000);
    CHECK(r->method == "GET");
    CHECK(r->url == "/presentations/kibana-search.png");
    CHECK(r->status == 200);
    CHECK(r->bytes == 203023);
}

TEST_CASE("CLF: common format, '-' bytes, 304 with 0 bytes, time zones", "[trace][clf]")
{
    auto a = parse_clf_line(R"(host.example - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 -)");
    REQUIRE(a);
    CHECK(a->bytes == 0);
    CHECK(a->time_ms == 971211336000); // 20:55:36 UTC
    auto b = parse_clf_line(R"(1.2.3.4 - - [01/Jan/1996:00:00:00 +0000] "GET /x HTTP/1.0" 304 0)");
    REQUIRE(b);
    CHECK(b->status == 304);
    CHECK(b->bytes == 0);
    CHECK(b->time_ms == 820454400000);
    auto c = parse_clf_line(R"(1.2.3.4 - - [01/Jan/1996:00:00:00 +0000] "GET /old-style" 200 5)"); // HTTP/0.9
    REQUIRE(c);
    CHECK(c->url == "/old-style");
}

TEST_CASE("CLF: malformed lines are rejected", "[trace][clf]")
{
    for (const char* bad : {
             "",
             "garbage",
             R"(1.2.3.4 - - 17/May/2015:10:05:03 +0000 "GET / HTTP/1.1" 200 1)", // no brackets
             R"(1.2.3.4 - - [17/Mai/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 1)", // month
             R"(1.2.3.4 - - [31/Feb/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 1)", // day
             R"(1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1 200 1)",  // open quote
             R"(1.2.3.4 - - [17/May/2015:10:05:03 +0000] "-" 408 -)",              // no request
             R"(1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" OK 1)",  // status
             R"(1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 12x)", // bytes
             R"(1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200)",   // truncated
         }) {
        INFO(bad);
        CHECK_FALSE(parse_clf_line(bad));
    }
}

TEST_CASE("Squid native log", "[trace][squid]")
{
    auto r = parse_squid_line(
        "1286536308.779   1920 192.168.0.68 TCP_MISS/200 507 GET http://www.google.com/ - DIRECT/74.125.39.99 text/html");
    REQUIRE(r);
    CHECK(r->time_ms == 1286536308779);
    CHECK(r->client == "192.168.0.68");
    CHECK(r->status == 200);
    CHECK(r->bytes == 507);
    CHECK(r->url == "http://www.google.com/");
    auto z = parse_squid_line("1286536309.5 0 10.0.0.1 TCP_IMS_HIT/304 - GET http://a.example/x - NONE/- -");
    REQUIRE(z);
    CHECK(z->time_ms == 1286536309500);
    CHECK(z->bytes == 0);
    CHECK(z->status == 304);
    CHECK_FALSE(parse_squid_line("1286536308.779 1920 192.168.0.68 TCP_MISS/200 507 GET"));  // short
    CHECK_FALSE(parse_squid_line("yesterday 1920 192.168.0.68 TCP_MISS/200 507 GET http://a/ - -"));
    CHECK_FALSE(parse_squid_line("1286536308.779 1920 192.168.0.68 TCP_MISS 507 GET http://a/ - -"));
}

TEST_CASE("NASA-style TSV", "[trace][tsv]")
{
    auto r = parse_tsv_line("199.72.81.55\t-\t804571201\tGET\t/history/apollo/\t200\t6245");
    REQUIRE(r);
    CHECK(r->client == "199.72.81.55");
    CHECK(r->time_ms == 804571201000);
    CHECK(r->url == "/history/apollo/");
    CHECK(r->bytes == 6245);
    auto d = parse_tsv_line("a\t-\t804571201\tGET\t/x\t304\t-\r");
    REQUIRE(d);
    CHECK(d->bytes == 0);
    CHECK_FALSE(parse_tsv_line("host\tlogname\ttime\tmethod\turl\tresponse\tbytes")); // header
    CHECK_FALSE(parse_tsv_line("a\t-\t804571201\tGET\t/x\t200"));                       // 6 fields
    CHECK_FALSE(parse_tsv_line("a\t-\t804571201\tGET\t/x\t200\t1\textra"));            // 8 fields
}

TEST_CASE("Reading a log counts and skips malformed lines", "[trace]")
{
    std::istringstream in("1.1.1.1 - - [17/May/2015:10:00:02 +0000] \"GET /b HTTP/1.1\" 200 20\n"
                          "\n"
                          "not a log line\n"
                          "2.2.2.2 - - [17/May/2015:10:00:01 +0000] \"GET /a HTTP/1.1\" 200 -\n"
                          "1.1.1.1 - - [17/May/2015:10:00:03 +0000] \"GET /b HTTP/1.1\" 304 0\n"
                          "\x01\x02\xff\n");
    const Trace t = read_trace(in, TraceFormat::clf);
    CHECK(t.stats.lines == 5);
    CHECK(t.stats.parsed == 3);
    CHECK(t.stats.malformed == 2);
    CHECK(t.stats.first_malformed_line == 3);
    REQUIRE(t.requests.size() == 3);
    CHECK(t.objects[t.requests[0].object] == "/a"); // sorted by time
    CHECK(t.object_size[t.requests[1].object] == 20); // largest response seen
    CHECK(t.clients.size() == 2);
}

TEST_CASE("Format detection", "[trace]")
{
    std::istringstream clf("1.1.1.1 - - [17/May/2015:10:00:02 +0000] \"GET /b HTTP/1.1\" 200 20\n");
    CHECK(detect_trace_format(clf) == TraceFormat::clf);
    std::istringstream tsv("a\t-\t804571201\tGET\t/x\t200\t1\n");
    CHECK(detect_trace_format(tsv) == TraceFormat::tsv);
    std::istringstream junk("hello\nworld\n");
    CHECK_FALSE(detect_trace_format(junk));
}

namespace {
Trace make(std::vector<std::tuple<std::int64_t, std::string, std::string>> reqs)
{
    TraceBuilder b;
    for (auto& [t, c, u] : reqs)
        b.add(t, c, u, 100, 200);
    return b.finish();
}
} // namespace

TEST_CASE("Persistent connections: same client within 15 s", "[trace][conn]")
{
    const Trace t = make({{0, "a", "/1"},
                          {1000, "b", "/2"},
                          {15000, "a", "/3"},  // gap exactly 15 s: same connection
                          {30001, "a", "/4"},  // gap 15.001 s: new connection
                          {31000, "b", "/5"},  // b idle for 30 s: new connection
                          {32000, "a", "/6"}}); // continues a's second connection
    const Connections c = group_connections(t, 15000);
    REQUIRE(c.count() == 4);
    auto urls = [&](std::size_t i) {
        std::vector<std::string> u;
        for (auto k = c.offsets[i]; k < c.offsets[i + 1]; ++k)
            u.push_back(t.objects[t.requests[c.requests[k]].object]);
        return u;
    };
    CHECK(urls(0) == std::vector<std::string>{"/1", "/3"});
    CHECK(urls(1) == std::vector<std::string>{"/2"});
    CHECK(urls(2) == std::vector<std::string>{"/4", "/6"});
    CHECK(urls(3) == std::vector<std::string>{"/5"});
    CHECK(group_connections(t, 60000).count() == 2);
}

TEST_CASE("Proxy analysis: unrelated requests share another client's connection", "[trace][analyze]")
{
    const Trace t = make({{0, "c1", "http://s1.example/a"},
                          {1000, "c2", "http://s1.example/b"},   // unrelated (opened by c1)
                          {2000, "c1", "http://s1.example/c"},
                          {3000, "c2", "http://s2.example/a"},   // s2 opened by c2
                          {30000, "c2", "http://s1.example/d"},  // s1 idle: new connection by c2
                          {31000, "c3", "http://s1.example/e"},  // unrelated
                          {32000, "c3", "/local"}});
    const auto rep = analyze_proxy(t, 15000);
    REQUIRE(rep.size() == 3);
    CHECK(rep[0].server == "s1.example");
    CHECK(rep[0].requests == 5);
    CHECK(rep[0].unrelated == 2);
    CHECK(rep[0].connections == 2);
    CHECK(rep[0].clients == 3);
    CHECK(rep[0].unrelated_pct() == Approx(40.0));
    CHECK(rep[1].server == "-");
    CHECK(rep[2].server == "s2.example");
    CHECK(rep[2].unrelated == 0);
    CHECK(url_server("http://h:8080/x?y") == "h:8080");
    CHECK(url_server("https://h") == "h");
    CHECK(url_server("/path") == "-");
}

TEST_CASE("SPECweb99 generator: file sizes, class mix, determinism", "[trace][specweb]")
{
    CHECK(specweb99_file_size(0, 0) == 102);
    CHECK(specweb99_file_size(1, 0) == 1024);
    CHECK(specweb99_file_size(2, 8) == 92160);
    CHECK(specweb99_file_size(3, 8) == 921600);

    SpecWebParams p;
    p.requests = 100000;
    p.directories = 50;
    const Trace t = generate_specweb99(p);
    REQUIRE(t.requests.size() == 100000);
    std::map<int, double> cls;
    for (const auto& r : t.requests) {
        const auto& u = t.objects[r.object];
        cls[u[u.find("class") + 5] - '0'] += 1.0 / 100000;
    }
    CHECK(cls[0] == Approx(0.35).margin(0.01));
    CHECK(cls[1] == Approx(0.50).margin(0.01));
    CHECK(cls[2] == Approx(0.14).margin(0.01));
    CHECK(cls[3] == Approx(0.01).margin(0.003));
    // Zipf: directory 0 is requested about twice as often as directory 1.
    std::map<std::string, int> dirs;
    for (const auto& r : t.requests)
        ++dirs[t.objects[r.object].substr(0, 19)];
    CHECK(double(dirs["/file_set/dir00000/"]) / dirs["/file_set/dir00001/"] == Approx(2.0).margin(0.15));
    // Connections of 5-15 requests.
    const auto c = group_connections(t);
    for (std::size_t i = 0; i + 1 < c.count(); ++i) {
        const auto len = c.offsets[i + 1] - c.offsets[i];
        REQUIRE(len >= 5);
        REQUIRE(len <= 15);
    }
    const Trace again = generate_specweb99(p);
    CHECK(again.objects == t.objects);
    CHECK(again.clients == t.clients);
    p.seed = 2;
    CHECK(generate_specweb99(p).objects != t.objects);
}

TEST_CASE("CLF writer output parses back", "[trace]")
{
    SpecWebParams p;
    p.requests = 50;
    const Trace t = generate_specweb99(p);
    std::stringstream s;
    write_clf(s, t);
    const Trace back = read_trace(s, TraceFormat::clf);
    CHECK(back.stats.malformed == 0);
    REQUIRE(back.requests.size() == t.requests.size());
    for (std::size_t i = 0; i < t.requests.size(); ++i) {
        CHECK(back.requests[i].time_ms == t.requests[i].time_ms / 1000 * 1000); // CLF has whole seconds
        CHECK(back.objects[back.requests[i].object] == t.objects[t.requests[i].object]);
        CHECK(back.requests[i].bytes == t.requests[i].bytes);
    }
}

TEST_CASE("Parsers survive every truncation and random bytes", "[trace]")
{
    const std::string lines[] = {
        R"(83.149.9.216 - - [17/May/2015:10:05:03 +0000] "GET /a.png HTTP/1.1" 200 203023 "http://x/" "UA")",
        "1286536308.779 1920 192.168.0.68 TCP_MISS/200 507 GET http://www.google.com/ - DIRECT/74.125.39.99 text/html",
        "199.72.81.55\t-\t804571201\tGET\t/history/apollo/\t200\t6245",
    };
    std::size_t parsed = 0;
    for (const auto& line : lines)
        for (std::size_t n = 0; n <= line.size(); ++n)
            for (auto f : {TraceFormat::clf, TraceFormat::squid, TraceFormat::tsv})
                parsed += parse_line(f, std::string_view(line).substr(0, n)).has_value();
    // Each full line parses in its own format; a few truncations of the combined line
    // are still valid CLF (the referer and agent are optional).
    CHECK(parsed >= 3);
    std::uint64_t x = 88172645463325252ull; // xorshift: deterministic random bytes
    std::string junk;
    for (int i = 0; i < 20000; ++i) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        junk.push_back(static_cast<char>(x % 5 == 0 ? '\n' : " [\"/-:\t0123456789abc]"[x % 21]));
    }
    std::istringstream in(junk);
    const Trace t = read_trace(in, TraceFormat::clf);
    CHECK(t.stats.lines == t.stats.parsed + t.stats.malformed);
    CHECK(t.stats.malformed > 0);
}
