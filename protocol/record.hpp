// The parts of a record that travel as bytes: Kafka's nullable bytes and record headers.
#pragma once

#include "protocol/bytes.hpp"

#include <optional>
#include <string>

namespace cafka::protocol {

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
  friend bool operator==(const nullable_bytes&, const nullable_bytes&) = default;
};

// An ordered record header; names may repeat.
struct record_header {
  std::string key;
  nullable_bytes value;
  friend bool operator==(const record_header&, const record_header&) = default;
};

// CAF-style inspection (found by ADL), so records can cross actor and node boundaries without
// this layer including CAF.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, nullable_bytes& x) {
  return f(x.is_null, x.data);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, record_header& x) {
  return f(x.key, x.value);
}

} // namespace cafka::protocol
