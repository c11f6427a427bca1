// The test protocol: parsing, checking, pattern, CRC-32.
#include "proto.hpp"

#include <array>
#include <charconv>
#include <cstdio>
#include <cstring>

namespace dtcp::test {

namespace {

std::array<uint32_t, 256> make_crc_table()
{
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        t[i] = c;
    }
    return t;
}

const std::array<uint32_t, 256> kCrcTable = make_crc_table();

bool parse_u64(std::string_view s, uint64_t& v)
{
    if (s.empty() || s.size() > 20)
        return false;
    auto r = std::from_chars(s.data(), s.data() + s.size(), v, 10);
    return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

std::vector<std::string_view> split(std::string_view s, char sep)
{
    std::vector<std::string_view> out;
    size_t b = 0;
    for (;;) {
        size_t e = s.find(sep, b);
        out.push_back(s.substr(b, e == std::string_view::npos ? std::string_view::npos : e - b));
        if (e == std::string_view::npos)
            return out;
        b = e + 1;
    }
}

}  // namespace

uint32_t crc32(uint32_t crc, const void* data, size_t len)
{
    const auto* p = static_cast<const uint8_t*>(data);
    crc = ~crc;
    for (size_t i = 0; i < len; i++)
        crc = kCrcTable[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}

bool parse_request_line(std::string_view line, Request& out, std::string& err)
{
    auto words = split(line, ' ');
    out = Request{};
    out.line = std::string(line);
    uint64_t a = 0, b = 0, c = 0;
    if (words[0] == "GET" && words.size() == 4 && parse_u64(words[1], a) && parse_u64(words[2], b) &&
        parse_u64(words[3], c)) {
        if (a > UINT32_MAX) {
            err = "owner node out of range";
            return false;
        }
        out.kind = Request::Get;
        out.owner = static_cast<uint32_t>(a);
        out.size = b;
        out.seed = c;
    } else if (words[0] == "GET" && words.size() == 3 && parse_u64(words[1], b) && parse_u64(words[2], c)) {
        out.kind = Request::Get;
        out.size = b;
        out.seed = c;
    } else if (words[0] == "PUT" && words.size() == 2 && parse_u64(words[1], b)) {
        out.kind = Request::Put;
        out.size = b;
    } else if (words[0] == "STATS" && words.size() == 1) {
        out.kind = Request::Stats;
    } else {
        err = "bad request";
        return false;
    }
    if (out.size > kMaxObject) {
        err = "object too large";
        return false;
    }
    return true;
}

std::string get_line(uint32_t owner, uint64_t size, uint64_t seed)
{
    return "GET " + std::to_string(owner) + " " + std::to_string(size) + " " + std::to_string(seed) + "\n";
}

bool RequestParser::parse_line(std::vector<Request>& out)
{
    std::string_view l(line_);
    if (!l.empty() && l.back() == '\r')
        l.remove_suffix(1);
    Request r;
    if (!parse_request_line(l, r, err_))
        return false;
    line_.clear();
    if (r.kind == Request::Put && r.size > 0) {
        pending_ = std::move(r);
        in_body_ = true;
        body_left_ = pending_.size;
        return true;
    }
    out.push_back(std::move(r));
    return true;
}

bool RequestParser::feed(const char* p, size_t n, std::vector<Request>& out)
{
    if (!err_.empty())
        return false;
    while (n) {
        if (in_body_) {
            size_t take = static_cast<size_t>(std::min<uint64_t>(n, body_left_));
            pending_.crc = crc32(pending_.crc, p, take);
            p += take;
            n -= take;
            body_left_ -= take;
            if (body_left_ == 0) {
                in_body_ = false;
                out.push_back(std::move(pending_));
                pending_ = Request{};
            }
            continue;
        }
        const char* nl = static_cast<const char*>(std::memchr(p, '\n', n));
        size_t take = nl ? static_cast<size_t>(nl - p) : n;
        if (line_.size() + take > kMaxLine) {
            err_ = "request line too long";
            return false;
        }
        line_.append(p, take);
        p += take;
        n -= take;
        if (nl) {
            p++;
            n--;
            if (!parse_line(out))
                return false;
        }
    }
    return true;
}

ResponseChecker ResponseChecker::for_get(uint64_t size, uint64_t seed)
{
    return ResponseChecker(true, size, seed, 0);
}

ResponseChecker ResponseChecker::for_put(uint32_t crc)
{
    return ResponseChecker(false, 0, 0, crc);
}

bool ResponseChecker::fail(std::string why)
{
    state_ = Failed;
    err_ = std::move(why);
    return false;
}

size_t ResponseChecker::feed(const char* p, size_t n)
{
    size_t used = 0;
    while (used < n && (state_ == Header || state_ == Body)) {
        if (state_ == Header) {
            const char* nl = static_cast<const char*>(std::memchr(p + used, '\n', n - used));
            size_t take = nl ? static_cast<size_t>(nl - (p + used)) : n - used;
            if (header_.size() + take > kMaxLine) {
                fail("response header too long");
                return used;
            }
            header_.append(p + used, take);
            used += take;
            if (!nl)
                break;
            used++;  // the '\n'
            std::string want;
            if (get_) {
                want = "OK " + std::to_string(size_);
            } else {
                char hex[16];
                std::snprintf(hex, sizeof(hex), "%08x", crc_);
                want = std::string("OK ") + hex;
            }
            if (header_ != want) {
                fail("response '" + header_ + "', expected '" + want + "'");
                return used;
            }
            state_ = get_ && size_ > 0 ? Body : Done;
            continue;
        }
        size_t take = static_cast<size_t>(std::min<uint64_t>(n - used, size_ - got_));
        size_t ok = pattern_.match(reinterpret_cast<const uint8_t*>(p + used), take);
        if (ok < take) {
            fail("body byte " + std::to_string(got_ + ok) + " of " + std::to_string(size_) + " differs");
            return used + ok;
        }
        used += take;
        got_ += take;
        if (got_ == size_)
            state_ = Done;
    }
    return used;
}

bool parse_size(std::string_view text, uint64_t& out)
{
    if (text.empty())
        return false;
    uint64_t mult = 1;
    switch (text.back()) {
    case 'k': case 'K': mult = 1ull << 10; break;
    case 'm': case 'M': mult = 1ull << 20; break;
    case 'g': case 'G': mult = 1ull << 30; break;
    default: break;
    }
    if (mult != 1)
        text.remove_suffix(1);
    uint64_t v = 0;
    if (!parse_u64(text, v) || v > kMaxObject / mult)
        return false;
    out = v * mult;
    return true;
}

bool parse_size_list(std::string_view text, std::vector<uint64_t>& out)
{
    out.clear();
    for (auto w : split(text, ',')) {
        uint64_t v = 0;
        if (!parse_size(w, v))
            return false;
        out.push_back(v);
    }
    return !out.empty();
}

bool parse_u32_list(std::string_view text, std::vector<uint32_t>& out)
{
    out.clear();
    for (auto w : split(text, ',')) {
        uint64_t v = 0;
        if (!parse_u64(w, v) || v > UINT32_MAX)
            return false;
        out.push_back(static_cast<uint32_t>(v));
    }
    return !out.empty();
}

}  // namespace dtcp::test
