#define CAF_SUITE protocol.primitives
#include "caf/test/unit_test.hpp"

#include "protocol/reader.hpp"
#include "protocol/writer.hpp"
#include "test_support.hpp"

#include <climits>

using namespace cafka::protocol;
using cafka::test::from_hex;
using cafka::test::to_hex;

namespace {

template <class Write>
std::string written(Write write) {
  byte_buffer buf;
  writer w{buf};
  write(w);
  return to_hex(buf);
}

} // namespace

CAF_TEST(fixed width integers are big endian) {
  CAF_CHECK_EQUAL(written([](writer& w) { w.i16(0x0102); }), "01 02");
  CAF_CHECK_EQUAL(written([](writer& w) { w.i32(-2); }), "ff ff ff fe");
  CAF_CHECK_EQUAL(written([](writer& w) { w.i64(INT64_MIN); }), "80 00 00 00 00 00 00 00");
  auto buf = from_hex("7f ff 80 00 00 01 ff ff ff ff ff ff ff ff");
  reader r{buf};
  CAF_CHECK_EQUAL(r.i16(), 0x7fff);
  CAF_CHECK_EQUAL(r.i32(), INT32_MIN + 1);
  CAF_CHECK_EQUAL(r.i64(), -1);
  CAF_CHECK(r.ok());
  CAF_CHECK(r.at_end());
}

CAF_TEST(varints match the protocol guide) {
  // Kafka's zig-zag examples: 0 -> 00, -1 -> 01, 1 -> 02, -2 -> 03, 63 -> 7e, -64 -> 7f, 64 -> 80 01.
  CAF_CHECK_EQUAL(written([](writer& w) { w.varint(0); }), "00");
  CAF_CHECK_EQUAL(written([](writer& w) { w.varint(-1); }), "01");
  CAF_CHECK_EQUAL(written([](writer& w) { w.varint(1); }), "02");
  CAF_CHECK_EQUAL(written([](writer& w) { w.varint(-2); }), "03");
  CAF_CHECK_EQUAL(written([](writer& w) { w.varint(64); }), "80 01");
  CAF_CHECK_EQUAL(written([](writer& w) { w.uvarint(300); }), "ac 02");
  CAF_CHECK_EQUAL(written([](writer& w) { w.varint(INT32_MAX); }), "fe ff ff ff 0f");
  CAF_CHECK_EQUAL(written([](writer& w) { w.varint(INT32_MIN); }), "ff ff ff ff 0f");
  CAF_CHECK_EQUAL(written([](writer& w) { w.varlong(INT64_MIN); }), "ff ff ff ff ff ff ff ff ff 01");
  CAF_CHECK_EQUAL(written([](writer& w) { w.varlong(INT64_MAX); }), "fe ff ff ff ff ff ff ff ff 01");
}

CAF_TEST(varints round trip at their edges) {
  for (int64_t v : {int64_t{0}, int64_t{-1}, int64_t{1}, int64_t{63}, int64_t{-64}, int64_t{64},
                    int64_t{INT32_MAX}, int64_t{INT32_MIN}, INT64_MAX, INT64_MIN}) {
    byte_buffer buf;
    writer w{buf};
    w.varlong(v);
    CAF_CHECK_EQUAL(buf.size(), varlong_size(v));
    reader r{buf};
    CAF_CHECK_EQUAL(r.varlong(), v);
    CAF_CHECK(r.at_end());
    if (v >= INT32_MIN && v <= INT32_MAX) {
      byte_buffer b32;
      writer w32{b32};
      w32.varint(static_cast<int32_t>(v));
      CAF_CHECK_EQUAL(b32.size(), varint_size(static_cast<int32_t>(v)));
      reader r32{b32};
      CAF_CHECK_EQUAL(r32.varint(), v);
    }
  }
}

CAF_TEST(over long and truncated varints are errors) {
  auto eleven = from_hex("ff ff ff ff ff ff ff ff ff ff 01");
  reader r1{eleven};
  r1.uvarint();
  CAF_CHECK(!r1.ok());
  auto overflow = from_hex("ff ff ff ff ff ff ff ff ff 02");
  reader r2{overflow};
  r2.uvarint();
  CAF_CHECK(!r2.ok());
  auto truncated = from_hex("80 80");
  reader r3{truncated};
  r3.varint();
  CAF_CHECK(!r3.ok());
  auto too_big_for_32 = from_hex("80 80 80 80 10");
  reader r4{too_big_for_32};
  r4.uvarint32();
  CAF_CHECK(!r4.ok());
}

CAF_TEST(strings classic and compact) {
  CAF_CHECK_EQUAL(written([](writer& w) { w.string("ab"); }), "00 02 61 62");
  CAF_CHECK_EQUAL(written([](writer& w) { w.nullable_string(std::nullopt); }), "ff ff");
  CAF_CHECK_EQUAL(written([](writer& w) { w.compact_string("ab"); }), "03 61 62");
  CAF_CHECK_EQUAL(written([](writer& w) { w.compact_nullable_string(std::nullopt); }), "00");
  CAF_CHECK_EQUAL(written([](writer& w) { w.compact_string(""); }), "01");
  auto buf = from_hex("00 02 61 62 ff ff 03 61 62 00 01");
  reader r{buf};
  CAF_CHECK_EQUAL(r.string(), "ab");
  CAF_CHECK(!r.nullable_string());
  CAF_CHECK_EQUAL(r.compact_string(), "ab");
  CAF_CHECK(!r.compact_nullable_string());
  CAF_CHECK_EQUAL(r.compact_string(), "");
  CAF_CHECK(r.ok());
  CAF_CHECK(r.at_end());
}

CAF_TEST(lengths that exceed the input fail without reading past it) {
  auto s = from_hex("00 05 61 62");
  reader r{s};
  r.string();
  CAF_CHECK(!r.ok());
  CAF_CHECK_EQUAL(r.remaining(), 0u);
  // An array count of two billion in eight bytes must not allocate.
  auto a = from_hex("7f ff ff ff 00 00 00 00");
  reader ra{a};
  CAF_CHECK(!ra.array_length(4));
  CAF_CHECK(!ra.ok());
  auto neg = from_hex("ff ff ff fe");
  reader rn{neg};
  rn.nullable_bytes();
  CAF_CHECK(!rn.ok());
}

CAF_TEST(the first failure is kept) {
  auto b = from_hex("00");
  reader r{b};
  r.i32();
  auto first = r.error();
  r.i64();
  CAF_CHECK_EQUAL(r.error(), first);
  CAF_CHECK_EQUAL(r.i16(), 0);
}

CAF_TEST(uuid round trip) {
  uuid u;
  for (size_t i = 0; i < 16; ++i)
    u.bytes[i] = static_cast<uint8_t>(i * 17);
  byte_buffer buf;
  writer w{buf};
  w.id(u);
  reader r{buf};
  CAF_CHECK(r.id() == u);
  CAF_CHECK(r.at_end());
}
