#define CAF_SUITE actors.partitioner
#include "caf/test/unit_test.hpp"

#include "actors/partitioner.hpp"

#include <map>
#include <set>

using namespace cafka;
using protocol::as_bytes;

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
  partitioner p{{}};
  CAF_CHECK_EQUAL(p.partition("t", as_bytes("foobar"), std::nullopt, 7), 0);
  CAF_CHECK_EQUAL(p.partition("t", as_bytes("key-2"), std::nullopt, 7), 4);
}

CAF_TEST(null keys stick to one partition until batch size bytes) {
  partitioner p{{.batch_size = 1000, .ignore_keys = false, .adaptive = false, .seed = 42}};
  auto first = p.partition("t", std::nullopt, as_bytes("v"), 6);
  for (int i = 0; i < 9; ++i) {
    CAF_CHECK_EQUAL(p.partition("t", std::nullopt, as_bytes("v"), 6), first);
    p.on_appended("t", first, 100);
  }
  // 900 bytes so far: still sticky; the 1000th byte moves it on, to another partition.
  CAF_CHECK_EQUAL(p.partition("t", std::nullopt, as_bytes("v"), 6), first);
  p.on_appended("t", first, 100);
  auto second = p.partition("t", std::nullopt, as_bytes("v"), 6);
  CAF_CHECK_NOT_EQUAL(second, first);
}

CAF_TEST(sticky choice spreads over every available partition) {
  partitioner p{{.batch_size = 10, .ignore_keys = false, .adaptive = false, .seed = 7}};
  std::set<int32_t> seen;
  for (int i = 0; i < 200; ++i) {
    auto part = p.partition("t", std::nullopt, std::nullopt, 5, {0, 2, 4});
    seen.insert(part);
    p.on_appended("t", part, 10);
  }
  CAF_CHECK_EQUAL(seen, (std::set<int32_t>{0, 2, 4}));
}

CAF_TEST(adaptive choice avoids the loaded partition) {
  partitioner p{{.batch_size = 10, .ignore_keys = false, .adaptive = true, .seed = 3}};
  std::map<int32_t, int> chosen;
  std::vector<int64_t> queued{0, 1000000, 0};
  for (int i = 0; i < 300; ++i) {
    auto part = p.partition("t", std::nullopt, std::nullopt, 3, {}, queued);
    ++chosen[part];
    p.on_appended("t", part, 10);
  }
  CAF_CHECK_LESS(chosen[1], 5);
  CAF_CHECK_GREATER(chosen[0], 100);
  CAF_CHECK_GREATER(chosen[2], 100);
}

CAF_TEST(ignore keys treats keyed records as unkeyed) {
  partitioner p{{.batch_size = 1000000, .ignore_keys = true, .adaptive = false, .seed = 1}};
  auto first = p.partition("t", as_bytes("a"), std::nullopt, 50);
  for (auto key : {"b", "c", "d", "e", "f"})
    CAF_CHECK_EQUAL(p.partition("t", as_bytes(key), std::nullopt, 50), first);
}

CAF_TEST(a custom partitioner replaces the policy) {
  partitioner p{{}, [](const std::string&, std::optional<protocol::byte_span> key, std::optional<protocol::byte_span>,
                       int32_t count) { return key ? static_cast<int32_t>(key->size()) % count : 0; }};
  CAF_CHECK_EQUAL(p.partition("t", as_bytes("abcd"), std::nullopt, 3), 1);
  CAF_CHECK_EQUAL(p.partition("t", std::nullopt, std::nullopt, 3), 0);
}
