#define CAF_SUITE integration.transactions
#include "caf/test/unit_test.hpp"

#include "cafka/producer.hpp"
#include "integration/broker_harness.hpp"
#include "integration/producer_session.hpp"
#include "protocol/error_codes.hpp"

#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sys/wait.h>
#include <unistd.h>

using namespace cafka;
using namespace cafka::test;

namespace {

std::string unique_id(const std::string& prefix) {
  return unique_topic("txn-id-" + prefix); // unique per process and call, as topics
}

// How many times each value was read.
std::map<std::string, int> value_counts(const std::vector<consumed_record>& records) {
  std::map<std::string, int> out;
  for (auto& r : records)
    ++out[std::string(as_chars(r.value.data))];
  return out;
}

int count_prefix(const std::map<std::string, int>& counts, const std::string& prefix) {
  int n = 0;
  for (auto& [value, times] : counts)
    if (value.rfind(prefix, 0) == 0)
      n += times;
  return n;
}

struct fixture : producer_session {
  producer_actor spawn_transactional(const std::string& id, properties extra = {}) {
    extra.emplace("bootstrap.servers", bootstrap());
    extra["transactional.id"] = id;
    extra.emplace("linger.ms", "5");
    return producer_session::spawn(extra);
  }

  // A transactional call's answer: none for ok.
  template <class Atom>
  caf::error call(producer_actor p, Atom a) {
    caf::error out;
    caf::scoped_actor self{*sys};
    self->request(p, std::chrono::seconds{90}, a)
      .receive([](ok_atom) {}, [&](caf::error& err) { out = std::move(err); });
    return out;
  }

  template <class Atom>
  void require_ok(producer_actor p, Atom a) {
    auto err = call(p, a);
    if (err)
      CAF_FAIL("transactional call failed: " << sys->render(err));
  }

  // Sends records with the given value prefix, keyed across the partitions; their reports.
  std::vector<delivery_report> send(producer_actor p, const std::string& topic, const std::string& prefix, int n) {
    std::vector<producer_record> records;
    for (int i = 0; i < n; ++i)
      records.push_back(make_record(topic, "k" + std::to_string(i), prefix + std::to_string(i)));
    std::vector<delivery_report> out;
    caf::scoped_actor self{*sys};
    self->request(p, std::chrono::seconds{90}, send_batch_atom::value, std::move(records))
      .receive([&](std::vector<delivery_report>& r) { out = std::move(r); },
               [&](caf::error& err) { CAF_FAIL("send_batch failed: " << sys->render(err)); });
    return out;
  }

  void require_delivered(const std::vector<delivery_report>& reports) {
    for (auto& r : reports)
      if (r.error)
        CAF_FAIL("a record failed: " << sys->render(r.error));
  }

  // Three transactions on a topic of 3 partitions: 30 records committed, 20 aborted, 10 committed;
  // then what read_committed and read_uncommitted consumers of `from` see.
  void commit_abort_commit(const std::string& from, const std::string& topic) {
    auto p = spawn_transactional(unique_id("commit"), {{"bootstrap.servers", from}});
    require_ok(p, init_txn_atom::value);
    require_ok(p, begin_txn_atom::value);
    require_delivered(send(p, topic, "first-", 30));
    require_ok(p, commit_txn_atom::value);
    require_ok(p, begin_txn_atom::value);
    require_delivered(send(p, topic, "aborted-", 20));
    require_ok(p, abort_txn_atom::value);
    require_ok(p, begin_txn_atom::value);
    require_delivered(send(p, topic, "second-", 10));
    require_ok(p, commit_txn_atom::value);
    // Records outside a transaction are refused (Java's failIfNotReadyForSend).
    auto outside = send(p, topic, "outside-", 1);
    CAF_REQUIRE_EQUAL(outside.size(), 1u);
    CAF_CHECK(transaction_error_category(outside[0].error) == transaction_category::illegal_state);
    stop(p);

    auto committed = read(from, topic, 40, isolation::read_committed);
    auto counts = value_counts(committed);
    CAF_CHECK_EQUAL(committed.size(), 40u);
    CAF_CHECK_EQUAL(count_prefix(counts, "first-"), 30);
    CAF_CHECK_EQUAL(count_prefix(counts, "second-"), 10);
    CAF_CHECK_EQUAL(count_prefix(counts, "aborted-"), 0);
    for (auto& [value, times] : counts)
      CAF_CHECK_EQUAL(times, 1);
    auto everything = read(from, topic, 60, isolation::read_uncommitted);
    CAF_CHECK_EQUAL(everything.size(), 60u);
    CAF_CHECK_EQUAL(count_prefix(value_counts(everything), "aborted-"), 20);
  }

