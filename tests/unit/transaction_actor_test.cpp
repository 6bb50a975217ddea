#define CAF_SUITE actors.transaction
#include "caf/all.hpp"
#define FAIL(msg) CAF_FAIL(msg) // CAF 0.17.6's dsl.hpp uses an undefined FAIL
#include "caf/test/dsl.hpp"

#include "actors/transaction_actor.hpp"
#include "cafka/error.hpp"
#include "cafka/producer.hpp"
#include "protocol/error_codes.hpp"
#include "unit/fake_actors.hpp"

#include <deque>

using namespace cafka;
using namespace std::chrono_literals;
using namespace cafka::test;

namespace {

// What the fake transaction coordinator saw and what it is told to answer.
struct coordinator_log {
  int16_t transaction_version = 2; // the finalized feature level it reports
  int feature_reads = 0;
  int find_coordinator = 0;
  std::vector<protocol::init_producer_id_request> inits;
  std::vector<protocol::add_partitions_to_txn_request> adds;
  std::vector<std::pair<protocol::end_txn_request, int16_t>> ends; // with the version cap
  std::deque<int16_t> init_errors, add_errors, end_errors, offset_errors; // answered first, one each, then success
  std::vector<protocol::add_offsets_to_txn_request> add_offsets;
  std::vector<std::pair<protocol::txn_offset_commit_request, int16_t>> offset_commits; // with the version cap
  bool hold_inits = false;                                           // keep InitProducerId unanswered
  std::vector<caf::typed_response_promise<protocol::init_producer_id_response>> held_inits;
};

int16_t next_error(std::deque<int16_t>& errors) {
  if (errors.empty())
    return 0;
  auto code = errors.front();
  errors.pop_front();
  return code;
}

// A broker that is the transaction coordinator (node 1) and answers what the script says.
caf::behavior fake_coordinator(caf::event_based_actor* self, std::shared_ptr<coordinator_log> log) {
  return {
    [=](protocol::find_coordinator_request&) {
      ++log->find_coordinator;
      protocol::find_coordinator_response r;
      r.node_id = 1;
      r.host = "127.0.0.1";
      r.port = 9092;
      return r;
    },
    [=](feature_atom, std::string& name) -> int16_t {
      ++log->feature_reads;
      return name == protocol::transaction_version_feature ? log->transaction_version : int16_t{0};
    },
    [=](protocol::init_producer_id_request& req) -> caf::result<protocol::init_producer_id_response> {
      log->inits.push_back(req);
      if (log->hold_inits) {
        auto rp = self->make_response_promise<protocol::init_producer_id_response>();
        log->held_inits.push_back(rp);
        return rp;
      }
      protocol::init_producer_id_response r;
      r.error_code = next_error(log->init_errors);
      r.producer_id = 7000;
      r.producer_epoch = 3;
      if (req.producer_id >= 0) { // KIP-360: the current id and epoch, to bump
        r.producer_id = req.producer_id;
        r.producer_epoch = static_cast<int16_t>(req.producer_epoch + 1);
      }
      return r;
    },
    // Answers the InitProducerId requests held so far with this identity.
    [=](answer_atom, int64_t id, int16_t epoch) {
      for (auto& rp : std::exchange(log->held_inits, {})) {
        protocol::init_producer_id_response r;
        r.producer_id = id;
        r.producer_epoch = epoch;
        rp.deliver(r);
      }
    },
    [=](protocol::add_partitions_to_txn_request& req) {
      log->adds.push_back(req);
      auto code = next_error(log->add_errors);
      protocol::add_partitions_to_txn_response r;
      for (auto& t : req.topics) {
        r.results_by_topic.push_back({t.name, {}});
        for (auto p : t.partitions)
          r.results_by_topic.back().results_by_partition.push_back({p, code});
      }
      return r;
    },
    [=](protocol::add_offsets_to_txn_request& req) {
      log->add_offsets.push_back(req);
      return protocol::add_offsets_to_txn_response{};
    },
    [=](protocol::txn_offset_commit_request& req, int16_t at_most) {
      log->offset_commits.emplace_back(req, at_most);
      auto code = next_error(log->offset_errors);
      protocol::txn_offset_commit_response r;
      for (auto& t : req.topics) {
        r.topics.push_back({t.name, {}, {}});
        for (auto& p : t.partitions)
          r.topics.back().partitions.push_back({p.partition_index, code});
      }
      return r;
    },
    [=](protocol::end_txn_request& req, int16_t at_most) {
      log->ends.emplace_back(req, at_most);
      protocol::end_txn_response r;
      r.error_code = next_error(log->end_errors);
      if (at_most >= 5) { // KIP-890: the next epoch comes with the answer
        r.producer_id = req.producer_id;
        r.producer_epoch = static_cast<int16_t>(req.producer_epoch + 1);
      }
      return r;
    },
  };
}

struct host_log {
  transaction_actor txn; // the actor under test
  std::vector<transaction_status> statuses;
  int flushes = 0;
  caf::actor flush_gate; // when set, a flush waits until the gate lets it go (release_atom)
  std::vector<caf::error> unsent; // what abort_transaction failed the records not sent yet with
};

using release_atom = caf::atom_constant<caf::atom("release")>;

// Answers the flush it was asked about with `answer` once the test sends it release_atom (an
// argument besides self: CAF 0.17's spawn of a function without one trips UBSan).
caf::behavior gate(caf::event_based_actor* self, ok_atom answer) {
  auto held = std::make_shared<caf::response_promise>();
  return {
    [=](flush_atom) {
      *held = self->make_response_promise();
      return *held;
    },
    [=](release_atom) { held->deliver(answer); },
  };
}

// The producer as the transaction actor sees it: flushes at once, keeps every status, and writes
// send_transaction's records (offsets 0, 1, ...) once their partition joined, failing those whose
// value is "fail".
transaction_host::behavior_type fake_host(transaction_host::pointer self, std::shared_ptr<host_log> log) {
  return {
    [=](flush_atom) -> caf::result<ok_atom> {
      ++log->flushes;
      if (!log->flush_gate)
        return ok_atom::value;
      auto rp = self->make_response_promise<ok_atom>();
      self->request(log->flush_gate, caf::infinite, flush_atom::value).then([=](ok_atom) mutable {
        rp.deliver(ok_atom::value);
      });
      return rp;
    },
    [=](unsent_atom, caf::error& err) -> ok_atom {
      log->unsent.push_back(std::move(err));
      return ok_atom::value;
    },
    [=](send_batch_atom, std::vector<producer_record>& records) -> caf::result<std::vector<delivery_report>> {
      std::vector<delivery_report> reports;
      for (auto& r : records) {
        record_metadata md{r.topic, 0, static_cast<int64_t>(reports.size()), 1, -1, -1};
        caf::error err;
        if (std::string(as_chars(r.value.data)) == "fail")
          err = make_error(errc::record_too_large, "t-0: too large");
        reports.push_back({md, err});
      }
      auto rp = self->make_response_promise<std::vector<delivery_report>>();
      self->request(log->txn, caf::infinite, add_partition_atom::value, std::string("t"), int32_t{0})
        .then([=](ok_atom) mutable { rp.deliver(reports); },
              [=](caf::error& err) mutable { rp.deliver(err); });
      return rp;
    },
    [=](txn_status_atom, transaction_status& s) { log->statuses.push_back(std::move(s)); },
  };
}

using call_result = std::optional<caf::expected<ok_atom>>; // nothing: no answer yet

// A user: makes the calls the test asks for and keeps each answer in its slot.
caf::behavior fake_user(caf::event_based_actor* self, transaction_actor txn,
                        std::shared_ptr<std::vector<call_result>> results,
                        std::shared_ptr<std::vector<record_metadata>> written) {
  auto call = [=](auto... xs) {
    auto slot = results->size();
    results->emplace_back();
    self->request(txn, caf::infinite, xs...)
      .then([=](ok_atom) { (*results)[slot] = ok_atom::value; },
            [=](caf::error& err) { (*results)[slot] = std::move(err); });
  };
  return {
    [=](init_txn_atom a) { call(a); },
    [=](begin_txn_atom a) { call(a); },
    [=](commit_txn_atom a) { call(a); },
    [=](abort_txn_atom a) { call(a); },
    [=](send_offsets_atom a, std::vector<offset_to_commit>& offsets, consumer_group_metadata& group) {
      call(a, std::move(offsets), std::move(group));
    },
    [=](send_txn_atom a, std::vector<producer_record>& records) {
      auto slot = results->size();
      results->emplace_back();
      self->request(txn, caf::infinite, a, std::move(records))
        .then([=](std::vector<record_metadata>& mds) {
                (*results)[slot] = ok_atom::value;
                *written = std::move(mds);
              },
              [=](caf::error& err) { (*results)[slot] = std::move(err); });
    },
    [=](add_partition_atom a, std::string& t, int32_t p) { call(a, t, p); },
  };
}

struct fixture : test_coordinator_fixture<> {
  std::shared_ptr<fake_log> meta_log = std::make_shared<fake_log>();
  std::shared_ptr<coordinator_log> coord = std::make_shared<coordinator_log>();
  std::shared_ptr<host_log> host = std::make_shared<host_log>();
  std::shared_ptr<std::vector<call_result>> results = std::make_shared<std::vector<call_result>>();
  std::shared_ptr<std::vector<record_metadata>> written = std::make_shared<std::vector<record_metadata>>();
  caf::actor coordinator;
  metadata_actor meta;
  transaction_host host_actor;
  transaction_actor txn;
  caf::actor user;

