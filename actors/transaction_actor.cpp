// The transaction actor: Java TransactionManager's state machine for one transactional.id.
//
// The state (transaction_state) changes only in `enter`, which refuses a transition that `legal`
// does not name and tells the producer front (the host) about every change, so that the front takes
// records only in IN_TRANSACTION and stamps them with the current identity. A call in a state that
// does not allow it fails at once: with the fatal error in FATAL_ERROR, with the abortable error in
// ABORTABLE_ERROR (abort_transaction excepted), else with ILLEGAL_STATE naming both states.
//
// init_transactions, commit_transaction and abort_transaction are the calls that wait for the
// coordinator. Each waits at most max.block.ms and then fails as retriable while the operation goes
// on (Java's semantics): the same call again waits for the same outcome.
//
// Transactions v2 (KIP-890 part 2) when the cluster finalized transaction.version >= 2, read from a
// connection's latest ApiVersions answer at init_transactions and again at every begin (the version
// changes only between transactions): partitions join through their first Produce (v12+) and EndTxn
// v5 answers the identity to go on with (a bumped epoch). Otherwise v1: AddPartitionsToTxn before a
// partition's first Produce in each transaction, EndTxn v4 at most, the identity stays.
//
// send_offsets_to_transaction commits a consumer group's offsets inside the transaction
// (TxnOffsetCommit to the group's coordinator, after AddOffsetsToTxn under v1); commit and abort are
// refused while it is pending. send_transaction runs begin, the records (through the host's
// send_batch), and commit, or abort when a record failed, as one call.
//
// PRODUCER_FENCED and INVALID_PRODUCER_EPOCH, from any exchange or any record, mean a newer
// producer with the same transactional.id took over (or the coordinator aborted a transaction past
// transaction.timeout.ms, which the error then says): FATAL_ERROR with an error saying so, every
// waiting call and partition add fails with it, and so does every later call.
//
// abort_transaction fails the records not sent yet (the host's `unsent`) and awaits the sent ones
// before EndTxn. Under v1, the abort of a transaction a record failed in is followed by an epoch
// bump (InitProducerId with the current id and epoch, KIP-360), through INITIALIZING.
#include "actors/transaction_actor.hpp"

#include "cafka/error.hpp"
#include "protocol/error_codes.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

namespace cafka {

const char* name_of(transaction_state s) {
  switch (s) {
    case transaction_state::uninitialized: return "UNINITIALIZED";
    case transaction_state::initializing: return "INITIALIZING";
    case transaction_state::ready: return "READY";
    case transaction_state::in_transaction: return "IN_TRANSACTION";
    case transaction_state::committing: return "COMMITTING_TRANSACTION";
    case transaction_state::aborting: return "ABORTING_TRANSACTION";
    case transaction_state::abortable_error: return "ABORTABLE_ERROR";
    case transaction_state::fatal_error: return "FATAL_ERROR";
  }
  return "?";
}

namespace {

using state = transaction_state;
using ok_promise = caf::typed_response_promise<ok_atom>;
using partition_key = std::pair<std::string, int32_t>;

// Java's TransactionManager.State.isTransitionValid, but for READY -> UNINITIALIZED (an idempotent
// producer's, not a transactional one's). ABORTING -> INITIALIZING is the epoch bump after an
// abortable error under transactions v1 (KIP-360).
bool legal(state from, state to) {
  switch (to) {
    case state::uninitialized: return false;
    case state::initializing: return from == state::uninitialized || from == state::aborting;
    case state::ready: return from == state::initializing || from == state::committing || from == state::aborting;
    case state::in_transaction: return from == state::ready;
    case state::committing: return from == state::in_transaction;
    case state::aborting: return from == state::in_transaction || from == state::abortable_error;
    case state::abortable_error:
      return from == state::in_transaction || from == state::committing || from == state::abortable_error;
    case state::fatal_error: return true;
  }
  return false;
}

// Who waits for the outcome of the call under way: a caller's promise, or the next step of
// send_transaction.
struct waiting_call {
  uint64_t id = 0; // its deadline_atom's
  std::function<void(const caf::error&)> done; // none: ok
};

} // namespace

struct transaction_data {
  transaction_settings settings;
  transaction_status status;
  connection_actor coordinator; // empty: FindCoordinator first
  std::map<std::string, connection_actor> group_coordinators; // for send_offsets_to_transaction
  // send_offsets_to_transaction under way (one at a time; commit and abort wait for it, as Java's
  // throwIfPendingState).
  std::optional<ok_promise> offsets_waiter;
  // Who waits for the call under way (init_transactions, commit_transaction or abort_transaction).
  std::vector<waiting_call> waiting;
  uint64_t next_waiter = 1;
  // Coordinator exchanges that go again after retry.backoff.ms, by the number their retry_atom carries.
  std::map<uint64_t, std::function<void()>> retries;
  uint64_t next_retry = 1;
  bool started = false; // something joined the current transaction: it ends with EndTxn
  // The commit's flush is under way: records the producer took before the commit may still reach
  // a partition new to the transaction (they waited for a partition lease or metadata), and join it.
  bool commit_flushing = false;
  bool beginning = false; // begin_transaction reads the version before it enters IN_TRANSACTION
  // Transactions v1: a record of the transaction failed, so its abort is followed by InitProducerId
  // with the current id and epoch, which bumps the epoch (KIP-360, Java's epochBumpRequired).
  bool bump_required = false;
  // When something first joined the current transaction: the coordinator's transaction.timeout.ms
  // runs from about then (its first AddPartitionsToTxn, or its first Produce under v2).
  caf::actor_clock::time_point started_at;
  // Transactions v1: the current transaction's partitions, and those on their way in.
  std::set<partition_key> added;
  std::map<partition_key, std::vector<ok_promise>> to_add; // asked for while an add was under way
  std::map<partition_key, std::vector<ok_promise>> adding; // in the AddPartitionsToTxn under way

