// Typed serializers for keys and values, like Java's Serializer<T>: std::string and byte vectors
// as they are, integers in Kafka's big-endian encoding, std::nullopt / nullptr as null.
#pragma once

#include "cafka/bytes.hpp"

#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cafka {

// Specialize for your own types: static nullable_bytes serialize(const T&).
template <class T>
struct serializer;

template <>
struct serializer<std::string> {
  static nullable_bytes serialize(const std::string& s) { return nullable_bytes::of(s); }
};

template <>
struct serializer<std::string_view> {
  static nullable_bytes serialize(std::string_view s) { return nullable_bytes::of(s); }
};

template <size_t N>
struct serializer<char[N]> {
  static nullable_bytes serialize(const char (&s)[N]) {
    return nullable_bytes::of(std::string_view{s});
  }
};

template <>
struct serializer<std::vector<uint8_t>> {
  static nullable_bytes serialize(const std::vector<uint8_t>& b) { return {false, b}; }
};

template <>
struct serializer<std::nullptr_t> {
  static nullable_bytes serialize(std::nullptr_t) { return nullable_bytes::null(); }
};

// Java's ShortSerializer, IntegerSerializer, LongSerializer: big-endian two's complement.
template <std::integral T>
  requires(sizeof(T) >= 2)
struct serializer<T> {
  static nullable_bytes serialize(T v) {
    nullable_bytes out{false, byte_buffer(sizeof(T))};
    auto u = static_cast<std::make_unsigned_t<T>>(v);
    for (size_t i = sizeof(T); i-- > 0;) {
      out.data[i] = static_cast<uint8_t>(u);
      u = static_cast<std::make_unsigned_t<T>>(u >> 8);
    }
    return out;
  }
};

template <class T>
struct serializer<std::optional<T>> {
  static nullable_bytes serialize(const std::optional<T>& v) {
    return v ? serializer<T>::serialize(*v) : nullable_bytes::null();
  }
};

} // namespace cafka
