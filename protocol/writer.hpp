// Appends Kafka's primitive types to a growing buffer, big-endian. Header-only: this is the hot path
// of every request and of every record appended to a batch.
#pragma once

#include "protocol/bytes.hpp"
#include "protocol/varint.hpp"

#include <array>
#include <cstring>
#include <optional>

namespace cafka::protocol {

struct uuid {
  std::array<uint8_t, 16> bytes{};
  friend bool operator==(const uuid&, const uuid&) = default;
};

class writer {
public:
  explicit writer(byte_buffer& out) : out_(out) {}

  size_t size() const { return out_.size(); }
  byte_buffer& buffer() { return out_; }

  void i8(int8_t v) { out_.push_back(static_cast<uint8_t>(v)); }
  void i16(int16_t v) { be(static_cast<uint16_t>(v)); }
  void i32(int32_t v) { be(static_cast<uint32_t>(v)); }
  void u32(uint32_t v) { be(v); }
  void i64(int64_t v) { be(static_cast<uint64_t>(v)); }
  void boolean(bool v) { i8(v ? 1 : 0); }
  void id(const uuid& v) { raw(v.bytes); }

  void uvarint(uint64_t v) {
    if (v < 0x80) { // most lengths, counts and small numbers
      out_.push_back(static_cast<uint8_t>(v));
      return;
    }
    uint8_t tmp[10];
    size_t n = 0;
    while (v >= 0x80) {
      tmp[n++] = static_cast<uint8_t>(v) | 0x80;
      v >>= 7;
    }
    tmp[n++] = static_cast<uint8_t>(v);
    out_.insert(out_.end(), tmp, tmp + n);
  }
  void varint(int32_t v) { uvarint(zigzag32(v)); }
  void varlong(int64_t v) { uvarint(zigzag64(v)); }

  void raw(byte_span b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void raw(std::string_view s) { raw(as_bytes(s)); }

  // Classic (non-flexible) forms: int16 length for strings, int32 for bytes and arrays, -1 for null.
  void string(std::string_view s) {
    i16(static_cast<int16_t>(s.size()));
    raw(s);
  }
  void nullable_string(const std::optional<std::string>& s) {
    if (s)
      string(*s);
    else
      i16(-1);
  }
  void bytes(byte_span b) {
    i32(static_cast<int32_t>(b.size()));
    raw(b);
  }

  // Compact (flexible) forms: unsigned varint of length + 1, 0 for null.
  void compact_string(std::string_view s) {
    uvarint(s.size() + 1);
    raw(s);
  }
  void compact_nullable_string(const std::optional<std::string>& s) {
    if (s)
      compact_string(*s);
    else
      uvarint(0);
  }
  void compact_bytes(byte_span b) {
    uvarint(b.size() + 1);
    raw(b);
  }

  // Overwrites a big-endian int32 written earlier (size prefixes, batch lengths).
  void patch_i32(size_t at, int32_t v) {
    uint32_t u = static_cast<uint32_t>(v);
    for (int i = 3; i >= 0; --i) {
      out_[at + i] = static_cast<uint8_t>(u);
      u >>= 8;
    }
  }

private:
  template <class U>
  void be(U v) {
    uint8_t tmp[sizeof(U)];
    for (int i = sizeof(U) - 1; i >= 0; --i) {
      tmp[i] = static_cast<uint8_t>(v);
      v >>= 8;
    }
    out_.insert(out_.end(), tmp, tmp + sizeof(U));
  }

  byte_buffer& out_;
};

} // namespace cafka::protocol
