#include "protocol/framing.hpp"

#include <cstdio>
#include <cstring>

namespace cafka::protocol {

namespace {

// A size prefix no response can have, with its four bytes as text: a peer that is no Kafka broker
// shows itself so ("HTTP" from a web server, "\x15\x03\x01\x00" from a TLS one).
std::string impossible_size(byte_span prefix, int32_t size, size_t max_frame_size) {
  std::string shown;
  for (auto b : prefix) {
    if (b >= 0x20 && b < 0x7f && b != '"' && b != '\\') {
      shown += static_cast<char>(b);
    } else {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", b);
      shown += hex;
    }
  }
  std::string out = "a frame of " + std::to_string(size) + " bytes (\"" + shown + "\"), ";
  if (size < 4)
    return out + "too short for a correlation id";
  return out + "more than the " + std::to_string(max_frame_size) + " a response may have";
}

} // namespace

bool looks_like_tls_record(byte_span prefix) {
  return prefix.size() >= 3 && prefix[0] >= 20 && prefix[0] <= 23 && prefix[1] == 3 && prefix[2] <= 4;
}

bool frame_assembler::feed(byte_span bytes) {
  if (!error_.empty())
    return false;
  // Compact before growing so the buffer does not creep forward forever.
  if (read_pos_ > 0 && read_pos_ == buffer_.size()) {
    buffer_.clear();
    read_pos_ = 0;
  } else if (read_pos_ > 65536 && read_pos_ * 2 > buffer_.size()) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(read_pos_));
    read_pos_ = 0;
  }
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
  return true;
}

bool frame_assembler::next(byte_buffer& frame) {
  if (!error_.empty() || buffer_.size() - read_pos_ < 4)
    return false;
  auto prefix = byte_span{buffer_}.subspan(read_pos_, 4);
  reader r{prefix};
  int32_t size = r.i32();
  if (size < 4 || static_cast<size_t>(size) > max_frame_size_) {
    error_ = impossible_size(prefix, size, max_frame_size_);
    tls_record_ = looks_like_tls_record(prefix);
    return false;
  }
  if (buffer_.size() - read_pos_ - 4 < static_cast<size_t>(size))
    return false;
  auto begin = buffer_.begin() + static_cast<std::ptrdiff_t>(read_pos_ + 4);
  frame.assign(begin, begin + size);
  read_pos_ += 4 + static_cast<size_t>(size);
  return true;
}

} // namespace cafka::protocol
