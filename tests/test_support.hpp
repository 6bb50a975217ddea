// Helpers shared by the tests: hex golden bytes and string/byte conversions.
#pragma once

#include "protocol/bytes.hpp"

#include <string>
#include <string_view>

namespace cafka::test {

// "00 01 ff" (spaces and newlines ignored) -> bytes.
inline protocol::byte_buffer from_hex(std::string_view hex) {
  protocol::byte_buffer out;
  int nibble = -1;
  for (char c : hex) {
    int v;
    if (c >= '0' && c <= '9')
      v = c - '0';
    else if (c >= 'a' && c <= 'f')
      v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      v = c - 'A' + 10;
    else
      continue;
    if (nibble < 0) {
      nibble = v;
    } else {
      out.push_back(static_cast<uint8_t>(nibble << 4 | v));
      nibble = -1;
    }
  }
  return out;
}

inline std::string to_hex(protocol::byte_span bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (auto b : bytes) {
    if (!out.empty())
      out += ' ';
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

} // namespace cafka::test