  fixture() {
    add_error_category(cfg);
    coordinator = sys.spawn(fake_coordinator, coord);
    meta = sys.spawn(fake_metadata, caf::actor_cast<connection_actor>(coordinator), meta_log);
    host_actor = sys.spawn(fake_host, host);
    transaction_settings s;
    s.transactional_id = "tx-1";
    s.transaction_timeout = 30s;
    s.max_block = 5s;
    s.retry_backoff = 100ms;
    s.metadata = meta;
    s.host = host_actor;
    txn = spawn_transaction(sys, s);
    host->txn = txn;
    user = sys.spawn(fake_user, txn, results, written);
    settle();
  }

  ~fixture() override {
    for (auto a : {caf::actor_cast<caf::actor>(txn), user, coordinator, caf::actor_cast<caf::actor>(meta),
                   caf::actor_cast<caf::actor>(host_actor)})
      caf::anon_send_exit(a, caf::exit_reason::kill);
    consume_messages();
  }

  // Runs every message, no timer: the tests move the clock themselves (the fixture's run() would
  // fire every pending timer, deadlines included).
  void settle() { consume_messages(); }

  void wait(caf::timespan d) {
    advance_time(d);
    settle();
  }

  // Makes a call as the user and runs everything that follows; returns its answer.
  template <class... Ts>
  call_result call(Ts... xs) {
    auto slot = results->size();
    caf::anon_send(user, xs...);
    settle();
    return (*results)[slot];
  }