  static inline const char* name = "cafka.transaction";
};

namespace {

using self_ptr = transaction_actor::stateful_pointer<transaction_data>;

std::string prefix(self_ptr self) {
  return "TransactionalId " + self->state.settings.transactional_id + ": ";
}

std::string render(self_ptr self, const caf::error& err) {
  return self->system().render(err);
}

// Something joins the current transaction (a partition, a group's offsets): it ends with EndTxn.
void join(self_ptr self) {
  auto& st = self->state;
  if (st.started)
    return;
  st.started = true;
  st.started_at = self->clock().now();
}

// Why the coordinator may have ended the transaction itself: it aborts one that outlived
// transaction.timeout.ms and bumps the producer's epoch, so that the producer's next EndTxn fails
// (PRODUCER_FENCED, or INVALID_TXN_STATE under transactions v2). "" when it did not outlive it.
std::string timeout_hint(self_ptr self) {
  auto& st = self->state;
  if (!st.started)
    return {};
  auto age = std::chrono::duration_cast<std::chrono::milliseconds>(self->clock().now() - st.started_at);
  if (age < st.settings.transaction_timeout)
    return {};
  return "the transaction began " + std::to_string(age.count()) + " ms ago, past transaction.timeout.ms ("
         + std::to_string(st.settings.transaction_timeout.count())
         + " ms): the coordinator aborted it and bumped the producer epoch";
}

// ---- States ---------------------------------------------------------------------------------------

// The one place the state changes; the host hears of every change.
void enter(self_ptr self, state to) {
  auto& st = self->state;
  if (!legal(st.status.state, to)) {
    std::fprintf(stderr, "cafka: transaction actor: no transition from %s to %s\n", name_of(st.status.state),
                 name_of(to));
    std::abort();
  }
  st.status.state = to;
  self->send(st.settings.host, txn_status_atom::value, st.status);
}

// Why a call may not go from the current state to `to`; none when it may.
caf::error refusal(self_ptr self, state to) {
  auto& st = self->state;
  auto from = st.status.state;
  if (from == state::fatal_error || (from == state::abortable_error && to != state::aborting))
    return st.status.error;
  if (!legal(from, to))
    return make_error(errc::illegal_state, prefix(self) + "Invalid transition attempted from state " + name_of(from)
                                             + " to state " + name_of(to));
  return {};
}

// The call under way gets a new waiter, failed (retriable) if the call outlasts max.block.ms.
void wait_for_call(self_ptr self, std::function<void(const caf::error&)> done) {
  auto& st = self->state;
  waiting_call w{st.next_waiter++, std::move(done)};
  self->delayed_send(self, st.settings.max_block, deadline_atom::value, w.id);
  st.waiting.push_back(std::move(w));
}

// A callback that answers `rp` with the error, or with ok when there is none.
std::function<void(const caf::error&)> answering(ok_promise rp) {
  return [rp](const caf::error& err) mutable {
    if (err)
      rp.deliver(err);
    else
      rp.deliver(ok_atom::value);
  };
}

ok_promise wait_for_call(self_ptr self) {
  auto rp = self->make_response_promise<ok_atom>();
  wait_for_call(self, answering(rp));
  return rp;
}

void finish_call(self_ptr self, const caf::error& err) {
  for (auto& w : std::exchange(self->state.waiting, {}))
    w.done(err);
}

void fail_adds(self_ptr self, const caf::error& err) {
  auto& st = self->state;
  for (auto* queue : {&st.to_add, &st.adding})
    for (auto& [_, promises] : std::exchange(*queue, {}))
      for (auto& p : promises)
        p.deliver(err);
}

// FATAL_ERROR: everything waiting fails with `err`, and so does every later call.
void fail_fatally(self_ptr self, caf::error err) {
  auto& st = self->state;
  if (st.status.state == state::fatal_error)
    return;
  st.status.error = std::move(err);
  st.retries.clear();
  enter(self, state::fatal_error);
  finish_call(self, st.status.error);
  fail_adds(self, st.status.error);
  if (auto w = std::exchange(st.offsets_waiter, std::nullopt))
    w->deliver(st.status.error);
}

bool is_fencing(const caf::error& err) {
  auto code = broker_error_code(err);
  return code == protocol::errc::producer_fenced || code == protocol::errc::invalid_producer_epoch;
}

// Java turns both codes into ProducerFencedException; cafka says PRODUCER_FENCED with the cause
// (and the transaction timeout, when that is the likelier one).
void fence(self_ptr self, const caf::error& cause) {
  auto hint = timeout_hint(self);
  auto why = hint.empty() ? std::string("a newer producer with the same transactional.id took over")
                          : hint + " (or a newer producer with the same transactional.id took over)";
  fail_fatally(self, kafka_error(protocol::errc::producer_fenced, prefix(self) + "this producer was fenced: " + why
                                                                    + " (" + render(self, cause) + "); close it"));
}

// ABORTABLE_ERROR: the transaction cannot commit; abort_transaction, then go on. The first cause stays.
void become_abortable(self_ptr self, const caf::error& cause) {
  auto& st = self->state;
  auto s = st.status.state;
  if (s != state::in_transaction && s != state::committing)
    return;
  st.status.error = make_error(errc::abortable_error, prefix(self) + "the transaction cannot commit, abort it: "
                                                        + render(self, cause));
  enter(self, state::abortable_error);
}

// ---- Coordinator exchanges --------------------------------------------------------------------

void retry_later(self_ptr self, std::function<void()> attempt) {
  auto& st = self->state;
  auto n = st.next_retry++;
  st.retries.emplace(n, std::move(attempt));
  self->delayed_send(self, st.settings.retry_backoff, retry_atom::value, n);
}

// What an exchange does with an error: go again (after finding the coordinator again when it moved
// or its connection is gone), fence, or hand the error to `failed`.
void on_exchange_error(self_ptr self, const caf::error& err, std::function<void()> again,
                       std::function<void(caf::error)> failed) {
  if (self->state.status.state == state::fatal_error)
    return;
  if (is_fencing(err))
    return fence(self, err);
  auto category = transaction_error_category(err);
  if (err == caf::sec::request_receiver_down) // the connection stopped (its broker moved)
    category = transaction_category::refresh_retriable;
  switch (category) {
    case transaction_category::refresh_retriable:
      self->state.coordinator = connection_actor{};
      self->state.group_coordinators.clear();
      [[fallthrough]];
    case transaction_category::retriable:
      return retry_later(self, std::move(again));
    default:
      return failed(err);
  }
}

// Calls `found` with the connection to the coordinator of `key` (a transactional id's or a
// group's), asking any broker (FindCoordinator); `failed` gets what went wrong on the way.
void find_coordinator(self_ptr self, protocol::coordinator_type type, std::string key,
                      std::function<void(connection_actor)> found, std::function<void(caf::error)> failed) {
  auto on_error = [=](caf::error& err) { failed(err); };
  auto metadata = self->state.settings.metadata;
  self->request(metadata, caf::infinite, connection_atom::value).then(
    [=](connection_actor& any) {
      self->request(any, caf::infinite, protocol::find_coordinator_for(type, key))
        .then(
          [=](protocol::find_coordinator_response& r) {
            auto listed = protocol::coordinators_of(r);
            if (listed.empty())
              return failed(make_error(errc::malformed_response, prefix(self) + "FindCoordinator answered no coordinator"));
            auto& c = listed.front();
            if (c.error_code != 0)
              return failed(kafka_error(c.error_code, prefix(self) + "FindCoordinator: "
                                                        + c.error_message.value_or(std::string(
                                                          protocol::error_info(c.error_code).message))));
            self->request(metadata, caf::infinite, connection_atom::value, c.node_id, c.host, c.port)
              .then([=](connection_actor& coordinator) { found(coordinator); }, on_error);
          },
          on_error);
    },
    on_error);
}

// Calls `then` with the transaction coordinator's connection, finding it first when not known.
void with_coordinator(self_ptr self, std::function<void(connection_actor)> then,
                      std::function<void(caf::error)> failed) {
  auto& st = self->state;
  if (st.coordinator)
    return then(st.coordinator);
  find_coordinator(self, protocol::coordinator_type::transaction, st.settings.transactional_id,
                   [=](connection_actor c) {
                     self->state.coordinator = c;
                     then(c);
                   },
                   std::move(failed));
}

// The same for a consumer group's coordinator (TxnOffsetCommit).
void with_group_coordinator(self_ptr self, const std::string& group, std::function<void(connection_actor)> then,
                            std::function<void(caf::error)> failed) {
  auto& st = self->state;
  if (auto i = st.group_coordinators.find(group); i != st.group_coordinators.end())
    return then(i->second);
  find_coordinator(self, protocol::coordinator_type::group, group,
                   [=](connection_actor c) {
                     self->state.group_coordinators[group] = c;
                     then(c);
                   },
                   std::move(failed));
}

// A broker's error code with what it answered to.
caf::error answer_error(self_ptr self, int16_t code, const std::string& what) {
  return kafka_error(code, prefix(self) + what + ": " + std::string(protocol::error_info(code).message));
}

// ---- init_transactions ------------------------------------------------------------------------

// InitProducerId: a new id at init_transactions, or (bump) the next epoch of the current one.
void init_producer_id(self_ptr self, bool bump = false) {
  auto again = [=] { init_producer_id(self, bump); };
  auto failed = [=](caf::error err) { fail_fatally(self, std::move(err)); };
  with_coordinator(
    self,
    [=](connection_actor coordinator) {
      auto& s = self->state.settings;
      protocol::init_producer_id_request req;
      req.transactional_id = s.transactional_id;
      req.transaction_timeout_ms = static_cast<int32_t>(s.transaction_timeout.count());
      if (bump) {
        req.producer_id = self->state.status.identity.id;
        req.producer_epoch = self->state.status.identity.epoch;
      }
      self->request(coordinator, caf::infinite, std::move(req))
        .then(
          [=](protocol::init_producer_id_response& r) {
            if (r.error_code != 0)
              return on_exchange_error(self, answer_error(self, r.error_code, "InitProducerId"), again, failed);
            self->state.status.identity = {r.producer_id, r.producer_epoch};
            enter(self, state::ready);
            finish_call(self, {});
          },
          [=](caf::error& err) { on_exchange_error(self, err, again, failed); });
    },
    [=](caf::error err) { on_exchange_error(self, err, again, failed); });
}

// The transaction protocol the cluster finalized, from a connection's latest ApiVersions answer:
// `found` gets the level (0: not finalized), `failed` what went wrong on the way.
void read_version(self_ptr self, caf::duration timeout, std::function<void(int16_t)> found,
                  std::function<void(caf::error&)> failed) {
  self->request(self->state.settings.metadata, timeout, connection_atom::value)
    .then(
      [=](connection_actor& any) {
        self->request(any, timeout, feature_atom::value, std::string(protocol::transaction_version_feature))
          .then([=](int16_t level) { found(level); }, failed);
      },
      failed);
}

// At init_transactions: the version, then the id.
void learn_version(self_ptr self) {
  auto again = [=] { learn_version(self); };
  auto failed = [=](caf::error err) { fail_fatally(self, std::move(err)); };
  read_version(
    self, caf::infinite,
    [=](int16_t level) {
      self->state.status.v2 = level >= protocol::transaction_version_2;
      init_producer_id(self);
    },
    [=](caf::error& err) { on_exchange_error(self, err, again, failed); });
}

caf::result<ok_atom> on_init(self_ptr self) {
  if (self->state.status.state == state::initializing)
    return wait_for_call(self); // a call that timed out, again: the same outcome
  if (auto err = refusal(self, state::initializing))
    return err;
  enter(self, state::initializing);
  auto rp = wait_for_call(self);
  learn_version(self);
  return rp;
}

// ---- begin, commit, abort -----------------------------------------------------------------------

// READY -> IN_TRANSACTION, with no partitions yet.
void start_transaction(self_ptr self) {
  auto& st = self->state;
  st.bump_required = false;
  ++st.status.transaction;
  st.started = false;
  st.added.clear();
  enter(self, state::in_transaction);
}

// A new transaction after the version was read again (Java's maybeUpdateTransactionV2Enabled at
// beginTransaction): the cluster may have changed transaction.version since the last one, and it
// takes effect only between transactions. `started` gets none, or why the transaction may not
// begin. No connection within max.block.ms: the last version stays (Java reads its cached
// ApiVersions, which never fails).
void begin_with_version(self_ptr self, std::function<void(const caf::error&)> started) {
  auto& st = self->state;
  if (auto err = refusal(self, state::in_transaction))
    return started(err);
  if (st.beginning)
    return started(make_error(errc::illegal_state, prefix(self) + "Invalid transition attempted from state "
                                                     "IN_TRANSACTION to state IN_TRANSACTION"));
  st.beginning = true;
  auto begin = [=](std::optional<int16_t> level) {
    auto& s = self->state;
    s.beginning = false;
    if (auto err = refusal(self, state::in_transaction)) // fenced meanwhile, say
      return started(err);
    if (level)
      s.status.v2 = *level >= protocol::transaction_version_2;
    start_transaction(self);
    started({});
  };
  read_version(self, caf::duration{st.settings.max_block}, [=](int16_t level) { begin(level); },
               [=](caf::error&) { begin(std::nullopt); });
}

caf::result<ok_atom> on_begin(self_ptr self) {
  auto rp = self->make_response_promise<ok_atom>();
  begin_with_version(self, answering(rp));
  return rp;
}

// READY again, with the identity the next transaction goes with; after an abort that a failed
// record made necessary under v1, through INITIALIZING: the epoch bump (KIP-360) restarts every
// partition's sequences at 0, where the failed batch left a gap.
void complete_transaction(self_ptr self, producer_identity next) {
  auto& st = self->state;
  st.status.identity = next;
  st.status.error = {};
  st.started = false;
  st.added.clear();
  if (std::exchange(st.bump_required, false) && st.status.state == state::aborting && !st.status.v2) {
    enter(self, state::initializing);
    return init_producer_id(self, true); // READY and the call's answer once it answered
  }
  enter(self, state::ready);
  finish_call(self, {});
}

void end_txn(self_ptr self, bool commit) {
  auto again = [=] { end_txn(self, commit); };
  auto failed = [=](caf::error err) {
    if (commit && broker_error_code(err) == protocol::errc::transaction_abortable) {
      become_abortable(self, err);
      return finish_call(self, self->state.status.error);
    }
    auto code = broker_error_code(err);
    if (auto hint = timeout_hint(self); code && !hint.empty()) // INVALID_TXN_STATE (Java: fatal too)
      err = kafka_error(*code, (err.context().match_elements<std::string>() ? err.context().get_as<std::string>(0)
                                                                           : render(self, err)) + "; " + hint);
    fail_fatally(self, std::move(err));
  };
  with_coordinator(
    self,
    [=](connection_actor coordinator) {
      auto& st = self->state;
      protocol::end_txn_request req;
      req.transactional_id = st.settings.transactional_id;
      req.producer_id = st.status.identity.id;
      req.producer_epoch = st.status.identity.epoch;
      req.committed = commit;
      int16_t at_most = st.status.v2 ? protocol::end_txn_request::max_version
                                     : static_cast<int16_t>(protocol::end_txn_request::txn_v2_min_version - 1);
      self->request(coordinator, caf::infinite, std::move(req), at_most)
        .then(
          [=](protocol::end_txn_response& r) {
            if (r.error_code != 0)
              return on_exchange_error(self, answer_error(self, r.error_code, commit ? "EndTxn (commit)" : "EndTxn (abort)"),
                                       again, failed);
            auto next = self->state.status.identity;
            if (self->state.status.v2 && r.producer_id >= 0 && r.producer_epoch >= 0)
              next = {r.producer_id, r.producer_epoch}; // KIP-890: the epoch bumped at every end
            complete_transaction(self, next);
          },
          [=](caf::error& err) { on_exchange_error(self, err, again, failed); });
    },
    [=](caf::error err) { on_exchange_error(self, err, again, failed); });
}

// Every record of the transaction resolved: end it at the coordinator, unless a record failed
// meanwhile (the commit then fails with the abortable error) or nothing joined it (no EndTxn, as Java).
void after_flush(self_ptr self, bool commit) {
  auto& st = self->state;
  st.commit_flushing = false;
  if (st.status.state != (commit ? state::committing : state::aborting))
    return finish_call(self, st.status.error);
  if (!st.started)
    return complete_transaction(self, st.status.identity);
  end_txn(self, commit);
}

// What a record not sent yet gets when its transaction aborts (Java's TransactionAbortedException).
caf::error aborted_unsent(self_ptr self) {
  return make_error(errc::transaction_aborted, prefix(self) + "Failing the record since the transaction was aborted "
                                                 "(abort_transaction) before it was sent");
}

// COMMITTING or ABORTING (the caller checked it may): the host flushes, then EndTxn. Commit sends
// every record first (as Java); abort fails those not sent yet and waits for those sent (as Java's
// abortUndrainedBatches), so that no record of the transaction is still on its way at EndTxn.
void end_transaction(self_ptr self, bool commit) {
  auto& st = self->state;
  enter(self, commit ? state::committing : state::aborting);
  st.commit_flushing = commit;
  auto flushed = [=](ok_atom) { after_flush(self, commit); };
  auto failed = [=](caf::error& err) { fail_fatally(self, std::move(err)); };
  if (commit)
    self->request(st.settings.host, caf::infinite, flush_atom::value).then(flushed, failed);
  else
    self->request(st.settings.host, caf::infinite, unsent_atom::value, aborted_unsent(self)).then(flushed, failed);
}

caf::result<ok_atom> on_end(self_ptr self, bool commit) {
  auto& st = self->state;
  auto to = commit ? state::committing : state::aborting;
  if (st.status.state == to)
    return wait_for_call(self); // a call that timed out, again: the same outcome
  if (auto err = refusal(self, to))
    return err;
  if (st.offsets_waiter)
    return make_error(errc::illegal_state, prefix(self) + "Cannot attempt operation `"
                                             + (commit ? "commitTransaction" : "abortTransaction")
                                             + "` while sendOffsetsToTransaction is pending");
  auto rp = wait_for_call(self);
  end_transaction(self, commit);
  return rp;
}

// ---- send_transaction -----------------------------------------------------------------------------

using metadata_promise = caf::typed_response_promise<std::vector<record_metadata>>;

// Aborts the transaction send_transaction began, then answers with `why` (or the abort's error).
void abort_sent(self_ptr self, metadata_promise rp, caf::error why) {
  if (auto err = refusal(self, state::aborting)) { // fenced meanwhile, say
    rp.deliver(err);
    return;
  }
  wait_for_call(self, [=](const caf::error& abort_error) mutable { rp.deliver(abort_error ? abort_error : why); });
  end_transaction(self, false);
}

// Every record of send_transaction resolved: commit when all were written, abort otherwise.
void on_sent(self_ptr self, metadata_promise rp, std::vector<delivery_report>& reports) {
  std::vector<record_metadata> written;
  caf::error failed;
  for (auto& r : reports) {
    if (r.error && !failed)
      failed = r.error;
    written.push_back(std::move(r.metadata));
  }
  if (failed)
    return abort_sent(self, rp, make_error(errc::transaction_aborted, prefix(self) + "send_transaction aborted: a record "
                                                                        "failed: " + render(self, failed)));
  if (auto err = refusal(self, state::committing)) { // a record of it failed in the front, or fenced
    if (self->state.status.state == state::abortable_error)
      abort_sent(self, rp, err);
    else
      rp.deliver(err);
    return;
  }
  wait_for_call(self, [=](const caf::error& err) mutable {
    if (!err)
      rp.deliver(std::move(written));
    else if (self->state.status.state == state::abortable_error)
      abort_sent(self, rp, err);
    else
      rp.deliver(err);
  });
  end_transaction(self, true);
}

// A transaction of its own for the records: begin, send them all, commit once every one was
// written (the reply then has each record's metadata), abort otherwise (the reply is the error).
caf::result<std::vector<record_metadata>> on_send_transaction(self_ptr self, std::vector<producer_record>& records) {
  auto rp = self->make_response_promise<std::vector<record_metadata>>();
  begin_with_version(self, [=, records = std::move(records)](const caf::error& refused) mutable {
    if (refused) {
      rp.deliver(refused);
      return;
    }
    self->request(self->state.settings.host, caf::infinite, send_batch_atom::value, std::move(records))
      .then([=](std::vector<delivery_report>& reports) { on_sent(self, rp, reports); },
            [=](caf::error& err) mutable { rp.deliver(err); }); // the producer is gone
  });
  return rp;
}

// ---- send_offsets_to_transaction ------------------------------------------------------------------

void finish_offsets(self_ptr self, const caf::error& err) {
  if (auto w = std::exchange(self->state.offsets_waiter, std::nullopt)) {
    if (err)
      w->deliver(err);
    else
      w->deliver(ok_atom::value);
  }
}

void offsets_failed(self_ptr self, const caf::error& err) {
  become_abortable(self, err); // Java: CommitFailedException and the like are abortable
  finish_offsets(self, self->state.status.error ? self->state.status.error : err);
}

// TxnOffsetCommit to the group's coordinator: v5 under transactions v2 (it adds the offsets
// partition itself), v4 at most under v1 (after AddOffsetsToTxn).
void txn_offset_commit(self_ptr self, std::vector<offset_to_commit> offsets, consumer_group_metadata group) {
  auto again = [=] { txn_offset_commit(self, offsets, group); };
  auto failed = [=](caf::error err) { offsets_failed(self, err); };
  with_group_coordinator(
    self, group.group_id,
    [=](connection_actor coordinator) {
      auto& st = self->state;
      protocol::txn_offset_commit_request req;
      req.transactional_id = st.settings.transactional_id;
      req.group_id = group.group_id;
      req.producer_id = st.status.identity.id;
      req.producer_epoch = st.status.identity.epoch;
      req.generation_id = group.generation_id;
      req.member_id = group.member_id;
      if (!group.group_instance_id.empty())
        req.group_instance_id = group.group_instance_id;
      for (auto& o : offsets) {
        auto t = std::find_if(req.topics.begin(), req.topics.end(), [&](auto& x) { return x.name == o.topic; });
        if (t == req.topics.end())
          t = req.topics.insert(req.topics.end(), {o.topic, {}, {}});
        t->partitions.push_back({o.partition, o.offset, o.leader_epoch, o.metadata});
      }
      // Topics go by name: v6 (topic ids) is not sent.
      int16_t at_most = st.status.v2 ? protocol::txn_offset_commit_request::txn_v2_min_version
                                     : static_cast<int16_t>(protocol::txn_offset_commit_request::txn_v2_min_version - 1);
      self->request(coordinator, caf::infinite, std::move(req), at_most)
        .then(
          [=](protocol::txn_offset_commit_response& r) {
            caf::error first;
            for (auto& t : r.topics)
              for (auto& p : t.partitions)
                if (p.error_code != 0 && !first)
                  first = answer_error(self, p.error_code,
                                       "TxnOffsetCommit " + t.name + "-" + std::to_string(p.partition_index));
            if (first)
              return on_exchange_error(self, first, again, failed);
            finish_offsets(self, {});
          },
          [=](caf::error& err) { on_exchange_error(self, err, again, failed); });
    },
    [=](caf::error err) { on_exchange_error(self, err, again, failed); });
}

// Transactions v1: the group's offsets partition joins the transaction first (AddOffsetsToTxn).
void add_offsets(self_ptr self, std::vector<offset_to_commit> offsets, consumer_group_metadata group) {
  auto again = [=] { add_offsets(self, offsets, group); };
  auto failed = [=](caf::error err) { offsets_failed(self, err); };
  with_coordinator(
    self,
    [=](connection_actor coordinator) {
      auto& st = self->state;
      protocol::add_offsets_to_txn_request req;
      req.transactional_id = st.settings.transactional_id;
      req.producer_id = st.status.identity.id;
      req.producer_epoch = st.status.identity.epoch;
      req.group_id = group.group_id;
      self->request(coordinator, caf::infinite, std::move(req))
        .then(
          [=](protocol::add_offsets_to_txn_response& r) {
            if (r.error_code != 0)
              return on_exchange_error(self, answer_error(self, r.error_code, "AddOffsetsToTxn " + group.group_id),
                                       again, failed);
            txn_offset_commit(self, offsets, group);
          },
          [=](caf::error& err) { on_exchange_error(self, err, again, failed); });
    },
    [=](caf::error err) { on_exchange_error(self, err, again, failed); });
}

caf::result<ok_atom> on_send_offsets(self_ptr self, std::vector<offset_to_commit>& offsets,
                                     consumer_group_metadata& group) {
  auto& st = self->state;
  if (st.status.state == state::fatal_error || st.status.state == state::abortable_error)
    return st.status.error;
  if (st.status.state != state::in_transaction)
    return make_error(errc::illegal_state, prefix(self) + "Cannot send offsets if a transaction is not in progress "
                                             "(currentState= " + name_of(st.status.state) + ")");
  if (st.offsets_waiter)
    return make_error(errc::illegal_state, prefix(self) + "Cannot attempt operation `sendOffsetsToTransaction` "
                                             "while a previous one is pending");
  if (group.group_id.empty())
    return make_error(errc::invalid_config, prefix(self) + "send_offsets_to_transaction needs a group id");
  join(self); // the group's offsets partition joins the transaction
  auto rp = self->make_response_promise<ok_atom>();
  st.offsets_waiter = rp;
  if (st.status.v2)
    txn_offset_commit(self, std::move(offsets), std::move(group));
  else
    add_offsets(self, std::move(offsets), std::move(group));
  return rp;
}

// ---- Partitions (transactions v1) ---------------------------------------------------------------

caf::error first_add_error(self_ptr self, const protocol::add_partitions_to_txn_response& r) {
  caf::error retriable, other;
  for (auto& t : r.results_by_topic)
    for (auto& p : t.results_by_partition) {
      auto code = p.partition_error_code;
      if (code == 0 || code == protocol::errc::operation_not_attempted)
        continue; // not attempted: another partition's error says why
      auto err = answer_error(self, code, "AddPartitionsToTxn " + t.name + "-" + std::to_string(p.partition_index));
      if (is_fencing(err))
        return err;
      auto category = transaction_error_category(err);
      bool passing = category == transaction_category::retriable || category == transaction_category::refresh_retriable;
      auto& slot = passing ? retriable : other;
      if (!slot)
        slot = err;
    }
  return other ? other : retriable;
}

void send_adds(self_ptr self);

void add_partitions(self_ptr self) {
  auto again = [=] { add_partitions(self); };
  auto failed = [=](caf::error err) {
    become_abortable(self, err);
    fail_adds(self, self->state.status.error ? self->state.status.error : err);
  };
  with_coordinator(
    self,
    [=](connection_actor coordinator) {
      auto& st = self->state;
      protocol::add_partitions_to_txn_request req;
      req.transactional_id = st.settings.transactional_id;
      req.producer_id = st.status.identity.id;
      req.producer_epoch = st.status.identity.epoch;
      for (auto& [key, _] : st.adding) {
        if (req.topics.empty() || req.topics.back().name != key.first)
          req.topics.push_back({key.first, {}});
        req.topics.back().partitions.push_back(key.second);
      }
      self->request(coordinator, caf::infinite, std::move(req))
        .then(
          [=](protocol::add_partitions_to_txn_response& r) {
            if (auto err = first_add_error(self, r))
              return on_exchange_error(self, err, again, failed);
            auto& s = self->state;
            for (auto& [key, promises] : std::exchange(s.adding, {})) {
              s.added.insert(key);
              for (auto& p : promises)
                p.deliver(ok_atom::value);
            }
            send_adds(self);
          },
          [=](caf::error& err) { on_exchange_error(self, err, again, failed); });
    },
    [=](caf::error err) { on_exchange_error(self, err, again, failed); });
}

// One AddPartitionsToTxn at a time, with every partition asked for meanwhile.
void send_adds(self_ptr self) {
  auto& st = self->state;
  if (!st.adding.empty() || st.to_add.empty())
    return;
  st.adding = std::exchange(st.to_add, {});
  join(self);
  add_partitions(self);
}

caf::result<ok_atom> on_add_partition(self_ptr self, std::string& topic, int32_t partition) {
  auto& st = self->state;
  bool joinable = st.status.state == state::in_transaction || (st.status.state == state::committing && st.commit_flushing);
  if (!joinable) {
    if (st.status.error)
      return st.status.error;
    return make_error(errc::illegal_state, prefix(self) + "Cannot add partition " + topic + "-"
                                             + std::to_string(partition) + " to a transaction in state "
                                             + name_of(st.status.state));
  }
  if (st.status.v2) {
    join(self); // its first Produce adds it
    return ok_atom::value;
  }
  partition_key key{topic, partition};
  if (st.added.count(key))
    return ok_atom::value;
  auto rp = self->make_response_promise<ok_atom>();
  st.to_add[key].push_back(rp);
  send_adds(self);
  return rp;
}

// ---- Records, timers ------------------------------------------------------------------------------

void on_record_failed(self_ptr self, const caf::error& err) {
  if (is_fencing(err))
    return fence(self, err);
  auto& st = self->state;
  // Java bumps after a record failed in IN_TRANSACTION (its maybeTransitionToErrorState); cafka
  // also after one failed in COMMITTING's flush: it does not move the sequences of the batches
  // behind a failed one (Java's adjustSequencesDueToFailedBatch), and the bump closes that gap.
  // Under v2, EndTxn bumps the epoch at every end anyway.
  if (!st.status.v2 && (st.status.state == state::in_transaction || st.status.state == state::committing))
    st.bump_required = true;
  become_abortable(self, err);
}

void on_retry(self_ptr self, uint64_t n) {
  auto& st = self->state;
  auto i = st.retries.find(n);
  if (i == st.retries.end())
    return;
  auto attempt = std::move(i->second);
  st.retries.erase(i);
  attempt();
}

void on_deadline(self_ptr self, uint64_t id) {
  auto& st = self->state;
  auto i = std::find_if(st.waiting.begin(), st.waiting.end(), [&](auto& w) { return w.id == id; });
  if (i == st.waiting.end())
    return;
  auto w = std::move(*i);
  st.waiting.erase(i);
  w.done(make_error(errc::request_timeout,
                               prefix(self) + "no outcome within max.block.ms ("
                                 + std::to_string(st.settings.max_block.count()) + " ms) in state "
                                 + name_of(st.status.state) + "; it goes on: the same call again waits for it"));
}

} // namespace

static transaction_actor::behavior_type transaction(self_ptr self, transaction_settings settings) {
  self->state.settings = std::move(settings);
  // The producer stops (it is linked): whoever still waits hears why (CAF 0.17 would answer nobody).
  self->set_exit_handler([=](caf::exit_msg& msg) {
    auto err = make_error(errc::producer_closed, prefix(self) + "the producer closed");
    finish_call(self, err);
    fail_adds(self, err);
    finish_offsets(self, err);
    self->quit(msg.reason);
  });
  return {
    [=](init_txn_atom) { return on_init(self); },
    [=](begin_txn_atom) { return on_begin(self); },
    [=](commit_txn_atom) { return on_end(self, true); },
    [=](abort_txn_atom) { return on_end(self, false); },
    [=](send_txn_atom, std::vector<producer_record>& records) { return on_send_transaction(self, records); },
    [=](send_offsets_atom, std::vector<offset_to_commit>& offsets, consumer_group_metadata& group) {
      return on_send_offsets(self, offsets, group);
    },
    [=](add_partition_atom, std::string& topic, int32_t partition) {
      return on_add_partition(self, topic, partition);
    },
    [=](record_failed_atom, caf::error& err) { on_record_failed(self, err); },
    [=](retry_atom, uint64_t n) { on_retry(self, n); },
    [=](deadline_atom, uint64_t id) { on_deadline(self, id); },
  };
}

transaction_actor spawn_transaction(caf::actor_system& sys, transaction_settings settings) {
  return sys.spawn(transaction, std::move(settings));
}

} // namespace cafka
