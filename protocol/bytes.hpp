// Byte buffers shared by the whole wire layer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cafka::protocol {

// std::vector<uint8_t> because CAF serializes it with one memcpy when it crosses nodes.
using byte_buffer = std::vector<uint8_t>;
using byte_span = std::span<const uint8_t>;

inline byte_span as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

inline std::string_view as_chars(byte_span b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

inline byte_buffer to_buffer(std::string_view s) {
  auto b = as_bytes(s);
  return {b.begin(), b.end()};
}

} // namespace cafka::protocol
