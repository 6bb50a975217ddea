#define CAF_SUITE protocol.compression
#include "caf/test/unit_test.hpp"

#include "protocol/compression.hpp"

using namespace cafka::protocol;

namespace {

const compression_codec all_codecs[] = {compression_codec::none, compression_codec::gzip,
                                        compression_codec::snappy, compression_codec::lz4,
                                        compression_codec::zstd};

byte_buffer pseudo_text(size_t n) {
  byte_buffer b(n);
  uint32_t x = 7;
  for (auto& c : b) {
    x = x * 1664525 + 1013904223;
    c = static_cast<uint8_t>("the quick brown fox jumps over a lazy dog "[(x >> 24) % 42]);
  }
  return b;
}

} // namespace

CAF_TEST(round trip empty small and ten mebibytes) {
  for (auto codec : all_codecs) {
    for (size_t n : {size_t{0}, size_t{1}, size_t{100}, size_t{70000}, size_t{10} << 20}) {
      auto in = pseudo_text(n);
      byte_buffer out;
      auto ok = compress(codec, in, out, default_compression_level(codec));
      CAF_REQUIRE(ok.has_value());
      auto back = decompress(codec, out);
      CAF_REQUIRE(back.has_value());
      CAF_CHECK(*back == in);
    }
  }
}

CAF_TEST(snappy writes the xerial framing the java client reads) {
  byte_buffer out;
  CAF_REQUIRE(compress(compression_codec::snappy, as_bytes("hello hello hello"), out, 0).has_value());
  const uint8_t magic[] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1};
  CAF_REQUIRE_GREATER(out.size(), 16u);
  CAF_CHECK(std::equal(magic, magic + 16, out.begin()));
}

CAF_TEST(lz4 writes a standard frame) {
  byte_buffer out;
  CAF_REQUIRE(compress(compression_codec::lz4, as_bytes("hello"), out, 9).has_value());
  CAF_REQUIRE_GREATER(out.size(), 4u);
  CAF_CHECK_EQUAL(out[0], 0x04);
  CAF_CHECK_EQUAL(out[1], 0x22);
  CAF_CHECK_EQUAL(out[2], 0x4d);
  CAF_CHECK_EQUAL(out[3], 0x18);
}

CAF_TEST(levels change the output) {
  std::string lines;
  for (int i = 0; i < 20000; ++i)
    lines += "record " + std::to_string(i * 7919 % 10007) + " of topic orders, status shipped\n";
  auto in = as_bytes(lines);
  // Higher gzip and lz4 levels find more matches in this text; zstd's levels only differ.
  for (auto codec : {compression_codec::gzip, compression_codec::lz4, compression_codec::zstd}) {
    byte_buffer fast, strong;
    CAF_REQUIRE(compress(codec, in, fast, 1).has_value());
    CAF_REQUIRE(compress(codec, in, strong, 9).has_value());
    if (codec == compression_codec::zstd)
      CAF_CHECK(fast != strong);
    else
      CAF_CHECK_LESS(strong.size(), fast.size());
  }
  CAF_CHECK(valid_compression_level(compression_codec::gzip, -1));
  CAF_CHECK(!valid_compression_level(compression_codec::gzip, 0));
  CAF_CHECK(!valid_compression_level(compression_codec::lz4, 18));
  CAF_CHECK(!valid_compression_level(compression_codec::zstd, 23));
}

CAF_TEST(corrupt or truncated input is an error) {
  for (auto codec : all_codecs) {
    if (codec == compression_codec::none)
      continue;
    auto in = pseudo_text(5000);
    byte_buffer out;
    CAF_REQUIRE(compress(codec, in, out, default_compression_level(codec)).has_value());
    byte_span cut{out.data(), out.size() / 2};
    CAF_CHECK(!decompress(codec, cut).has_value());
    byte_buffer garbage(64, 0xa5);
    CAF_CHECK(!decompress(codec, garbage).has_value());
  }
}

CAF_TEST(output is bounded) {
  auto in = byte_buffer(1 << 20, 'a');
  for (auto codec : all_codecs) {
    byte_buffer out;
    CAF_REQUIRE(compress(codec, in, out, default_compression_level(codec)).has_value());
    CAF_CHECK(!decompress(codec, out, 1000).has_value());
  }
}

CAF_TEST(names) {
  CAF_CHECK(parse_compression_codec("zstd") == compression_codec::zstd);
  CAF_CHECK(!parse_compression_codec("brotli"));
  CAF_CHECK_EQUAL(compression_codec_name(compression_codec::lz4), "lz4");
}
