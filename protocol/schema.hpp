// One declarative description per message drives both encoding and decoding.
//
// A message (or nested struct) S describes its fields once, in wire order:
//
//   template <class F> void describe(F& f, S& s) {
//     f(s.error_code);                   // every version
//     f.since(1, s.throttle_time_ms);    // versions 1+
//     f.between(8, 10, s.cluster_ops);   // versions 8..10
//     f.tagged(10, 0, s.current_leader); // tagged field 0 in versions 10+ (std::optional, last)
//   }
//
// field_encoder and field_decoder walk that description for one version. They pick the classic or
// compact form of strings, bytes and arrays from `flexible`, and append / parse the tagged-field
// section every struct carries in flexible versions (unknown tags are skipped).
#pragma once

#include "protocol/reader.hpp"
#include "protocol/writer.hpp"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace cafka::protocol {

struct field_encoder {
  field_encoder(writer& out, int16_t v, bool flex) : w(out), version(v), flexible(flex) {}
  writer& w;
  int16_t version;
  bool flexible;

  void operator()(const int8_t& v) { w.i8(v); }
  void operator()(const int16_t& v) { w.i16(v); }
  void operator()(const int32_t& v) { w.i32(v); }
  void operator()(const int64_t& v) { w.i64(v); }
  void operator()(const bool& v) { w.boolean(v); }
  void operator()(const uuid& v) { w.id(v); }
  void operator()(const std::string& s) { flexible ? w.compact_string(s) : w.string(s); }
  void operator()(const std::optional<std::string>& s) {
    flexible ? w.compact_nullable_string(s) : w.nullable_string(s);
  }
  // Nullable bytes (the `records` field of Produce): a view of bytes owned elsewhere.
  void operator()(const std::optional<byte_span>& b) {
    if (!b)
      flexible ? w.uvarint(0) : w.i32(-1);
    else
      flexible ? w.compact_bytes(*b) : w.bytes(*b);
  }
  // Bytes that are never null (SASL's auth_bytes), owned. A byte_buffer is Kafka's `bytes`, not an
  // array of int8: this overload wins over the array template below.
  void operator()(const byte_buffer& b) { flexible ? w.compact_bytes(b) : w.bytes(b); }
  template <class T>
  void operator()(const std::vector<T>& xs) {
    flexible ? w.uvarint(xs.size() + 1) : w.i32(static_cast<int32_t>(xs.size()));
    for (auto& x : xs)
      (*this)(x);
  }
  template <class T>
  void operator()(const std::optional<std::vector<T>>& xs) {
    if (xs)
      (*this)(*xs);
    else
      flexible ? w.uvarint(0) : w.i32(-1);
  }
  template <class S>
    requires(!std::is_arithmetic_v<S>)
  void operator()(const S& s) {
    std::vector<std::pair<uint32_t, byte_buffer>> tags;
    auto* outer = tags_;
    tags_ = &tags;
    describe(*this, const_cast<S&>(s));
    tags_ = outer;
    if (flexible) {
      w.uvarint(tags.size());
      for (auto& [tag, bytes] : tags) {
        w.uvarint(tag);
        w.uvarint(bytes.size());
        w.raw(bytes);
      }
    }
  }

  template <class T>
  void since(int16_t v, const T& x) {
    if (version >= v)
      (*this)(x);
  }
  template <class T>
  void between(int16_t lo, int16_t hi, const T& x) {
    if (version >= lo && version <= hi)
      (*this)(x);
  }
  // Tagged fields are written only when present; describe() declares them last, in tag order.
  template <class T>
  void tagged(int16_t v, uint32_t tag, const std::optional<T>& x) {
    if (!flexible || version < v || !x)
      return;
    byte_buffer buf;
    writer tw{buf};
    field_encoder sub{tw, version, flexible};
    sub(*x);
    tags_->emplace_back(tag, std::move(buf));
  }

private:
  std::vector<std::pair<uint32_t, byte_buffer>>* tags_ = nullptr;
};

struct field_decoder {
  field_decoder(reader& in, int16_t v, bool flex) : r(in), version(v), flexible(flex) {}
  reader& r;
  int16_t version;
  bool flexible;

  void operator()(int8_t& v) { v = r.i8(); }
  void operator()(int16_t& v) { v = r.i16(); }
  void operator()(int32_t& v) { v = r.i32(); }
  void operator()(int64_t& v) { v = r.i64(); }
  void operator()(bool& v) { v = r.boolean(); }
  void operator()(uuid& v) { v = r.id(); }
  void operator()(std::string& s) { s = flexible ? r.compact_string() : r.string(); }
  void operator()(std::optional<std::string>& s) {
    s = flexible ? r.compact_nullable_string() : r.nullable_string();
  }
  void operator()(std::optional<byte_span>& b) {
    b = flexible ? r.compact_nullable_bytes() : r.nullable_bytes();
  }
  void operator()(byte_buffer& b) {
    auto view = flexible ? r.compact_nullable_bytes() : r.nullable_bytes();
    if (!view) {
      if (r.ok())
        r.fail("null where bytes are required");
      b.clear();
      return;
    }
    b.assign(view->begin(), view->end());
  }
  template <class T>
  void operator()(std::vector<T>& xs) {
    std::optional<std::vector<T>> tmp;
    (*this)(tmp);
    if (!tmp && r.ok())
      r.fail("null where an array is required");
    xs = tmp ? std::move(*tmp) : std::vector<T>{};
  }
  template <class T>
  void operator()(std::optional<std::vector<T>>& xs) {
    auto n = flexible ? r.compact_array_length() : r.array_length();
    if (!n) {
      xs.reset();
      return;
    }
    xs.emplace();
    xs->resize(*n);
    for (auto& x : *xs) {
      if (!r.ok())
        break;
      (*this)(x);
    }
  }
  template <class S>
    requires(!std::is_arithmetic_v<S>)
  void operator()(S& s) {
    tag_section section;
    auto* outer = section_;
    section_ = &section;
    describe(*this, s);
    if (flexible && !section.parsed)
      parse_tags(section);
    section_ = outer;
  }

  template <class T>
  void since(int16_t v, T& x) {
    if (version >= v)
      (*this)(x);
  }
  template <class T>
  void between(int16_t lo, int16_t hi, T& x) {
    if (version >= lo && version <= hi)
      (*this)(x);
  }
  template <class T>
  void tagged(int16_t v, uint32_t tag, std::optional<T>& x) {
    if (!flexible || version < v)
      return;
    if (!section_->parsed)
      parse_tags(*section_);
    for (auto& [t, bytes] : section_->fields) {
      if (t != tag)
        continue;
      reader sub_reader{bytes};
      field_decoder sub{sub_reader, version, flexible};
      x = T{};
      sub(*x);
      if (!sub_reader.ok())
        r.fail("tagged field " + std::to_string(tag) + ": " + sub_reader.error());
    }
  }

  // Reads a tagged-field section and drops it (the response header v1 has one).
  void skip_tag_section() {
    tag_section ignored;
    parse_tags(ignored);
  }

private:
  struct tag_section {
    bool parsed = false;
    std::vector<std::pair<uint32_t, byte_span>> fields;
  };
  void parse_tags(tag_section& section) {
    section.parsed = true;
    uint32_t n = r.uvarint32();
    for (uint32_t i = 0; i < n && r.ok(); ++i) {
      uint32_t tag = r.uvarint32();
      uint32_t size = r.uvarint32();
      section.fields.emplace_back(tag, r.take(size));
    }
  }
  tag_section* section_ = nullptr;
};

} // namespace cafka::protocol
