#define CAF_SUITE integration.mock_cluster
#include "caf/test/unit_test.hpp"

#include "cafka/producer.hpp"
#include "integration/broker_harness.hpp"
#include "integration/producer_session.hpp"
#include "integration/send_all.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <thread>

using namespace cafka;
using namespace cafka::test;

namespace {

// Starts the fault-scripted mock cluster and returns its bootstrap address.
std::string start_fault_cluster(std::optional<background_process>& mock, std::vector<std::string> args) {
  args.insert(args.begin(), CAFKA_FAULT_CLUSTER);
  mock.emplace(std::move(args));
  auto address = mock->read_line();
  return address.substr(0, address.find_first_of(" \n"));
}

// How many different keys a consumer read.
size_t distinct_keys(const std::vector<consumed_record>& consumed) {
  std::set<std::string> keys;
  for (auto& c : consumed)
    keys.insert(std::string(c.key.data.begin(), c.key.data.end()));
  return keys.size();
}

} // namespace

// librdkafka 2.0.2's mock cluster speaks only ApiVersions v0-v2 (answering v3+ with a short form),
// Metadata v0-v2, Produce v0-v7 and InitProducerId v0-v4: cafka must negotiate down to them.
CAF_TEST(an old peer is spoken to in the versions it knows) {
  std::optional<background_process> mock;
  auto address = start_fault_cluster(mock, {"1", "mock-topic", "3"}); // no faults
  CAF_REQUIRE(!address.empty());

  producer_session session;
  auto& sys = *session.sys;
  for (auto codec : {"none", "gzip", "snappy", "lz4", "zstd"}) {
    auto producer = session.spawn({{"bootstrap.servers", address}, {"compression.type", codec}});
    std::vector<producer_record> records;
    for (int i = 0; i < 300; ++i)
      records.push_back(make_record("mock-topic", "key-" + std::to_string(i), std::string("value")));
    auto reports = send_all(sys, producer, records);
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
    session.close(producer);
  }
}


// The broker loses the producer's state twice (UNKNOWN_PRODUCER_ID: a new epoch each time, KIP-360),
// then a leader moves, the connection drops and a request times out on the broker. Every record is
// acknowledged exactly once, in order, and a real consumer reads each one once. One partition and
// one batch, so that each scripted fault meets that batch (with several partitions, a batch stamped
// before the first bump could take the second fault, and one bump would rightly serve both).
CAF_TEST(lost producer state costs an epoch and no record) {
  std::optional<background_process> mock;
  auto address = start_fault_cluster(mock, {"1", "faults", "1", "0=59,59,6,-195,7"});
  CAF_REQUIRE(!address.empty());
  producer_session session;
  auto& sys = *session.sys;
  auto producer = session.spawn({{"bootstrap.servers", address}, {"linger.ms", "20"},
                                 {"retry.backoff.ms", "10"}, {"retry.backoff.max.ms", "50"}});
  std::vector<producer_record> records;
  for (int i = 0; i < 300; ++i) // about 8 KiB: one batch
    records.push_back(make_record("faults", "key-" + std::to_string(i), "value-" + std::to_string(i)));
  auto reports = send_all(sys, producer, records, send_mode::batched);
  std::map<int32_t, std::vector<int64_t>> offsets;
  for (size_t i = 0; i < reports.size(); ++i) {
    if (reports[i].error)
      CAF_FAIL("record " << i << " failed: " << sys.render(reports[i].error));
    offsets[reports[i].metadata.partition].push_back(reports[i].metadata.offset);
  }
  for (auto& [partition, got] : offsets) // sent in order, so acknowledged at 0, 1, 2, ...
    for (size_t k = 0; k < got.size(); ++k)
      CAF_CHECK_EQUAL(got[k], static_cast<int64_t>(k));
  CAF_CHECK_EQUAL(session.metrics(producer).epoch_bumps, 2u);
  auto consumed = consume_all("faults", address);
  CAF_REQUIRE_EQUAL(consumed.size(), records.size());
  CAF_CHECK_EQUAL(distinct_keys(consumed), records.size());
  session.close(producer);
}