  // Java's abortTransaction: records still in the accumulator fail with the abort's error instead
  // of being sent, records already written are aborted by the markers. On one partition, so that
  // the next transaction's first batch takes the sequence after the written ones (under v1 the
  // epoch stays across transactions: a gap would fail it with OUT_OF_ORDER_SEQUENCE_NUMBER).
  void abort_fails_unsent(const std::string& from, const std::string& topic) {
    // A long linger.ms and a large batch.size: what is not flushed stays in the open batch.
    auto p = spawn_transactional(unique_id("abort-unsent"),
                                 {{"bootstrap.servers", from}, {"linger.ms", "60000"}, {"batch.size", "1000000"}});
    require_ok(p, init_txn_atom::value);
    require_ok(p, begin_txn_atom::value);
    caf::scoped_actor self{*sys};
    auto sent = self->request(p, std::chrono::seconds{90}, send_batch_atom::value, records(topic, "sent-", 3));
    require_ok(p, flush_atom::value);
    sent.receive([&](std::vector<delivery_report>& r) { require_delivered(r); },
                 [&](caf::error& err) { CAF_FAIL("send_batch failed: " << sys->render(err)); });
    auto unsent = self->request(p, std::chrono::seconds{90}, send_batch_atom::value, records(topic, "unsent-", 5));
    require_ok(p, abort_txn_atom::value);
    std::vector<delivery_report> reports;
    unsent.receive([&](std::vector<delivery_report>& r) { reports = std::move(r); },
                   [&](caf::error& err) { CAF_FAIL("send_batch failed: " << sys->render(err)); });
    CAF_REQUIRE_EQUAL(reports.size(), 5u);
    for (auto& r : reports) {
      CAF_CHECK(r.error == make_error(errc::transaction_aborted));
      CAF_CHECK(sys->render(r.error).find("the transaction was aborted") != std::string::npos);
      CAF_CHECK(transaction_error_category(r.error) == transaction_category::abortable);
    }
    require_ok(p, begin_txn_atom::value);
    auto after = self->request(p, std::chrono::seconds{90}, send_batch_atom::value, records(topic, "after-", 2));
    require_ok(p, commit_txn_atom::value); // flushes first: no wait for linger.ms
    after.receive([&](std::vector<delivery_report>& r) { require_delivered(r); },
                  [&](caf::error& err) { CAF_FAIL("send_batch failed: " << sys->render(err)); });
    stop(p);

    auto committed = read(from, topic, 2, isolation::read_committed);
    CAF_CHECK_EQUAL(committed.size(), 2u);
    CAF_CHECK_EQUAL(count_prefix(value_counts(committed), "after-"), 2);
    auto everything = value_counts(read(from, topic, 5, isolation::read_uncommitted));
    CAF_CHECK_EQUAL(count_prefix(everything, "sent-"), 3);
    CAF_CHECK_EQUAL(count_prefix(everything, "unsent-"), 0); // never written
    CAF_CHECK_EQUAL(count_prefix(everything, "after-"), 2);
  }

