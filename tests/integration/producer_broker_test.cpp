#define CAF_SUITE integration.producer
#include "caf/test/unit_test.hpp"

#include "cafka/producer.hpp"
#include "integration/broker_harness.hpp"
#include "integration/producer_session.hpp"
#include "integration/send_all.hpp"

#include <map>

using namespace cafka;
using namespace cafka::test;

namespace {

// The session's producers talk to the test command's broker.
struct fixture : producer_session {
  producer_actor spawn(properties props) {
    props["bootstrap.servers"] = bootstrap();
    return producer_session::spawn(props);
  }

  // Writes one record to each partition with acks=all and returns how many it wrote.
  size_t write_one_per_partition(const std::string& topic, int32_t partitions) {
    auto p = spawn({});
    std::vector<producer_record> records;
    for (int32_t i = 0; i < partitions; ++i) {
      records.push_back(make_record(topic, std::string("warm"), std::string("up")));
      records.back().partition = i;
    }
    for (auto& r : send_all(*sys, p, records))
      CAF_REQUIRE(!r.error);
    close(p);
    return records.size();
  }
};

// A mix of what Kafka keeps apart: keys, null keys, empty keys, null and empty values, repeated
// header names, explicit partitions and timestamps.
std::vector<producer_record> mixed_records(const std::string& topic, int n) {
  std::vector<producer_record> out;
  for (int i = 0; i < n; ++i) {
    producer_record r;
    r.topic = topic;
    switch (i % 5) {
      case 0: r.key = nullable_bytes::of("key-" + std::to_string(i % 97)); break;
      case 1: r.key = nullable_bytes::null(); break;
      case 2: r.key = nullable_bytes::of(""); break;
      case 3: r.key = nullable_bytes::of("explicit-" + std::to_string(i)); r.partition = i % 3; break;
      case 4: r.key = nullable_bytes::of("k" + std::to_string(i)); break;
    }
    if (i % 11 == 0)
      r.value = nullable_bytes::null();
    else if (i % 13 == 0)
      r.value = nullable_bytes::of("");
    else
      r.value = nullable_bytes::of("value-" + std::to_string(i) + std::string(static_cast<size_t>(i % 200), 'x'));
    if (i % 4 == 0)
      r.headers = {{"trace", nullable_bytes::of(std::to_string(i))}, {"trace", nullable_bytes::of("again")},
                   {"empty", nullable_bytes::of("")}};
    if (i % 7 == 0)
      r.timestamp = 1600000000000 + i;
    out.push_back(std::move(r));
  }
  return out;
}

// Checks every reply against what a real consumer reads back (after `earlier` records already in
// the topic).
void verify(const std::vector<producer_record>& sent, const std::vector<delivery_report>& reports,
            const std::string& topic, bool offsets_known, size_t earlier = 0) {
  CAF_REQUIRE_EQUAL(reports.size(), sent.size());
  size_t failures = 0;
  for (auto& r : reports)
    if (r.error && failures++ == 0)
      CAF_MESSAGE("first failure: " << to_string(r.error) << " " << to_string(r.error.context()));
  CAF_REQUIRE_EQUAL(failures, 0u);
  auto consumed = consume_at_least(topic, earlier + sent.size());
  CAF_REQUIRE_EQUAL(consumed.size(), earlier + sent.size());
  std::map<std::pair<int32_t, int64_t>, const consumed_record*> by_position;
  for (auto& c : consumed)
    by_position[{c.partition, c.offset}] = &c;
  std::map<int32_t, int64_t> last_offset;
  size_t matched = 0;
  for (size_t i = 0; i < sent.size(); ++i) {
    auto& s = sent[i];
    auto& md = reports[i].metadata;
    CAF_CHECK_EQUAL(md.topic, topic);
    if (s.partition >= 0)
      CAF_CHECK_EQUAL(md.partition, s.partition);
    else if (!s.key.is_null)
      CAF_CHECK_EQUAL(md.partition, partition_for_key(s.key.data, 3)); // Java's choice
    if (s.timestamp >= 0)
      CAF_CHECK_EQUAL(md.timestamp, s.timestamp);
    CAF_CHECK_EQUAL(md.serialized_key_size, s.key.is_null ? -1 : static_cast<int32_t>(s.key.size()));
    if (!offsets_known)
      continue;
    // Per-partition order: a later send never lands at a lower offset.
    if (last_offset.count(md.partition))
      CAF_CHECK_GREATER(md.offset, last_offset[md.partition]);
    last_offset[md.partition] = md.offset;
    auto c = by_position.find({md.partition, md.offset});
    if (c == by_position.end()) {
      CAF_FAIL("record " << i << " replied " << md.partition << "/" << md.offset << " but the consumer has none there");
    }
    auto& got = *c->second;
    CAF_CHECK(got.key == s.key);
    CAF_CHECK(got.value == s.value);
    CAF_CHECK(got.headers == s.headers);
    CAF_CHECK_EQUAL(got.timestamp, md.timestamp);
    ++matched;
  }
  if (offsets_known)
    CAF_CHECK_EQUAL(matched, sent.size());
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(producer_tests, fixture)

CAF_TEST(ten thousand mixed records arrive intact in order on java partitions) {
  auto topic = unique_topic("mixed");
  create_topic(topic, 3);
  auto p = spawn({});
  auto records = mixed_records(topic, 10000);
  auto reports = send_all(*sys, p, records);
  verify(records, reports, topic, true);
  close(p);
}

CAF_TEST(send_batch delivers each record with its own report) {
  auto topic = unique_topic("batched");
  create_topic(topic, 3);
  auto p = spawn({{"linger.ms", "20"}});
  auto records = mixed_records(topic, 3000);
  auto reports = send_all(*sys, p, records, send_mode::batched);
  verify(records, reports, topic, true);
  close(p);
}

CAF_TEST(every codec and acks setting with and without idempotence) {
  struct variant {
    const char* acks;
    const char* idempotence;
  };
  for (auto codec : {"none", "gzip", "snappy", "lz4", "zstd"}) {
    for (auto v : {variant{"all", "true"}, variant{"all", "false"}, variant{"1", "false"}, variant{"0", "false"}}) {
      auto topic = unique_topic(std::string("codec-") + codec + "-acks" + v.acks);
      create_topic(topic, 3);
      CAF_MESSAGE("codec " << codec << ", acks " << v.acks << ", idempotence " << v.idempotence);
      // Without idempotence, Kafka keeps a partition's order across retries only with one request
      // in flight (a fresh topic's first produce may fail with NOT_LEADER_OR_FOLLOWER and retry).
      bool idempotent = std::string(v.idempotence) == "true";
      auto p = spawn({{"compression.type", codec},
                      {"acks", v.acks},
                      {"enable.idempotence", v.idempotence},
                      {"max.in.flight.requests.per.connection", idempotent ? "5" : "1"}});
      bool acks0 = std::string(v.acks) == "0";
      // With acks=0 the broker answers nothing: a partition whose leadership its broker has not taken
      // up yet (a fresh topic) drops the request and the connection, and the records are gone, by
      // design. So the topic takes one acknowledged record per partition first.
      size_t earlier = acks0 ? write_one_per_partition(topic, 3) : 0;
      auto records = mixed_records(topic, 1000);
      auto reports = send_all(*sys, p, records);
      verify(records, reports, topic, !acks0, earlier);
      if (acks0)
        for (auto& r : reports)
          CAF_CHECK_EQUAL(r.metadata.offset, -1);
      close(p);
    }
  }
}

CAF_TEST(a missing topic fails every send with the metadata timeout) {
  auto topic = unique_topic("absent");
  auto p = spawn({{"max.block.ms", "1500"}});
  std::vector<producer_record> records;
  for (int i = 0; i < 50; ++i)
    records.push_back(make_record(topic, std::string("k"), std::string("v")));
  auto started = std::chrono::steady_clock::now();
  auto reports = send_all(*sys, p, records);
  auto waited = std::chrono::steady_clock::now() - started;
  CAF_CHECK_GREATER_OR_EQUAL(waited, std::chrono::milliseconds{1500});
  CAF_CHECK_LESS(waited, std::chrono::seconds{10});
  for (auto& r : reports) {
    CAF_REQUIRE(r.error);
    CAF_CHECK_EQUAL(r.error.code(), static_cast<uint8_t>(errc::metadata_timeout));
    CAF_CHECK_EQUAL(sys->render(r.error).find("not present in metadata after 1500 ms") != std::string::npos, true);
  }
  close(p);
}

CAF_TEST(a record over max request size fails alone) {
  auto topic = unique_topic("large");
  create_topic(topic, 1);
  auto p = spawn({{"max.request.size", "10000"}});
  std::vector<producer_record> records;
  records.push_back(make_record(topic, std::string("before"), std::string(100, 'a')));
  records.push_back(make_record(topic, std::string("huge"), std::string(20000, 'b')));
  records.push_back(make_record(topic, std::string("after"), std::string(100, 'c')));
  auto reports = send_all(*sys, p, records);
  CAF_CHECK(!reports[0].error);
  CAF_REQUIRE(reports[1].error);
  CAF_CHECK_EQUAL(reports[1].error.code(), static_cast<uint8_t>(errc::record_too_large));
  CAF_CHECK(sys->render(reports[1].error).find("max.request.size") != std::string::npos);
  CAF_CHECK(!reports[2].error);
  auto consumed = consume_at_least(topic, 2);
  CAF_REQUIRE_EQUAL(consumed.size(), 2u);
  CAF_CHECK(consumed[0].key == nullable_bytes::of("before"));
  CAF_CHECK(consumed[1].key == nullable_bytes::of("after"));
  close(p);
}

// A topic with message.timestamp.type=LogAppendTime: the broker stamps the batch, and each reply
// carries the broker's time (not the record's), the same time a real consumer reads.
CAF_TEST(log append time topics reply with the timestamp of the broker) {
  auto topic = unique_topic("log-append");
  create_topic(topic, 1, {"message.timestamp.type=LogAppendTime"});
  auto producer = spawn({});
  auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch()).count();
  std::vector<producer_record> records;
  for (int i = 0; i < 20; ++i) {
    auto r = make_record(topic, "k" + std::to_string(i), "v");
    r.timestamp = 1000 + i; // what the broker overrides
    records.push_back(std::move(r));
  }
  auto reports = send_all(*sys, producer, records);
  auto consumed = consume_at_least(topic, records.size());
  CAF_REQUIRE_EQUAL(consumed.size(), records.size());
  for (size_t i = 0; i < reports.size(); ++i) {
    if (reports[i].error)
      CAF_FAIL("record " << i << " failed: " << sys->render(reports[i].error));
    auto& md = reports[i].metadata;
    CAF_CHECK_GREATER_OR_EQUAL(md.timestamp, before);
    CAF_CHECK_EQUAL(consumed[static_cast<size_t>(md.offset)].timestamp_type, "logappend");
    CAF_CHECK_EQUAL(consumed[static_cast<size_t>(md.offset)].timestamp, md.timestamp);
  }
  close(producer);
}

CAF_TEST(a bad property fails the spawn naming it) {
  auto p = spawn_producer(*sys, {{"bootstrap.servers", bootstrap()}, {"linger.ms", "soon"}});
  CAF_REQUIRE(!p);
  CAF_CHECK(sys->render(p.error()).find("linger.ms") != std::string::npos);
}

CAF_TEST_FIXTURE_SCOPE_END()
