// The wire layer's byte types are the public ones (include/cafka/bytes.hpp): records reach the
// record batch builder without conversion.
#pragma once

#include "cafka/bytes.hpp"

namespace cafka::protocol {

using cafka::as_bytes;
using cafka::as_chars;
using cafka::byte_buffer;
using cafka::byte_span;
using cafka::nullable_bytes;
using cafka::record_header;
using cafka::to_buffer;

} // namespace cafka::protocol
