#define CAF_SUITE integration.mock_cluster
#include "caf/test/unit_test.hpp"

#include "actors/producer.hpp"
#include "integration/broker_harness.hpp"
#include "integration/send_all.hpp"

#include <map>

using namespace cafka;
using namespace cafka::test;

// librdkafka 2.0.2's mock cluster speaks only ApiVersions v0-v2 (answering v3+ with a short form),
// Metadata v0-v2, Produce v0-v7 and InitProducerId v0-v4: cafka must negotiate down to them.
CAF_TEST(an old peer is spoken to in the versions it knows) {
  std::string driver = CAFKA_MOCK_CLUSTER;
  if (driver.empty())
    CAF_FAIL("librdkafka's mock cluster driver (shared/peers/mock_cluster.c) was not found at configure time");
  background_process mock{{driver, "1", "mock-topic", "3"}};
  auto address = mock.read_line();
  address = address.substr(0, address.find_first_of(" \n"));
  CAF_REQUIRE(!address.empty());

  caf::actor_system_config cfg;
  register_types(cfg);
  caf::actor_system sys{cfg};
  for (auto codec : {"none", "gzip", "snappy", "lz4", "zstd"}) {
    auto producer = spawn_producer(sys, {{"bootstrap.servers", address}, {"compression.type", codec}});
    CAF_REQUIRE(producer);
    std::vector<producer_record> records;
    for (int i = 0; i < 300; ++i)
      records.push_back(make_record("mock-topic", "key-" + std::to_string(i), std::string("value")));
    auto reports = send_all(sys, *producer, records);
    std::map<int32_t, int64_t> next_offset;
    for (size_t i = 0; i < reports.size(); ++i) {
      if (reports[i].error)
        CAF_FAIL(codec << ": record " << i << " failed: " << sys.render(reports[i].error));
      auto& md = reports[i].metadata;
      CAF_CHECK_EQUAL(md.partition, partition_for_key(records[i].key.data, 3));
      // Each codec's records follow the previous ones: offsets per partition strictly increase.
      CAF_CHECK_GREATER_OR_EQUAL(md.offset, next_offset[md.partition]);
      next_offset[md.partition] = md.offset + 1;
    }
    caf::scoped_actor self{sys};
    self->request(*producer, std::chrono::seconds{30}, close_atom::value, caf::timespan{std::chrono::seconds{10}})
      .receive([](ok_atom) {}, [&](caf::error& err) { CAF_FAIL("close: " << sys.render(err)); });
  }
}
