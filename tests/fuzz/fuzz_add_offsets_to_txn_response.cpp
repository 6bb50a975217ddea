// libFuzzer target: add_offsets_to_txn responses of every supported version.
#include "fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return cafka::fuzz::decode_all_versions<cafka::protocol::add_offsets_to_txn_request>(data, size);
}
