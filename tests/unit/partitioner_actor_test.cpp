#define CAF_SUITE actors.partitioner_actor
#include "caf/all.hpp"
#define FAIL(msg) CAF_FAIL(msg) // CAF 0.17.6's dsl.hpp uses an undefined FAIL
#include "caf/test/dsl.hpp"

#include "actors/partitioner_actor.hpp"

using namespace cafka;

namespace {

struct fixture : test_coordinator_fixture<> {
  partitioner_actor partitioner;

  fixture() {
    partitioner_settings s;
    s.batch_size = 1000;
    s.choices_per_lease = 4;
    s.sticky = {.adaptive = false, .seed = 11};
    partitioner = spawn_partitioner(sys, s);
  }

  sticky_lease lease(const std::string& topic, int32_t count, std::vector<int32_t> available = {}) {
    // The test coordinator runs the partitioner; its reply waits in the scoped actor's mailbox.
    self->send(partitioner, sticky_atom::value, topic, count, std::move(available), std::vector<int64_t>{});
    run();
    sticky_lease got;
    self->receive([&](sticky_lease& l) { got = std::move(l); });
    return got;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(partitioner_actor_tests, fixture)

CAF_TEST(a lease carries the next sticky partitions and their byte budget) {
  auto first = lease("t", 5);
  CAF_CHECK_EQUAL(first.topic, "t");
  CAF_CHECK_EQUAL(first.bytes_each, 1000);
  CAF_REQUIRE_EQUAL(first.partitions.size(), 4u);
  for (size_t i = 1; i < first.partitions.size(); ++i)
    CAF_CHECK_NOT_EQUAL(first.partitions[i], first.partitions[i - 1]);
  // The next lease continues the same sequence: it does not start on the partition just used.
  auto second = lease("t", 5);
  CAF_REQUIRE_EQUAL(second.partitions.size(), 4u);
  CAF_CHECK_NOT_EQUAL(second.partitions.front(), first.partitions.back());
}

CAF_TEST(a lease only names available partitions) {
  for (int i = 0; i < 20; ++i)
    for (auto p : lease("t", 6, {1, 4}).partitions)
      CAF_CHECK(p == 1 || p == 4);
}

CAF_TEST(a topic without partitions gets an empty lease) {
  CAF_CHECK(lease("t", 0).partitions.empty());
}

CAF_TEST_FIXTURE_SCOPE_END()