  // Makes a call as the user without running anything; returns the slot of its answer.
  template <class... Ts>
  size_t call_later(Ts... xs) {
    auto slot = results->size();
    caf::anon_send(user, xs...);
    return slot;
  }

  transaction_state state() const {
    return host->statuses.empty() ? transaction_state::uninitialized : host->statuses.back().state;
  }

  void init() {
    auto r = call(init_txn_atom::value);
    CAF_REQUIRE(r && *r);
    CAF_REQUIRE(state() == transaction_state::ready);
  }
};

bool is_ok(const call_result& r) {
  return r && *r;
}

caf::error error_of(const call_result& r) {
  return r && !*r ? r->error() : caf::error{};
}

bool has_code(const call_result& r, errc code) {
  auto err = error_of(r);
  return err && err.category() == error_category && err.code() == static_cast<uint8_t>(code);
}

bool has_broker_code(const call_result& r, int16_t code) {
  return broker_error_code(error_of(r)) == code;
}

std::string text_of(const call_result& r) {
  auto err = error_of(r);
  return err && err.context().match_elements<std::string>() ? err.context().get_as<std::string>(0) : "";
}

std::vector<producer_record> records_with(std::vector<std::string> values) {
  std::vector<producer_record> out;
  for (auto& v : values)
    out.push_back(make_record("t", std::string("k"), v));
  return out;
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(transaction_actor_tests, fixture)

CAF_TEST(every call but init fails with illegal state before init transactions) {
  for (auto r : {call(begin_txn_atom::value), call(commit_txn_atom::value), call(abort_txn_atom::value)}) {
    CAF_CHECK(has_code(r, errc::illegal_state));
    CAF_CHECK(transaction_error_category(error_of(r)) == transaction_category::illegal_state);
  }
  CAF_CHECK_EQUAL(text_of(call(begin_txn_atom::value)),
                  "TransactionalId tx-1: Invalid transition attempted from state UNINITIALIZED to state IN_TRANSACTION");
  CAF_CHECK(has_code(call(add_partition_atom::value, std::string("t"), int32_t{0}), errc::illegal_state));
  CAF_CHECK(host->statuses.empty()); // nothing changed
  CAF_CHECK(coord->inits.empty());
}

CAF_TEST(init transactions finds the coordinator and gets an id for the transactional id) {
  init();
  CAF_CHECK_EQUAL(coord->find_coordinator, 1);
  CAF_REQUIRE_EQUAL(coord->inits.size(), 1u);
  CAF_CHECK_EQUAL(coord->inits[0].transactional_id.value_or(""), "tx-1");
  CAF_CHECK_EQUAL(coord->inits[0].transaction_timeout_ms, 30000);
  CAF_REQUIRE_EQUAL(host->statuses.size(), 2u);
  CAF_CHECK(host->statuses[0].state == transaction_state::initializing);
  CAF_CHECK(host->statuses[1].identity == (producer_identity{7000, 3}));
  CAF_CHECK(host->statuses[1].v2);
  // Java: initTransactions twice is an invalid transition.
  CAF_CHECK_EQUAL(text_of(call(init_txn_atom::value)),
                  "TransactionalId tx-1: Invalid transition attempted from state READY to state INITIALIZING");
  CAF_CHECK_EQUAL(text_of(call(commit_txn_atom::value)),
                  "TransactionalId tx-1: Invalid transition attempted from state READY to state COMMITTING_TRANSACTION");
}

CAF_TEST(transactions v2 adds partitions implicitly and adopts the epoch end txn answers) {
  init();
  CAF_CHECK(is_ok(call(begin_txn_atom::value)));
  CAF_CHECK(state() == transaction_state::in_transaction);
  CAF_CHECK(has_code(call(begin_txn_atom::value), errc::illegal_state));
  CAF_CHECK(is_ok(call(add_partition_atom::value, std::string("t"), int32_t{0})));
  CAF_CHECK(coord->adds.empty()); // Produce v12+ adds it
  CAF_CHECK(is_ok(call(commit_txn_atom::value)));
  CAF_CHECK_EQUAL(host->flushes, 1);
  CAF_REQUIRE_EQUAL(coord->ends.size(), 1u);
  CAF_CHECK(coord->ends[0].first.committed);
  CAF_CHECK_EQUAL(coord->ends[0].second, protocol::end_txn_request::max_version);
  CAF_CHECK_EQUAL(coord->ends[0].first.producer_epoch, 3);
  CAF_CHECK(state() == transaction_state::ready);
  CAF_CHECK(host->statuses.back().identity == (producer_identity{7000, 4}));
  // The next transaction goes with the new epoch.
  CAF_CHECK(is_ok(call(begin_txn_atom::value)));
  CAF_CHECK(is_ok(call(add_partition_atom::value, std::string("t"), int32_t{0})));
  CAF_CHECK(is_ok(call(abort_txn_atom::value)));
  CAF_REQUIRE_EQUAL(coord->ends.size(), 2u);
  CAF_CHECK(!coord->ends[1].first.committed);
  CAF_CHECK_EQUAL(coord->ends[1].first.producer_epoch, 4);
  CAF_CHECK(host->statuses.back().identity == (producer_identity{7000, 5}));
}

CAF_TEST(transactions v1 adds each partition once per transaction and keeps end txn below v5) {
  coord->transaction_version = 1;
  init();
  CAF_CHECK(!host->statuses.back().v2);
  CAF_CHECK(is_ok(call(begin_txn_atom::value)));
  auto first = call_later(add_partition_atom::value, std::string("t"), int32_t{0});
  auto second = call_later(add_partition_atom::value, std::string("t"), int32_t{1});
  auto third = call_later(add_partition_atom::value, std::string("u"), int32_t{0});
  settle();
  CAF_CHECK(is_ok((*results)[first]) && is_ok((*results)[second]) && is_ok((*results)[third]));
  // One request at a time; what was asked for meanwhile goes together in the next.
  CAF_REQUIRE_EQUAL(coord->adds.size(), 2u);
  CAF_CHECK_EQUAL(coord->adds[0].producer_id, 7000);
  CAF_REQUIRE_EQUAL(coord->adds[1].topics.size(), 2u);
  CAF_CHECK_EQUAL(coord->adds[1].topics[0].name, "t");
  CAF_CHECK_EQUAL(coord->adds[1].topics[1].name, "u");
  CAF_CHECK(is_ok(call(add_partition_atom::value, std::string("t"), int32_t{1}))); // in already
  CAF_CHECK_EQUAL(coord->adds.size(), 2u);
  CAF_CHECK(is_ok(call(commit_txn_atom::value)));
  CAF_REQUIRE_EQUAL(coord->ends.size(), 1u);
  CAF_CHECK_EQUAL(coord->ends[0].second, protocol::end_txn_request::txn_v2_min_version - 1);
  CAF_CHECK(host->statuses.back().identity == (producer_identity{7000, 3})); // v1: the epoch stays
  // A new transaction adds its partitions again.
  CAF_CHECK(is_ok(call(begin_txn_atom::value)));
  CAF_CHECK(is_ok(call(add_partition_atom::value, std::string("t"), int32_t{1})));
  CAF_CHECK_EQUAL(coord->adds.size(), 3u);
}

// The producer took a record before the commit, and the record reaches a partition new to the
// transaction only while the commit's flush waits for it (it waited for a partition lease): the
// partition joins, before EndTxn. Once the flush is over, nothing joins.
CAF_TEST(a partition reached while the commit flushes joins the transaction before end txn) {
  coord->transaction_version = 1;
  host->flush_gate = sys.spawn(gate, ok_atom::value);
  init();
  CAF_CHECK(is_ok(call(begin_txn_atom::value)));
  CAF_CHECK(is_ok(call(add_partition_atom::value, std::string("t"), int32_t{0})));
  auto commit = call_later(commit_txn_atom::value);
  settle();
  CAF_CHECK(state() == transaction_state::committing);
  CAF_CHECK(!(*results)[commit]);
  CAF_CHECK(is_ok(call(add_partition_atom::value, std::string("u"), int32_t{0})));
  CAF_REQUIRE_EQUAL(coord->adds.size(), 2u);
  CAF_CHECK_EQUAL(coord->adds[1].topics[0].name, "u");
  CAF_CHECK(coord->ends.empty());
  caf::anon_send(host->flush_gate, release_atom::value);
  settle();
  CAF_CHECK(is_ok((*results)[commit]));
  CAF_REQUIRE_EQUAL(coord->ends.size(), 1u);
  CAF_CHECK(coord->ends[0].first.committed);
  CAF_CHECK(has_code(call(add_partition_atom::value, std::string("v"), int32_t{0}), errc::illegal_state));
  caf::anon_send_exit(host->flush_gate, caf::exit_reason::kill);
}

// Java's abortTransaction fails the records still in the accumulator (TransactionAbortedException)
// instead of sending them; commit sends them all first.
CAF_TEST(abort fails the records not sent yet with an error saying so and commit flushes them) {
  init();
  CAF_CHECK(is_ok(call(begin_txn_atom::value)));
  CAF_CHECK(is_ok(call(add_partition_atom::value, std::string("t"), int32_t{0})));
  CAF_CHECK(is_ok(call(abort_txn_atom::value)));
  CAF_CHECK_EQUAL(host->flushes, 0);
  CAF_REQUIRE_EQUAL(host->unsent.size(), 1u);
  auto& err = host->unsent[0];
  CAF_CHECK(err.category() == error_category && err.code() == static_cast<uint8_t>(errc::transaction_aborted));
  CAF_CHECK(transaction_error_category(err) == transaction_category::abortable);
  CAF_CHECK_EQUAL(sys.render(err).find("tx-1") != std::string::npos, true);
  CAF_CHECK_EQUAL(sys.render(err).find("transaction was aborted") != std::string::npos, true);
  CAF_REQUIRE_EQUAL(coord->ends.size(), 1u); // after the host answered: nothing is on its way then
  CAF_CHECK(!coord->ends[0].first.committed);
  CAF_CHECK(is_ok(call(begin_txn_atom::value)));
  CAF_CHECK(is_ok(call(add_partition_atom::value, std::string("t"), int32_t{0})));
  CAF_CHECK(is_ok(call(commit_txn_atom::value)));
  CAF_CHECK_EQUAL(host->flushes, 1);
  CAF_CHECK_EQUAL(host->unsent.size(), 1u);
}

// Java's maybeUpdateTransactionV2Enabled at beginTransaction: the cluster's transaction.version is
// read again at every begin (not only at init) and holds for the whole transaction.
CAF_TEST(the transaction version is read again at every begin and holds until the transaction ends) {
  init();
  CAF_CHECK_EQUAL(coord->feature_reads, 1);
  CAF_CHECK(is_ok(call(begin_txn_atom::value)));
  CAF_CHECK_EQUAL(coord->feature_reads, 2);
  CAF_CHECK(host->statuses.back().v2);
  CAF_CHECK(is_ok(call(add_partition_atom::value, std::string("t"), int32_t{0})));
  CAF_CHECK(is_ok(call(commit_txn_atom::value)));
  // The cluster went down to transactions v1 (or a v1 broker answers now).
  coord->transaction_version = 1;
  CAF_CHECK(is_ok(call(begin_txn_atom::value)));
  CAF_CHECK(!host->statuses.back().v2);
  CAF_CHECK(host->statuses.back().state == transaction_state::in_transaction);
  coord->transaction_version = 2; // within a transaction: no effect until the next begin
  CAF_CHECK(is_ok(call(add_partition_atom::value, std::string("t"), int32_t{0})));
  CAF_CHECK_EQUAL(coord->adds.size(), 1u); // v1: AddPartitionsToTxn
  CAF_CHECK(is_ok(call(commit_txn_atom::value)));
  CAF_REQUIRE_EQUAL(coord->ends.size(), 2u);
  CAF_CHECK_EQUAL(coord->ends[0].second, protocol::end_txn_request::max_version);
  CAF_CHECK_EQUAL(coord->ends[1].second, protocol::end_txn_request::txn_v2_min_version - 1);
  // And back to v2 at the next begin; send_transaction reads it too.
  coord->transaction_version = 1;
  CAF_CHECK(is_ok(call(send_txn_atom::value, records_with({"a"}))));
  CAF_CHECK_EQUAL(coord->adds.size(), 2u);
  coord->transaction_version = 2;
  CAF_CHECK(is_ok(call(begin_txn_atom::value)));
  CAF_CHECK(host->statuses.back().v2);
  CAF_CHECK(is_ok(call(add_partition_atom::value, std::string("t"), int32_t{0})));
  CAF_CHECK_EQUAL(coord->adds.size(), 2u); // v2: its Produce adds it
}

CAF_TEST(a begin while another reads the version fails as a begin inside a transaction would) {
  init();
  auto first = call_later(begin_txn_atom::value);
  call_later(begin_txn_atom::value);
  auto second = first + 1; // call_later's slot is the size before the user took any of the two
  settle();
  CAF_REQUIRE_EQUAL(results->size(), second + 1);
  CAF_CHECK(is_ok((*results)[first]));
  CAF_CHECK(has_code((*results)[second], errc::illegal_state));
  CAF_CHECK_EQUAL(text_of((*results)[second]),
                  "TransactionalId tx-1: Invalid transition attempted from state IN_TRANSACTION to state IN_TRANSACTION");
  CAF_CHECK(state() == transaction_state::in_transaction);
  CAF_CHECK_EQUAL(host->statuses.back().transaction, 1u); // one transaction began
}

CAF_TEST(a transaction nothing joined ends without end txn) {
  init();
  CAF_CHECK(is_ok(call(begin_txn_atom::value)));
  CAF_CHECK(is_ok(call(commit_txn_atom::value)));
  CAF_CHECK(coord->ends.empty());
  CAF_CHECK(state() == transaction_state::ready);
}

CAF_TEST(a failed record makes the transaction abortable until it is aborted) {
  init();
  CAF_CHECK(is_ok(call(begin_txn_atom::value)));
  CAF_CHECK(is_ok(call(add_partition_atom::value, std::string("t"), int32_t{0})));
  caf::anon_send(txn, record_failed_atom::value, make_error(errc::delivery_timeout, "t-0: expired"));
  settle();
  CAF_CHECK(state() == transaction_state::abortable_error);
  auto commit = call(commit_txn_atom::value);
  CAF_CHECK(has_code(commit, errc::abortable_error));
  CAF_CHECK(transaction_error_category(error_of(commit)) == transaction_category::abortable);
  CAF_CHECK(text_of(commit).find("DELIVERY_TIMEOUT") != std::string::npos); // the cause
  CAF_CHECK(has_code(call(begin_txn_atom::value), errc::abortable_error));
  CAF_CHECK(coord->ends.empty());
  CAF_CHECK(is_ok(call(abort_txn_atom::value)));
  CAF_REQUIRE_EQUAL(coord->ends.size(), 1u);
  CAF_CHECK(!coord->ends[0].first.committed);
  CAF_CHECK(state() == transaction_state::ready);
  CAF_CHECK(is_ok(call(begin_txn_atom::value)));
}

// KIP-360 (Java's epochBumpRequired): under transactions v1 the abort after a failed record is
// followed by InitProducerId with the current id and epoch; the next transaction goes with the
// bumped epoch, its sequences from 0. Under v2 EndTxn bumps the epoch anyway.
CAF_TEST(transactions v1 bumps the epoch after aborting a transaction a record failed in) {
  coord->transaction_version = 1;
  init();
  CAF_CHECK(is_ok(call(begin_txn_atom::value)));
  CAF_CHECK(is_ok(call(add_partition_atom::value, std::string("t"), int32_t{0})));
  CAF_CHECK(is_ok(call(abort_txn_atom::value))); // no record failed: no bump
  CAF_CHECK_EQUAL(coord->inits.size(), 1u);
  CAF_CHECK(host->statuses.back().identity == (producer_identity{7000, 3}));
  CAF_CHECK(is_ok(call(begin_txn_atom::value)));
  CAF_CHECK(is_ok(call(add_partition_atom::value, std::string("t"), int32_t{0})));
  caf::anon_send(txn, record_failed_atom::value, make_error(errc::delivery_timeout, "t-0: expired"));
  settle();
  CAF_CHECK(state() == transaction_state::abortable_error);
  auto before = host->statuses.size();
  CAF_CHECK(is_ok(call(abort_txn_atom::value)));
  CAF_REQUIRE_EQUAL(coord->ends.size(), 2u);
  CAF_CHECK(!coord->ends[1].first.committed);
  CAF_REQUIRE_EQUAL(coord->inits.size(), 2u); // after EndTxn
  CAF_CHECK_EQUAL(coord->inits[1].producer_id, 7000);
  CAF_CHECK_EQUAL(coord->inits[1].producer_epoch, 3);
  std::vector<transaction_state> seen;
  for (auto i = before; i < host->statuses.size(); ++i)
    seen.push_back(host->statuses[i].state);
  CAF_CHECK(seen == (std::vector<transaction_state>{transaction_state::aborting, transaction_state::initializing,
                                                    transaction_state::ready}));
  CAF_CHECK(host->statuses.back().identity == (producer_identity{7000, 4}));
  CAF_CHECK(!host->statuses.back().error);
  CAF_CHECK(is_ok(call(begin_txn_atom::value)));
  CAF_CHECK(is_ok(call(add_partition_atom::value, std::string("t"), int32_t{0})));
  CAF_CHECK_EQUAL(coord->adds.back().producer_epoch, 4);
  CAF_CHECK(is_ok(call(commit_txn_atom::value)));
  CAF_CHECK_EQUAL(coord->ends.back().first.producer_epoch, 4);
  CAF_CHECK_EQUAL(coord->inits.size(), 2u);
}

CAF_TEST(transactions v2 takes the epoch end txn bumped after a failed record) {
  init();
  CAF_CHECK(is_ok(call(begin_txn_atom::value)));
  CAF_CHECK(is_ok(call(add_partition_atom::value, std::string("t"), int32_t{0})));
  caf::anon_send(txn, record_failed_atom::value, make_error(errc::delivery_timeout, "t-0: expired"));
  settle();
  CAF_CHECK(is_ok(call(abort_txn_atom::value)));
  CAF_CHECK_EQUAL(coord->inits.size(), 1u); // no InitProducerId: EndTxn v5 answered the next epoch
  CAF_CHECK(host->statuses.back().identity == (producer_identity{7000, 4}));
  CAF_CHECK(state() == transaction_state::ready);
}

CAF_TEST(a partition the coordinator refuses makes the transaction abortable) {
  coord->transaction_version = 1;
  init();
  CAF_CHECK(is_ok(call(begin_txn_atom::value)));
  coord->add_errors.push_back(protocol::errc::topic_authorization_failed);
  auto add = call(add_partition_atom::value, std::string("t"), int32_t{0});
  CAF_CHECK(has_code(add, errc::abortable_error));
  CAF_CHECK(state() == transaction_state::abortable_error);
  CAF_CHECK(text_of(add).find("TOPIC_AUTHORIZATION_FAILED") != std::string::npos);
}

CAF_TEST(fencing fails what waits and every later call saying so) {
  coord->transaction_version = 1;
  init();
  CAF_CHECK(is_ok(call(begin_txn_atom::value)));
  CAF_CHECK(is_ok(call(add_partition_atom::value, std::string("t"), int32_t{0})));
  coord->end_errors.push_back(protocol::errc::producer_fenced);
  auto commit = call(commit_txn_atom::value);
  CAF_CHECK(has_broker_code(commit, protocol::errc::producer_fenced));
  CAF_CHECK(text_of(commit).find("fenced") != std::string::npos);
  CAF_CHECK(transaction_error_category(error_of(commit)) == transaction_category::application_recoverable);
  CAF_CHECK(state() == transaction_state::fatal_error);
  for (auto r : {call(begin_txn_atom::value), call(abort_txn_atom::value), call(commit_txn_atom::value),
                 call(init_txn_atom::value), call(add_partition_atom::value, std::string("t"), int32_t{1})})
    CAF_CHECK(has_broker_code(r, protocol::errc::producer_fenced));
  CAF_CHECK_EQUAL(coord->ends.size(), 1u);
}

// The coordinator aborts a transaction past transaction.timeout.ms and bumps the epoch: the commit's
// EndTxn then fails (PRODUCER_FENCED under v1, INVALID_TXN_STATE under v2), and the error says why.
CAF_TEST(a commit refused after the transaction timeout says the coordinator aborted it) {
  for (auto code : {protocol::errc::producer_fenced, protocol::errc::invalid_txn_state}) {
    fixture f; // a producer of its own each time: both errors are fatal
    f.init();
    CAF_CHECK(is_ok(f.call(begin_txn_atom::value)));
    CAF_CHECK(is_ok(f.call(add_partition_atom::value, std::string("t"), int32_t{0})));
    f.wait(30s); // transaction.timeout.ms here
    f.coord->end_errors.push_back(code);
    auto commit = f.call(commit_txn_atom::value);
    CAF_CHECK(has_broker_code(commit, code));
    CAF_CHECK(text_of(commit).find("past transaction.timeout.ms (30000 ms): the coordinator aborted it")
              != std::string::npos);
    CAF_CHECK(f.state() == transaction_state::fatal_error);
  }
  // Within the timeout, a fenced commit says nothing of it.
  init();
  CAF_CHECK(is_ok(call(begin_txn_atom::value)));
  CAF_CHECK(is_ok(call(add_partition_atom::value, std::string("t"), int32_t{0})));
  wait(29s);
  coord->end_errors.push_back(protocol::errc::producer_fenced);
  auto commit = call(commit_txn_atom::value);
  CAF_CHECK(has_broker_code(commit, protocol::errc::producer_fenced));
  CAF_CHECK(text_of(commit).find("transaction.timeout.ms") == std::string::npos);
}

CAF_TEST(a record fenced by the broker fences the producer and fails a waiting partition add) {
  coord->transaction_version = 1;
  init();
  CAF_CHECK(is_ok(call(begin_txn_atom::value)));
  coord->add_errors.push_back(protocol::errc::concurrent_transactions); // retried after retry.backoff.ms
  auto add = call_later(add_partition_atom::value, std::string("t"), int32_t{0});
  settle();
  CAF_CHECK(!(*results)[add]);
  if ((*results)[add])
    CAF_MESSAGE("answered: " << (is_ok((*results)[add]) ? std::string("ok") : sys.render(error_of((*results)[add]))));
  caf::anon_send(txn, record_failed_atom::value,
                 kafka_error(protocol::errc::invalid_producer_epoch, "t-0: old epoch"));
  settle();
  CAF_CHECK(has_broker_code((*results)[add], protocol::errc::producer_fenced));
  CAF_CHECK(state() == transaction_state::fatal_error);
  CAF_CHECK(host->statuses.back().error);
  wait(100ms); // the retry finds the producer fenced: no second request
  settle();
  CAF_CHECK_EQUAL(coord->adds.size(), 1u);
}

CAF_TEST(retriable coordinator errors are retried after the backoff) {
  coord->init_errors = {protocol::errc::coordinator_load_in_progress, protocol::errc::not_coordinator};
  auto slot = call_later(init_txn_atom::value);
  settle();
  CAF_CHECK(!(*results)[slot]);
  wait(100ms);
  CAF_CHECK(!(*results)[slot]);
  CAF_CHECK_EQUAL(coord->find_coordinator, 1);
  wait(100ms);
  CAF_CHECK(is_ok((*results)[slot]));
  CAF_CHECK_EQUAL(coord->inits.size(), 3u);
  CAF_CHECK_EQUAL(coord->find_coordinator, 2); // NOT_COORDINATOR: found again
}

CAF_TEST(a call outlasting max block ms fails as retriable and the same call again gets the outcome) {
  coord->hold_inits = true;
  auto first = call_later(init_txn_atom::value);
  settle();
  wait(5s);
  CAF_CHECK(has_code((*results)[first], errc::request_timeout));
  CAF_CHECK(transaction_error_category(error_of((*results)[first])) == transaction_category::retriable);
  CAF_CHECK(state() == transaction_state::initializing);
  auto second = call_later(init_txn_atom::value);
  settle();
  CAF_CHECK(!(*results)[second]);
  CAF_CHECK_EQUAL(coord->inits.size(), 1u); // the same operation, not a new one
  caf::anon_send(coordinator, answer_atom::value, int64_t{9}, int16_t{0});
  settle();
  CAF_CHECK(is_ok((*results)[second]));
  CAF_CHECK(host->statuses.back().identity == (producer_identity{9, 0}));
}

CAF_TEST(send transaction commits its records and answers their metadata) {
  CAF_CHECK(has_code(call(send_txn_atom::value, records_with({"a"})), errc::illegal_state)); // before init
  init();
  CAF_CHECK(is_ok(call(send_txn_atom::value, records_with({"a", "b", "c"}))));
  CAF_REQUIRE_EQUAL(written->size(), 3u);
  CAF_CHECK_EQUAL((*written)[2].offset, 2);
  CAF_REQUIRE_EQUAL(coord->ends.size(), 1u);
  CAF_CHECK(coord->ends[0].first.committed);
  CAF_CHECK(state() == transaction_state::ready);
  // Not inside a transaction of the caller's.
  CAF_CHECK(is_ok(call(begin_txn_atom::value)));
  CAF_CHECK(has_code(call(send_txn_atom::value, records_with({"a"})), errc::illegal_state));
}

CAF_TEST(send transaction aborts when a record failed and answers why) {
  init();
  auto r = call(send_txn_atom::value, records_with({"a", "fail", "c"}));
  CAF_CHECK(has_code(r, errc::transaction_aborted));
  CAF_CHECK(transaction_error_category(error_of(r)) == transaction_category::abortable);
  CAF_CHECK(text_of(r).find("RECORD_TOO_LARGE") != std::string::npos);
  CAF_REQUIRE_EQUAL(coord->ends.size(), 1u);
  CAF_CHECK(!coord->ends[0].first.committed);
  CAF_CHECK(state() == transaction_state::ready); // the next one may go
  CAF_CHECK(is_ok(call(send_txn_atom::value, records_with({"d"}))));
}

std::vector<offset_to_commit> consumed_offsets() {
  return {{"in", 0, 42, -1, ""}, {"in", 1, 7, 3, "m"}};
}

consumer_group_metadata group_of(std::string id) {
  consumer_group_metadata g;
  g.group_id = std::move(id);
  return g;
}

CAF_TEST(send offsets under transactions v2 goes straight to the group coordinator) {
  init();
  CAF_CHECK(has_code(call(send_offsets_atom::value, consumed_offsets(), group_of("g")), errc::illegal_state));
  CAF_CHECK(is_ok(call(begin_txn_atom::value)));
  CAF_CHECK(is_ok(call(send_offsets_atom::value, consumed_offsets(), group_of("g"))));
  CAF_CHECK(coord->add_offsets.empty());
  CAF_REQUIRE_EQUAL(coord->offset_commits.size(), 1u);
  auto& [req, at_most] = coord->offset_commits[0];
  CAF_CHECK_EQUAL(at_most, protocol::txn_offset_commit_request::txn_v2_min_version);
  CAF_CHECK_EQUAL(req.group_id, "g");
  CAF_CHECK_EQUAL(req.transactional_id, "tx-1");
  CAF_CHECK_EQUAL(req.producer_id, 7000);
  CAF_REQUIRE_EQUAL(req.topics.size(), 1u);
  CAF_REQUIRE_EQUAL(req.topics[0].partitions.size(), 2u);
  CAF_CHECK_EQUAL(req.topics[0].partitions[1].committed_offset, 7);
  CAF_CHECK_EQUAL(req.topics[0].partitions[1].committed_leader_epoch, 3);
  CAF_CHECK(is_ok(call(commit_txn_atom::value)));
  CAF_CHECK_EQUAL(coord->ends.size(), 1u); // the offsets alone make the transaction end with EndTxn
  CAF_CHECK_EQUAL(coord->find_coordinator, 2); // the transaction's and the group's
}

CAF_TEST(send offsets under transactions v1 adds the offsets partition first) {
  coord->transaction_version = 1;
  init();
  CAF_CHECK(is_ok(call(begin_txn_atom::value)));
  CAF_CHECK(is_ok(call(send_offsets_atom::value, consumed_offsets(), group_of("g"))));
  CAF_REQUIRE_EQUAL(coord->add_offsets.size(), 1u);
  CAF_CHECK_EQUAL(coord->add_offsets[0].group_id, "g");
  CAF_REQUIRE_EQUAL(coord->offset_commits.size(), 1u);
  CAF_CHECK_EQUAL(coord->offset_commits[0].second, protocol::txn_offset_commit_request::txn_v2_min_version - 1);
}

CAF_TEST(a stale group generation makes the transaction abortable) {
  init();
  CAF_CHECK(is_ok(call(begin_txn_atom::value)));
  coord->offset_errors.push_back(protocol::errc::illegal_generation);
  auto r = call(send_offsets_atom::value, consumed_offsets(), group_of("g"));
  CAF_CHECK(has_code(r, errc::abortable_error));
  CAF_CHECK(text_of(r).find("ILLEGAL_GENERATION") != std::string::npos);
  CAF_CHECK(state() == transaction_state::abortable_error);
  CAF_CHECK(is_ok(call(abort_txn_atom::value)));
}

CAF_TEST_FIXTURE_SCOPE_END()
