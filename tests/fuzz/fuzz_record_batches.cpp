// libFuzzer target: record batches read back (headers, varints, every compression codec).
#include "protocol/record_batch.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto batches = cafka::protocol::decode_record_batches({data, size});
  if (batches.has_value())
    for (auto& b : *batches)
      (void)b.records.size();
  return 0;
}
