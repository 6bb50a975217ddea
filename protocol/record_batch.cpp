#include "protocol/record_batch.hpp"

#include "protocol/crc32c.hpp"
#include "protocol/reader.hpp"
#include "protocol/varint.hpp"
#include "protocol/writer.hpp"

#include <cstring>

namespace cafka::protocol {

namespace {

// Kafka's (Java's) long arithmetic wraps; C++'s signed overflow is undefined. Deltas and sums of
// timestamps and offsets go through these so extreme values from a user or a broker stay defined.
int64_t wrapping_add(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}
int64_t wrapping_sub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}

size_t nullable_size(std::optional<byte_span> b) {
  return b ? varint_size(static_cast<int32_t>(b->size())) + b->size() : varint_size(-1);
}

size_t record_body_size(int64_t timestamp_delta, int32_t offset_delta, std::optional<byte_span> key,
                        std::optional<byte_span> value, std::span<const record_header> headers) {
  size_t n = 1 + varlong_size(timestamp_delta) + varint_size(offset_delta) + nullable_size(key)
             + nullable_size(value) + varint_size(static_cast<int32_t>(headers.size()));
  for (auto& h : headers)
    n += varint_size(static_cast<int32_t>(h.key.size())) + h.key.size() + nullable_size(h.value.view());
  return n;
}

void write_stamp(uint8_t* header, const producer_stamp& stamp) {
  auto put = [](uint8_t* at, uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) {
      at[i] = static_cast<uint8_t>(v);
      v >>= 8;
    }
  };
  put(header + 43, static_cast<uint64_t>(stamp.producer_id), 8);
  put(header + 51, static_cast<uint16_t>(stamp.producer_epoch), 2);
  put(header + 53, static_cast<uint32_t>(stamp.base_sequence), 4);
}

void write_crc(byte_buffer& batch) {
  uint32_t crc = crc32c(byte_span{batch}.subspan(record_batch_attributes_offset));
  for (int i = 3; i >= 0; --i) {
    batch[record_batch_crc_offset + i] = static_cast<uint8_t>(crc);
    crc >>= 8;
  }
}

} // namespace

record_batch_builder::record_batch_builder(size_t reserve) {
  buffer_.reserve(std::max(reserve, record_batch_header_size));
  buffer_.resize(record_batch_header_size);
}

size_t record_batch_builder::record_size(int64_t timestamp_delta, int32_t offset_delta,
                                         std::optional<byte_span> key, std::optional<byte_span> value,
                                         std::span<const record_header> headers) {
  size_t body = record_body_size(timestamp_delta, offset_delta, key, value, headers);
  return varint_size(static_cast<int32_t>(body)) + body;
}

size_t record_batch_builder::size_with(int64_t timestamp, std::optional<byte_span> key,
                                       std::optional<byte_span> value,
                                       std::span<const record_header> headers) const {
  int64_t delta = count_ == 0 ? 0 : wrapping_sub(timestamp, base_timestamp_);
  return buffer_.size() + record_size(delta, count_, key, value, headers);
}

namespace {

uint8_t* put_uvarint(uint8_t* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<uint8_t>(v) | 0x80;
    v >>= 7;
  }
  *p++ = static_cast<uint8_t>(v);
  return p;
}

uint8_t* put_nullable(uint8_t* p, std::optional<byte_span> b) {
  if (!b)
    return put_uvarint(p, zigzag32(-1));
  p = put_uvarint(p, zigzag32(static_cast<int32_t>(b->size())));
  if (!b->empty())
    std::memcpy(p, b->data(), b->size());
  return p + b->size();
}

} // namespace

void record_batch_builder::append(int64_t timestamp, std::optional<byte_span> key, std::optional<byte_span> value,
                                  std::span<const record_header> headers) {
  append_if_fits(SIZE_MAX, timestamp, key, value, headers);
}

bool record_batch_builder::append_if_fits(size_t limit, int64_t timestamp, std::optional<byte_span> key,
                                          std::optional<byte_span> value, std::span<const record_header> headers) {
  int64_t delta = count_ == 0 ? 0 : wrapping_sub(timestamp, base_timestamp_);
  size_t body = record_body_size(delta, count_, key, value, headers);
  size_t total = varint_size(static_cast<int32_t>(body)) + body;
  size_t at = buffer_.size();
  if (count_ > 0 && at + total > limit)
    return false;
  if (count_ == 0)
    base_timestamp_ = timestamp;
  max_timestamp_ = std::max(max_timestamp_, timestamp);
  // Size known up front: grow once, then write through a pointer (no per-field bounds checks).
  buffer_.resize(at + total);
  uint8_t* p = buffer_.data() + at;
  p = put_uvarint(p, zigzag32(static_cast<int32_t>(body)));
  *p++ = 0; // record attributes: unused
  p = put_uvarint(p, zigzag64(delta));
  p = put_uvarint(p, zigzag32(count_));
  p = put_nullable(p, key);
  p = put_nullable(p, value);
  p = put_uvarint(p, zigzag32(static_cast<int32_t>(headers.size())));
  for (auto& h : headers) {
    p = put_nullable(p, as_bytes(h.key));
    p = put_nullable(p, h.value.view());
  }
  ++count_;
  return true;
}

