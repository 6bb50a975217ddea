#include "protocol/compression.hpp"

#include "protocol/reader.hpp"
#include "protocol/writer.hpp"

#include <lz4frame.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include <cstring>
#include <memory>

namespace cafka::protocol {

namespace {

using encoded = result<void>;
using decoded = result<byte_buffer>;

// ---- gzip ----

encoded gzip_encode(byte_span in, byte_buffer& out, int level) {
  z_stream z{};
  if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return unexpected("gzip: deflateInit2 failed");
  size_t start = out.size();
  out.resize(start + deflateBound(&z, in.size()) + 32);
  z.next_in = const_cast<Bytef*>(in.data());
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = out.data() + start;
  z.avail_out = static_cast<uInt>(out.size() - start);
  int rc = deflate(&z, Z_FINISH);
  size_t written = z.total_out;
  deflateEnd(&z);
  if (rc != Z_STREAM_END)
    return unexpected("gzip: deflate failed");
  out.resize(start + written);
  return {};
}

decoded gzip_decode(byte_span in, size_t max_size) {
  z_stream z{};
  if (inflateInit2(&z, 15 + 32) != Z_OK)
    return unexpected("gzip: inflateInit2 failed");
  byte_buffer out;
  z.next_in = const_cast<Bytef*>(in.data());
  z.avail_in = static_cast<uInt>(in.size());
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (out.size() >= max_size) {
      inflateEnd(&z);
      return unexpected("gzip: output exceeds " + std::to_string(max_size) + " bytes");
    }
    size_t have = out.size();
    out.resize(std::min(max_size, std::max<size_t>(have * 2, in.size() * 4 + 64)));
    z.next_out = out.data() + have;
    z.avail_out = static_cast<uInt>(out.size() - have);
    rc = inflate(&z, Z_NO_FLUSH);
    out.resize(out.size() - z.avail_out);
    if (rc != Z_OK && rc != Z_STREAM_END && !(rc == Z_BUF_ERROR && z.avail_in > 0)) {
      inflateEnd(&z);
      return unexpected("gzip: corrupt input");
    }
    if (rc == Z_BUF_ERROR && z.avail_in == 0) {
      inflateEnd(&z);
      return unexpected("gzip: truncated input");
    }
  }
  inflateEnd(&z);
  return out;
}

// ---- snappy, xerial framing: magic, version 1, compatible 1, then (int32 size, block)* ----

constexpr uint8_t xerial_magic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
constexpr size_t xerial_block = 32 * 1024; // the Java client's SnappyOutputStream block size

encoded snappy_encode(byte_span in, byte_buffer& out) {
  writer w{out};
  w.raw(byte_span{xerial_magic});
  w.i32(1);
  w.i32(1);
  for (size_t off = 0; off < in.size(); off += xerial_block) {
    size_t n = std::min(xerial_block, in.size() - off);
    size_t at = out.size();
    size_t cap = snappy_max_compressed_length(n);
    out.resize(at + 4 + cap);
    size_t len = cap;
    if (snappy_compress(reinterpret_cast<const char*>(in.data() + off), n,
                        reinterpret_cast<char*>(out.data() + at + 4), &len)
        != SNAPPY_OK)
      return unexpected("snappy: compression failed");
    out.resize(at + 4 + len);
    w.patch_i32(at, static_cast<int32_t>(len));
  }
  return {};
}

result<void> snappy_block(byte_span block, byte_buffer& out, size_t max_size) {
  size_t n = 0;
  auto src = reinterpret_cast<const char*>(block.data());
  if (snappy_uncompressed_length(src, block.size(), &n) != SNAPPY_OK)
    return unexpected("snappy: corrupt block");
  if (n > max_size - out.size())
    return unexpected("snappy: output exceeds " + std::to_string(max_size) + " bytes");
  size_t at = out.size();
  out.resize(at + n);
  if (snappy_uncompress(src, block.size(), reinterpret_cast<char*>(out.data() + at), &n) != SNAPPY_OK)
    return unexpected("snappy: corrupt block");
  return {};
}

decoded snappy_decode(byte_span in, size_t max_size) {
  byte_buffer out;
  if (in.size() < 16 || std::memcmp(in.data(), xerial_magic, 8) != 0) {
    // Plain snappy, as some clients write.
    if (auto ok = snappy_block(in, out, max_size); !ok)
      return unexpected(ok.error());
    return out;
  }
  reader r{in.subspan(16)};
  while (!r.at_end()) {
    int32_t len = r.i32();
    if (len < 0)
      return unexpected("snappy: negative block size");
    auto block = r.take(static_cast<size_t>(len));
    if (!r.ok())
      return unexpected("snappy: " + r.error());
    if (auto ok = snappy_block(block, out, max_size); !ok)
      return unexpected(ok.error());
  }
  return out;
}

// ---- lz4 frame ----

encoded lz4_encode(byte_span in, byte_buffer& out, int level) {
  LZ4F_preferences_t prefs{};
  prefs.frameInfo.blockSizeID = LZ4F_max64KB;
  prefs.frameInfo.blockMode = LZ4F_blockIndependent;
  prefs.compressionLevel = level;
  size_t at = out.size();
  size_t cap = LZ4F_compressFrameBound(in.size(), &prefs);
  out.resize(at + cap);
  size_t n = LZ4F_compressFrame(out.data() + at, cap, in.data(), in.size(), &prefs);
  if (LZ4F_isError(n))
    return unexpected(std::string("lz4: ") + LZ4F_getErrorName(n));
  out.resize(at + n);
  return {};
}

decoded lz4_decode(byte_span in, size_t max_size) {
  LZ4F_dctx* ctx = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION)))
    return unexpected("lz4: cannot create a context");
  std::unique_ptr<LZ4F_dctx, decltype(&LZ4F_freeDecompressionContext)> guard{ctx,
                                                                               LZ4F_freeDecompressionContext};
  byte_buffer out;
  size_t pos = 0;
  size_t hint = 1;
  while (pos < in.size() && hint != 0) {
    if (out.size() >= max_size)
      return unexpected("lz4: output exceeds " + std::to_string(max_size) + " bytes");
    size_t have = out.size();
    out.resize(std::min(max_size, have + 64 * 1024));
    size_t dst = out.size() - have;
    size_t src = in.size() - pos;
    hint = LZ4F_decompress(ctx, out.data() + have, &dst, in.data() + pos, &src, nullptr);
    if (LZ4F_isError(hint))
      return unexpected(std::string("lz4: ") + LZ4F_getErrorName(hint));
    pos += src;
    out.resize(have + dst);
  }
  if (hint != 0)
    return unexpected("lz4: truncated frame");
  return out;
}

