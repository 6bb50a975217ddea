#define CAF_SUITE actors.partitioner
#include "caf/test/unit_test.hpp"

#include "actors/sticky_partitioner.hpp"
#include "cafka/partitioner.hpp"

#include <map>
#include <set>

using namespace cafka;

CAF_TEST(murmur2 matches java) {
  // Values printed by org.apache.kafka.common.utils.Utils.murmur2 from kafka-clients 4.1.1.
  std::map<std::string, int32_t> java{
    {"21", -973932308},
    {"foobar", -790332482},
    {"a-little-bit-long-string", -985981536},
    {"a-little-bit-longer-string", -1486304829},
    {"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971},
    {"abc", 479470107},
    {"", 275646681},
    {"k", -1567496736},
  };
  for (auto& [key, hash] : java)
    CAF_CHECK_EQUAL(murmur2(as_bytes(key)), hash);
}

CAF_TEST(keyed records go where java puts them) {
  // (toPositive(murmur2(key))) % n, also from kafka-clients 4.1.1.
  CAF_CHECK_EQUAL(partition_for_key(as_bytes("21"), 3), 0);
  CAF_CHECK_EQUAL(partition_for_key(as_bytes("a-little-bit-long-string"), 3), 2);
  CAF_CHECK_EQUAL(partition_for_key(as_bytes("abc"), 7), 4);
  CAF_CHECK_EQUAL(partition_for_key(as_bytes("key-1"), 7), 5);
  CAF_CHECK_EQUAL(partition_for_key(as_bytes("key-3"), 3), 2);
  CAF_CHECK_EQUAL(partition_for_key(as_bytes("foobar"), 7), 0);
  CAF_CHECK_EQUAL(partition_for_key(as_bytes("key-2"), 7), 4);
}

CAF_TEST(the next sticky partition is never the previous one) {
  sticky_partitioner p{{.adaptive = false, .seed = 42}};
  auto previous = p.next("t", 6);
  std::set<int32_t> seen{previous};
  for (int i = 0; i < 100; ++i) {
    auto next = p.next("t", 6);
    CAF_CHECK_NOT_EQUAL(next, previous);
    CAF_CHECK(next >= 0 && next < 6);
    seen.insert(next);
    previous = next;
  }
  CAF_CHECK_EQUAL(seen.size(), 6u);
  CAF_CHECK_EQUAL(sticky_partitioner({.adaptive = false, .seed = 1}).next("single", 1), 0);
}

CAF_TEST(sticky choice spreads over every available partition) {
  sticky_partitioner p{{.adaptive = false, .seed = 7}};
  std::set<int32_t> seen;
  for (int i = 0; i < 200; ++i)
    seen.insert(p.next("t", 5, {0, 2, 4}));
  CAF_CHECK_EQUAL(seen, (std::set<int32_t>{0, 2, 4}));
}

CAF_TEST(adaptive choice avoids the loaded partition) {
  sticky_partitioner p{{.adaptive = true, .seed = 3}};
  std::map<int32_t, int> chosen;
  std::vector<int64_t> queued{0, 1000000, 0};
  for (int i = 0; i < 300; ++i)
    ++chosen[p.next("t", 3, {}, queued)];
  CAF_CHECK_LESS(chosen[1], 5);
  CAF_CHECK_GREATER(chosen[0], 100);
  CAF_CHECK_GREATER(chosen[2], 100);
}

CAF_TEST(topics keep their own sticky state) {
  sticky_partitioner p{{.adaptive = false, .seed = 5}};
  auto a = p.next("a", 2);
  auto b = p.next("b", 2);
  CAF_CHECK_NOT_EQUAL(p.next("a", 2), a); // a's previous, not b's, is excluded
  CAF_CHECK_NOT_EQUAL(p.next("b", 2), b);
}
