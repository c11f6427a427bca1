// Unit tests of the test protocol (tests/tools/proto.hpp): the request
// parser under every split of pipelined input, response checking, the
// pattern and CRC-32.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>

#include "proto.hpp"

using namespace dtcp::test;

namespace {

std::string put_body(size_t n, uint64_t seed)
{
    std::string s(n, '\0');
    Pattern p(seed);
    p.fill(reinterpret_cast<uint8_t*>(s.data()), n);
    return s;
}

// Parse @input fed in the pieces given by @cuts (offsets, ascending).
std::vector<Request> parse_split(const std::string& input, const std::vector<size_t>& cuts, bool& ok)
{
    RequestParser p;
    std::vector<Request> out;
    size_t prev = 0;
    ok = true;
    for (size_t c : cuts) {
        ok = ok && p.feed(input.data() + prev, c - prev, out);
        prev = c;
    }
    ok = ok && p.feed(input.data() + prev, input.size() - prev, out);
    ok = ok && p.idle();
    return out;
}

}  // namespace

TEST_CASE("CRC-32 matches the standard check value", "[proto]")
{
    CHECK(crc32(0, "123456789", 9) == 0xCBF43926u);
    CHECK(crc32(0, "", 0) == 0);
    // Chained over pieces equals one pass.
    std::string s = put_body(1000, 3);
    uint32_t whole = crc32(0, s.data(), s.size());
    uint32_t part = crc32(crc32(0, s.data(), 333), s.data() + 333, s.size() - 333);
    CHECK(whole == part);
}

TEST_CASE("The pattern is deterministic, seed-dependent and chunking-independent", "[proto]")
{
    Pattern a(7), b(7), c(8);
    std::vector<uint8_t> x(100), y(100), z(100);
    a.fill(x.data(), 100);
    for (int i = 0; i < 100; i++)
        y[i] = b.next();
    c.fill(z.data(), 100);
    CHECK(x == y);
    CHECK(x != z);
    // The same bytes as dtcp-xfer has always produced for seed 1.
    Pattern one(1);
    uint64_t s = 1 * 0x9E3779B97F4A7C15ull + 1;
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    uint64_t w = s * 0x2545F4914F6CDD1Dull;
    for (int i = 0; i < 8; i++)
        CHECK(one.next() == static_cast<uint8_t>(w >> (8 * i)));
}

TEST_CASE("fill and match take words where they can and give the bytes of next()", "[proto]")
{
    const size_t n = 67;  // whole words and a tail, from every starting phase
    std::vector<uint8_t> ref(n);
    Pattern r(5);
    for (auto& b : ref)
        b = r.next();
    for (size_t a = 0; a <= n; a++) {
        for (size_t len : {size_t{0}, size_t{1}, size_t{7}, size_t{8}, size_t{9}, size_t{24}, n}) {
            size_t b = std::min(n, a + len);
            // fill: bytes [a, b) after a prefix taken by next().
            Pattern f(5);
            for (size_t i = 0; i < a; i++)
                f.next();
            std::vector<uint8_t> got(b - a);
            f.fill(got.data(), got.size());
            REQUIRE(std::equal(got.begin(), got.end(), ref.begin() + static_cast<long>(a)));
            // The stream continues where fill stopped.
            if (b < n)
                CHECK(f.next() == ref[b]);
            // match: the same bytes match whole ...
            Pattern m(5);
            for (size_t i = 0; i < a; i++)
                m.next();
            CHECK(m.match(ref.data() + a, b - a) == b - a);
            if (b < n)
                CHECK(m.next() == ref[b]);
            // ... and one changed byte is found where it is.
            for (size_t x = a; x < b; x++) {
                std::vector<uint8_t> bad(ref.begin() + static_cast<long>(a), ref.begin() + static_cast<long>(b));
                bad[x - a] ^= 0x80;
                Pattern mm(5);
                for (size_t i = 0; i < a; i++)
                    mm.next();
                CHECK(mm.match(bad.data(), bad.size()) == x - a);
            }
        }
    }
}

