// Bytes as records carry them: buffers and views, Kafka's nullable bytes (null is not empty), and
// record headers. Plain C++: the wire layer (protocol/) uses these types too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cafka {

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

// Kafka tells null (absent key, tombstone value) from empty; so does this.
struct nullable_bytes {
  bool is_null = true;
  byte_buffer data;

  static nullable_bytes null() { return {}; }
  static nullable_bytes of(std::string_view s) { return {false, to_buffer(s)}; }
  static nullable_bytes of(byte_buffer b) { return {false, std::move(b)}; }

  std::optional<byte_span> view() const {
    if (is_null)
      return std::nullopt;
    return byte_span{data};
  }
  size_t size() const { return data.size(); }
  // As record_metadata's serialized sizes say it: -1 for null.
  int32_t serialized_size() const { return is_null ? -1 : static_cast<int32_t>(data.size()); }
  friend bool operator==(const nullable_bytes&, const nullable_bytes&) = default;
};

// An ordered record header; names may repeat.
struct record_header {
  std::string key;
  nullable_bytes value;
  friend bool operator==(const record_header&, const record_header&) = default;
};

// CAF-style inspection (found by ADL), so records can cross actor and node boundaries without
// this header including CAF.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, nullable_bytes& x) {
  return f(x.is_null, x.data);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, record_header& x) {
  return f(x.key, x.value);
}

} // namespace cafka
