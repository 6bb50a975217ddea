#define CAF_SUITE actors.batch
#include "caf/all.hpp"
#define FAIL(msg) CAF_FAIL(msg) // CAF 0.17.6's dsl.hpp uses an undefined FAIL
#include "caf/test/dsl.hpp"

#include "actors/batch_actor.hpp"
#include "cafka/error.hpp"
#include "protocol/error_codes.hpp"
#include "protocol/record_batch.hpp"
#include "unit/fake_actors.hpp"

using namespace cafka;
using namespace std::chrono_literals;
using namespace cafka::test;

namespace {

struct fixture : test_coordinator_fixture<> {
  std::shared_ptr<fake_log> log = std::make_shared<fake_log>();
  caf::actor conn_untyped;
  connection_actor conn;
  metadata_actor meta;
  producer_internal_actor prod;

  fixture() {
    add_error_category(cfg);
    conn_untyped = sys.spawn(fake_connection, log);
    conn = caf::actor_cast<connection_actor>(conn_untyped);
    meta = sys.spawn(fake_metadata, conn, log);
    prod = sys.spawn(fake_producer, log);
  }

  // The base fixture's destructor triggers every pending timeout without advancing the clock;
  // a batch actor would then re-arm its expiry timer forever. Stop the actors first.
  ~fixture() override {
    for (auto& a : spawned)
      caf::anon_send_exit(a, caf::exit_reason::kill);
    caf::anon_send_exit(conn_untyped, caf::exit_reason::kill);
    caf::anon_send_exit(meta, caf::exit_reason::kill);
    caf::anon_send_exit(prod, caf::exit_reason::kill);
    consume_messages();
  }

  // The batch actor under test and the client that talks to it.
  caf::actor spawn(batch_settings s) {
    auto b = spawn_batch(sys, std::move(s));
    spawned.push_back(caf::actor_cast<caf::actor>(b));
    auto client = sys.spawn(fake_client, caf::actor_cast<caf::actor>(b), log);
    spawned.push_back(client);
    return client;
  }

  std::vector<caf::actor> spawned;

  batch_settings settings() {
    batch_settings s;
    s.topic = "t";
    s.partition = 0;
    s.batch_size = 1000;
    s.linger = 50ms;
    s.delivery_timeout = 5s;
    s.retry_backoff = 100ms;
    s.retry_backoff_max = 1000ms;
    s.leader = conn;
    s.metadata = meta;
    s.producer = prod;
    return s;
  }

  // Idempotent as producer 77 at epoch 3, one 80-byte record per batch.
  batch_settings idempotent_settings() {
    auto s = settings();
    s.idempotent = true;
    s.identity = {77, 3};
    s.batch_size = 100;
    return s;
  }

  producer_record record(int i, size_t value_size = 10) {
    producer_record r;
    r.topic = "t";
    r.partition = 0;
    r.key = nullable_bytes::of("k" + std::to_string(i));
    r.value = nullable_bytes::of(std::string(value_size, 'v'));
    r.timestamp = 1000 + i;
    return r;
  }

  // Delivers what was sent, then lets linger.ms (50 ms here) pass so the open batch goes out.
  void linger() {
    consume_messages();
    advance_time(50ms);
    consume_messages();
  }

  // Replies the client received so far (and forgets them).
  std::vector<caf::expected<record_metadata>> replies() {
    return std::exchange(log->replies, {});
  }

  void answer(size_t request, produce_result r) {
    CAF_REQUIRE_LESS(request, log->produced.size());
    self->send(conn_untyped, answer_atom::value, request, std::move(r));
  }

