// Reads Kafka's primitive types from a buffer it never reads past. The first failure (truncated
// input, impossible length, over-long varint) is sticky: later reads return zero values and
// `ok()` stays false, so decoders check once at the end instead of after every field.
#pragma once

#include "protocol/bytes.hpp"
#include "protocol/varint.hpp"
#include "protocol/writer.hpp"

#include <optional>
#include <string>

namespace cafka::protocol {

class reader {
public:
  explicit reader(byte_span in) : in_(in) {}

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  size_t position() const { return pos_; }
  size_t remaining() const { return ok() ? in_.size() - pos_ : 0; }
  bool at_end() const { return remaining() == 0; }
  // Marks the input invalid; the first reason wins.
  void fail(std::string_view why);

  int8_t i8() { return static_cast<int8_t>(be<uint8_t>()); }
  int16_t i16() { return static_cast<int16_t>(be<uint16_t>()); }
  int32_t i32() { return static_cast<int32_t>(be<uint32_t>()); }
  uint32_t u32() { return be<uint32_t>(); }
  int64_t i64() { return static_cast<int64_t>(be<uint64_t>()); }
  bool boolean() { return i8() != 0; }
  uuid id();

  // The one-byte form (most lengths, counts and small numbers) is read inline.
  uint64_t uvarint() { return one_byte_varint_next() ? in_[pos_++] : long_uvarint(); }
  // Unsigned varint that must fit 32 bits (lengths, counts, tags).
  uint32_t uvarint32() { return one_byte_varint_next() ? in_[pos_++] : long_uvarint32(); }
  int32_t varint() { return unzigzag32(uvarint32()); }
  int64_t varlong() { return unzigzag64(uvarint()); }

  // A view of the next n bytes; fails (and returns an empty view) if fewer remain.
  byte_span take(size_t n);
  void skip(size_t n) { take(n); }

  std::string string();
  std::optional<std::string> nullable_string();
  std::optional<byte_span> nullable_bytes();
  std::string compact_string();
  std::optional<std::string> compact_nullable_string();
  std::optional<byte_span> compact_nullable_bytes();

  // Element count of a classic (int32, -1 = null) or compact (uvarint, 0 = null) array, checked
  // against the bytes left so that a hostile count never drives a large allocation: every element
  // takes at least min_element_size bytes.
  std::optional<size_t> array_length(size_t min_element_size = 1);
  std::optional<size_t> compact_array_length(size_t min_element_size = 1);

private:
  template <class U>
  U be() {
    if (!need(sizeof(U)))
      return 0;
    U v = 0;
    for (size_t i = 0; i < sizeof(U); ++i)
      v = static_cast<U>((v << 8) | in_[pos_ + i]);
    pos_ += sizeof(U);
    return v;
  }
  bool need(size_t n) { return (in_.size() - pos_ >= n && ok()) || short_of(n); }
  bool one_byte_varint_next() const { return pos_ < in_.size() && in_[pos_] < 0x80 && ok(); }
  // Fails the read of n bytes (or finds the input failed already); returns false.
  bool short_of(size_t n);
  uint64_t long_uvarint();
  uint32_t long_uvarint32();
  std::optional<size_t> checked_length(int64_t n, size_t min_element_size);

  byte_span in_;
  size_t pos_ = 0;
  std::string error_;
};

} // namespace cafka::protocol
