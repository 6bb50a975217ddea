// CRC-32C (Castagnoli), the checksum of record batch v2.
#pragma once

#include "protocol/bytes.hpp"

namespace cafka::protocol {

// Uses the SSE4.2 crc32 instruction where the CPU has it, a slicing-by-8 table otherwise.
uint32_t crc32c(byte_span data, uint32_t crc = 0);

// The table version, always; exposed so tests can check both paths agree.
uint32_t crc32c_portable(byte_span data, uint32_t crc = 0);

} // namespace cafka::protocol
