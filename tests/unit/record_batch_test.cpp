#define CAF_SUITE protocol.record_batch
#include "caf/test/unit_test.hpp"

#include "protocol/record_batch.hpp"
#include "test_support.hpp"

using namespace cafka::protocol;
using cafka::test::from_hex;
using cafka::test::to_hex;

namespace {

byte_buffer finish(record_batch_builder&& b, compression_codec codec = compression_codec::none,
                   producer_stamp stamp = {}) {
  auto r = std::move(b).finish(codec, default_compression_level(codec), stamp);
  CAF_REQUIRE(r.has_value());
  return std::move(*r);
}

} // namespace

CAF_TEST(one record matches golden bytes) {
  record_batch_builder b;
  b.append(1000, as_bytes("k"), as_bytes("v"));
  auto batch = finish(std::move(b));
  // CRC-32C computed independently over attributes..end.
  auto golden = from_hex("00 00 00 00 00 00 00 00  00 00 00 3a  ff ff ff ff  02  71 6a 61 89"
                         "00 00  00 00 00 00  00 00 00 00 00 00 03 e8  00 00 00 00 00 00 03 e8"
                         "ff ff ff ff ff ff ff ff  ff ff  ff ff ff ff  00 00 00 01"
                         "10 00 00 00 02 6b 02 76 00");
  CAF_CHECK_EQUAL(to_hex(batch), to_hex(golden));
}

CAF_TEST(size is exact before finishing) {
  record_batch_builder b;
  std::vector<record_header> headers{{"h", nullable_bytes::of("1")}, {"h", nullable_bytes::null()}};
  for (int i = 0; i < 100; ++i) {
    auto value = std::string(static_cast<size_t>(i * 7), 'x');
    size_t predicted = b.size_with(1000 + i, as_bytes("key"), as_bytes(value), headers);
    b.append(1000 + i, as_bytes("key"), as_bytes(value), headers);
    CAF_CHECK_EQUAL(b.size(), predicted);
  }
  size_t size = b.size();
  CAF_CHECK_EQUAL(finish(std::move(b)).size(), size);
}

CAF_TEST(every field decodes back) {
  record_batch_builder b;
  std::vector<record_header> headers{{"a", nullable_bytes::of("1")},
                                     {"a", nullable_bytes::of("2")},
                                     {"n", nullable_bytes::null()},
                                     {"e", nullable_bytes::of("")}};
  b.append(5000, as_bytes("key"), as_bytes("value"), headers);
  b.append(4990, std::nullopt, as_bytes(""));        // null key, empty value, earlier timestamp
  b.append(5010, as_bytes(""), std::nullopt);        // empty key, tombstone
  producer_stamp stamp{42, 3, 100, false};
  auto batch = finish(std::move(b), compression_codec::none, stamp);
  auto decoded = decode_record_batches(batch);
  CAF_REQUIRE(decoded.has_value());
  CAF_REQUIRE_EQUAL(decoded->size(), 1u);
  auto& d = decoded->front();
  CAF_CHECK(d.crc_ok);
  CAF_CHECK_EQUAL(d.magic, 2);
  CAF_CHECK_EQUAL(d.record_count, 3);
  CAF_CHECK_EQUAL(d.last_offset_delta, 2);
  CAF_CHECK_EQUAL(d.base_timestamp, 5000);
  CAF_CHECK_EQUAL(d.max_timestamp, 5010);
  CAF_CHECK_EQUAL(d.producer_id, 42);
  CAF_CHECK_EQUAL(d.producer_epoch, 3);
  CAF_CHECK_EQUAL(d.base_sequence, 100);
  CAF_REQUIRE_EQUAL(d.records.size(), 3u);
  CAF_CHECK(d.records[0].key == nullable_bytes::of("key"));
  CAF_CHECK(d.records[0].value == nullable_bytes::of("value"));
  CAF_CHECK(d.records[0].headers == headers);
  CAF_CHECK_EQUAL(d.records[1].timestamp, 4990);
  CAF_CHECK_EQUAL(d.records[1].offset, 1);
  CAF_CHECK(d.records[1].key.is_null);
  CAF_CHECK(!d.records[1].value.is_null);
  CAF_CHECK(d.records[1].value.data.empty());
  CAF_CHECK(!d.records[2].key.is_null);
  CAF_CHECK(d.records[2].value.is_null);
}

