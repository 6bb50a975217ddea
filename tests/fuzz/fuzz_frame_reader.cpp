// libFuzzer target: the frame assembler fed the input in chunks whose sizes the input's first byte
// chooses, as a socket would deliver it.
#include "protocol/framing.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0)
    return 0;
  size_t chunk = static_cast<size_t>(data[0] % 17) + 1;
  cafka::protocol::frame_assembler frames{1 << 20};
  cafka::protocol::byte_buffer frame;
  for (size_t at = 1; at < size; at += chunk) {
    frames.feed({data + at, std::min(chunk, size - at)});
    while (frames.next(frame))
      (void)cafka::protocol::correlation_id_of(frame);
  }
  return 0;
}
