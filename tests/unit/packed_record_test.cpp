#define CAF_SUITE actors.packed_record
#include "caf/all.hpp"
#include "caf/test/unit_test.hpp"

#include "actors/packed_record.hpp"

using namespace cafka;

namespace {

producer_record with_everything() {
  producer_record r;
  r.topic = "orders";
  r.partition = 4;
  r.key = nullable_bytes::of("key-1");
  r.value = nullable_bytes::of(std::string(100, 'v'));
  r.headers = {{"trace", nullable_bytes::of("abc")}, {"tombstone", nullable_bytes::null()}, {"", nullable_bytes::of("")}};
  r.timestamp = 1700000000123;
  return r;
}

producer_record round_trip(producer_record r) {
  auto topic = r.topic;
  auto p = packed_record::pack(std::move(r));
  return std::move(p).unpack(topic);
}

bool same(const producer_record& a, const producer_record& b) {
  return a.topic == b.topic && a.partition == b.partition && a.key == b.key && a.value == b.value
         && a.headers == b.headers && a.timestamp == b.timestamp;
}

} // namespace

// A record that waits in the producer comes out as it went in: key, value and headers with null
// told from empty, header order and repeats kept, partition and timestamp.
CAF_TEST(a packed record unpacks to the record it was) {
  auto r = with_everything();
  CAF_CHECK(same(round_trip(r), r));
}

CAF_TEST(null and empty keys and values stay apart) {
  producer_record r;
  r.topic = "t";
  r.key = nullable_bytes::null();
  r.value = nullable_bytes::of("");
  auto back = round_trip(r);
  CAF_CHECK(same(back, r));
  CAF_CHECK(back.key.is_null);
  CAF_CHECK(!back.value.is_null);
  r.key = nullable_bytes::of("");
  r.value = nullable_bytes::null(); // a tombstone
  back = round_trip(r);
  CAF_CHECK(same(back, r));
  CAF_CHECK(!back.key.is_null);
  CAF_CHECK(back.value.is_null);
}

// What the producer asks a waiting record (whether the sticky partitioner places it) is answered
// without unpacking it.
CAF_TEST(a packed record tells its partition and whether its key is null) {
  auto keyed = packed_record::pack(with_everything());
  CAF_CHECK_EQUAL(keyed.partition(), 4);
  CAF_CHECK(!keyed.key_is_null());
  producer_record plain;
  plain.topic = "t";
  auto unkeyed = packed_record::pack(std::move(plain));
  CAF_CHECK_EQUAL(unkeyed.partition(), -1);
  CAF_CHECK(unkeyed.key_is_null());
}