CAF_TEST(compressed batches decode to the same records) {
  for (auto codec : {compression_codec::gzip, compression_codec::snappy, compression_codec::lz4,
                     compression_codec::zstd}) {
    record_batch_builder b;
    for (int i = 0; i < 500; ++i)
      b.append(100 + i, as_bytes("key-" + std::to_string(i % 7)), as_bytes(std::string(100, 'a' + i % 26)));
    auto batch = finish(std::move(b), codec);
    CAF_CHECK_LESS(batch.size(), 500u * 100u / 4);
    auto decoded = decode_record_batches(batch);
    CAF_REQUIRE(decoded.has_value());
    auto& d = decoded->front();
    CAF_CHECK(d.crc_ok);
    CAF_CHECK(d.codec() == codec);
    CAF_REQUIRE_EQUAL(d.records.size(), 500u);
    CAF_CHECK(d.records[499].key == nullable_bytes::of("key-2"));
    CAF_CHECK(d.records[499].value == nullable_bytes::of(std::string(100, 'a' + 499 % 26)));
    CAF_CHECK_EQUAL(d.records[499].timestamp, 599);
  }
}

CAF_TEST(restamping rewrites identity and crc) {
  record_batch_builder b;
  b.append(1, as_bytes("k"), as_bytes("v"));
  auto batch = finish(std::move(b));
  restamp_record_batch(batch, {7, 1, 9, false});
  auto decoded = decode_record_batches(batch);
  CAF_REQUIRE(decoded.has_value());
  CAF_CHECK(decoded->front().crc_ok);
  CAF_CHECK_EQUAL(decoded->front().producer_id, 7);
  CAF_CHECK_EQUAL(decoded->front().producer_epoch, 1);
  CAF_CHECK_EQUAL(decoded->front().base_sequence, 9);
}

// Java's DefaultRecordBatch.incrementSequence: INT32_MAX is a sequence of its own, the one after it is 0.
CAF_TEST(sequence numbers reach the int32 maximum and then wrap to 0) {
  CAF_CHECK_EQUAL(next_sequence(0, 1), 1);
  CAF_CHECK_EQUAL(next_sequence(5, 0), 5);
  CAF_CHECK_EQUAL(next_sequence(INT32_MAX - 1, 1), INT32_MAX);
  CAF_CHECK_EQUAL(next_sequence(INT32_MAX, 1), 0);
  CAF_CHECK_EQUAL(next_sequence(INT32_MAX - 1, 3), 1);
  CAF_CHECK_EQUAL(next_sequence(INT32_MAX - 9, INT32_MAX), INT32_MAX - 10);
}

CAF_TEST(corruption is detected and malformed input is an error) {
  record_batch_builder b;
  b.append(1, as_bytes("k"), as_bytes("v"));
  auto batch = finish(std::move(b));
  auto flipped = batch;
  flipped[flipped.size() - 2] ^= 1; // inside the value: still decodable, CRC wrong
  auto d = decode_record_batches(flipped);
  CAF_REQUIRE(d.has_value());
  CAF_CHECK(!d->front().crc_ok);
  for (size_t cut = 1; cut < batch.size(); ++cut) {
    byte_span part{batch.data(), cut};
    CAF_CHECK(!decode_record_batches(part).has_value());
  }
  auto huge_count = batch;
  huge_count[57] = 0x7f; // record count
  CAF_CHECK(!decode_record_batches(huge_count).has_value());
}

CAF_TEST(extreme base timestamps and deltas wrap instead of overflowing) {
  // Found by the record_batches fuzz target: base timestamp INT64_MIN with a negative delta.
  record_batch_builder b;
  b.append(INT64_MIN, as_bytes("k"), as_bytes("v"));
  b.append(INT64_MAX, as_bytes("k"), as_bytes("v")); // delta wraps the other way
  auto batch = finish(std::move(b));
  auto decoded = decode_record_batches(batch);
  CAF_REQUIRE(decoded.has_value());
  CAF_CHECK_EQUAL(decoded->front().records.at(0).timestamp, INT64_MIN);
  CAF_CHECK_EQUAL(decoded->front().records.at(1).timestamp, INT64_MAX);
}
