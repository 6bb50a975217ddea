// libFuzzer target: txn_offset_commit responses of every supported version.
#include "fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return cafka::fuzz::decode_all_versions<cafka::protocol::txn_offset_commit_request>(data, size);
}
