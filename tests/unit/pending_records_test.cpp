#define CAF_SUITE actors.pending_records
#include "caf/all.hpp"
#include "caf/test/dsl.hpp"

#include "actors/pending_records.hpp"

#include <tuple>

using namespace cafka;

namespace {

// A sink that only counts what reaches it (an argument besides self: CAF 0.17's spawn of a function
// without one trips UBSan, see the CAF notes).
delivery_sink::behavior_type counting_sink(delivery_sink::pointer, std::shared_ptr<size_t> messages) {
  return {
    [=](credit_atom, int64_t) { ++*messages; },
    [=](delivered_atom, std::vector<record_ack>&) { ++*messages; },
  };
}

pending_record numbered(uint64_t slot) {
  pending_record r;
  r.slot = slot;
  return r;
}

struct fixture : test_coordinator_fixture<> {
  ~fixture() {
    for (auto& s : sinks)
      caf::anon_send_exit(s, caf::exit_reason::kill);
    run();
  }
  delivery_sink new_sink() {
    sinks.push_back(sys.spawn(counting_sink, messages));
    return sinks.back();
  }
  std::vector<delivery_sink> sinks;
  std::shared_ptr<size_t> messages = std::make_shared<size_t>(0);
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(pending_records_tests, fixture)

// A batch actor holds an entry per record until the broker answers: records of one append_many or
// of one sink keep one target between them; every promise is its own.
CAF_TEST(consecutive records of one group or one sink share their reply target) {
  pending_records records;
  reply_target group;
  group.group = std::make_shared<collected_runs>(caf::typed_response_promise<append_outcome>{}, 3);
  reply_target sink_a, sink_b;
  sink_a.sink = new_sink();
  sink_b.sink = new_sink();
  for (uint64_t i = 0; i < 3; ++i)
    records.add(numbered(i), group);
  records.add(numbered(10), sink_a);
  records.add(numbered(11), sink_a);
  records.add(numbered(20), sink_b);
  records.add(numbered(30), reply_target{}); // a promise each
  records.add(numbered(31), reply_target{});
  CAF_CHECK_EQUAL(records.size(), 8u);
  CAF_CHECK_EQUAL(records.targets(), 5u);
  std::vector<std::tuple<size_t, uint64_t, bool, caf::actor_addr>> seen;
  records.for_each([&](size_t i, const pending_record& r, reply_target& to) {
    seen.emplace_back(i, r.slot, to.group == group.group, to.sink.address());
  });
  using row = std::tuple<size_t, uint64_t, bool, caf::actor_addr>;
  std::vector<row> expected{{0, 0, true, {}},
                            {1, 1, true, {}},
                            {2, 2, true, {}},
                            {3, 10, false, sink_a.sink.address()},
                            {4, 11, false, sink_a.sink.address()},
                            {5, 20, false, sink_b.sink.address()},
                            {6, 30, false, {}},
                            {7, 31, false, {}}};
  CAF_CHECK(seen == expected);
  records.clear();
  CAF_CHECK(records.empty());
  CAF_CHECK_EQUAL(records.targets(), 0u);
}

CAF_TEST_FIXTURE_SCOPE_END()