  // The coordinator aborts a transaction that outlived transaction.timeout.ms and bumps the
  // producer's epoch: the producer's commit then fails saying so (PRODUCER_FENCED under transactions
  // v1, INVALID_TXN_STATE under v2, both fatal as in Java), and none of its records ever becomes
  // visible to read_committed.
  void timed_out(const std::string& from, const std::string& topic,
                 std::function<std::string(const std::string&)> transaction_state_of) {
    auto id = unique_id("timeout");
    auto p = spawn_transactional(id, {{"bootstrap.servers", from}, {"transaction.timeout.ms", "1000"}});
    require_ok(p, init_txn_atom::value);
    require_ok(p, begin_txn_atom::value);
    require_delivered(send(p, topic, "timed-out-", 3));
    // scripts/broker's coordinator looks for timed-out transactions every 0.5 s: wait (bounded) until
    // it aborted this one.
    std::string state;
    for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds{60};
         state.rfind("CompleteAbort", 0) != 0 && std::chrono::steady_clock::now() < until;)
      state = transaction_state_of(id);
    CAF_REQUIRE_EQUAL(state.substr(0, state.find(' ')), "CompleteAbort");
    auto commit = call(p, commit_txn_atom::value);
    auto text = sys->render(commit);
    CAF_MESSAGE("commit after the timeout: " << text);
    auto code = broker_error_code(commit);
    CAF_CHECK(code == protocol::errc::producer_fenced || code == protocol::errc::invalid_txn_state);
    CAF_CHECK(text.find("past transaction.timeout.ms (1000 ms): the coordinator aborted it") != std::string::npos);
    CAF_CHECK_EQUAL(broker_error_code(call(p, begin_txn_atom::value)), code); // fatal: every later call
    stop(p);
    // A new producer with the same id goes on; only its records are ever committed.
    auto next = spawn_transactional(id, {{"bootstrap.servers", from}});
    require_ok(next, init_txn_atom::value);
    require_ok(next, begin_txn_atom::value);
    require_delivered(send(next, topic, "after-", 2));
    require_ok(next, commit_txn_atom::value);
    stop(next);
    auto committed = read(from, topic, 2, isolation::read_committed);
    CAF_CHECK_EQUAL(committed.size(), 2u);
    CAF_CHECK_EQUAL(count_prefix(value_counts(committed), "after-"), 2);
    auto everything = value_counts(read(from, topic, 5, isolation::read_uncommitted));
    CAF_CHECK_EQUAL(count_prefix(everything, "timed-out-"), 3); // written, then aborted
  }

  // A batch the broker refuses (larger than the topic's max.message.bytes) leaves a gap in the
  // partition's sequences: under transactions v1 the epoch stays across transactions, so without
  // the epoch bump after the abort (KIP-360) the next transaction's batch there would fail with
  // OUT_OF_ORDER_SEQUENCE_NUMBER. Under v2 EndTxn bumps the epoch at every end. `topic`: one
  // partition, max.message.bytes=1000.
  void commits_after_refused_batch(const std::string& from, const std::string& topic) {
    auto p = spawn_transactional(unique_id("gap"), {{"bootstrap.servers", from}});
    require_ok(p, init_txn_atom::value);
    require_ok(p, begin_txn_atom::value);
    require_delivered(send(p, topic, "first-", 2)); // the broker knows this producer's sequences here
    require_ok(p, commit_txn_atom::value);
    require_ok(p, begin_txn_atom::value);
    auto big = make_record(topic, "k", std::string(4000, 'x'));
    std::vector<delivery_report> refused;
    caf::scoped_actor self{*sys};
    self->request(p, std::chrono::seconds{90}, send_batch_atom::value, std::vector<producer_record>{big})
      .receive([&](std::vector<delivery_report>& r) { refused = std::move(r); },
               [&](caf::error& err) { CAF_FAIL("send_batch failed: " << sys->render(err)); });
    CAF_REQUIRE_EQUAL(refused.size(), 1u);
    CAF_CHECK_EQUAL(broker_error_code(refused[0].error), protocol::errc::message_too_large);
    CAF_CHECK(transaction_error_category(call(p, commit_txn_atom::value)) == transaction_category::abortable);
    require_ok(p, abort_txn_atom::value);
    require_ok(p, begin_txn_atom::value);
    require_delivered(send(p, topic, "after-", 3));
    require_ok(p, commit_txn_atom::value);
    stop(p);
    auto counts = value_counts(read(from, topic, 5, isolation::read_committed));
    CAF_CHECK_EQUAL(count_prefix(counts, "first-"), 2);
    CAF_CHECK_EQUAL(count_prefix(counts, "after-"), 3);
  }

  std::vector<producer_record> records(const std::string& topic, const std::string& prefix, int n) {
    std::vector<producer_record> out;
    for (int i = 0; i < n; ++i)
      out.push_back(make_record(topic, "k" + std::to_string(i), prefix + std::to_string(i)));
    return out;
  }

  // The topic read again (bounded) until it holds n records: the coordinator writes the
  // transaction markers after EndTxn answered, and read_committed stops before an open one.
  std::vector<consumed_record> read(const std::string& from, const std::string& topic, size_t n, isolation level) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds{20};
    auto records = consume_all(topic, from, level);
    while (records.size() < n && std::chrono::steady_clock::now() < until)
      records = consume_all(topic, from, level);
    return records;
  }

  // Stops the producer, whatever state it is in.
  void stop(producer_actor p) {
    caf::scoped_actor self{*sys};
    self->request(p, std::chrono::seconds{30}, close_atom::value, caf::timespan{std::chrono::seconds{10}})
      .receive([](ok_atom) {}, [](caf::error&) {});
  }
};

