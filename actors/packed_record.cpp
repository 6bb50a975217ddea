#include "actors/packed_record.hpp"

#include <cstring>

namespace cafka {

namespace {

// Layout: key, value, header count, then each header's key and value. A field is an int32 length
// (-1: null) and its bytes, in this machine's byte order: the bytes never leave the process.
size_t field_size(size_t n) {
  return sizeof(int32_t) + n;
}

size_t packed_size(const producer_record& r) {
  size_t n = field_size(r.key.size()) + field_size(r.value.size()) + sizeof(int32_t);
  for (auto& h : r.headers)
    n += field_size(h.key.size()) + field_size(h.value.size());
  return n;
}

uint8_t* put_length(uint8_t* out, int32_t n) {
  std::memcpy(out, &n, sizeof n);
  return out + sizeof n;
}

uint8_t* put(uint8_t* out, const uint8_t* data, size_t n, bool is_null) {
  out = put_length(out, is_null ? -1 : static_cast<int32_t>(n));
  if (n > 0)
    std::memcpy(out, data, n);
  return out + n;
}

int32_t take_length(const uint8_t*& in) {
  int32_t n;
  std::memcpy(&n, in, sizeof n);
  in += sizeof n;
  return n;
}

nullable_bytes take_bytes(const uint8_t*& in) {
  auto n = take_length(in);
  if (n < 0)
    return nullable_bytes::null();
  nullable_bytes out{false, byte_buffer(in, in + n)};
  in += n;
  return out;
}

} // namespace

packed_record packed_record::pack(producer_record&& r) {
  packed_record p;
  p.size_ = static_cast<uint32_t>(packed_size(r));
  p.bytes_ = std::make_unique_for_overwrite<uint8_t[]>(p.size_);
  auto* out = p.bytes_.get();
  out = put(out, r.key.data.data(), r.key.size(), r.key.is_null);
  out = put(out, r.value.data.data(), r.value.size(), r.value.is_null);
  out = put_length(out, static_cast<int32_t>(r.headers.size()));
  for (auto& h : r.headers) {
    out = put(out, reinterpret_cast<const uint8_t*>(h.key.data()), h.key.size(), false);
    out = put(out, h.value.data.data(), h.value.size(), h.value.is_null);
  }
  p.timestamp_ = r.timestamp;
  p.partition_ = r.partition;
  p.key_is_null_ = r.key.is_null;
  return p;
}

producer_record packed_record::unpack(const std::string& topic) && {
  producer_record r;
  r.topic = topic;
  r.partition = partition_;
  r.timestamp = timestamp_;
  const uint8_t* in = bytes_.get();
  r.key = take_bytes(in);
  r.value = take_bytes(in);
  auto headers = take_length(in);
  r.headers.reserve(static_cast<size_t>(headers));
  for (int32_t i = 0; i < headers; ++i) {
    auto n = take_length(in);
    std::string key(reinterpret_cast<const char*>(in), static_cast<size_t>(n));
    in += n;
    r.headers.push_back({std::move(key), take_bytes(in)});
  }
  bytes_.reset();
  return r;
}

} // namespace cafka
