// Record batch v2 (magic 2), the only record format Kafka 4.x accepts: building one in place and
// reading batches back.
#pragma once

#include "protocol/bytes.hpp"
#include "protocol/compression.hpp"
#include "protocol/result.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace cafka::protocol {

constexpr size_t record_batch_header_size = 61;
// The first 12 bytes (base offset, length) and the next 9 (leader epoch, magic, crc) are outside
// the CRC, which covers attributes .. end.
constexpr size_t record_batch_crc_offset = 17;
constexpr size_t record_batch_attributes_offset = 21;

// Producer identity stamped on a batch when it is closed (idempotence); -1 when not idempotent.
struct producer_stamp {
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t base_sequence = -1;
  bool transactional = false;
};

// Appends records straight into one growing buffer laid out as the final uncompressed batch, so an
// uncompressed batch is finished by writing its header and CRC in place.
class record_batch_builder {
public:
  explicit record_batch_builder(size_t reserve = 0);

  // Exact bytes one record adds to the records section (its length prefix included).
  static size_t record_size(int64_t timestamp_delta, int32_t offset_delta, std::optional<byte_span> key,
                            std::optional<byte_span> value, std::span<const record_header> headers);

  // Appends a record. The first record's timestamp becomes the batch's base timestamp.
  void append(int64_t timestamp, std::optional<byte_span> key, std::optional<byte_span> value,
              std::span<const record_header> headers = {});

  // Appends the record unless the batch would then exceed limit bytes; the first record always
  // fits (a record larger than batch.size gets a batch of its own). Returns whether it appended.
  bool append_if_fits(size_t limit, int64_t timestamp, std::optional<byte_span> key, std::optional<byte_span> value,
                      std::span<const record_header> headers = {});

  // Size the uncompressed batch would have with one more such record.
  size_t size_with(int64_t timestamp, std::optional<byte_span> key, std::optional<byte_span> value,
                   std::span<const record_header> headers) const;

  int32_t record_count() const { return count_; }
  bool empty() const { return count_ == 0; }
  // Exact size of the uncompressed batch built so far, header included.
  size_t size() const { return buffer_.size(); }
  int64_t base_timestamp() const { return base_timestamp_; }
  int64_t max_timestamp() const { return max_timestamp_; }
  // The records section (for tests and for size estimates).
  byte_span records() const { return byte_span{buffer_}.subspan(record_batch_header_size); }

  // Closes the batch: compresses the records section if asked, writes the header and CRC-32C.
  result<byte_buffer> finish(compression_codec codec, int level,
                                                 const producer_stamp& stamp = {}) &&;

private:
  byte_buffer buffer_;
  int32_t count_ = 0;
  int64_t base_timestamp_ = 0;
  int64_t max_timestamp_ = -1;
};

// The sequence number after `records` records starting at `base` (both >= 0). Sequences run from 0
// to INT32_MAX inclusive and then start again at 0, as Java's DefaultRecordBatch.incrementSequence:
// INT32_MAX is a valid sequence, so the wrap is modulo 2^31, not modulo INT32_MAX.
constexpr int32_t next_sequence(int32_t base, int32_t records) {
  return static_cast<int32_t>((static_cast<int64_t>(base) + records) % (int64_t{INT32_MAX} + 1));
}

// Rewrites the producer id, epoch and base sequence of a finished batch and refreshes its CRC, so a
// batch closed before its producer id was known, or retried after an epoch bump, need not be rebuilt.
void restamp_record_batch(byte_buffer& batch, const producer_stamp& stamp);

struct decoded_record {
  int8_t attributes = 0;
  int64_t timestamp = 0;
  int64_t offset = 0;
  nullable_bytes key;
  nullable_bytes value;
  std::vector<record_header> headers;
};

struct decoded_batch {
  int64_t base_offset = 0;
  int32_t batch_length = 0;
  int32_t partition_leader_epoch = -1;
  int8_t magic = 0;
  uint32_t crc = 0;
  bool crc_ok = false;
  int16_t attributes = 0;
  int32_t last_offset_delta = 0;
  int64_t base_timestamp = 0;
  int64_t max_timestamp = 0;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t base_sequence = -1;
  int32_t record_count = 0;
  std::vector<decoded_record> records;

  compression_codec codec() const { return static_cast<compression_codec>(attributes & 0x07); }
  bool log_append_time() const { return attributes & 0x08; }
  bool transactional() const { return attributes & 0x10; }
};

// Reads every batch in in (a Produce request's or a fetch's records field), decompressing and
// checking each CRC. A malformed batch is an error, never a crash.
result<std::vector<decoded_batch>> decode_record_batches(byte_span in);

} // namespace cafka::protocol
