#include "protocol/framing.hpp"

#include <cstring>

namespace cafka::protocol {

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
  reader r{byte_span{buffer_}.subspan(read_pos_, 4)};
  int32_t size = r.i32();
  if (size < 4 || static_cast<size_t>(size) > max_frame_size_) {
    error_ = "invalid response frame size " + std::to_string(size);
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
