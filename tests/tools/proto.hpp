// The test protocol of dtcp-testsrv / dtcp-testcli (and dtcp-xfer): request
// parsing, response checking, the deterministic byte pattern and CRC-32.
// Pure code, unit-tested in tests/unit/test_proto.cpp.
//
// Requests, any number per connection, pipelining allowed:
//   GET <owner> <size> <seed>\n   object of <size> bytes owned by node <owner>
//                                 (0: any node); reply "OK <size>\n" and
//                                 <size> bytes of Pattern(<seed>)
//   GET <size> <seed>\n           the same with owner 0 (dtcp-xfer's form)
//   PUT <size>\n<body>            upload; reply "OK <crc32 of body, 8 hex>\n"
//   STATS\n                       reply "STATS name=value ...\n"
// A line may end in "\r\n".  Errors: "ERR <reason>\n", then the server closes.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace dtcp::test {

// Deterministic byte stream (xorshift64*), independent of how it is chunked:
// each step of the generator gives 8 bytes, least significant first.  fill()
// and match() take whole words at a time where they can, so that making and
// checking a body costs the tools little next to the transfer they measure.
class Pattern {
public:
    explicit Pattern(uint64_t seed) : s_(seed * 0x9E3779B97F4A7C15ull + 1) {}
    uint8_t next()
    {
        if (left_ == 0) {
            word_ = step();
            left_ = 8;
        }
        uint8_t b = static_cast<uint8_t>(word_);
        word_ >>= 8;
        left_--;
        return b;
    }
    void fill(uint8_t* p, size_t n)
    {
        size_t i = 0;
        for (; i < n && left_ != 0; i++)
            p[i] = next();
        for (; n - i >= 8; i += 8) {
            uint64_t w = le(step());
            std::memcpy(p + i, &w, 8);
        }
        for (; i < n; i++)
            p[i] = next();
    }
    // Compares @p with the stream's next @n bytes and consumes them; returns
    // the offset of the first byte that differs (the stream is then left at
    // an unspecified point), or @n when all match.
    size_t match(const uint8_t* p, size_t n)
    {
        size_t i = 0;
        for (; i < n && left_ != 0; i++)
            if (p[i] != next())
                return i;
        for (; n - i >= 8; i += 8) {
            uint64_t w = step(), got;
            std::memcpy(&got, p + i, 8);
            got = le(got);
            if (got != w) {
                size_t k = 0;
                while (static_cast<uint8_t>(got >> (8 * k)) == static_cast<uint8_t>(w >> (8 * k)))
                    k++;
                return i + k;
            }
        }
        for (; i < n; i++)
            if (p[i] != next())
                return i;
        return n;
    }

private:
    // The word in little-endian byte order and back (the same operation).
    static uint64_t le(uint64_t w)
    {
        if constexpr (std::endian::native == std::endian::big)
            return __builtin_bswap64(w);
        return w;
    }
    uint64_t step()
    {
        s_ ^= s_ >> 12;
        s_ ^= s_ << 25;
        s_ ^= s_ >> 27;
        return s_ * 0x2545F4914F6CDD1Dull;
    }
    uint64_t s_, word_ = 0;
    int left_ = 0;
};

// CRC-32 (IEEE 802.3, as zlib's crc32): crc32(0, "123456789", 9) == 0xCBF43926.
// Chain calls by passing the previous result.
uint32_t crc32(uint32_t crc, const void* data, size_t len);

constexpr size_t kMaxLine = 1024;            // longest request or header line
constexpr uint64_t kMaxObject = 1ull << 40;  // largest GET or PUT size

struct Request {
    enum Kind { Get, Put, Stats } kind = Get;
    uint32_t owner = 0;  // GET: owning node, 0 = any
    uint64_t size = 0;   // GET: object size; PUT: body size
    uint64_t seed = 0;   // GET
    uint32_t crc = 0;    // PUT: CRC-32 of the body received
    std::string line;    // the request line, without its line ending
};

// Incremental request parser: feed it bytes as they arrive, in any split.
class RequestParser {
public:
    // Parse @n bytes; complete requests are appended to @out.  false on a
    // malformed request (error() says why); the connection is then unusable.
    bool feed(const char* p, size_t n, std::vector<Request>& out);
    const std::string& error() const { return err_; }
    // True between requests (no partial line or body pending).
    bool idle() const { return line_.empty() && !in_body_; }

private:
    bool parse_line(std::vector<Request>& out);
    std::string line_;
    bool in_body_ = false;
    uint64_t body_left_ = 0;
    Request pending_;
    std::string err_;
};

// Parse one request line (no line ending).  Exposed for tests and for the
// passive side, which gets the request line of a hand-off.
bool parse_request_line(std::string_view line, Request& out, std::string& err);

// Formats the request line of a GET (with its "\n").
std::string get_line(uint32_t owner, uint64_t size, uint64_t seed);

// Client side: checks one response as its bytes arrive.
class ResponseChecker {
public:
    static ResponseChecker for_get(uint64_t size, uint64_t seed);
    static ResponseChecker for_put(uint32_t crc);

    // Consume bytes of this response from @p; returns how many were used
    // (less than @n once the response is complete: the rest belongs to the
    // next response).  Stops at the first error.
    size_t feed(const char* p, size_t n);
    bool done() const { return state_ == Done; }
    bool failed() const { return state_ == Failed; }
    const std::string& error() const { return err_; }
    uint64_t body_bytes() const { return got_; }

private:
    enum State { Header, Body, Done, Failed };
    ResponseChecker(bool get, uint64_t size, uint64_t seed, uint32_t crc)
        : get_(get), size_(size), crc_(crc), pattern_(seed)
    {
    }
    bool fail(std::string why);
    bool get_;
    uint64_t size_;
    uint32_t crc_;
    Pattern pattern_;
    State state_ = Header;
    std::string header_;
    uint64_t got_ = 0;
    std::string err_;
};

// "1024", "64k", "1M", "2G" (powers of 1024); false when not a size.
bool parse_size(std::string_view text, uint64_t& out);
// Comma-separated list of parse_size values / of unsigned integers.
bool parse_size_list(std::string_view text, std::vector<uint64_t>& out);
bool parse_u32_list(std::string_view text, std::vector<uint32_t>& out);

}  // namespace dtcp::test