TEST_CASE("Request lines", "[proto]")
{
    Request r;
    std::string err;
    REQUIRE(parse_request_line("GET 3 1024 99", r, err));
    CHECK(r.kind == Request::Get);
    CHECK(r.owner == 3);
    CHECK(r.size == 1024);
    CHECK(r.seed == 99);
    REQUIRE(parse_request_line("GET 1024 99", r, err));
    CHECK(r.owner == 0);
    CHECK(r.size == 1024);
    REQUIRE(parse_request_line("PUT 5", r, err));
    CHECK(r.kind == Request::Put);
    CHECK(r.size == 5);
    REQUIRE(parse_request_line("STATS", r, err));
    CHECK(r.kind == Request::Stats);
    for (const char* bad : {"", "GET", "GET 1", "GET 1 2 3 4", "GET -1 2 3", "GET 1 x 3", "get 1 2 3",
                            "GET  1 2", "PUT", "PUT 1 2", "GET 4294967296 1 1", "GET 1 2 3 ", "POST 1",
                            "GET 1 99999999999999999999999 1", "PUT 1099511627777"}) {
        INFO("'" << bad << "'");
        CHECK_FALSE(parse_request_line(bad, r, err));
    }
    CHECK(get_line(2, 10, 4) == "GET 2 10 4\n");
}

TEST_CASE("Pipelined requests parse identically under every split", "[proto]")
{
    const std::string body = put_body(37, 5);
    const std::string input = "GET 2 100 1\nGET 100 2\r\nPUT 37\n" + body + "PUT 0\nSTATS\nGET 1 0 9\n";
    bool ok = false;
    auto whole = parse_split(input, {}, ok);
    REQUIRE(ok);
    REQUIRE(whole.size() == 6);
    CHECK(whole[0].owner == 2);
    CHECK(whole[0].line == "GET 2 100 1");
    CHECK(whole[1].owner == 0);
    CHECK(whole[1].seed == 2);
    CHECK(whole[1].line == "GET 100 2");
    CHECK(whole[2].kind == Request::Put);
    CHECK(whole[2].crc == crc32(0, body.data(), body.size()));
    CHECK(whole[3].kind == Request::Put);
    CHECK(whole[3].crc == 0);
    CHECK(whole[4].kind == Request::Stats);
    CHECK(whole[5].size == 0);

    auto same = [&](const std::vector<Request>& v) {
        REQUIRE(v.size() == whole.size());
        for (size_t i = 0; i < v.size(); i++) {
            CHECK(v[i].kind == whole[i].kind);
            CHECK(v[i].owner == whole[i].owner);
            CHECK(v[i].size == whole[i].size);
            CHECK(v[i].seed == whole[i].seed);
            CHECK(v[i].crc == whole[i].crc);
            CHECK(v[i].line == whole[i].line);
        }
    };
    // One cut at every byte boundary, then two cuts at every pair.
    for (size_t i = 0; i <= input.size(); i++) {
        auto v = parse_split(input, {i}, ok);
        REQUIRE(ok);
        same(v);
    }
    for (size_t i = 0; i <= input.size(); i += 3)
        for (size_t j = i; j <= input.size(); j++) {
            auto v = parse_split(input, {i, j}, ok);
            REQUIRE(ok);
            same(v);
        }
    // Byte by byte.
    std::vector<size_t> every;
    for (size_t i = 1; i < input.size(); i++)
        every.push_back(i);
    same(parse_split(input, every, ok));
    REQUIRE(ok);
}

