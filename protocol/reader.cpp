#include "protocol/reader.hpp"

namespace cafka::protocol {

void reader::fail(std::string_view why) {
  if (error_.empty())
    error_ = std::string(why) + " at byte " + std::to_string(pos_);
  pos_ = in_.size();
}

bool reader::short_of(size_t n) {
  if (ok())
    fail("truncated input: needed " + std::to_string(n) + " bytes, " + std::to_string(in_.size() - pos_)
         + " left");
  return false;
}

uuid reader::id() {
  uuid u;
  auto b = take(16);
  if (b.size() == 16)
    std::copy(b.begin(), b.end(), u.bytes.begin());
  return u;
}

uint64_t reader::long_uvarint() {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (!need(1))
      return 0;
    uint8_t b = in_[pos_++];
    if (shift == 63 && b > 1) {
      fail("varint overflows 64 bits");
      return 0;
    }
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80))
      return v;
  }
  fail("varint longer than 10 bytes");
  return 0;
}

uint32_t reader::long_uvarint32() {
  uint64_t v = long_uvarint();
  if (v > 0xffffffffu) {
    fail("varint overflows 32 bits");
    return 0;
  }
  return static_cast<uint32_t>(v);
}

byte_span reader::take(size_t n) {
  if (!need(n))
    return {};
  auto b = in_.subspan(pos_, n);
  pos_ += n;
  return b;
}

std::string reader::string() {
  auto s = nullable_string();
  if (!s) {
    fail("null where a string is required");
    return {};
  }
  return std::move(*s);
}

std::optional<std::string> reader::nullable_string() {
  int16_t n = i16();
  if (n == -1 || !ok())
    return std::nullopt;
  if (n < 0) {
    fail("negative string length");
    return std::nullopt;
  }
  return std::string(as_chars(take(static_cast<size_t>(n))));
}

std::optional<byte_span> reader::nullable_bytes() {
  int32_t n = i32();
  if (n == -1 || !ok())
    return std::nullopt;
  if (n < 0) {
    fail("negative bytes length");
    return std::nullopt;
  }
  return take(static_cast<size_t>(n));
}

std::string reader::compact_string() {
  auto s = compact_nullable_string();
  if (!s) {
    fail("null where a string is required");
    return {};
  }
  return std::move(*s);
}

std::optional<std::string> reader::compact_nullable_string() {
  uint32_t n = uvarint32();
  if (n == 0 || !ok())
    return std::nullopt;
  return std::string(as_chars(take(n - 1)));
}

std::optional<byte_span> reader::compact_nullable_bytes() {
  uint32_t n = uvarint32();
  if (n == 0 || !ok())
    return std::nullopt;
  return take(n - 1);
}

std::optional<size_t> reader::checked_length(int64_t n, size_t min_element_size) {
  if (!ok())
    return std::nullopt;
  if (n < 0) {
    fail("negative array length");
    return std::nullopt;
  }
  if (static_cast<uint64_t>(n) * min_element_size > remaining()) {
    fail("array of " + std::to_string(n) + " elements cannot fit in " + std::to_string(remaining())
         + " bytes");
    return std::nullopt;
  }
  return static_cast<size_t>(n);
}

std::optional<size_t> reader::array_length(size_t min_element_size) {
  int32_t n = i32();
  if (n == -1)
    return std::nullopt;
  return checked_length(n, min_element_size);
}

std::optional<size_t> reader::compact_array_length(size_t min_element_size) {
  uint32_t n = uvarint32();
  if (n == 0)
    return std::nullopt;
  return checked_length(static_cast<int64_t>(n) - 1, min_element_size);
}

} // namespace cafka::protocol
