// Messages between daemons (UDP, heartbeat port).  Big-endian fields.
//
//   0  magic "DTHB"        4  version (1)   5  type   6  reserved (0, 2 bytes)
//   8  sender node id     12  sequence     16  processing load  20  disk load
//  24  requests in progress               28  directory generation (u64)  36  (header end)
//  DIGEST only: 36 bits (u32)  40 hashes (u8)  41 reserved (3)  44 summary bits, LSB first
//  every message ends with an 8-byte tag: SipHash-2-4 of everything before
//  it, keyed from the cluster key (zero when no key is configured)
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "config.hpp"
#include "directory.hpp"
#include "siphash.hpp"

namespace dtcpd::wire {

inline constexpr uint32_t kMagic = 0x44544842;  // "DTHB"
inline constexpr uint8_t kVersion = 1;
inline constexpr size_t kHeaderLen = 36;
inline constexpr size_t kDigestHeaderLen = 8;
inline constexpr size_t kTagLen = 8;
inline constexpr size_t kMaxMessage = kHeaderLen + kDigestHeaderLen + 262144 / 8 + kTagLen;

enum class Type : uint8_t { Ping = 1, Pong = 2, Digest = 3 };

struct Message {
    Type type = Type::Ping;
    uint32_t sender = 0;
    uint32_t seq = 0;
    Load load;
    uint64_t generation = 0;
    std::optional<BloomSummary> digest;  // Digest only
};

// The MAC key derived from the cluster key (domain-separated from the
// module's use of the same key).
MacKey mac_key(const Key& cluster_key);

// With @key the message carries a tag, else eight zero bytes.
std::vector<uint8_t> encode(const Message& m, const MacKey* key = nullptr);
// nullopt for anything malformed (wrong magic, version or length, unknown
// type) and, with @key, for a wrong tag.
std::optional<Message> decode(const uint8_t* data, size_t len, const MacKey* key = nullptr);

}  // namespace dtcpd::wire