bool is_fenced(const caf::error& err) {
  return broker_error_code(err) == protocol::errc::producer_fenced
         && transaction_error_category(err) == transaction_category::application_recoverable;
}

// Runs cafka-produce of this build against the test broker with `input` on stdin; waits for it.
run_result run_produce(const std::string& args, const std::string& input) {
  return run_app("cafka-produce -b " + bootstrap() + " " + args, input);
}

std::string lines(const std::string& prefix, int n) {
  std::string out;
  for (int i = 0; i < n; ++i)
    out += prefix + std::to_string(i) + "\n";
  return out;
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(transactions, fixture)

CAF_TEST(committed records are read exactly once and aborted ones only read uncommitted) {
  // Kafka 4's default: transaction.version 2 (KIP-890 part 2), partitions join by their Produce.
  auto topic = unique_topic("txn-commit");
  create_topic(topic, 3);
  commit_abort_commit(bootstrap(), topic);
}

CAF_TEST(transactions v1 on a broker formatted with transaction version 1) {
  if (broker_version().first < 4) {
    CAF_MESSAGE("Kafka 3.x has no transaction.version feature: every run there is v1");
    auto topic = unique_topic("txn-v1");
    create_topic(topic, 3);
    commit_abort_commit(bootstrap(), topic);
    return;
  }
  // Partitions join by AddPartitionsToTxn: a v1 broker refuses a transactional Produce for a
  // partition not added.
  scoped_broker v1{"txn-v1", "transaction.version=1"};
  auto topic = unique_topic("txn-v1");
  v1.create_topic(topic, 3);
  commit_abort_commit(v1.bootstrap(), topic);
  auto unsent_topic = unique_topic("txn-v1-abort-unsent");
  v1.create_topic(unsent_topic, 1);
  abort_fails_unsent(v1.bootstrap(), unsent_topic);
  auto timeout_topic = unique_topic("txn-v1-timeout");
  v1.create_topic(timeout_topic, 1);
  timed_out(v1.bootstrap(), timeout_topic, [&](const std::string& id) { return v1.transaction_state(id); });
  auto gap_topic = unique_topic("txn-v1-gap");
  v1.create_topic(gap_topic, 1, {"max.message.bytes=1000"});
  commits_after_refused_batch(v1.bootstrap(), gap_topic);
}

CAF_TEST(a transaction commits after one whose batch the broker refused was aborted) {
  auto topic = unique_topic("txn-gap");
  create_topic(topic, 1, {"max.message.bytes=1000"});
  commits_after_refused_batch(bootstrap(), topic);
}

CAF_TEST(abort fails the records not sent yet and never writes them) {
  auto topic = unique_topic("txn-abort-unsent");
  create_topic(topic, 1);
  abort_fails_unsent(bootstrap(), topic);
}

// Java's commitTransaction changes the producer's state before it returns, so a send right behind
// it fails at once. Here the call is a message: a record right behind it in the producer's mailbox
// fails the same way instead of slipping into the transaction being committed or the next one.
CAF_TEST(a record sent right behind commit transaction is refused) {
  auto topic = unique_topic("txn-behind-commit");
  create_topic(topic, 1);
  auto p = spawn_transactional(unique_id("behind-commit"));
  require_ok(p, init_txn_atom::value);
  require_ok(p, begin_txn_atom::value);
  require_delivered(send(p, topic, "in-", 3));
  caf::scoped_actor self{*sys};
  auto commit = self->request(p, std::chrono::seconds{90}, commit_txn_atom::value);
  auto behind = self->request(p, std::chrono::seconds{90}, send_atom::value, make_record(topic, "k", "behind"));
  behind.receive([&](record_metadata&) { CAF_FAIL("a record sent behind commit_transaction was taken"); },
                 [&](caf::error& err) {
                   CAF_CHECK(transaction_error_category(err) == transaction_category::illegal_state);
                   CAF_CHECK(sys->render(err).find("Cannot call send in state COMMITTING_TRANSACTION")
                             != std::string::npos);
                 });
  commit.receive([](ok_atom) {}, [&](caf::error& err) { CAF_FAIL("commit failed: " << sys->render(err)); });
  stop(p);
  auto committed = value_counts(read(bootstrap(), topic, 3, isolation::read_uncommitted));
  CAF_CHECK_EQUAL(count_prefix(committed, "in-"), 3);
  CAF_CHECK_EQUAL(count_prefix(committed, "behind"), 0);
}

CAF_TEST(a second producer with the same transactional id fences the first) {
  auto topic = unique_topic("txn-fence");
  create_topic(topic, 2);
  auto id = unique_id("fence");
  auto old_one = spawn_transactional(id);
  require_ok(old_one, init_txn_atom::value);
  require_ok(old_one, begin_txn_atom::value);
  require_delivered(send(old_one, topic, "old-", 5));
  auto new_one = spawn_transactional(id);
  require_ok(new_one, init_txn_atom::value); // the coordinator aborts the old one's transaction
  auto commit = call(old_one, commit_txn_atom::value);
  CAF_CHECK(is_fenced(commit));
  CAF_CHECK(sys->render(commit).find("fenced") != std::string::npos);
  // Every later call, and every record, says so too.
  CAF_CHECK(is_fenced(call(old_one, begin_txn_atom::value)));
  CAF_CHECK(is_fenced(call(old_one, abort_txn_atom::value)));
  auto late = send(old_one, topic, "late-", 1);
  CAF_REQUIRE_EQUAL(late.size(), 1u);
  CAF_CHECK(is_fenced(late[0].error));
  require_ok(new_one, begin_txn_atom::value);
  require_delivered(send(new_one, topic, "new-", 5));
  require_ok(new_one, commit_txn_atom::value);
  stop(old_one);
  stop(new_one);

  auto committed = consume_at_least(topic, 5);
  auto counts = value_counts(committed);
  CAF_CHECK_EQUAL(committed.size(), 5u);
  CAF_CHECK_EQUAL(count_prefix(counts, "new-"), 5);
  CAF_CHECK_EQUAL(count_prefix(counts, "old-"), 0);
  auto everything = consume_at_least(topic, 10, std::chrono::seconds{20}, isolation::read_uncommitted);
  CAF_CHECK_EQUAL(count_prefix(value_counts(everything), "old-"), 5);
}

CAF_TEST(cafka-produce commits every n records and aborts when asked) {
  auto topic = unique_topic("txn-cli");
  create_topic(topic, 2);
  auto r = run_produce("-t " + topic + " -X transactional.id=" + unique_id("cli") + " --txn-records 4", lines("c-", 10));
  CAF_CHECK_EQUAL(r.status, 0);
  CAF_CHECK(r.output.find("3 of 3 transaction(s) committed") != std::string::npos);
  CAF_CHECK(r.output.find("10 of 10 record(s) delivered") != std::string::npos);
  if (r.status != 0)
    CAF_MESSAGE(r.output);
  auto aborted = run_produce("-t " + topic + " -X transactional.id=" + unique_id("cli-abort") + " --txn-abort",
                             lines("a-", 5));
  CAF_CHECK_EQUAL(aborted.status, 0);
  CAF_CHECK(aborted.output.find("1 of 1 transaction(s) aborted") != std::string::npos);
  // A committed transaction after the aborted one moves the last stable offset past it.
  auto after = run_produce("-t " + topic + " -X transactional.id=" + unique_id("cli-after"), lines("d-", 2));
  CAF_CHECK_EQUAL(after.status, 0);
  auto committed = consume_at_least(topic, 12);
  auto counts = value_counts(committed);
  CAF_CHECK_EQUAL(committed.size(), 12u);
  CAF_CHECK_EQUAL(count_prefix(counts, "c-"), 10);
  CAF_CHECK_EQUAL(count_prefix(counts, "d-"), 2);
  CAF_CHECK_EQUAL(count_prefix(counts, "a-"), 0);
  auto everything = consume_at_least(topic, 17, std::chrono::seconds{20}, isolation::read_uncommitted);
  CAF_CHECK_EQUAL(count_prefix(value_counts(everything), "a-"), 5);
}

CAF_TEST(cafka-produce exits 1 naming the error when a transaction cannot commit) {
  auto missing = unique_topic("txn-missing"); // never created
  auto r = run_produce("-t " + missing + " -X transactional.id=" + unique_id("cli-fail") + " -X max.block.ms=5000",
                       lines("x-", 3));
  CAF_CHECK_EQUAL(r.status, 1);
  CAF_CHECK(r.output.find("commit_transaction: ABORTABLE_ERROR") != std::string::npos);
  CAF_CHECK(r.output.find("category abortable") != std::string::npos);
  if (r.status != 1)
    CAF_MESSAGE(r.output);
}

CAF_TEST(send transaction commits a vector atomically or aborts it whole) {
  auto topic = unique_topic("txn-vector");
  create_topic(topic, 3);
  auto p = spawn_transactional(unique_id("vector"));
  require_ok(p, init_txn_atom::value);
  auto records = [&](const std::string& prefix, int n) {
    std::vector<producer_record> out;
    for (int i = 0; i < n; ++i)
      out.push_back(make_record(topic, "k" + std::to_string(i), prefix + std::to_string(i)));
    return out;
  };
  caf::scoped_actor self{*sys};
  std::vector<record_metadata> written;
  self->request(p, std::chrono::seconds{90}, send_txn_atom::value, records("whole-", 20))
    .receive([&](std::vector<record_metadata>& mds) { written = std::move(mds); },
             [&](caf::error& err) { CAF_FAIL("send_transaction failed: " << sys->render(err)); });
  CAF_REQUIRE_EQUAL(written.size(), 20u);
  for (auto& md : written)
    CAF_CHECK_GREATER_OR_EQUAL(md.offset, 0);
  // One record cannot be written (no partition 7): none of the vector is.
  auto broken = records("broken-", 10);
  broken[4].partition = 7;
  caf::error aborted;
  self->request(p, std::chrono::seconds{90}, send_txn_atom::value, std::move(broken))
    .receive([&](std::vector<record_metadata>&) { CAF_FAIL("a transaction with a bad record committed"); },
             [&](caf::error& err) { aborted = std::move(err); });
  CAF_CHECK(aborted == make_error(errc::transaction_aborted));
  CAF_CHECK(sys->render(aborted).find("Partition 7") != std::string::npos);
  self->request(p, std::chrono::seconds{90}, send_txn_atom::value, records("after-", 5))
    .receive([&](std::vector<record_metadata>& mds) { CAF_CHECK_EQUAL(mds.size(), 5u); },
             [&](caf::error& err) { CAF_FAIL("send_transaction after an abort failed: " << sys->render(err)); });
  stop(p);
  auto committed = read(bootstrap(), topic, 25, isolation::read_committed);
  auto counts = value_counts(committed);
  CAF_CHECK_EQUAL(committed.size(), 25u);
  CAF_CHECK_EQUAL(count_prefix(counts, "whole-"), 20);
  CAF_CHECK_EQUAL(count_prefix(counts, "after-"), 5);
  CAF_CHECK_EQUAL(count_prefix(counts, "broken-"), 0);
}

CAF_TEST(offsets sent to a transaction become the group offsets once it commits and never when it aborts) {
  auto in = unique_topic("txn-offsets-in");
  auto out = unique_topic("txn-offsets-out");
  create_topic(in, 2);
  create_topic(out, 1);
  auto group = unique_topic("txn-group");
  auto p = spawn_transactional(unique_id("offsets"));
  consumer_group_metadata g;
  g.group_id = group;
  require_ok(p, init_txn_atom::value);
  require_ok(p, begin_txn_atom::value);
  require_delivered(send(p, out, "transformed-", 3));
  caf::scoped_actor self{*sys};
  auto send_offsets = [&](std::vector<offset_to_commit> offsets) {
    caf::error out_err;
    self->request(p, std::chrono::seconds{90}, send_offsets_atom::value, std::move(offsets), g)
      .receive([](ok_atom) {}, [&](caf::error& err) { out_err = std::move(err); });
    return out_err;
  };
  auto err = send_offsets({{in, 0, 42, -1, ""}, {in, 1, 7, -1, "meta"}});
  CAF_CHECK(!err);
  if (err)
    CAF_MESSAGE("send_offsets_to_transaction: " << sys->render(err));
  require_ok(p, commit_txn_atom::value);
  // The coordinator writes the commit markers after EndTxn answered: read again (bounded) until
  // the offsets show.
  auto committed = group_offsets(group);
  for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds{20};
       committed.size() < 2 && std::chrono::steady_clock::now() < until;)
    committed = group_offsets(group);
  CAF_CHECK_EQUAL(committed[std::make_pair(in, 0)], 42);
  CAF_CHECK_EQUAL(committed[std::make_pair(in, 1)], 7);
  // Aborted: the group keeps what the last commit gave it.
  require_ok(p, begin_txn_atom::value);
  CAF_CHECK(!send_offsets({{in, 0, 100, -1, ""}}));
  require_ok(p, abort_txn_atom::value);
  auto after_abort = group_offsets(group); // a named map: CAF's check keeps a reference into it
  CAF_CHECK_EQUAL(after_abort[std::make_pair(in, 0)], 42);
  stop(p);
}

