// Messages between daemons (UDP, heartbeat port).  Big-endian fields.
//
//   0  magic "DTHB"        4  version (1)   5  type   6  reserved (0, 2 bytes)
//   8  sender node id     12  sequence     16  processing load  20  disk load
//  24  requests in progress               28  directory generation (u64)  36  (header end)
//  DIGEST only: 36 bits (u32)  40 hashes (u8)  41 reserved (3)  44 summary bits, LSB first
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "directory.hpp"

namespace dtcpd::wire {

inline constexpr uint32_t kMagic = 0x44544842;  // "DTHB"
inline constexpr uint8_t kVersion = 1;
inline constexpr size_t kHeaderLen = 36;
inline constexpr size_t kDigestHeaderLen = 8;
inline constexpr size_t kMaxMessage = kHeaderLen + kDigestHeaderLen + 262144 / 8;

enum class Type : uint8_t { Ping = 1, Pong = 2, Digest = 3 };

struct Message {
    Type type = Type::Ping;
    uint32_t sender = 0;
    uint32_t seq = 0;
    Load load;
    uint64_t generation = 0;
    std::optional<BloomSummary> digest;  // Digest only
};

std::vector<uint8_t> encode(const Message& m);
// nullopt for anything malformed: wrong magic, version or length, unknown type.
std::optional<Message> decode(const uint8_t* data, size_t len);

}  // namespace dtcpd::wire
