// SipHash-2-4 (Aumasson, Bernstein): the MAC on daemon-to-daemon messages.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace dtcpd {

using MacKey = std::array<uint8_t, 16>;

uint64_t siphash24(const MacKey& key, const uint8_t* data, size_t len);

}  // namespace dtcpd