  // An idempotent partition sends one batch at a time until the broker acknowledged one of its
  // identity: this has a first record (sequence 0) acknowledged, then forgets its request and reply.
  caf::actor spawn_acknowledged(batch_settings s) {
    auto b = spawn(std::move(s));
    self->send(b, append_atom::value, record(100, 80), int32_t{200});
    consume_messages();
    CAF_REQUIRE_EQUAL(log->produced.size(), 1u);
    answer(0, broker_answer(0, 0));
    consume_messages();
    CAF_REQUIRE_EQUAL(replies().size(), 1u);
    log->produced.clear();
    log->produced_by.clear();
    return b;
  }
};

// A run of an append_many's answer: where it starts, how many records, their first offset and
// LogAppendTime (its error is checked beside).
void check_run(const record_run& run, uint32_t first, uint32_t count, int64_t base_offset, int64_t log_append_time) {
  CAF_CHECK_EQUAL(run.first, first);
  CAF_CHECK_EQUAL(run.count, count);
  CAF_CHECK_EQUAL(run.base_offset, base_offset);
  CAF_CHECK_EQUAL(run.log_append_time, log_append_time);
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(batch_actor_tests, fixture)

CAF_TEST(a full batch goes out without waiting for linger) {
  auto b = spawn(settings());
  for (int i = 0; i < 40; ++i) // ~42 bytes each: the 1000-byte batch fills at about 22 records
    self->send(b, append_atom::value, record(i, 30), int32_t{100});
  consume_messages();
  CAF_REQUIRE_GREATER_OR_EQUAL(log->produced.size(), 1u);
  auto first = log->produced[0].first;
  CAF_CHECK_EQUAL(first.topic, "t");
  CAF_CHECK_LESS(first.bytes->size(), 1000u + 100u);
  CAF_CHECK_GREATER(first.record_count, 10);
  CAF_CHECK_LESS(first.record_count, 40);
}

CAF_TEST(a partial batch waits for linger) {
  auto b = spawn(settings());
  self->send(b, append_atom::value, record(0), int32_t{100});
  consume_messages();
  CAF_CHECK_EQUAL(log->produced.size(), 0u);
  advance_time(49ms);
  consume_messages();
  CAF_CHECK_EQUAL(log->produced.size(), 0u);
  advance_time(1ms);
  consume_messages();
  CAF_REQUIRE_EQUAL(log->produced.size(), 1u);
  CAF_CHECK_EQUAL(log->produced[0].first.record_count, 1);
}

CAF_TEST(replies carry offsets in record order and release the buffer) {
  auto b = spawn(settings());
  for (int i = 0; i < 3; ++i)
    self->send(b, append_atom::value, record(i), int32_t{100});
  linger();
  CAF_REQUIRE_EQUAL(log->produced.size(), 1u);
  answer(0, broker_answer(0, 500, -1));
  consume_messages();
  auto got = replies();
  CAF_REQUIRE_EQUAL(got.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    CAF_REQUIRE(got[static_cast<size_t>(i)].engaged());
    CAF_CHECK_EQUAL(got[static_cast<size_t>(i)]->offset, 500 + i);
    CAF_CHECK_EQUAL(got[static_cast<size_t>(i)]->timestamp, 1000 + i);
    CAF_CHECK_EQUAL(got[static_cast<size_t>(i)]->serialized_key_size, 2);
  }
  CAF_REQUIRE_EQUAL(log->outcomes.size(), 1u);
  CAF_CHECK_EQUAL(log->outcomes[0].released_bytes, 300);
  CAF_CHECK_EQUAL(log->outcomes[0].records, 3);
}

CAF_TEST(log append time replaces the record timestamps) {
  auto b = spawn(settings());
  self->send(b, append_atom::value, record(0), int32_t{100});
  linger();
  answer(0, broker_answer(0, 7, 99999));
  consume_messages();
  auto got = replies();
  CAF_REQUIRE_EQUAL(got.size(), 1u);
  CAF_CHECK_EQUAL(got[0]->timestamp, 99999);
}

CAF_TEST(a retriable error is retried after the backoff with the same bytes) {
  auto b = spawn(settings());
  self->send(b, append_atom::value, record(0), int32_t{100});
  linger();
  CAF_REQUIRE_EQUAL(log->produced.size(), 1u);
  auto bytes = log->produced[0].first.bytes;
  answer(0, broker_answer(protocol::errc::not_leader_or_follower, -1, -1, "moved"));
  consume_messages(); // the batch actor asks the metadata actor for the leader
  CAF_CHECK_EQUAL(log->metadata_refreshes, 1);
  CAF_CHECK_EQUAL(log->produced.size(), 1u);
  advance_time(79ms); // the first backoff is 100 ms with +-20% jitter
  consume_messages();
  CAF_CHECK_EQUAL(log->produced.size(), 1u);
  advance_time(41ms);
  consume_messages();
  CAF_REQUIRE_EQUAL(log->produced.size(), 2u);
  CAF_CHECK(*log->produced[1].first.bytes == *bytes);
  answer(1, broker_answer(0, 10, -1));
  consume_messages();
  auto got = replies();
  CAF_REQUIRE_EQUAL(got.size(), 1u);
  CAF_REQUIRE(got[0].engaged());
  CAF_CHECK_EQUAL(got[0]->offset, 10);
  CAF_CHECK_EQUAL(log->outcomes.back().retried, 1);
}

// KIP-516: a topic deleted and created again under its name has a new id; Produce v13 answers the
// old one with UNKNOWN_TOPIC_ID, which is stale metadata: refresh, then retry under the new id.
CAF_TEST(unknown topic id refreshes the metadata and retries under the new id) {
  auto s = settings();
  s.topic_id.bytes.fill(0x01);
  auto b = spawn(std::move(s));
  self->send(b, append_atom::value, record(0), int32_t{100});
  linger();
  CAF_REQUIRE_EQUAL(log->produced.size(), 1u);
  CAF_CHECK_EQUAL(log->produced[0].first.topic_id.bytes[0], 0x01);
  log->topic_id.bytes.fill(0x02);
  answer(0, broker_answer(protocol::errc::unknown_topic_id, -1, -1, "This server does not host this topic ID."));
  consume_messages();
  CAF_CHECK_EQUAL(log->metadata_refreshes, 1);
  advance_time(120ms); // past the first backoff
  consume_messages();
  CAF_REQUIRE_EQUAL(log->produced.size(), 2u);
  CAF_CHECK_EQUAL(log->produced[1].first.topic_id.bytes[0], 0x02);
  answer(1, broker_answer(0, 5));
  consume_messages();
  auto got = replies();
  CAF_REQUIRE_EQUAL(got.size(), 1u);
  CAF_REQUIRE(got[0].engaged());
  CAF_CHECK_EQUAL(got[0]->offset, 5);
}

CAF_TEST(a fatal error fails every record of the batch once) {
  auto b = spawn(settings());
  for (int i = 0; i < 2; ++i)
    self->send(b, append_atom::value, record(i), int32_t{100});
  linger();
  answer(0, broker_answer(protocol::errc::topic_authorization_failed, -1, -1));
  consume_messages();
  auto got = replies();
  CAF_REQUIRE_EQUAL(got.size(), 2u);
  for (auto& r : got) {
    CAF_REQUIRE(!r.engaged());
    CAF_CHECK_EQUAL(broker_error_code(r.error()), std::optional<int16_t>{protocol::errc::topic_authorization_failed});
  }
  CAF_CHECK_EQUAL(log->outcomes.back().failed, 2);
  CAF_CHECK_EQUAL(log->produced.size(), 1u);
}

CAF_TEST(retries stop at the delivery timeout) {
  auto b = spawn(settings());
  self->send(b, append_atom::value, record(0), int32_t{100});
  linger();
  size_t answered = 0;
  // The broker keeps saying NOT_ENOUGH_REPLICAS; after 5 s the record fails with the timeout.
  for (int round = 0; round < 100; ++round) {
    while (answered < log->produced.size())
      answer(answered++, broker_answer(protocol::errc::not_enough_replicas, -1, -1));
    consume_messages();
    auto got = replies();
    if (!got.empty()) {
      CAF_REQUIRE_EQUAL(got.size(), 1u);
      CAF_REQUIRE(!got[0].engaged());
      CAF_CHECK_EQUAL(got[0].error().code(), static_cast<uint8_t>(errc::delivery_timeout));
      CAF_CHECK(log->produced.size() > 3u);
      return;
    }
    advance_time(200ms);
    consume_messages();
  }
  CAF_FAIL("the record never failed");
}

// An append_many is answered once, when its last record resolved, by runs of records with one
// outcome: a batch acknowledged at one base offset is one run.
CAF_TEST(an append_many answers once with a run per acknowledged batch) {
  auto b = spawn(settings());
  std::vector<producer_record> recs{record(0), record(1), record(2)};
  self->send(b, append_many_atom::value, recs, std::vector<int32_t>{100, 100, 100});
  linger();
  answer(0, broker_answer(0, 40, -1));
  consume_messages();
  CAF_REQUIRE_EQUAL(log->append_answers.size(), 1u);
  auto& runs = log->append_answers[0].runs;
  CAF_REQUIRE_EQUAL(runs.size(), 1u);
  check_run(runs[0], 0, 3, 40, -1);
  CAF_CHECK(!runs[0].error);
}

// Records of one append_many that land in two batches (batch.size) resolve separately: the answer
// waits for both, and the batches' outcomes stay apart (offsets of each, the failure of one).
CAF_TEST(an append_many split over two batches answers with the outcome of each) {
  auto s = settings();
  s.batch_size = 200; // two records of 50-byte values fill a batch
  auto b = spawn(s);
  std::vector<producer_record> recs{record(0, 50), record(1, 50), record(2, 50), record(3, 50)};
  self->send(b, append_many_atom::value, recs, std::vector<int32_t>{100, 100, 100, 100});
  linger();
  CAF_REQUIRE_EQUAL(log->produced.size(), 2u);
  answer(1, broker_answer(0, 70, 1234)); // the second batch first, with LogAppendTime
  consume_messages();
  CAF_CHECK(log->append_answers.empty());
  answer(0, broker_answer(87, -1, -1, "bad record")); // INVALID_RECORD, not retriable
  consume_messages();
  CAF_REQUIRE_EQUAL(log->append_answers.size(), 1u);
  auto& runs = log->append_answers[0].runs;
  CAF_REQUIRE_EQUAL(runs.size(), 2u);
  check_run(runs[0], 0, 2, -1, -1);
  CAF_CHECK_EQUAL(broker_error_code(runs[0].error), std::optional<int16_t>{87});
  check_run(runs[1], 2, 2, 70, 1234);
  CAF_CHECK(!runs[1].error);
}

// An empty send_batch has nothing to wait for: its (empty) answer comes at once, and nothing is
// sent or reported.
CAF_TEST(send_batch with no records replies at once with no reports) {
  auto b = spawn(settings());
  self->send(b, append_many_atom::value, std::vector<producer_record>{}, std::vector<int32_t>{});
  consume_messages();
  CAF_REQUIRE_EQUAL(log->append_answers.size(), 1u);
  CAF_CHECK(log->append_answers[0].runs.empty());
  CAF_CHECK(replies().empty());
  CAF_CHECK(log->produced.empty());
  CAF_CHECK(log->outcomes.empty());
}

// max.in.flight.requests.per.connection: at most that many of the partition's batches await the
// broker; the next one goes out when one is answered.
CAF_TEST(no more batches are in flight than max_in_flight) {
  auto s = settings();
  s.batch_size = 100; // one 80-byte record per batch
  s.max_in_flight = 2;
  auto b = spawn(std::move(s));
  for (int i = 0; i < 4; ++i)
    self->send(b, append_atom::value, record(i, 80), int32_t{200});
  consume_messages();
  CAF_CHECK_EQUAL(log->produced.size(), 2u);
  answer(0, broker_answer(0, 0));
  consume_messages();
  CAF_CHECK_EQUAL(log->produced.size(), 3u);
  answer(1, broker_answer(0, 1));
  answer(2, broker_answer(0, 2));
  consume_messages();
  CAF_REQUIRE_EQUAL(log->produced.size(), 4u);
  answer(3, broker_answer(0, 3));
  consume_messages();
  CAF_CHECK_EQUAL(replies().size(), 4u);
}

// Closing fails every record the broker has not acknowledged (open, queued or in flight) once, and
// gives back all of their buffer memory.
CAF_TEST(close fails every unacknowledged record once and releases its bytes) {
  auto s = settings();
  s.batch_size = 100;
  s.max_in_flight = 1;
  auto b = spawn(std::move(s));
  for (int i = 0; i < 3; ++i) // three full batches: one in flight, two queued
    self->send(b, append_atom::value, record(i, 80), int32_t{200});
  self->send(b, append_atom::value, record(3), int32_t{100}); // stays open (linger)
  consume_messages();
  CAF_REQUIRE_EQUAL(log->produced.size(), 1u);
  self->send(caf::actor_cast<caf::actor>(spawned[0]), close_atom::value);
  consume_messages();
  auto got = replies();
  CAF_REQUIRE_EQUAL(got.size(), 4u);
  for (auto& r : got) {
    CAF_REQUIRE(!r.engaged());
    CAF_CHECK_EQUAL(r.error().code(), static_cast<uint8_t>(errc::producer_closed));
  }
  int64_t released = 0;
  int32_t failed = 0;
  for (auto& o : log->outcomes) {
    released += o.released_bytes;
    failed += o.failed;
  }
  CAF_CHECK_EQUAL(released, 700);
  CAF_CHECK_EQUAL(failed, 4);
}

CAF_TEST(idempotent batches carry contiguous sequences) {
  auto b = spawn_acknowledged(idempotent_settings()); // sequence 0
  for (int i = 0; i < 3; ++i)
    self->send(b, append_atom::value, record(i, 80), int32_t{200});
  consume_messages();
  CAF_REQUIRE_EQUAL(log->produced.size(), 3u); // each record fills its batch: no linger
  for (int32_t i = 0; i < 3; ++i) {
    auto decoded = protocol::decode_record_batches(*log->produced[static_cast<size_t>(i)].first.bytes);
    CAF_REQUIRE(decoded.has_value());
    CAF_CHECK_EQUAL(decoded->front().producer_id, 77);
    CAF_CHECK_EQUAL(decoded->front().producer_epoch, 3);
    CAF_CHECK_EQUAL(decoded->front().base_sequence, i + 1);
  }
}


// Request latency, as Java's request-latency-avg: the acknowledged attempt's send to its answer,
// without the earlier failed attempt and the backoff before the retry.
CAF_TEST(latency counts the answered attempt only) {
  auto b = spawn(settings());
  self->send(b, append_atom::value, record(0), int32_t{100});
  linger();
  CAF_REQUIRE_EQUAL(log->produced.size(), 1u);
  advance_time(40ms);
  answer(0, broker_answer(protocol::errc::not_enough_replicas));
  consume_messages();
  advance_time(200ms); // backoff
  consume_messages();
  CAF_REQUIRE_EQUAL(log->produced.size(), 2u);
  advance_time(30ms);
  answer(1, broker_answer(0, 7));
  consume_messages();
  CAF_REQUIRE_EQUAL(log->outcomes.size(), 1u);
  CAF_CHECK_EQUAL(log->outcomes[0].latency_us, 30000);
  CAF_CHECK_EQUAL(log->outcomes[0].retried, 1);
}

// KIP-951: the broker names the new leader; the batch goes there without a Metadata refresh.
CAF_TEST(a leader hint sends the retry to the new leader without a metadata refresh) {
  auto other = sys.spawn(fake_connection, log);
  log->hinted_leader = other;
  auto b = spawn(settings());
  self->send(b, append_atom::value, record(0), int32_t{100});
  linger();
  CAF_REQUIRE_EQUAL(log->produced.size(), 1u);
  leader_hint hint{2, 7, "127.0.0.1", 9093};
  answer(0, broker_answer(protocol::errc::not_leader_or_follower, -1, -1, "moved", hint));
  consume_messages();
  CAF_REQUIRE_EQUAL(log->leader_hints.size(), 1u);
  CAF_CHECK_EQUAL(log->leader_hints[0].node_id, 2);
  CAF_CHECK_EQUAL(log->leader_hints[0].leader_epoch, 7);
  CAF_CHECK_EQUAL(log->leader_hints[0].port, 9093);
  advance_time(200ms); // retry backoff
  consume_messages();
  CAF_REQUIRE_EQUAL(log->produced.size(), 2u);
  CAF_CHECK(log->produced_by[1] == other.address());
  CAF_CHECK_EQUAL(log->metadata_refreshes, 0);
  self->send(other, answer_atom::value, size_t{1}, broker_answer(0, 42));
  consume_messages();
  auto got = replies();
  CAF_REQUIRE_EQUAL(got.size(), 1u);
  CAF_REQUIRE(got[0].engaged());
  CAF_CHECK_EQUAL(got[0]->offset, 42);
  caf::anon_send_exit(other, caf::exit_reason::kill);
}

// The metadata actor stops a connection whose broker moved to another address; a batch actor that
// still names it finds no receiver, and retries through a refresh instead of failing its records.
CAF_TEST(a leader connection that stopped is retried after a refresh) {
  auto gone = sys.spawn(fake_connection, log);
  caf::anon_send_exit(gone, caf::exit_reason::user_shutdown);
  consume_messages();
  auto s = settings();
  s.leader = caf::actor_cast<connection_actor>(gone);
  auto b = spawn(s);
  self->send(b, append_atom::value, record(0), int32_t{100});
  linger();
  CAF_CHECK_EQUAL(log->metadata_refreshes, 1); // the refresh names conn, which is alive
  CAF_CHECK_EQUAL(replies().size(), 0u);
  advance_time(120ms); // retry backoff
  consume_messages();
  CAF_REQUIRE_EQUAL(log->produced.size(), 1u);
  answer(0, broker_answer(0, 3, -1));
  consume_messages();
  auto got = replies();
  CAF_REQUIRE_EQUAL(got.size(), 1u);
  CAF_REQUIRE(got[0].engaged());
  CAF_CHECK_EQUAL(got[0]->offset, 3);
}

// A hint naming a broker nobody knows falls back to a Metadata refresh.
CAF_TEST(an unusable leader hint falls back to a metadata refresh) {
  auto b = spawn(settings());
  self->send(b, append_atom::value, record(0), int32_t{100});
  linger();
  answer(0, broker_answer(protocol::errc::not_leader_or_follower, -1, -1, "moved", leader_hint{9, 1, {}, -1}));
  consume_messages();
  CAF_CHECK_EQUAL(log->leader_hints.size(), 1u);
  CAF_CHECK_EQUAL(log->metadata_refreshes, 1);
  advance_time(200ms);
  consume_messages();
  CAF_CHECK_EQUAL(log->produced.size(), 2u);
}

namespace {

struct stamp {
  int64_t id;
  int16_t epoch;
  int32_t sequence;
  int32_t records;
};

stamp stamp_of(const produce_batch& b) {
  auto decoded = protocol::decode_record_batches(*b.bytes);
  if (!decoded || decoded->empty())
    return {-2, -2, -2, -2};
  auto& d = decoded->front();
  return {d.producer_id, d.producer_epoch, d.base_sequence, static_cast<int32_t>(d.records.size())};
}

constexpr int16_t unknown_producer_id = protocol::errc::unknown_producer_id;
constexpr int16_t out_of_order = protocol::errc::out_of_order_sequence_number;

} // namespace

// A broker without state for this producer on the partition takes any first sequence: were a
// second batch in flight while the first failed (a fresh topic's NOT_LEADER_OR_FOLLOWER), it would
// be written first. So the first batch goes alone, and its retry too, until one is acknowledged.
CAF_TEST(an idempotent partition sends one batch alone until the broker acknowledged one) {
  auto b = spawn(idempotent_settings());
  for (int i = 0; i < 3; ++i)
    self->send(b, append_atom::value, record(i, 80), int32_t{200});
  consume_messages();
  CAF_REQUIRE_EQUAL(log->produced.size(), 1u);
  answer(0, broker_answer(protocol::errc::not_leader_or_follower, -1, -1, "not the leader yet"));
  consume_messages();
  advance_time(1s); // retry backoff
  consume_messages();
  CAF_REQUIRE_EQUAL(log->produced.size(), 2u); // the retry, alone again
  CAF_CHECK_EQUAL(stamp_of(log->produced[1].first).sequence, 0);
  answer(1, broker_answer(0, 0));
  consume_messages();
  CAF_REQUIRE_EQUAL(log->produced.size(), 4u); // acknowledged: the other two go out together
  CAF_CHECK_EQUAL(stamp_of(log->produced[2].first).sequence, 1);
  CAF_CHECK_EQUAL(stamp_of(log->produced[3].first).sequence, 2);
}

// KIP-360: the broker lost the producer's state (UNKNOWN_PRODUCER_ID); the batches behind it fail
// out of order. One bump is asked for; with the new epoch every batch goes again from sequence 0,
// in the original order, and every record is acknowledged once.
CAF_TEST(unknown producer id restamps every unacknowledged batch with the new epoch) {
  auto b = spawn_acknowledged(idempotent_settings());
  for (int i = 0; i < 3; ++i)
    self->send(b, append_atom::value, record(i, 80), int32_t{200});
  consume_messages();
  CAF_REQUIRE_EQUAL(log->produced.size(), 3u);
  answer(0, broker_answer(unknown_producer_id, -1, -1));
  answer(1, broker_answer(out_of_order, -1, -1));
  answer(2, broker_answer(out_of_order, -1, -1));
  consume_messages();
  CAF_REQUIRE_EQUAL(log->bump_requests.size(), 1u);
  CAF_CHECK_EQUAL(log->bump_requests[0].id, 77);
  CAF_CHECK_EQUAL(log->bump_requests[0].epoch, 3);
  advance_time(2s); // no backoff lets a batch out before the new identity is there
  consume_messages();
  CAF_CHECK_EQUAL(log->produced.size(), 3u);
  CAF_CHECK(replies().empty());
  auto batch = caf::actor_cast<caf::actor>(spawned[0]);
  self->send(batch, producer_id_atom::value, producer_identity{77, 4});
  consume_messages();
  advance_time(1s);
  consume_messages();
  CAF_REQUIRE_EQUAL(log->produced.size(), 4u); // the broker lost the state: one batch alone again
  answer(3, broker_answer(0, 13, -1));
  consume_messages();
  CAF_REQUIRE_EQUAL(log->produced.size(), 6u);
  for (int32_t i = 0; i < 3; ++i) {
    auto& again = log->produced[3 + static_cast<size_t>(i)].first;
    auto st = stamp_of(again);
    CAF_CHECK_EQUAL(st.id, 77);
    CAF_CHECK_EQUAL(st.epoch, 4);
    CAF_CHECK_EQUAL(st.sequence, i);
    auto original = protocol::decode_record_batches(*log->produced[static_cast<size_t>(i)].first.bytes);
    auto resent = protocol::decode_record_batches(*again.bytes);
    CAF_REQUIRE(original && resent);
    CAF_CHECK(original->front().records.front().key == resent->front().records.front().key);
  }
  for (size_t i = 4; i < 6; ++i)
    answer(i, broker_answer(0, 10 + static_cast<int64_t>(i), -1));
  consume_messages();
  auto got = replies();
  CAF_REQUIRE_EQUAL(got.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    CAF_REQUIRE(got[i].engaged());
    CAF_CHECK_EQUAL(got[i]->offset, 13 + static_cast<int64_t>(i));
  }
  // A record appended after the bump continues the new epoch's sequence.
  self->send(b, append_atom::value, record(3, 80), int32_t{200});
  consume_messages();
  CAF_REQUIRE_EQUAL(log->produced.size(), 7u);
  auto next = stamp_of(log->produced[6].first);
  CAF_CHECK_EQUAL(next.epoch, 4);
  CAF_CHECK_EQUAL(next.sequence, 3);
}

// Another partition lost its state; this one did not. Its batch that was already sent (and failed
// retriably: written or not, unknown) goes again with its old epoch and sequence, so the broker can
// deduplicate it; only the never-sent batch takes the new epoch, and only after the old one is in.
CAF_TEST(a bump from another partition keeps sent batches on the old epoch) {
  auto b = spawn(idempotent_settings());
  self->send(b, append_atom::value, record(0, 80), int32_t{200});
  consume_messages();
  CAF_REQUIRE_EQUAL(log->produced.size(), 1u);
  answer(0, broker_answer(protocol::errc::not_enough_replicas));
  self->send(b, append_atom::value, record(1, 80), int32_t{200}); // closed, not sent: a retry is pending
  consume_messages();
  CAF_CHECK(log->bump_requests.empty());
  self->send(caf::actor_cast<caf::actor>(spawned[0]), producer_id_atom::value, producer_identity{77, 4});
  consume_messages();
  advance_time(1s); // retry backoff
  consume_messages();
  CAF_REQUIRE_EQUAL(log->produced.size(), 2u); // the retry alone: the new-epoch batch waits for it
  auto retry = stamp_of(log->produced[1].first);
  CAF_CHECK_EQUAL(retry.epoch, 3);
  CAF_CHECK_EQUAL(retry.sequence, 0);
  answer(1, broker_answer(0, 10));
  consume_messages();
  CAF_REQUIRE_EQUAL(log->produced.size(), 3u);
  auto fresh = stamp_of(log->produced[2].first);
  CAF_CHECK_EQUAL(fresh.epoch, 4);
  CAF_CHECK_EQUAL(fresh.sequence, 0);
  answer(2, broker_answer(0, 11));
  consume_messages();
  auto got = replies();
  CAF_REQUIRE_EQUAL(got.size(), 2u);
  CAF_CHECK(got[0].engaged() && got[1].engaged());
}

// ... and when that old-epoch retry then finds this partition's state gone too, everything here is
// restamped from sequence 0 (nothing was sent on the new epoch yet).
CAF_TEST(an old epoch retry that finds the state gone restamps everything) {
  auto b = spawn(idempotent_settings());
  self->send(b, append_atom::value, record(0, 80), int32_t{200});
  consume_messages();
  answer(0, broker_answer(protocol::errc::not_enough_replicas));
  self->send(b, append_atom::value, record(1, 80), int32_t{200});
  consume_messages();
  self->send(caf::actor_cast<caf::actor>(spawned[0]), producer_id_atom::value, producer_identity{77, 4});
  consume_messages();
  advance_time(1s);
  consume_messages();
  CAF_REQUIRE_EQUAL(log->produced.size(), 2u);
  answer(1, broker_answer(protocol::errc::unknown_producer_id));
  consume_messages();
  CAF_CHECK(log->bump_requests.empty()); // already on the new epoch: no second bump
  advance_time(1s);
  consume_messages();
  CAF_REQUIRE_EQUAL(log->produced.size(), 3u); // the state is gone: one batch alone first
  answer(2, broker_answer(0, 20));
  consume_messages();
  CAF_REQUIRE_EQUAL(log->produced.size(), 4u);
  auto first = stamp_of(log->produced[2].first);
  auto second = stamp_of(log->produced[3].first);
  CAF_CHECK_EQUAL(first.epoch, 4);
  CAF_CHECK_EQUAL(first.sequence, 0);
  CAF_CHECK_EQUAL(second.epoch, 4);
  CAF_CHECK_EQUAL(second.sequence, 1);
}

CAF_TEST(an out of order sequence that no failed predecessor explains asks for a new epoch) {
  auto b = spawn(idempotent_settings());
  self->send(b, append_atom::value, record(0, 80), int32_t{200});
  consume_messages();
  CAF_REQUIRE_EQUAL(log->produced.size(), 1u);
  answer(0, broker_answer(out_of_order, -1, -1));
  consume_messages();
  CAF_REQUIRE_EQUAL(log->bump_requests.size(), 1u);
  self->send(caf::actor_cast<caf::actor>(spawned[0]), producer_id_atom::value, producer_identity{77, 4});
  consume_messages();
  advance_time(1s);
  consume_messages();
  CAF_REQUIRE_EQUAL(log->produced.size(), 2u);
  auto again = stamp_of(log->produced[1].first);
  CAF_CHECK_EQUAL(again.epoch, 4);
  CAF_CHECK_EQUAL(again.sequence, 0);
  answer(1, broker_answer(0, 5, -1));
  consume_messages();
  auto got = replies();
  CAF_REQUIRE_EQUAL(got.size(), 1u);
  CAF_CHECK(got[0].engaged());
}

// Without idempotence there is no sequence state to recover: the error reaches the record.
// Java's abortUndrainedBatches: an aborting transaction fails the records never sent, with the
// abort's error; a batch in flight keeps its outcome, and one waiting for its retry goes out. The
// next batch takes the sequence of the first one failed: no gap on the wire (transactions v1 keeps
// its sequences across transactions).
CAF_TEST(a transaction abort fails the records not sent yet and keeps the sequences contiguous) {
  auto s = idempotent_settings();
  s.transactional = true;
  s.max_in_flight = 2;
  auto b = spawn_acknowledged(s); // sequence 0
  auto batches = caf::actor_cast<caf::actor>(spawned[0]);
  self->send(b, append_atom::value, record(1, 80), int32_t{200}); // full: sent at once, sequence 1
  self->send(b, append_atom::value, record(2, 80), int32_t{200}); // full: sent at once, sequence 2
  consume_messages();
  CAF_REQUIRE_EQUAL(log->produced.size(), 2u);
  for (size_t i = 0; i < 2; ++i) // both wait for their retry
    answer(i, broker_answer(protocol::errc::not_enough_replicas, -1, -1, "retry me"));
  consume_messages();
  self->send(b, append_atom::value, record(3, 80), int32_t{200}); // full, behind the retries: not sent
  self->send(b, append_atom::value, record(4), int32_t{100});     // stays open (linger)
  consume_messages();
  CAF_REQUIRE_EQUAL(log->produced.size(), 2u);
  self->send(batches, unsent_atom::value, make_error(errc::transaction_aborted, "t-0: aborted"));
  consume_messages();
  auto failed = replies();
  CAF_REQUIRE_EQUAL(failed.size(), 2u); // records 3 and 4
  for (auto& r : failed) {
    CAF_REQUIRE(!r.engaged());
    CAF_CHECK_EQUAL(r.error().code(), static_cast<uint8_t>(errc::transaction_aborted));
  }
  int64_t released = 0;
  for (auto& o : log->outcomes)
    released += o.released_bytes;
  CAF_CHECK_EQUAL(released, 200 + 200 + 100); // the first record's, then the two failed
  advance_time(1s); // the retries go as they were
  consume_messages();
  CAF_REQUIRE_EQUAL(log->produced.size(), 4u);
  CAF_CHECK_EQUAL(stamp_of(log->produced[2].first).sequence, 1);
  CAF_CHECK_EQUAL(stamp_of(log->produced[3].first).sequence, 2);
  answer(2, broker_answer(0, 1));
  answer(3, broker_answer(0, 2));
  consume_messages();
  CAF_CHECK_EQUAL(replies().size(), 2u); // records 1 and 2, written
  // The next transaction's first batch continues where the sent ones ended.
  self->send(b, append_atom::value, record(5, 80), int32_t{200});
  consume_messages();
  CAF_REQUIRE_EQUAL(log->produced.size(), 5u);
  CAF_CHECK_EQUAL(stamp_of(log->produced[4].first).sequence, 3);
}

CAF_TEST(unknown producer id fails the batch when idempotence is off) {
  auto b = spawn(settings());
  self->send(b, append_atom::value, record(0), int32_t{100});
  linger();
  answer(0, broker_answer(unknown_producer_id, -1, -1));
  consume_messages();
  CAF_CHECK(log->bump_requests.empty());
  auto got = replies();
  CAF_REQUIRE_EQUAL(got.size(), 1u);
  CAF_CHECK(!got[0].engaged());
}

CAF_TEST_FIXTURE_SCOPE_END()
