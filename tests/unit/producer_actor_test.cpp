#define CAF_SUITE actors.producer
#include "caf/all.hpp"
#define FAIL(msg) CAF_FAIL(msg) // CAF 0.17.6's dsl.hpp uses an undefined FAIL
#include "caf/test/dsl.hpp"

#include "cafka/error.hpp"
#include "actors/producer_front.hpp"
#include "protocol/error_codes.hpp"
#include "protocol/record_batch.hpp"
#include "unit/fake_actors.hpp"

using namespace cafka;
using namespace std::chrono_literals;
using namespace cafka::test;

namespace {

struct fixture : test_coordinator_fixture<> {
  std::shared_ptr<fake_log> log = std::make_shared<fake_log>();
  std::vector<caf::actor> spawned;

  fixture() {
    add_error_category(cfg);
    log->topics["orders"] = 3;
  }

  // See batch_actor_test: stop every actor before the base fixture triggers timeouts forever.
  ~fixture() override {
    for (auto& a : spawned)
      caf::anon_send_exit(a, caf::exit_reason::kill);
    for (auto& c : log->connections)
      caf::anon_send_exit(c, caf::exit_reason::kill);
    consume_messages();
  }

  // The producer under test (over fake connections) and a client talking to it.
  caf::actor spawn(properties props, interceptor_list interceptors = {}, custom_partitioner custom = {},
                   partitioner_actor sticky = {}) {
    props.emplace("bootstrap.servers", "127.0.0.1:9092");
    auto config = parse_config(props);
    CAF_REQUIRE(config.has_value());
    front_settings fs;
    fs.config = *config;
    fs.connections = fake_connections(log);
    fs.interceptors = std::move(interceptors);
    fs.partitioner = std::move(custom);
    fs.sticky_partitions = sticky;
    auto front = spawn_producer_front(sys, fs);
    spawned.push_back(caf::actor_cast<caf::actor>(front));
    auto client = sys.spawn(fake_client, caf::actor_cast<caf::actor>(front), log);
    spawned.push_back(client);
    return client;
  }

  producer_record record(const std::string& topic, size_t value_size = 10) {
    producer_record r;
    r.topic = topic;
    r.value = nullable_bytes::of(std::string(value_size, 'v'));
    return r;
  }

  // A fake partitioner actor (see fake_partitioner) for the producer to lease from.
  partitioner_actor fake_sticky() {
    auto p = sys.spawn(fake_partitioner, log);
    spawned.push_back(caf::actor_cast<caf::actor>(p));
    return p;
  }

  // Delivers what was sent, then lets linger.ms (5 ms) pass so the batches go out.
  void linger() {
    consume_messages();
    advance_time(5ms);
    consume_messages();
  }

  // Lets the fake brokers acknowledge every Produce request sent so far.
  void acknowledge_all() {
    for (auto& c : log->connections)
      self->send(c, answer_atom::value);
    consume_messages();
  }

  // Resolves the index-th Produce request through the fake connection that holds it.
  void answer(size_t index, produce_result r) {
    CAF_REQUIRE_LESS(index, log->produced.size());
    for (auto& c : log->connections)
      if (c.address() == log->produced_by[index])
        self->send(c, answer_atom::value, index, std::move(r));
  }

  std::vector<caf::expected<record_metadata>> replies() {
    return std::exchange(log->replies, {});
  }

  // The producer under test (spawn's first actor).
  caf::actor front() { return spawned.front(); }

  producer_metrics metrics() {
    self->send(front(), metrics_atom::value);
    consume_messages();
    producer_metrics out;
    self->receive([&](producer_metrics& m) { out = m; });
    return out;
  }

  // A credit sender attached to the producer under test.
  caf::actor attached_sink() {
    auto sink = sys.spawn(fake_sink, front(), log);
    spawned.push_back(sink);
    self->send(sink, attach_atom::value);
    consume_messages();
    return sink;
  }