// ---- zstd ----

encoded zstd_encode(byte_span in, byte_buffer& out, int level) {
  // One context per thread, reused: creating one costs far more than compressing a 16 KiB batch.
  thread_local std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> ctx{ZSTD_createCCtx(), ZSTD_freeCCtx};
  size_t at = out.size();
  size_t cap = ZSTD_compressBound(in.size());
  out.resize(at + cap);
  size_t n = ZSTD_compressCCtx(ctx.get(), out.data() + at, cap, in.data(), in.size(), level);
  if (ZSTD_isError(n))
    return unexpected(std::string("zstd: ") + ZSTD_getErrorName(n));
  out.resize(at + n);
  return {};
}

decoded zstd_decode(byte_span in, size_t max_size) {
  thread_local std::unique_ptr<ZSTD_DStream, decltype(&ZSTD_freeDStream)> ds{ZSTD_createDStream(),
                                                                              ZSTD_freeDStream};
  ZSTD_initDStream(ds.get());
  byte_buffer out;
  ZSTD_inBuffer src{in.data(), in.size(), 0};
  size_t rc = 1;
  while (rc != 0) {
    if (out.size() >= max_size)
      return unexpected("zstd: output exceeds " + std::to_string(max_size) + " bytes");
    size_t have = out.size();
    out.resize(std::min(max_size, have + ZSTD_DStreamOutSize()));
    ZSTD_outBuffer dst{out.data() + have, out.size() - have, 0};
    rc = ZSTD_decompressStream(ds.get(), &dst, &src);
    if (ZSTD_isError(rc))
      return unexpected(std::string("zstd: ") + ZSTD_getErrorName(rc));
    out.resize(have + dst.pos);
    if (rc != 0 && src.pos == src.size && dst.pos < dst.size)
      return unexpected("zstd: truncated frame");
  }
  return out;
}

} // namespace

std::optional<compression_codec> parse_compression_codec(std::string_view name) {
  for (auto c : {compression_codec::none, compression_codec::gzip, compression_codec::snappy,
                 compression_codec::lz4, compression_codec::zstd})
    if (compression_codec_name(c) == name)
      return c;
  return std::nullopt;
}

std::string_view compression_codec_name(compression_codec codec) {
  switch (codec) {
    case compression_codec::none: return "none";
    case compression_codec::gzip: return "gzip";
    case compression_codec::snappy: return "snappy";
    case compression_codec::lz4: return "lz4";
    case compression_codec::zstd: return "zstd";
  }
  return "unknown";
}

bool valid_compression_level(compression_codec codec, int level) {
  switch (codec) {
    case compression_codec::gzip: return level == -1 || (level >= 1 && level <= 9);
    case compression_codec::lz4: return level >= 1 && level <= 17;
    case compression_codec::zstd: return level >= -131072 && level <= 22;
    default: return true;
  }
}

result<void> compress(compression_codec codec, byte_span in, byte_buffer& out,
                                          int level) {
  switch (codec) {
    case compression_codec::none: out.insert(out.end(), in.begin(), in.end()); return {};
    case compression_codec::gzip: return gzip_encode(in, out, level);
    case compression_codec::snappy: return snappy_encode(in, out);
    case compression_codec::lz4: return lz4_encode(in, out, level);
    case compression_codec::zstd: return zstd_encode(in, out, level);
  }
  return unexpected("unknown compression codec " + std::to_string(static_cast<int>(codec)));
}

result<byte_buffer> decompress(compression_codec codec, byte_span in, size_t max_size) {
  switch (codec) {
    case compression_codec::none:
      if (in.size() > max_size)
        return unexpected("input exceeds " + std::to_string(max_size) + " bytes");
      return byte_buffer{in.begin(), in.end()};
    case compression_codec::gzip: return gzip_decode(in, max_size);
    case compression_codec::snappy: return snappy_decode(in, max_size);
    case compression_codec::lz4: return lz4_decode(in, max_size);
    case compression_codec::zstd: return zstd_decode(in, max_size);
  }
  return unexpected("unknown compression codec " + std::to_string(static_cast<int>(codec)));
}

} // namespace cafka::protocol
