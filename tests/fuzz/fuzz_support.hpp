// Shared by the libFuzzer targets: decode the input as a response of every version cafka speaks.
// A decoder may reject anything; it must never crash, leak, or read past the input.
#pragma once

#include "protocol/framing.hpp"
#include "protocol/messages.hpp"

#include <cstddef>
#include <cstdint>

namespace cafka::fuzz {

template <class Request>
int decode_all_versions(const uint8_t* data, size_t size) {
  protocol::byte_span input{data, size};
  for (int16_t v = Request::min_version; v <= Request::max_version; ++v) {
    auto decoded = protocol::decode_response<Request>(input, v);
    (void)decoded.has_value();
  }
  return 0;
}

} // namespace cafka::fuzz
