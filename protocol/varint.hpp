// Sizes of Kafka's variable-length integers (unsigned LEB128 and its zig-zag signed form).
#pragma once

#include <cstddef>
#include <cstdint>

namespace cafka::protocol {

constexpr uint32_t zigzag32(int32_t v) {
  return (static_cast<uint32_t>(v) << 1) ^ static_cast<uint32_t>(v >> 31);
}
constexpr uint64_t zigzag64(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
constexpr int32_t unzigzag32(uint32_t v) {
  return static_cast<int32_t>((v >> 1) ^ (~(v & 1) + 1));
}
constexpr int64_t unzigzag64(uint64_t v) {
  return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1));
}

constexpr size_t uvarint_size(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}
constexpr size_t varint_size(int32_t v) { return uvarint_size(zigzag32(v)); }
constexpr size_t varlong_size(int64_t v) { return uvarint_size(zigzag64(v)); }

} // namespace cafka::protocol
