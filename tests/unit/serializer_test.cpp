#define CAF_SUITE actors.serializer
#include "caf/test/unit_test.hpp"

#include "cafka/producer.hpp"
#include "test_support.hpp"

using namespace cafka;
using cafka::test::to_hex;

CAF_TEST(integers are big endian as java writes them) {
  CAF_CHECK_EQUAL(to_hex(serializer<int32_t>::serialize(1).data), "00 00 00 01");
  CAF_CHECK_EQUAL(to_hex(serializer<int32_t>::serialize(-2).data), "ff ff ff fe");
  CAF_CHECK_EQUAL(to_hex(serializer<int64_t>::serialize(0x0102030405060708).data), "01 02 03 04 05 06 07 08");
  CAF_CHECK_EQUAL(to_hex(serializer<int16_t>::serialize(-1).data), "ff ff");
}

CAF_TEST(strings bytes and nulls) {
  CAF_CHECK(serializer<std::string>::serialize("ab") == nullable_bytes::of("ab"));
  CAF_CHECK(!serializer<std::string>::serialize("").is_null);
  CAF_CHECK(serializer<std::nullptr_t>::serialize(nullptr).is_null);
  CAF_CHECK(serializer<std::optional<std::string>>::serialize(std::nullopt).is_null);
  CAF_CHECK(serializer<std::vector<uint8_t>>::serialize({1, 2}) == (nullable_bytes{false, {1, 2}}));
}

CAF_TEST(make_record serializes key and value) {
  auto r = make_record("t", int32_t{7}, std::string("v"), {{"h", nullable_bytes::of("x")}}, 2, 99);
  CAF_CHECK_EQUAL(r.topic, "t");
  CAF_CHECK_EQUAL(to_hex(r.key.data), "00 00 00 07");
  CAF_CHECK(r.value == nullable_bytes::of("v"));
  CAF_CHECK_EQUAL(r.partition, 2);
  CAF_CHECK_EQUAL(r.timestamp, 99);
  CAF_CHECK_EQUAL(r.headers.size(), 1u);
  auto tombstone = make_record("t", std::string("k"), nullptr);
  CAF_CHECK(tombstone.value.is_null);
}
