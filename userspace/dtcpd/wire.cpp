// Daemon-to-daemon message codec.
#include "wire.hpp"

#include <algorithm>
#include <bit>

namespace dtcpd::wire {

namespace {

void put32(std::vector<uint8_t>& b, uint32_t v)
{
    for (int s = 24; s >= 0; s -= 8)
        b.push_back(static_cast<uint8_t>(v >> s));
}
void put64(std::vector<uint8_t>& b, uint64_t v)
{
    put32(b, static_cast<uint32_t>(v >> 32));
    put32(b, static_cast<uint32_t>(v));
}
uint32_t get32(const uint8_t* p)
{
    return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
uint64_t get64(const uint8_t* p)
{
    return uint64_t(get32(p)) << 32 | get32(p + 4);
}

}  // namespace

MacKey mac_key(const Key& cluster_key)
{
    static const uint8_t label[] = "dtcpd heartbeat mac v1";
    MacKey lo{}, hi{}, out{};
    std::copy(cluster_key.begin(), cluster_key.begin() + 16, lo.begin());
    std::copy(cluster_key.begin() + 16, cluster_key.end(), hi.begin());
    uint64_t a = siphash24(lo, label, sizeof(label) - 1);
    uint64_t b = siphash24(hi, label, sizeof(label) - 1);
    for (int i = 0; i < 8; i++) {
        out[i] = static_cast<uint8_t>(a >> (8 * i));
        out[8 + i] = static_cast<uint8_t>(b >> (8 * i));
    }
    return out;
}

std::vector<uint8_t> encode(const Message& m, const MacKey* key)
{
    std::vector<uint8_t> b;
    b.reserve(kHeaderLen + (m.digest ? kDigestHeaderLen + m.digest->bits() / 8 : 0));
    put32(b, kMagic);
    b.push_back(kVersion);
    b.push_back(static_cast<uint8_t>(m.type));
    b.push_back(0);
    b.push_back(0);
    put32(b, m.sender);
    put32(b, m.seq);
    put32(b, m.load.processing);
    put32(b, m.load.disk);
    put32(b, m.load.requests);
    put64(b, m.generation);
    if (m.type == Type::Digest && m.digest) {
        put32(b, m.digest->bits());
        b.push_back(static_cast<uint8_t>(m.digest->hashes()));
        b.push_back(0);
        b.push_back(0);
        b.push_back(0);
        for (uint32_t byte = 0; byte < m.digest->bits() / 8; byte++)
            b.push_back(static_cast<uint8_t>(m.digest->words()[byte / 8] >> (8 * (byte % 8))));
    }
    put64(b, key ? siphash24(*key, b.data(), b.size()) : 0);
    return b;
}

std::optional<Message> decode(const uint8_t* p, size_t len, const MacKey* key)
{
    if (len < kHeaderLen + kTagLen)
        return std::nullopt;
    len -= kTagLen;
    if (key && get64(p + len) != siphash24(*key, p, len))
        return std::nullopt;
    if (len < kHeaderLen || get32(p) != kMagic || p[4] != kVersion || p[6] || p[7])
        return std::nullopt;
    Message m;
    uint8_t type = p[5];
    if (type < 1 || type > 3)
        return std::nullopt;
    m.type = static_cast<Type>(type);
    m.sender = get32(p + 8);
    m.seq = get32(p + 12);
    m.load.processing = get32(p + 16);
    m.load.disk = get32(p + 20);
    m.load.requests = get32(p + 24);
    m.generation = get64(p + 28);
    if (m.sender == 0)
        return std::nullopt;
    if (m.type != Type::Digest)
        return len == kHeaderLen ? std::optional<Message>(m) : std::nullopt;
    if (len < kHeaderLen + kDigestHeaderLen)
        return std::nullopt;
    const uint8_t* d = p + kHeaderLen;
    uint32_t bits = get32(d);
    uint8_t hashes = d[4];
    if (bits < 1024 || bits > 262144 || !std::has_single_bit(bits) || hashes < 1 || hashes > 16 || d[5] ||
        d[6] || d[7] || len != kHeaderLen + kDigestHeaderLen + bits / 8)
        return std::nullopt;
    BloomSummary s(bits, hashes);
    const uint8_t* bytes = d + kDigestHeaderLen;
    for (uint32_t byte = 0; byte < bits / 8; byte++)
        s.words()[byte / 8] |= uint64_t(bytes[byte]) << (8 * (byte % 8));
    m.digest = std::move(s);
    return m;
}

}  // namespace dtcpd::wire