  // n 10-byte records for the topic (78 accounted bytes each).
  std::vector<producer_record> records(const std::string& topic, size_t n) {
    std::vector<producer_record> out;
    for (size_t i = 0; i < n; ++i)
      out.push_back(record(topic));
    return out;
  }
};

bool has_code(const caf::expected<record_metadata>& r, errc code) {
  return !r.engaged() && r.error().code() == static_cast<uint8_t>(code);
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(producer_actor_tests, fixture)

CAF_TEST(a record reaches a batch actor and its reply comes back) {
  auto client = spawn({});
  self->send(client, send_atom::value, record("orders"));
  consume_messages();
  advance_time(5ms); // linger.ms
  consume_messages();
  CAF_REQUIRE_EQUAL(log->produced.size(), 1u);
  acknowledge_all();
  auto got = replies();
  CAF_REQUIRE_EQUAL(got.size(), 1u);
  CAF_REQUIRE(got[0].engaged());
  CAF_CHECK_EQUAL(got[0]->topic, "orders");
  CAF_CHECK_EQUAL(got[0]->offset, 0);
}

CAF_TEST(a missing topic fails after max block ms and not before) {
  auto client = spawn({{"max.block.ms", "1000"}});
  self->send(client, send_atom::value, record("absent"));
  consume_messages(); // the wait starts now
  for (int step = 0; step < 9; ++step) { // 900 ms: the metadata actor keeps asking
    advance_time(100ms);
    consume_messages();
  }
  CAF_CHECK_EQUAL(log->replies.size(), 0u);
  advance_time(101ms);
  consume_messages();
  advance_time(2ms);
  consume_messages();
  auto got = replies();
  CAF_REQUIRE_EQUAL(got.size(), 1u);
  CAF_REQUIRE(has_code(got[0], errc::metadata_timeout));
  CAF_CHECK(to_string(got[0].error().context()).find("absent not present in metadata after 1000 ms") != std::string::npos);
  CAF_CHECK_EQUAL(log->produced.size(), 0u);
}

CAF_TEST(a record over max request size fails at once and its neighbours go through) {
  auto client = spawn({{"max.request.size", "1000"}});
  self->send(client, send_atom::value, record("orders"));
  self->send(client, send_atom::value, record("orders", 2000));
  self->send(client, send_atom::value, record("orders"));
  consume_messages();
  auto early = replies();
  CAF_REQUIRE_EQUAL(early.size(), 1u);
  CAF_CHECK(has_code(early[0], errc::record_too_large));
  CAF_CHECK(to_string(early[0].error().context()).find("max.request.size") != std::string::npos);
  advance_time(5ms);
  consume_messages();
  acknowledge_all();
  auto later = replies();
  CAF_CHECK_EQUAL(later.size(), 2u);
  for (auto& r : later)
    CAF_CHECK(r.engaged());
}

CAF_TEST(buffer memory holds records back until acknowledgements free it) {
  // Each 10-byte record accounts for 78 bytes: twelve fit in 1000, the rest wait. They all wait for
  // the topic's metadata first: max.blocked.bytes lets them (its own test is further down).
  auto client = spawn({{"buffer.memory", "1000"}, {"batch.size", "100000"}, {"max.blocked.bytes", "10000"}});
  for (int i = 0; i < 20; ++i)
    self->send(client, send_atom::value, record("orders"));
  consume_messages();
  advance_time(5ms);
  consume_messages();
  size_t first_wave = 0;
  for (auto& [batch, rp] : log->produced)
    first_wave += static_cast<size_t>(batch.record_count);
  CAF_CHECK_GREATER(first_wave, 5u);
  CAF_CHECK_LESS(first_wave, 20u);
  // Acknowledge until everything went out; each acknowledgement frees room for the next records.
  for (int round = 0; round < 20 && log->replies.size() < 20; ++round) {
    acknowledge_all();
    advance_time(5ms);
    consume_messages();
  }
  auto got = replies();
  CAF_REQUIRE_EQUAL(got.size(), 20u);
  for (auto& r : got)
    CAF_CHECK(r.engaged());
}

CAF_TEST(buffer memory exhausted for max block ms fails the waiting records) {
  auto client = spawn({{"buffer.memory", "1000"}, {"batch.size", "100000"}, {"max.block.ms", "500"},
                       {"max.blocked.bytes", "10000"}}); // all may wait (see above)
  for (int i = 0; i < 20; ++i)
    self->send(client, send_atom::value, record("orders"));
  consume_messages();
  for (int step = 0; step < 6; ++step) { // nobody acknowledges
    advance_time(100ms);
    consume_messages();
  }
  auto got = replies();
  CAF_REQUIRE_GREATER(got.size(), 0u);
  for (auto& r : got) {
    CAF_REQUIRE(has_code(r, errc::buffer_exhausted));
    CAF_CHECK(to_string(r.error().context()).find("within the configured max blocking time 500 ms")
              != std::string::npos);
  }
  CAF_CHECK_LESS(got.size(), 20u); // the records that got memory are still in flight, not failed
}

CAF_TEST(close flushes what was sent before and refuses what comes after) {
  auto client = spawn({});
  auto front = spawned.front();
  self->send(client, send_atom::value, record("orders"));
  consume_messages();
  self->send(front, close_atom::value, caf::timespan{10s});
  consume_messages();
  self->send(client, send_atom::value, record("orders"));
  consume_messages();
  auto refused = replies();
  CAF_REQUIRE_EQUAL(refused.size(), 1u);
  CAF_CHECK(has_code(refused[0], errc::producer_closed));
  CAF_REQUIRE_EQUAL(log->produced.size(), 1u); // close flushed without waiting for linger
  acknowledge_all();
  auto flushed = replies();
  CAF_REQUIRE_EQUAL(flushed.size(), 1u);
  CAF_CHECK(flushed[0].engaged());
}

// A flush handled while records wait in the front to be handed to their batch actor (they go as one
// message once the mailbox is worked through) must not overtake them: the batch actor would see the
// flush first and keep the records for linger.ms (a commit then waited a minute at linger.ms=60000).
CAF_TEST(a flush right behind a send batch does not leave its records to linger) {
  auto client = spawn({{"linger.ms", "60000"}});
  auto front = spawned.front();
  auto keyed = [&] {
    auto r = record("orders");
    r.key = nullable_bytes::of(std::string("k"));
    return r;
  };
  self->send(client, send_atom::value, keyed()); // the topic's metadata and batch actor, first
  consume_messages();
  self->send(front, flush_atom::value);
  consume_messages();
  CAF_REQUIRE_EQUAL(log->produced.size(), 1u);
  acknowledge_all();
  CAF_REQUIRE_EQUAL(replies().size(), 1u);
  self->send(front, send_batch_atom::value, std::vector<producer_record>{keyed(), keyed()});
  self->send(front, flush_atom::value); // handled before the front sends the batch actor the records
  consume_messages();
  CAF_CHECK_EQUAL(log->produced.size(), 2u); // at once, not after linger.ms
}

CAF_TEST(close that runs out of time fails the unacknowledged records) {
  auto client = spawn({});
  auto front = spawned.front();
  self->send(client, send_atom::value, record("orders"));
  consume_messages();
  self->send(front, close_atom::value, caf::timespan{1s});
  consume_messages();
  CAF_REQUIRE_EQUAL(log->produced.size(), 1u); // sent, but the broker never answers
  advance_time(1001ms);
  consume_messages();
  auto got = replies();
  CAF_REQUIRE_EQUAL(got.size(), 1u);
  CAF_CHECK(has_code(got[0], errc::producer_closed));
}

namespace {

struct tagging_interceptor : producer_interceptor {
  std::vector<std::string> acknowledged;
  void on_send(producer_record& r) override { r.headers.push_back({"seen-by", nullable_bytes::of("interceptor")}); }
  void on_acknowledgement(const record_metadata& md, const caf::error& err) override {
    acknowledged.push_back(err ? "error" : md.topic + "@" + std::to_string(md.offset));
  }
};

struct throwing_interceptor : producer_interceptor {
  void on_send(producer_record&) override { throw std::runtime_error("boom"); }
  void on_acknowledgement(const record_metadata&, const caf::error&) override { throw std::runtime_error("boom"); }
};

} // namespace

CAF_TEST(interceptors see and change records and a throwing one is skipped) {
  auto tagging = std::make_shared<tagging_interceptor>();
  auto client = spawn({}, {std::make_shared<throwing_interceptor>(), tagging});
  self->send(client, send_atom::value, record("orders"));
  consume_messages();
  advance_time(5ms);
  consume_messages();
  CAF_REQUIRE_EQUAL(log->produced.size(), 1u);
  auto decoded = protocol::decode_record_batches(*log->produced[0].first.bytes);
  CAF_REQUIRE(decoded.has_value());
  auto& headers = decoded->front().records.at(0).headers;
  CAF_REQUIRE_EQUAL(headers.size(), 1u);
  CAF_CHECK_EQUAL(headers[0].key, "seen-by");
  acknowledge_all();
  auto got = replies();
  CAF_REQUIRE_EQUAL(got.size(), 1u);
  CAF_CHECK(got[0].engaged());
  CAF_CHECK_EQUAL(tagging->acknowledged, std::vector<std::string>{"orders@0"});
}

// Partitions sent to so far, per Produce request.
std::vector<int32_t> produced_partitions(const fake_log& log) {
  std::vector<int32_t> out;
  for (auto& [batch, rp] : log.produced)
    out.push_back(batch.partition);
  return out;
}

// The sticky choice lives in the partitioner actor, leased for batch.size bytes per partition:
// records without a key cost a message per lease, not per record, and follow the lease's order.
CAF_TEST(records without a key follow leased sticky partitions) {
  auto partitioner = fake_sticky();
  auto client = spawn({{"batch.size", "1000"}, {"linger.ms", "1000"}}, {}, {}, partitioner);
  for (int i = 0; i < 100; ++i) // about 77 accounted bytes each: 13 records per partition's 1000 bytes
    self->send(client, send_atom::value, record("orders"));
  consume_messages();
  // 7700 bytes over 1000-byte turns, two turns per lease: a handful of leases, not 100 messages.
  CAF_CHECK_GREATER_OR_EQUAL(log->lease_requests, 4);
  CAF_CHECK_LESS_OR_EQUAL(log->lease_requests, 5);
  advance_time(1s);
  consume_messages();
  size_t records = 0;
  std::map<int32_t, int32_t> per_partition;
  for (auto& [batch, rp] : log->produced)
    per_partition[batch.partition] += batch.record_count;
  for (auto& [partition, n] : per_partition)
    records += static_cast<size_t>(n);
  CAF_CHECK_EQUAL(records, 100u);
  CAF_CHECK_EQUAL(per_partition.size(), 3u); // the leases walk over all three partitions
  for (auto& [partition, n] : per_partition) // 8 turns of 13 records, shared out almost evenly
    CAF_CHECK_GREATER_OR_EQUAL(n, 13);
  acknowledge_all();
  CAF_CHECK_EQUAL(replies().size(), 100u);
}

CAF_TEST(ignore keys sends keyed records to the sticky partitions too) {
  auto partitioner = fake_sticky();
  auto client = spawn({{"partitioner.ignore.keys", "true"}, {"batch.size", "100000"}}, {}, {}, partitioner);
  for (int i = 0; i < 10; ++i) {
    auto r = record("orders");
    r.key = nullable_bytes::of("key-" + std::to_string(i));
    self->send(client, send_atom::value, r);
  }
  linger();
  CAF_CHECK_EQUAL(log->lease_requests, 1);
  CAF_CHECK_EQUAL(produced_partitions(*log), std::vector<int32_t>{0});
}

CAF_TEST(a custom partitioner decides every record without a lease) {
  auto partitioner = fake_sticky();
  auto last = [](const std::string&, std::optional<protocol::byte_span>, std::optional<protocol::byte_span>,
                 int32_t count) { return count - 1; };
  auto client = spawn({}, {}, last, partitioner);
  for (int i = 0; i < 5; ++i)
    self->send(client, send_atom::value, record("orders"));
  linger();
  CAF_CHECK_EQUAL(log->lease_requests, 0);
  CAF_CHECK_EQUAL(produced_partitions(*log), std::vector<int32_t>{2});
}

// A send_batch's records spread over partitions come back in its one reply, each report with its own
// partition, offset (its batch's base plus its place in the batch), timestamp and sizes, and a
// partition whose batch failed fails only its own records.
CAF_TEST(a send batch over several partitions reports each record where it landed) {
  auto by_key = [](const std::string&, std::optional<protocol::byte_span> key, std::optional<protocol::byte_span>,
                   int32_t) { return static_cast<int32_t>((*key)[1] - '0'); };
  auto client = spawn({}, {}, by_key);
  std::vector<int32_t> partitions{0, 1, 0, 2, 1, 0};
  std::vector<producer_record> batch;
  for (size_t i = 0; i < partitions.size(); ++i) {
    auto r = record("orders", 10 + i);
    r.key = nullable_bytes::of("p" + std::to_string(partitions[i]));
    r.timestamp = 5000 + static_cast<int64_t>(i);
    batch.push_back(std::move(r));
  }
  self->send(client, send_batch_atom::value, std::move(batch));
  linger();
  CAF_REQUIRE_EQUAL(log->produced.size(), 3u);
  std::map<int32_t, int64_t> base{{0, 100}, {1, 200}};
  for (size_t i = 0; i < log->produced.size(); ++i) {
    auto p = log->produced[i].first.partition;
    answer(i, p == 2 ? broker_answer(87, -1, -1, "bad record") : broker_answer(0, base[p], -1));
  }
  consume_messages();
  CAF_REQUIRE_EQUAL(log->group_replies.size(), 1u);
  auto& reports = log->group_replies[0];
  CAF_REQUIRE_EQUAL(reports.size(), partitions.size());
  std::map<int32_t, int64_t> next = base;
  for (size_t i = 0; i < reports.size(); ++i) {
    auto& md = reports[i].metadata;
    CAF_CHECK_EQUAL(md.topic, "orders");
    CAF_CHECK_EQUAL(md.partition, partitions[i]);
    CAF_CHECK_EQUAL(md.timestamp, 5000 + static_cast<int64_t>(i));
    CAF_CHECK_EQUAL(md.serialized_key_size, 2);
    CAF_CHECK_EQUAL(md.serialized_value_size, static_cast<int32_t>(10 + i));
    if (partitions[i] == 2) {
      CAF_CHECK_EQUAL(broker_error_code(reports[i].error), std::optional<int16_t>{87});
      CAF_CHECK_EQUAL(md.offset, -1);
    } else {
      CAF_CHECK(!reports[i].error);
      CAF_CHECK_EQUAL(md.offset, next[partitions[i]]++);
    }
  }
}

CAF_TEST(keyed records go to the java partition without a lease) {
  auto partitioner = fake_sticky();
  auto client = spawn({}, {}, {}, partitioner);
  auto r = record("orders");
  r.key = nullable_bytes::of("key-3"); // partition 2 of 3 in Java
  self->send(client, send_atom::value, r);
  linger();
  CAF_CHECK_EQUAL(log->lease_requests, 0);
  CAF_CHECK_EQUAL(produced_partitions(*log), std::vector<int32_t>{2});
}

// metadata.max.idle.ms: a topic nobody sent to for that long drops out of the Metadata requests.
CAF_TEST(an idle topic leaves the metadata requests) {
  log->topics["other"] = 1;
  log->topics["third"] = 1;
  auto client = spawn({{"metadata.max.idle.ms", "5000"}});
  self->send(client, send_atom::value, record("orders"));
  linger();
  advance_time(1s);
  self->send(client, send_atom::value, record("other")); // "orders" asked 1 s ago: still refreshed
  linger();
  CAF_REQUIRE_GREATER_OR_EQUAL(log->metadata_topics.size(), 2u);
  CAF_CHECK_EQUAL(log->metadata_topics.back(), (std::vector<std::string>{"orders", "other"}));
  advance_time(5s);
  self->send(client, send_atom::value, record("third")); // both others quiet for 5 s and more
  linger();
  CAF_CHECK_EQUAL(log->metadata_topics.back(), std::vector<std::string>{"third"});
  acknowledge_all();
  CAF_CHECK_EQUAL(replies().size(), 3u);
}

// The metadata actor pushes a refresh that moved leaders; the producer actor tells every batch actor
// whose partition moved, so partition 1 goes straight to its new leader without failing first.
CAF_TEST(a refresh that shows moved leaders reaches every batch actor of the topic) {
  auto client = spawn({});
  for (int32_t p : {0, 1}) {
    auto r = record("orders");
    r.partition = p;
    self->send(client, send_atom::value, r);
  }
  linger();
  CAF_REQUIRE_EQUAL(log->produced.size(), 2u);
  acknowledge_all();
  CAF_REQUIRE_EQUAL(replies().size(), 2u);
  log->leaders[{"orders", 0}] = 2;
  log->leaders[{"orders", 1}] = 2;
  auto to_partition = [&](int32_t p) {
    auto r = record("orders");
    r.partition = p;
    self->send(client, send_atom::value, r);
    linger();
  };
  to_partition(0); // still sent to node 1, which answers that it no longer leads
  CAF_REQUIRE_EQUAL(log->produced.size(), 3u);
  auto requests_before = log->metadata_requests;
  answer(2, broker_answer(protocol::errc::not_leader_or_follower, -1, -1, "moved"));
  consume_messages();
  CAF_CHECK_EQUAL(log->metadata_requests, requests_before + 1);
  auto node2 = log->connections.back().address(); // connected by that refresh
  advance_time(1s); // retry backoff
  consume_messages();
  CAF_REQUIRE_EQUAL(log->produced.size(), 4u);
  CAF_CHECK(log->produced_by[3] == node2);
  to_partition(1); // never failed, yet already knows its new leader
  CAF_REQUIRE_EQUAL(log->produced.size(), 5u);
  CAF_CHECK(log->produced_by[4] == node2);
  CAF_CHECK_EQUAL(log->metadata_requests, requests_before + 1);
  acknowledge_all();
  auto got = replies();
  CAF_REQUIRE_EQUAL(got.size(), 2u);
  for (auto& r : got)
    CAF_CHECK(r.engaged());
}

// KIP-951 through the real metadata actor: the hint names a broker the cluster view did not list,
// with its endpoint; the retry goes to a new connection to it, and no Metadata request is needed.
CAF_TEST(a leader hint with an endpoint connects to the new leader) {
  auto client = spawn({});
  self->send(client, send_atom::value, record("orders"));
  linger();
  CAF_REQUIRE_EQUAL(log->produced.size(), 1u);
  auto connections = log->connections.size();
  auto metadata_requests = log->metadata_requests;
  answer(0, broker_answer(protocol::errc::not_leader_or_follower, -1, -1, {}, leader_hint{2, 5, "127.0.0.1", 9093}));
  consume_messages();
  CAF_REQUIRE_EQUAL(log->connections.size(), connections + 1);
  advance_time(1s); // retry backoff
  consume_messages();
  CAF_REQUIRE_EQUAL(log->produced.size(), 2u);
  CAF_CHECK(log->produced_by[1] == log->connections.back().address());
  CAF_CHECK_EQUAL(log->metadata_requests, metadata_requests);
  acknowledge_all();
  auto got = replies();
  CAF_REQUIRE_EQUAL(got.size(), 1u);
  CAF_CHECK(got[0].engaged());
}

// KIP-360 across partitions: each partition's batch actor hears UNKNOWN_PRODUCER_ID and asks for a
// new epoch; the producer bumps it once (locally, as Java's idempotent producer does), hands it to
// every partition, and each sends its batch again from sequence 0.
CAF_TEST(one epoch bump serves every partition that lost its sequence state) {
  auto client = spawn({});
  for (int32_t p = 0; p < 3; ++p) {
    auto r = record("orders");
    r.partition = p;
    self->send(client, send_atom::value, r);
  }
  linger();
  CAF_REQUIRE_EQUAL(log->produced.size(), 3u);
  for (size_t i = 0; i < 3; ++i)
    answer(i, broker_answer(protocol::errc::unknown_producer_id, -1, -1));
  consume_messages();
  advance_time(1s); // retry backoff
  consume_messages();
  CAF_REQUIRE_EQUAL(log->produced.size(), 6u);
  for (size_t i = 3; i < 6; ++i) {
    auto decoded = protocol::decode_record_batches(*log->produced[i].first.bytes);
    CAF_REQUIRE(decoded.has_value());
    CAF_CHECK_EQUAL(decoded->front().producer_id, 1);
    CAF_CHECK_EQUAL(decoded->front().producer_epoch, 1);
    CAF_CHECK_EQUAL(decoded->front().base_sequence, 0);
  }
  acknowledge_all();
  auto got = replies();
  CAF_REQUIRE_EQUAL(got.size(), 3u);
  for (auto& r : got)
    CAF_CHECK(r.engaged());
  CAF_CHECK_EQUAL(log->identity_requests.size(), 1u); // only the first InitProducerId
}

// An epoch at its maximum cannot grow: the producer takes a new producer id instead.
CAF_TEST(an exhausted epoch takes a new producer id) {
  log->new_producer_epoch = INT16_MAX;
  auto client = spawn({});
  self->send(client, send_atom::value, record("orders"));
  linger();
  CAF_REQUIRE_EQUAL(log->produced.size(), 1u);
  answer(0, broker_answer(protocol::errc::unknown_producer_id, -1, -1));
  consume_messages();
  CAF_REQUIRE_EQUAL(log->identity_requests.size(), 2u);
  CAF_CHECK_EQUAL(log->identity_requests[1].id, -1); // a new id, not a bump
  advance_time(1s);
  consume_messages();
  CAF_REQUIRE_EQUAL(log->produced.size(), 2u);
  auto decoded = protocol::decode_record_batches(*log->produced[1].first.bytes);
  CAF_REQUIRE(decoded.has_value());
  CAF_CHECK_EQUAL(decoded->front().producer_id, 2);
  CAF_CHECK_EQUAL(decoded->front().base_sequence, 0);
  acknowledge_all();
  auto got = replies();
  CAF_REQUIRE_EQUAL(got.size(), 1u);
  CAF_CHECK(got[0].engaged());
}

// Admission is per topic: a send to a healthy topic made right after one to a missing topic goes
// out at once, and does not wait for (or fail with) the missing one.
CAF_TEST(a missing topic does not hold up another topic) {
  auto client = spawn({{"max.block.ms", "1000"}});
  self->send(client, send_atom::value, record("absent"));
  self->send(client, send_atom::value, record("orders"));
  linger();
  CAF_REQUIRE_EQUAL(log->produced.size(), 1u);
  acknowledge_all();
  auto got = replies();
  CAF_REQUIRE_EQUAL(got.size(), 1u);
  CAF_REQUIRE(got[0].engaged());
  CAF_CHECK_EQUAL(got[0]->topic, "orders");
  for (int step = 0; step < 11; ++step) {
    advance_time(100ms);
    consume_messages();
  }
  auto late = replies();
  CAF_REQUIRE_EQUAL(late.size(), 1u);
  CAF_CHECK(has_code(late[0], errc::metadata_timeout));
}

// A send_batch whose first record's topic failed its metadata wait and whose second names a topic
// nobody asked for yet: each record waits for its own topic. (Once, a queued send_batch skipped the
// readiness check and placed the keyed record over 0 partitions: a division by zero.)
CAF_TEST(a send_batch over a failed and an unfetched topic resolves each record by its own topic) {
  auto client = spawn({{"max.block.ms", "1000"}});
  self->send(client, send_atom::value, record("absent"));
  consume_messages();
  auto keyed = record("orders");
  keyed.key = nullable_bytes::of("key-3"); // partition 2 of 3 in Java
  self->send(client, send_batch_atom::value, std::vector<producer_record>{record("absent"), keyed});
  linger();
  CAF_CHECK_EQUAL(produced_partitions(*log), std::vector<int32_t>{2});
  acknowledge_all();
  for (int step = 0; step < 11; ++step) {
    advance_time(100ms);
    consume_messages();
  }
  auto single = replies();
  CAF_REQUIRE_EQUAL(single.size(), 1u);
  CAF_CHECK(has_code(single[0], errc::metadata_timeout));
  CAF_REQUIRE_EQUAL(log->group_replies.size(), 1u);
  auto& reports = log->group_replies[0];
  CAF_REQUIRE_EQUAL(reports.size(), 2u);
  CAF_CHECK_EQUAL(reports[0].error.code(), static_cast<uint8_t>(errc::metadata_timeout));
  CAF_CHECK(!reports[1].error);
  CAF_CHECK_EQUAL(reports[1].metadata.partition, 2);
}

// Records a send holds while they wait count against max.blocked.bytes; past it a send fails at
// once, naming the bound, instead of growing the producer's memory.
CAF_TEST(records waiting beyond max blocked bytes fail at once naming the bound) {
  auto client = spawn({{"max.blocked.bytes", "300"}, {"max.block.ms", "1000"}});
  for (int i = 0; i < 6; ++i) // 78 bytes each: three may wait for the missing topic's metadata
    self->send(client, send_atom::value, record("absent"));
  consume_messages();
  auto early = replies();
  CAF_REQUIRE_EQUAL(early.size(), 3u);
  for (auto& r : early) {
    CAF_CHECK(has_code(r, errc::buffer_exhausted));
    CAF_CHECK(to_string(r.error().context()).find("max.blocked.bytes is 300") != std::string::npos);
  }
  CAF_CHECK_EQUAL(metrics().waiting_bytes, 3 * 78);
  for (int step = 0; step < 11; ++step) {
    advance_time(100ms);
    consume_messages();
  }
  auto late = replies();
  CAF_REQUIRE_EQUAL(late.size(), 3u);
  for (auto& r : late)
    CAF_CHECK(has_code(r, errc::metadata_timeout));
  CAF_CHECK_EQUAL(metrics().waiting_bytes, 0);
}

// A partition a user's partitioner made up fails the record at once, as an explicit partition out
// of range does (it used to wait for a leader until delivery.timeout.ms).
CAF_TEST(a custom partitioner choosing a partition out of range fails the record at once) {
  auto ninety_nine = [](const std::string&, std::optional<protocol::byte_span>, std::optional<protocol::byte_span>,
                        int32_t) { return 99; };
  auto client = spawn({}, {}, ninety_nine);
  self->send(client, send_atom::value, record("orders"));
  consume_messages();
  auto got = replies();
  CAF_REQUIRE_EQUAL(got.size(), 1u);
  CAF_REQUIRE(has_code(got[0], errc::invalid_record));
  CAF_CHECK(to_string(got[0].error().context()).find("chose partition 99 of topic orders, which has 3 partitions")
            != std::string::npos);
  CAF_CHECK_EQUAL(log->produced.size(), 0u);
}

// A closed producer stops with PRODUCER_CLOSED as its exit reason: whoever monitors it (a remote
// sender through cafka-node, say) learns why.
CAF_TEST(a closed producer stops with producer closed as its exit reason) {
  auto client = spawn({});
  self->monitor(front());
  self->send(front(), close_atom::value, caf::timespan{1s});
  consume_messages();
  bool down = false;
  self->receive([&](ok_atom) {});
  self->receive([&](caf::down_msg& dm) {
    down = true;
    CAF_CHECK_EQUAL(dm.reason.code(), static_cast<uint8_t>(errc::producer_closed));
  });
  CAF_CHECK(down);
}

// metadata.max.idle.ms: a topic nobody sent to for that long, with nothing pending, leaves the
// producer with its batch actors; a send brings it back.
CAF_TEST(an idle topic leaves the producer and its batch actors stop) {
  auto client = spawn({{"metadata.max.idle.ms", "5000"}}); // a sweep every 5 s from now
  advance_time(1s);
  consume_messages();
  self->send(client, send_atom::value, record("orders"));
  linger();
  acknowledge_all();
  CAF_REQUIRE_EQUAL(replies().size(), 1u);
  auto before = metrics();
  CAF_CHECK_EQUAL(before.active_topics, 1);
  CAF_CHECK_EQUAL(before.active_partitions, 1);
  advance_time(4s);
  consume_messages();
  CAF_CHECK_EQUAL(metrics().active_topics, 1); // the first sweep: used 4 s ago, not idle for 5 s yet
  advance_time(5s);
  consume_messages();
  auto after = metrics();
  CAF_CHECK_EQUAL(after.active_topics, 0);
  CAF_CHECK_EQUAL(after.active_partitions, 0);
  self->send(client, send_atom::value, record("orders"));
  linger();
  acknowledge_all();
  auto again = replies();
  CAF_REQUIRE_EQUAL(again.size(), 1u);
  CAF_CHECK(again[0].engaged());
}

// ---- Credit-based back-pressure (attach / push) --------------------------------------------------

CAF_TEST(a credit sender is granted the buffer and hears each pushed record by its id) {
  auto client = spawn({{"buffer.memory", "10000"}, {"batch.size", "100000"}});
  auto sink = attached_sink();
  CAF_REQUIRE(log->largest_record.has_value());
  CAF_CHECK_EQUAL(*log->largest_record, 10000); // max.request.size is larger than the buffer here
  CAF_REQUIRE_EQUAL(log->credit.size(), 1u);
  CAF_CHECK_EQUAL(log->credit[0], 10000); // the only sender: the whole buffer
  self->send(sink, push_atom::value, uint64_t{100}, records("orders", 10));
  linger();
  acknowledge_all();
  CAF_REQUIRE_EQUAL(log->acks.size(), 10u);
  for (size_t i = 0; i < 10; ++i) {
    CAF_CHECK_EQUAL(log->acks[i].id, 100 + i);
    CAF_CHECK(!log->acks[i].error);
    CAF_CHECK_EQUAL(log->acks[i].metadata.topic, "orders");
  }
  // The acknowledged records' memory came back as credit: the sender holds the whole buffer again.
  int64_t granted = 0;
  for (auto c : log->credit)
    granted += c;
  CAF_CHECK_EQUAL(granted - 10 * 78, 10000);
  CAF_CHECK_EQUAL(metrics().buffer_bytes_in_use, 10000);
}

CAF_TEST(a push beyond the credit is refused at once and holds nothing) {
  auto client = spawn({{"buffer.memory", "1000"}, {"batch.size", "100000"}});
  auto sink = attached_sink();
  CAF_REQUIRE_EQUAL(log->credit.size(), 1u);
  CAF_CHECK_EQUAL(log->credit[0], 1000);
  self->send(sink, push_atom::value, uint64_t{0}, records("orders", 20)); // 1560 bytes
  linger();
  CAF_REQUIRE_EQUAL(log->acks.size(), 20u);
  for (auto& a : log->acks) {
    CAF_CHECK_EQUAL(a.error.code(), static_cast<uint8_t>(errc::buffer_exhausted));
    CAF_CHECK(to_string(a.error.context()).find("beyond the credit") != std::string::npos);
  }
  CAF_CHECK_EQUAL(log->produced.size(), 0u);
  CAF_CHECK_EQUAL(metrics().buffer_bytes_in_use, 1000); // the credit, still the sender's
}

// The sender's pace follows the broker's: with buffer.memory for 12 records and nobody answering,
// it gets no credit beyond the buffer; each acknowledgement brings credit back.
CAF_TEST(credit follows acknowledgements and never exceeds the buffer) {
  auto client = spawn({{"buffer.memory", "1000"}, {"batch.size", "100"}});
  auto sink = attached_sink();
  int64_t held = log->credit.at(0);
  uint64_t next = 0;
  auto push_all_credit = [&] {
    size_t n = static_cast<size_t>(held / 78);
    held -= static_cast<int64_t>(n) * 78;
    self->send(sink, push_atom::value, next, records("orders", n));
    next += n;
    linger();
  };
  push_all_credit();
  CAF_CHECK_EQUAL(next, 12u);
  size_t credits = log->credit.size();
  CAF_CHECK_EQUAL(credits, 1u); // nothing acknowledged, nothing more granted
  for (int round = 0; round < 5; ++round) {
    acknowledge_all();
    for (size_t i = credits; i < log->credit.size(); ++i)
      held += log->credit[i];
    credits = log->credit.size();
    auto m = metrics();
    CAF_CHECK_LESS_OR_EQUAL(m.buffer_bytes_in_use, 1000);
    push_all_credit();
  }
  acknowledge_all();
  CAF_CHECK_GREATER(next, 50u);
  CAF_CHECK_EQUAL(log->acks.size(), next);
  for (auto& a : log->acks)
    CAF_CHECK(!a.error);
}

// One-way send: no reply handler per record; the outcomes come back to the sender by id, a message
// per batch, and records of one partition stay in the order they were sent.
CAF_TEST(one way sends come back as acks by id in one message per batch) {
  auto client = spawn({{"batch.size", "100000"}});
  auto sink = sys.spawn(fake_sink, front(), log);
  spawned.push_back(sink);
  for (uint64_t id = 7; id < 10; ++id) {
    auto r = record("orders");
    r.partition = 1;
    r.value = nullable_bytes::of("v" + std::to_string(id));
    self->send(sink, send_atom::value, id, std::move(r));
  }
  linger();
  CAF_REQUIRE_EQUAL(log->produced.size(), 1u);
  CAF_CHECK_EQUAL(log->produced[0].first.record_count, 3);
  auto decoded = protocol::decode_record_batches(*log->produced[0].first.bytes);
  CAF_REQUIRE(decoded.has_value());
  CAF_REQUIRE_EQUAL(decoded->front().records.size(), 3u);
  CAF_CHECK(decoded->front().records[2].value == nullable_bytes::of("v9")); // in the order sent
  acknowledge_all();
  CAF_REQUIRE_EQUAL(log->acks.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    CAF_CHECK_EQUAL(log->acks[i].id, 7 + i);
    CAF_CHECK(!log->acks[i].error);
    CAF_CHECK_EQUAL(log->acks[i].metadata.offset, static_cast<int64_t>(i));
  }
  CAF_CHECK_EQUAL(log->credit.size(), 0u); // not a credit sender: nothing granted
}

CAF_TEST(a credit sender that ends gives its credit back) {
  auto client = spawn({{"buffer.memory", "10000"}});
  auto sink = attached_sink();
  CAF_CHECK_EQUAL(metrics().buffer_bytes_in_use, 10000);
  caf::anon_send_exit(sink, caf::exit_reason::kill);
  consume_messages();
  CAF_CHECK_EQUAL(metrics().buffer_bytes_in_use, 0);
}

CAF_TEST_FIXTURE_SCOPE_END()
