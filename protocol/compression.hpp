// Compression of a record batch's records section, in the forms Kafka's Java client writes:
// gzip, snappy (xerial-framed), lz4 (LZ4 frame, 64 KiB independent blocks), zstd.
#pragma once

#include "protocol/bytes.hpp"
#include "protocol/result.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace cafka::protocol {

// The values are the batch attributes' low three bits.
enum class compression_codec : int8_t { none = 0, gzip = 1, snappy = 2, lz4 = 3, zstd = 4 };

std::optional<compression_codec> parse_compression_codec(std::string_view name);
std::string_view compression_codec_name(compression_codec codec);

// Java's defaults for compression.gzip.level, compression.lz4.level and compression.zstd.level.
constexpr int default_compression_level(compression_codec codec) {
  switch (codec) {
    case compression_codec::gzip: return -1; // zlib's default, 6
    case compression_codec::lz4: return 9;
    case compression_codec::zstd: return 3;
    default: return 0;
  }
}

// Whether Java accepts the level for the codec (gzip 1..9 or -1, lz4 1..17, zstd -131072..22).
bool valid_compression_level(compression_codec codec, int level);

// Appends the compressed form of in to out.
result<void> compress(compression_codec codec, byte_span in, byte_buffer& out,
                                          int level);

// Decompresses in; fails rather than produce more than max_size bytes.
result<byte_buffer> decompress(compression_codec codec, byte_span in,
                                                   size_t max_size = 256u << 20);

} // namespace cafka::protocol