// The in-flight metric counts a Produce request the broker holds (answered after 3 s here), and
// drops back to zero once the acknowledgement arrived.
CAF_TEST(requests the broker holds count as in flight) {
  std::optional<background_process> mock;
  auto address = start_fault_cluster(mock, {"1", "slow", "1", "0=0@3000"});
  CAF_REQUIRE(!address.empty());
  producer_session session;
  auto& sys = *session.sys;
  auto producer = session.spawn({{"bootstrap.servers", address}});
  auto in_flight = [&] { return session.metrics(producer).in_flight_requests; };
  caf::scoped_actor self{sys};
  self->send(producer, send_atom::value, make_record("slow", "k", "v"));
  // Metadata and producer id come first (answered at once); then the Produce waits at the broker.
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds{2500};
  int64_t seen = 0;
  while (seen != 1 && std::chrono::steady_clock::now() < until) {
    seen = in_flight();
    if (seen != 1)
      std::this_thread::sleep_for(std::chrono::milliseconds{5}); // polling the gauge, not timing a race
  }
  CAF_CHECK_EQUAL(seen, 1);
  self->receive([](record_metadata& md) { CAF_CHECK_EQUAL(md.offset, 0); },
                [&](caf::error& err) { CAF_FAIL("send: " << sys.render(err)); },
                caf::after(std::chrono::seconds{20}) >> [] { CAF_FAIL("no acknowledgement"); });
  CAF_CHECK_EQUAL(in_flight(), 0);
  session.close(producer);
}

// Every partition's leader moves to another broker between two waves of records: the second wave's
// first Produce requests meet NOT_LEADER_OR_FOLLOWER, the producer refreshes once and follows. No
// record is lost or written twice: offsets stay contiguous per partition across both waves, and a
// real consumer reads every key once.
CAF_TEST(partition leaders moving between waves lose no record) {
  std::optional<background_process> mock;
  auto address = start_fault_cluster(mock, {"3", "moving", "3"});
  CAF_REQUIRE(!address.empty());
  auto move_leaders = [&](int shift) {
    for (int p = 0; p < 3; ++p) {
      mock->write_line("leader moving " + std::to_string(p) + " " + std::to_string((p + shift) % 3 + 1));
      CAF_REQUIRE_EQUAL(mock->read_line(), "ok\n");
    }
  };
  move_leaders(0); // partition p led by broker p + 1
  producer_session session;
  auto& sys = *session.sys;
  auto producer = session.spawn({{"bootstrap.servers", address}, {"retry.backoff.ms", "10"}});
  std::map<int32_t, std::vector<int64_t>> offsets;
  size_t sent = 0;
  for (int wave = 0; wave < 2; ++wave) {
    if (wave == 1)
      move_leaders(1); // partition p now led by broker (p + 1) % 3 + 1
    std::vector<producer_record> records;
    for (int i = 0; i < 300; ++i)
      records.push_back(make_record("moving", "key-" + std::to_string(sent + static_cast<size_t>(i)), "v"));
    sent += records.size();
    for (auto& report : send_all(sys, producer, records)) {
      if (report.error)
        CAF_FAIL("wave " << wave << ": " << sys.render(report.error));
      offsets[report.metadata.partition].push_back(report.metadata.offset);
    }
  }
  for (auto& [partition, got] : offsets) {
    std::sort(got.begin(), got.end());
    for (size_t k = 0; k < got.size(); ++k)
      CAF_CHECK_EQUAL(got[k], static_cast<int64_t>(k));
  }
  auto consumed = consume_all("moving", address);
  CAF_REQUIRE_EQUAL(consumed.size(), sent);
  CAF_CHECK_EQUAL(distinct_keys(consumed), sent);
  CAF_CHECK_GREATER(session.metrics(producer).records_retried, 0u); // the move was met
  session.close(producer);
}