TEST_CASE("The parser reports partial input and refuses bad input", "[proto]")
{
    RequestParser p;
    std::vector<Request> out;
    REQUIRE(p.feed("GET 1 1", 7, out));
    CHECK(out.empty());
    CHECK_FALSE(p.idle());
    REQUIRE(p.feed(" 1\nPUT 4\nab", 11, out));
    CHECK(out.size() == 1);
    CHECK_FALSE(p.idle());  // in a body
    REQUIRE(p.feed("cd", 2, out));
    CHECK(out.size() == 2);
    CHECK(p.idle());

    RequestParser bad;
    CHECK_FALSE(bad.feed("HELLO\n", 6, out));
    CHECK(bad.error() == "bad request");
    CHECK_FALSE(bad.feed("GET 1 1 1\n", 10, out));  // stays failed

    RequestParser longl;
    std::string big(kMaxLine + 1, '1');
    CHECK_FALSE(longl.feed(big.data(), big.size(), out));
    CHECK(longl.error() == "request line too long");
}

TEST_CASE("Responses are checked byte-exactly across splits", "[proto]")
{
    const uint64_t size = 300;
    std::string resp = "OK 300\n" + put_body(size, 42) + "OK 0000abcd\n";
    for (size_t cut = 0; cut <= resp.size(); cut++) {
        auto g = ResponseChecker::for_get(size, 42);
        size_t used = g.feed(resp.data(), cut);
        used += g.feed(resp.data() + used, resp.size() - used);
        REQUIRE(g.done());
        CHECK(used == 7 + size);
        CHECK(g.body_bytes() == size);
        auto p = ResponseChecker::for_put(0xabcd);
        CHECK(p.feed(resp.data() + used, resp.size() - used) == 12);
        CHECK(p.done());
    }

    // One byte changed anywhere in the body is caught, with its offset.
    // Fed whole or in two pieces (the second starting mid-word).
    for (size_t i = 0; i < size; i++) {
        std::string bad = resp;
        bad[7 + i] ^= 0x01;
        auto g = ResponseChecker::for_get(size, 42);
        g.feed(bad.data(), bad.size());
        REQUIRE(g.failed());
        CHECK(g.error() == "body byte " + std::to_string(i) + " of 300 differs");
        auto h = ResponseChecker::for_get(size, 42);
        size_t cut = 7 + 13;
        size_t used = h.feed(bad.data(), cut);
        if (!h.failed())
            h.feed(bad.data() + used, bad.size() - used);
        REQUIRE(h.failed());
        CHECK(h.error() == g.error());
    }
    // Wrong size, error reply, wrong checksum.
    auto g = ResponseChecker::for_get(size, 42);
    g.feed("OK 299\n", 7);
    CHECK(g.failed());
    auto e = ResponseChecker::for_get(size, 42);
    e.feed("ERR bad request\n", 16);
    CHECK(e.failed());
    CHECK(e.error().find("ERR bad request") != std::string::npos);
    auto p = ResponseChecker::for_put(1);
    p.feed("OK 00000002\n", 12);
    CHECK(p.failed());
    // A zero-size GET is complete after its header.
    auto z = ResponseChecker::for_get(0, 1);
    CHECK(z.feed("OK 0\nOK", 7) == 5);
    CHECK(z.done());
}

TEST_CASE("Sizes and lists", "[proto]")
{
    uint64_t v = 0;
    CHECK((parse_size("1024", v) && v == 1024));
    CHECK((parse_size("64k", v) && v == 65536));
    CHECK((parse_size("2M", v) && v == 2u << 20));
    CHECK((parse_size("1G", v) && v == 1u << 30));
    CHECK_FALSE(parse_size("", v));
    CHECK_FALSE(parse_size("k", v));
    CHECK_FALSE(parse_size("1.5M", v));
    CHECK_FALSE(parse_size("-1", v));
    CHECK_FALSE(parse_size("2048G", v));
    std::vector<uint64_t> sizes;
    CHECK(parse_size_list("1,4k,1M", sizes));
    CHECK(sizes == std::vector<uint64_t>{1, 4096, 1 << 20});
    CHECK_FALSE(parse_size_list("1,,2", sizes));
    std::vector<uint32_t> owners;
    CHECK(parse_u32_list("1,2,3", owners));
    CHECK(owners == std::vector<uint32_t>{1, 2, 3});
    CHECK_FALSE(parse_u32_list("1,x", owners));
    CHECK_FALSE(parse_u32_list("", owners));
}