result<byte_buffer> record_batch_builder::finish(compression_codec codec, int level,
                                                                     const producer_stamp& stamp) && {
  byte_buffer batch;
  if (codec == compression_codec::none) {
    batch = std::move(buffer_);
  } else {
    batch.reserve(record_batch_header_size + buffer_.size() / 2);
    batch.resize(record_batch_header_size);
    if (auto ok = compress(codec, records(), batch, level); !ok)
      return unexpected(ok.error());
  }
  byte_buffer header;
  header.reserve(record_batch_header_size);
  writer w{header};
  w.i64(0);                                         // base offset: the broker assigns it
  w.i32(static_cast<int32_t>(batch.size() - 12));   // batch length: everything after this field
  w.i32(-1);                                        // partition leader epoch
  w.i8(2);                                          // magic
  w.u32(0);                                         // crc, below
  int16_t attributes = static_cast<int16_t>(static_cast<int>(codec) | (stamp.transactional ? 0x10 : 0));
  w.i16(attributes);
  w.i32(count_ - 1);                                // last offset delta
  w.i64(base_timestamp_);
  w.i64(max_timestamp_);
  w.i64(stamp.producer_id);
  w.i16(stamp.producer_epoch);
  w.i32(stamp.base_sequence);
  w.i32(count_);
  std::copy(header.begin(), header.end(), batch.begin());
  write_crc(batch);
  return batch;
}

void restamp_record_batch(byte_buffer& batch, const producer_stamp& stamp) {
  write_stamp(batch.data(), stamp);
  auto attributes = static_cast<uint16_t>((batch[21] << 8) | batch[22]);
  attributes = stamp.transactional ? (attributes | 0x10) : (attributes & ~0x10);
  batch[21] = static_cast<uint8_t>(attributes >> 8);
  batch[22] = static_cast<uint8_t>(attributes);
  write_crc(batch);
}

namespace {

void read_nullable(reader& r, nullable_bytes& out, const char* what) {
  int32_t n = r.varint();
  if (n < -1) {
    r.fail(std::string("negative ") + what + " length");
    return;
  }
  out.is_null = n == -1;
  if (n > 0) {
    auto b = r.take(static_cast<size_t>(n));
    out.data.assign(b.begin(), b.end());
  }
}

result<void> decode_records(byte_span section, decoded_batch& batch) {
  reader r{section};
  // Each record takes at least 7 bytes, which bounds what a hostile count can reserve.
  if (batch.record_count < 0 || static_cast<size_t>(batch.record_count) > section.size() / 7 + 1)
    return unexpected("record count " + std::to_string(batch.record_count) + " does not fit the batch");
  batch.records.reserve(static_cast<size_t>(batch.record_count));
  for (int32_t i = 0; i < batch.record_count && r.ok(); ++i) {
    int32_t length = r.varint();
    if (length < 0) {
      r.fail("negative record length");
      break;
    }
    reader rr{r.take(static_cast<size_t>(length))};
    decoded_record rec;
    rec.attributes = rr.i8();
    // Wrapping sums, as Java's long arithmetic: hostile bases and deltas must not be UB here.
    rec.timestamp = wrapping_add(batch.base_timestamp, rr.varlong());
    rec.offset = wrapping_add(batch.base_offset, rr.varint());
    read_nullable(rr, rec.key, "key");
    read_nullable(rr, rec.value, "value");
    int32_t header_count = rr.varint();
    if (header_count < 0 || static_cast<size_t>(header_count) > rr.remaining())
      rr.fail("impossible header count");
    for (int32_t h = 0; h < header_count && rr.ok(); ++h) {
      record_header header;
      int32_t n = rr.varint();
      if (n < 0) {
        rr.fail("negative header key length");
        break;
      }
      header.key = std::string(as_chars(rr.take(static_cast<size_t>(n))));
      read_nullable(rr, header.value, "header value");
      rec.headers.push_back(std::move(header));
    }
    if (!rr.ok())
      return unexpected("record " + std::to_string(i) + ": " + rr.error());
    batch.records.push_back(std::move(rec));
  }
  if (!r.ok())
    return unexpected(r.error());
  return {};
}

} // namespace

result<std::vector<decoded_batch>> decode_record_batches(byte_span in) {
  std::vector<decoded_batch> out;
  reader r{in};
  while (!r.at_end()) {
    size_t start = r.position();
    decoded_batch b;
    b.base_offset = r.i64();
    b.batch_length = r.i32();
    if (!r.ok() || b.batch_length < static_cast<int32_t>(record_batch_header_size - 12))
      return unexpected("batch at byte " + std::to_string(start) + ": bad length");
    auto body = r.take(static_cast<size_t>(b.batch_length));
    if (!r.ok())
      return unexpected("batch at byte " + std::to_string(start) + ": " + r.error());
    reader br{body};
    b.partition_leader_epoch = br.i32();
    b.magic = br.i8();
    if (b.magic != 2)
      return unexpected("batch at byte " + std::to_string(start) + ": magic " + std::to_string(b.magic)
                             + ", only v2 is supported");
    b.crc = br.u32();
    b.crc_ok = crc32c(body.subspan(9)) == b.crc;
    b.attributes = br.i16();
    b.last_offset_delta = br.i32();
    b.base_timestamp = br.i64();
    b.max_timestamp = br.i64();
    b.producer_id = br.i64();
    b.producer_epoch = br.i16();
    b.base_sequence = br.i32();
    b.record_count = br.i32();
    auto section = body.subspan(record_batch_header_size - 12);
    byte_buffer inflated;
    if (b.codec() != compression_codec::none) {
      auto d = decompress(b.codec(), section);
      if (!d)
        return unexpected("batch at byte " + std::to_string(start) + ": " + d.error());
      inflated = std::move(*d);
      section = inflated;
    }
    if (auto ok = decode_records(section, b); !ok)
      return unexpected("batch at byte " + std::to_string(start) + ": " + ok.error());
    out.push_back(std::move(b));
  }
  return out;
}

} // namespace cafka::protocol