CAF_TEST(a transaction past its timeout is aborted by the coordinator and cannot commit) {
  auto topic = unique_topic("txn-timeout");
  create_topic(topic, 1);
  timed_out(bootstrap(), topic, [](const std::string& id) { return transaction_state(id); });
}

// The broker (leader and transaction coordinator) crashes in the middle of a transaction: SIGKILL
// after some records were written, more records and the commit while it is down, then it restarts
// on its data. The transaction ends whole or aborted, never partial: read_committed sees all of its
// records or none, and the commit's answer says which.
CAF_TEST(a broker killed in the middle of a transaction and restarted ends it whole or aborted) {
  scoped_broker broker{"txn-crash"};
  auto topic = unique_topic("txn-crash");
  broker.create_topic(topic, 2);
  auto p = spawn_transactional(unique_id("crash"), {{"bootstrap.servers", broker.bootstrap()},
                                                    {"max.block.ms", "120000"}}); // the restart's time
  require_ok(p, init_txn_atom::value);
  require_ok(p, begin_txn_atom::value);
  require_delivered(send(p, topic, "before-", 10)); // written
  broker.kill();
  caf::scoped_actor self{*sys};
  auto during = self->request(p, std::chrono::seconds{180}, send_batch_atom::value, records(topic, "during-", 10));
  auto commit = self->request(p, std::chrono::seconds{180}, commit_txn_atom::value);
  broker.restart();
  std::vector<delivery_report> reports;
  during.receive([&](std::vector<delivery_report>& r) { reports = std::move(r); },
                 [&](caf::error& err) { CAF_FAIL("send_batch failed: " << sys->render(err)); });
  caf::error commit_error;
  commit.receive([](ok_atom) {}, [&](caf::error& err) { commit_error = std::move(err); });
  size_t failed = 0;
  for (auto& r : reports)
    if (r.error)
      ++failed;
  CAF_MESSAGE("records sent while the broker was down that failed: " << failed << " of " << reports.size()
              << "; commit: " << (commit_error ? sys->render(commit_error) : std::string("committed")));
  if (commit_error) { // nothing of it may show: abort what is left of it (an abortable error)
    if (transaction_error_category(commit_error) == transaction_category::abortable)
      require_ok(p, abort_txn_atom::value);
  } else {
    CAF_CHECK_EQUAL(failed, 0u); // a commit with a failed record would be partial
  }
  // A later transaction moves the last stable offset past this one, whatever its end.
  require_ok(p, begin_txn_atom::value);
  require_delivered(send(p, topic, "after-", 2));
  require_ok(p, commit_txn_atom::value);
  stop(p);
  size_t expected = commit_error ? 2 : 22;
  auto counts = value_counts(read(broker.bootstrap(), topic, expected, isolation::read_committed));
  CAF_CHECK_EQUAL(count_prefix(counts, "after-"), 2);
  CAF_CHECK_EQUAL(count_prefix(counts, "before-"), commit_error ? 0 : 10);
  CAF_CHECK_EQUAL(count_prefix(counts, "during-"), commit_error ? 0 : 10);
  for (auto& [value, times] : counts)
    CAF_CHECK_EQUAL(times, 1); // exactly once: retries across the crash were deduplicated
  // This run's broker restarts well within transaction.timeout.ms: the commit goes through.
  CAF_CHECK(!commit_error);
}

CAF_TEST(transactional calls on a producer without a transactional id fail with illegal state) {
  properties props{{"bootstrap.servers", bootstrap()}};
  auto p = spawn(props);
  auto err = call(p, init_txn_atom::value);
  CAF_CHECK(transaction_error_category(err) == transaction_category::illegal_state);
  CAF_CHECK(sys->render(err).find("transactional.id") != std::string::npos);
  stop(p);
}

CAF_TEST_FIXTURE_SCOPE_END()
