#define CAF_SUITE protocol.crc32c
#include "caf/test/unit_test.hpp"

#include "protocol/crc32c.hpp"

#include <vector>

using namespace cafka::protocol;

CAF_TEST(published test vectors) {
  // RFC 3720 (iSCSI) appendix B.4 and the common check value.
  CAF_CHECK_EQUAL(crc32c(as_bytes("123456789")), 0xe3069283u);
  std::vector<uint8_t> zeros(32, 0), ones(32, 0xff), up(32), down(32);
  for (size_t i = 0; i < 32; ++i) {
    up[i] = static_cast<uint8_t>(i);
    down[i] = static_cast<uint8_t>(31 - i);
  }
  CAF_CHECK_EQUAL(crc32c(zeros), 0x8a9136aau);
  CAF_CHECK_EQUAL(crc32c(ones), 0x62a8ab43u);
  CAF_CHECK_EQUAL(crc32c(up), 0x46dd794eu);
  CAF_CHECK_EQUAL(crc32c(down), 0x113fdb5cu);
  CAF_CHECK_EQUAL(crc32c({}), 0u);
}

CAF_TEST(hardware and table agree at every length and alignment) {
  std::vector<uint8_t> data(1031);
  uint32_t x = 12345;
  for (auto& b : data) {
    x = x * 1103515245 + 12345;
    b = static_cast<uint8_t>(x >> 16);
  }
  for (size_t offset = 0; offset < 8; ++offset)
    for (size_t len = 0; len + offset <= data.size(); len += 37) {
      byte_span s{data.data() + offset, len};
      CAF_CHECK_EQUAL(crc32c(s), crc32c_portable(s));
    }
}

CAF_TEST(chaining equals one pass) {
  auto all = as_bytes("123456789");
  CAF_CHECK_EQUAL(crc32c(all.subspan(4), crc32c(all.subspan(0, 4))), 0xe3069283u);
}
