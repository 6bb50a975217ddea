// cafka-protocol-bench: the cost of building record batches and of CRC-32C, without a broker.
//
//   cafka-protocol-bench [SECONDS_PER_CASE]
//
// For 100-byte and 1 KiB values and each codec: append records into 16 KiB batches and finish them
// (header, CRC, compression), repeatedly; prints ns per record and MB/s of record bytes. Then
// CRC-32C over 1 MiB with the hardware instruction and with the table.
#include "protocol/crc32c.hpp"
#include "protocol/record_batch.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace cafka::protocol;
using clock_type = std::chrono::steady_clock;

namespace {

double seconds_since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

void batches(compression_codec codec, size_t value_size, double budget) {
  std::string value(value_size, ' ');
  for (size_t i = 0; i < value.size(); ++i)
    value[i] = static_cast<char>('A' + i % 26); // what the perf tools send
  auto key = as_bytes("key-0001");
  size_t records = 0, bytes = 0, out_bytes = 0;
  auto start = clock_type::now();
  while (seconds_since(start) < budget) {
    for (int round = 0; round < 64; ++round) {
      record_batch_builder b(16384);
      int64_t ts = 1700000000000;
      while (b.append_if_fits(16384, ts++, key, as_bytes(value))) {
        ++records;
        bytes += value_size + 8;
      }
      auto done = std::move(b).finish(codec, default_compression_level(codec), {1, 0, 0, false});
      if (!done) {
        std::fprintf(stderr, "finish failed: %s\n", done.error().c_str());
        std::exit(1);
      }
      out_bytes += done->size();
    }
  }
  double secs = seconds_since(start);
  std::printf("batch  %-6s %5zu B values: %8.1f ns/record  %8.1f MB/s in  ratio %.2f\n",
              std::string(compression_codec_name(codec)).c_str(), value_size, secs * 1e9 / static_cast<double>(records),
              static_cast<double>(bytes) / secs / 1e6, static_cast<double>(out_bytes) / static_cast<double>(bytes));
}

void crc(bool hardware, double budget) {
  byte_buffer data(1 << 20);
  for (size_t i = 0; i < data.size(); ++i)
    data[i] = static_cast<uint8_t>(i * 131);
  uint32_t sink = 0;
  size_t bytes = 0;
  auto start = clock_type::now();
  while (seconds_since(start) < budget) {
    sink ^= hardware ? crc32c(data) : crc32c_portable(data);
    bytes += data.size();
  }
  std::printf("crc32c %-8s: %8.2f GB/s (%08x)\n", hardware ? "hardware" : "table", static_cast<double>(bytes) / seconds_since(start) / 1e9, sink);
}

} // namespace

int main(int argc, char** argv) {
  const char* usage = "usage: cafka-protocol-bench [SECONDS_PER_CASE]   (default 0.5)\n"
                      "Prints ns per record for building record batches per codec, then CRC-32C speeds.\n";
  double budget = 0.5;
  if (argc > 1) {
    std::string_view arg{argv[1]};
    if (arg == "-h" || arg == "--help") {
      std::fputs(usage, stdout);
      return 0;
    }
    char* end = nullptr;
    budget = std::strtod(argv[1], &end);
    if (argc > 2 || *end != '\0' || budget <= 0) {
      std::fputs(usage, stderr);
      return 2;
    }
  }
  for (size_t size : {size_t{100}, size_t{1024}})
    for (auto codec : {compression_codec::none, compression_codec::gzip, compression_codec::snappy,
                       compression_codec::lz4, compression_codec::zstd})
      batches(codec, size, budget);
  crc(true, budget);
  crc(false, budget);
}
