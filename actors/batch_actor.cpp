// The batch actor of one partition: appends records into the open batch, closes it at batch.size or
// after linger.ms, stamps it (idempotence) and sends it to the partition's leader, retries retriable
// failures in order until delivery.timeout.ms, and answers every record exactly once.
//
// What the partition is doing is one named phase (batch_phase); `enter` is the only place it changes,
// and it refuses a transition its table does not name. Bookkeeping that does not decide what may be
// sent stays outside the phase: whether the retry and expiry timers are armed, whether a leader lookup
// is under way, whether the open batch is due (linger.ms passed or a flush asked).
//
// Invariants. They hold whenever the actor is between two messages (inside a handler a batch moves
// from queue to queue one step at a time); check_invariants() checks them after every message and
// every answer in builds with CAFKA_CHECK_INVARIANTS (on with CAFKA_SANITIZE) or without NDEBUG, and
// aborts naming the one that broke.
//   order          `ready`, `in_flight` and `held` are each in increasing batch-id order and share no
//                  batch; every batch sent (in flight or held) is older than every batch in `ready`,
//                  and the open batch is the newest: retries go out before anything newer.
//   retries first  in `ready`, the batches sent before come ahead of those never sent.
//   window         in_flight.size() <= max_in_flight, and (idempotent) at most one batch of the
//                  current identity in flight until the broker acknowledged one of it here.
//   one stamp      (idempotent) every batch in flight or held carries the same producer identity, so a
//                  new epoch never overtakes the old one on the wire; awaiting an identity it is the
//                  current one, restamping it is an older one.
//   sequences      (idempotent) two batches stamped with the current identity whose ids are adjacent
//                  have adjacent sequences, and next_sequence follows the newest batch (a batch that
//                  failed or expired leaves a gap between its neighbours).
//   phases         what each phase says in brackets below (e.g. backing_off: the retry timer is armed
//                  and nothing is in flight or held); batches are held only while others are in
//                  flight; the retry timer is armed only in backing_off and awaiting_identity; nothing
//                  is sent outside `sending` (send() checks it), so nothing goes out while awaiting an
//                  identity or restamping.
//   records        every unanswered record is in exactly one batch: the records of the open, ready,
//                  in-flight and held batches add up to those appended minus those answered; no batch
//                  is empty.
//   bytes          the accounted bytes of the open, ready, in-flight and held batches add up to those
//                  appended minus those reported released (buffer.memory).
#include "actors/batch_actor.hpp"

#include "actors/collected_runs.hpp"
#include "actors/pending_records.hpp"
#include "actors/timer_delay.hpp"
#include "cafka/error.hpp"
#include "protocol/error_codes.hpp"
#include "protocol/record_batch.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <type_traits>

#if defined(CAFKA_CHECK_INVARIANTS) || !defined(NDEBUG)
#define CAFKA_BATCH_CHECKS 1
#else
#define CAFKA_BATCH_CHECKS 0
#endif

namespace cafka {

namespace {

using namespace std::chrono;
using clock_type = steady_clock;
using protocol::errc::duplicate_sequence_number;

struct open_batch {
  uint64_t id = 0;
  protocol::record_batch_builder builder;
  pending_records records;
  clock_type::time_point created;
  int64_t accounted_bytes = 0;
  bool due = false; // linger.ms passed or a flush asked: it closes as soon as the window has room
};

struct closed_batch {
  uint64_t id = 0;
  std::shared_ptr<const protocol::byte_buffer> bytes;
  pending_records records;
  clock_type::time_point created;
  clock_type::time_point last_sent{}; // the attempt that the acknowledgement answers
  int64_t accounted_bytes = 0;
  int64_t uncompressed_bytes = 0;
  int32_t attempts = 0;
  int32_t base_sequence = -1;
  producer_identity stamped; // the identity written into the batch
};

// What the partition is doing; the transitions between phases are in `legal` below. In brackets,
// what check_invariants() holds each phase to.
enum class batch_phase : uint8_t {
  // Batches go out in id order as max_in_flight and a known leader allow. [nothing held, no retry
  // timer]
  sending,
  // A batch failed retriably and waits in `held`: nothing goes out until every batch in flight is
  // answered, so that the retry goes first and the sequences on the wire stay in order. [something
  // held, hence something in flight]
  draining,
  // The failed batches are back at the front of `ready`; the retry timer says when they go. [retry
  // timer armed, nothing in flight or held]
  backing_off,
  // The broker lost this partition's sequence state (KIP-360): the producer was asked for a new
  // epoch and nothing goes out before it comes; what is held or backing off waits too. Also where an
  // idempotent partition starts when the producer has no id yet (as Java's Sender, which sends
  // nothing before InitProducerId answered; records wait in batches meanwhile, bounded by
  // delivery.timeout.ms). [idempotent; what is in flight carries the current identity; with a retry
  // timer armed, nothing in flight]
  awaiting_identity,
  // Another partition's bump brought a new identity: once the old-epoch batches in flight are
  // answered, the never-sent batches move to the new epoch from sequence 0; the sent ones keep their
  // old stamp, so that the broker, which still knows the old epoch, deduplicates their retries.
  // [idempotent; something in flight, with an older identity]
  restamping_unsent,
  // A new identity after this partition lost its state: once nothing is in flight, every
  // unacknowledged batch moves to the new epoch from sequence 0. [as restamping_unsent]
  restamping_all,
  // The producer closed: every record was failed and the actor stops. [no batch left]
  closed,
};

const char* name_of(batch_phase p) {
  switch (p) {
    case batch_phase::sending: return "sending";
    case batch_phase::draining: return "draining";
    case batch_phase::backing_off: return "backing_off";
    case batch_phase::awaiting_identity: return "awaiting_identity";
    case batch_phase::restamping_unsent: return "restamping_unsent";
    case batch_phase::restamping_all: return "restamping_all";
    case batch_phase::closed: return "closed";
  }
  return "?";
}

// The transitions, each with why it happens. Staying in a phase is not a transition.
bool legal(batch_phase from, batch_phase to) {
  using enum batch_phase;
  if (to == closed)
    return from != closed; // close fails whatever is left, whatever the partition was doing
  switch (from) {
    case sending:
      return to == draining             // a retriable failure while other batches are in flight
             || to == awaiting_identity // the broker lost the current epoch's sequence state here
             || to == restamping_unsent // another partition's bump brought a new identity
             || to == restamping_all;   // a batch kept on the old epoch found the state gone here too
    case draining:
      return to == backing_off          // the last batch in flight was answered: the held ones are re-queued
             || to == awaiting_identity // as from sending
             || to == restamping_unsent || to == restamping_all;
    case backing_off:
      return to == sending              // the backoff passed
             || to == restamping_unsent; // another partition's bump (restamped at once: nothing in flight)
    case awaiting_identity:
      return to == restamping_all // the new epoch came
             || to == draining || to == backing_off || to == sending; // the producer kept the identity
    case restamping_unsent:
      return to == restamping_all // a batch kept on the old epoch found the state gone here too
             || to == sending     // restamped
             || to == backing_off; // restamped; the retry timer still paces the re-queued batches
    case restamping_all:
      return to == sending || to == backing_off; // restamped, as above
    case closed:
      return false;
  }
  return false;
}

bool restamping(batch_phase p) {
  return p == batch_phase::restamping_unsent || p == batch_phase::restamping_all;
}

// Totals since the actor started, for the records and bytes invariants.
struct ledger {
  int64_t records_appended = 0;
  int64_t records_answered = 0;
  int64_t bytes_accounted = 0; // buffer.memory the producer accounted for the records appended
  int64_t bytes_released = 0;  // what batch_done reports gave back
};

bool needs_metadata_refresh(const caf::error& err) {
  auto code = broker_error_code(err);
  using namespace protocol::errc;
  return (code && (*code == not_leader_or_follower || *code == unknown_topic_or_partition
                   || *code == leader_not_available || *code == unknown_topic_id))
         || (err.category() == error_category && err.code() == static_cast<uint8_t>(errc::network_error));
}

} // namespace

struct batch_state {
  batch_settings settings;
  batch_phase phase = batch_phase::sending;
  std::optional<open_batch> open;
  std::deque<closed_batch> ready;     // closed, not sent (or re-queued for a retry), in id order
  std::deque<closed_batch> in_flight; // sent, awaiting the broker, in id order
  std::vector<closed_batch> held;     // failed retriably, in id order; re-queued once nothing is in flight
  uint64_t next_batch_id = 1;
  int32_t next_sequence = 0;
  bool retry_timer_armed = false;  // a retry_atom is on its way (set when held batches are re-queued)
  bool expiry_timer_armed = false; // an expire_atom is on its way
  bool leader_lookup = false;      // a Metadata refresh or a leader hint is being followed
  // The identity of the newest batch the broker acknowledged on this partition: once it is the
  // current one, the broker checks this producer's sequences here (see send_window).
  producer_identity acknowledged;
  ledger totals;
  // Outcomes for senders (append_to), sent when the current message is done: a message per sender
  // per batch, not per record.
  std::map<caf::actor_addr, std::pair<delivery_sink, std::vector<record_ack>>> acks;
  std::mt19937 random{std::random_device{}()};

  static inline const char* name = "cafka.batch";
};

namespace {

using self_ptr = batch_actor::stateful_pointer<batch_state>;

std::string partition_name(const batch_settings& s) {
  return s.topic + "-" + std::to_string(s.partition);
}

// ---- Phases and invariants ----------------------------------------------------------------------

[[noreturn]] void broken(self_ptr self, const std::string& what) {
  std::fprintf(stderr, "cafka: batch actor of %s: broken invariant: %s (phase %s)\n",
               partition_name(self->state.settings).c_str(), what.c_str(), name_of(self->state.phase));
  std::abort();
}

// The one place the phase changes.
void enter(self_ptr self, batch_phase to) {
  auto& st = self->state;
  if (st.phase == to)
    return;
  if (CAFKA_BATCH_CHECKS && !legal(st.phase, to))
    broken(self, std::string("no transition from ") + name_of(st.phase) + " to " + name_of(to));
  st.phase = to;
}

// What a partition with no identity business left does next: wait for the batches in flight after
// a failure, wait for the retry timer, or send.
batch_phase resume_phase(self_ptr self) {
  auto& st = self->state;
  if (!st.held.empty())
    return batch_phase::draining;
  return st.retry_timer_armed ? batch_phase::backing_off : batch_phase::sending;
}

void check_invariants(self_ptr self) {
  if constexpr (CAFKA_BATCH_CHECKS) {
    auto& st = self->state;
    auto& s = st.settings;
    auto require = [&](bool ok, const char* what) {
      if (!ok)
        broken(self, what);
    };
    using enum batch_phase;
    // order
    auto increasing = [](const auto& queue) {
      return std::adjacent_find(queue.begin(), queue.end(), [](auto& a, auto& b) { return a.id >= b.id; })
             == queue.end();
    };
    require(increasing(st.ready) && increasing(st.in_flight) && increasing(st.held),
            "order: ready, in_flight and held are each in increasing batch-id order");
    std::vector<const closed_batch*> sent;
    for (auto& b : st.in_flight)
      sent.push_back(&b);
    for (auto& b : st.held)
      sent.push_back(&b);
    std::sort(sent.begin(), sent.end(), [](auto* a, auto* b) { return a->id < b->id; });
    require(std::adjacent_find(sent.begin(), sent.end(), [](auto* a, auto* b) { return a->id == b->id; })
              == sent.end(),
            "order: no batch is both in flight and held");
    require(sent.empty() || st.ready.empty() || sent.back()->id < st.ready.front().id,
            "order: every batch in flight or held is older than every batch in ready");
    uint64_t newest_closed = std::max(sent.empty() ? 0 : sent.back()->id, st.ready.empty() ? 0 : st.ready.back().id);
    require(newest_closed < st.next_batch_id, "order: batch ids come from next_batch_id");
    require(!st.open || (st.open->id + 1 == st.next_batch_id && newest_closed < st.open->id),
            "order: the open batch is the newest");
    // retries first
    auto never_sent = std::find_if(st.ready.begin(), st.ready.end(), [](auto& b) { return b.attempts == 0; });
    require(std::none_of(never_sent, st.ready.end(), [](auto& b) { return b.attempts > 0; }),
            "retries first: in ready, batches sent before come ahead of those never sent");
    // window
    require(st.in_flight.size() <= static_cast<size_t>(s.max_in_flight), "window: in_flight.size() <= max_in_flight");
    if (s.idempotent && st.acknowledged != s.identity)
      require(std::count_if(st.in_flight.begin(), st.in_flight.end(), [&](auto& b) { return b.stamped == s.identity; }) <= 1,
              "window: one batch of the current identity in flight until one is acknowledged");
    // records and bytes
    int64_t records = 0;
    int64_t bytes = 0;
    bool empty_batch = false;
    auto count = [&](const auto& b) {
      records += static_cast<int64_t>(b.records.size());
      bytes += b.accounted_bytes;
      empty_batch = empty_batch || b.records.empty();
    };
    if (st.open)
      count(*st.open);
    for (auto& b : st.ready)
      count(b);
    for (auto* b : sent)
      count(*b);
    require(!empty_batch, "records: no batch is empty");
    require(records == st.totals.records_appended - st.totals.records_answered,
            "records: the batches hold exactly the records appended and not answered");
    require(bytes == st.totals.bytes_accounted - st.totals.bytes_released,
            "bytes: the batches' accounted bytes are those appended and not reported released");
    // phases
    require(st.held.empty() || !st.in_flight.empty(), "phases: batches are held only while others are in flight");
    require(!st.retry_timer_armed || st.phase == backing_off || st.phase == awaiting_identity,
            "phases: the retry timer is armed only backing off or awaiting an identity");
    switch (st.phase) {
      case sending:
        require(st.held.empty() && !st.retry_timer_armed, "phases: sending, nothing is held and no retry is due");
        break;
      case draining:
        require(!st.held.empty(), "phases: draining, something is held");
        break;
      case backing_off:
        require(st.retry_timer_armed && st.in_flight.empty() && st.held.empty(),
                "phases: backing off, the retry timer is armed and nothing is in flight or held");
        break;
      case awaiting_identity:
        require(s.idempotent, "phases: only an idempotent partition awaits an identity");
        require(!st.retry_timer_armed || st.in_flight.empty(),
                "phases: awaiting an identity with the retry timer armed, nothing is in flight");
        break;
      case restamping_unsent:
      case restamping_all:
        require(s.idempotent, "phases: only an idempotent partition restamps");
        require(!st.in_flight.empty(), "phases: restamping waits only while something is in flight");
        break;
      case closed:
        require(!st.open && st.ready.empty() && sent.empty(), "phases: closed, no batch is left");
        break;
    }
    if (!s.idempotent)
      return;
    // one stamp
    for (auto* b : sent)
      require(b->stamped == sent.front()->stamped, "one stamp: every batch in flight or held carries the same identity");
    if (!sent.empty() && st.phase == awaiting_identity)
      require(sent.front()->stamped == s.identity, "one stamp: awaiting an identity, what is in flight has the current one");
    if (!sent.empty() && restamping(st.phase))
      require(sent.front()->stamped != s.identity, "one stamp: restamping, what is in flight has an older identity");
    // sequences
    std::vector<const closed_batch*> current;
    for (auto* b : sent)
      if (b->stamped == s.identity)
        current.push_back(b);
    for (auto& b : st.ready)
      if (b.stamped == s.identity)
        current.push_back(&b);
    std::sort(current.begin(), current.end(), [](auto* a, auto* b) { return a->id < b->id; });
    auto after = [](const closed_batch* b) {
      return protocol::next_sequence(b->base_sequence, static_cast<int32_t>(b->records.size()));
    };
    for (size_t i = 1; i < current.size(); ++i)
      if (current[i]->id == current[i - 1]->id + 1)
        require(current[i]->base_sequence == after(current[i - 1]),
                "sequences: adjacent batches of the current identity have adjacent sequences");
    if (!current.empty() && current.back()->id + 1 == (st.open ? st.open->id : st.next_batch_id))
      require(st.next_sequence == after(current.back()), "sequences: next_sequence follows the newest batch");
  }
}

void send_acks(self_ptr self) {
  auto& acks = self->state.acks;
  for (auto& [_, sink_acks] : acks)
    self->send(sink_acks.first, delivered_atom::value, std::move(sink_acks.second));
  acks.clear();
}

// Runs one handler, sends the outcomes it produced for senders, then checks the invariants: they
// hold between any two messages.
template <class Handler, class... Ts>
auto checked(self_ptr self, Handler handler, Ts&&... xs) {
  if constexpr (std::is_void_v<std::invoke_result_t<Handler, self_ptr, Ts&&...>>) {
    handler(self, std::forward<Ts>(xs)...);
    send_acks(self);
    check_invariants(self);
  } else {
    auto result = handler(self, std::forward<Ts>(xs)...);
    send_acks(self);
    check_invariants(self);
    return result;
  }
}

// ---- Answering records --------------------------------------------------------------------------

// log_append_time: the broker's timestamp (in md too) where the topic uses LogAppendTime, else -1.
void resolve(self_ptr self, const pending_record& r, reply_target& to, const record_metadata& md,
             const caf::error& err, int64_t log_append_time = -1) {
  run_on_acknowledgement(*self->state.settings.interceptors, md, err);
  ++self->state.totals.records_answered;
  if (to.group) {
    to.group->fill(static_cast<uint32_t>(r.slot), md.offset, log_append_time, err);
  } else if (to.sink) {
    auto& acks = self->state.acks[to.sink.address()];
    acks.first = to.sink;
    acks.second.push_back(record_ack{r.slot, md, err});
  } else if (err) {
    to.single.deliver(err);
  } else {
    to.single.deliver(md);
  }
}

record_metadata metadata_of(const batch_settings& s, const pending_record& r, int64_t offset, int64_t timestamp) {
  return {s.topic, s.partition, offset, timestamp, r.key_size, r.value_size};
}

void report(self_ptr self, batch_outcome outcome) {
  auto& s = self->state.settings;
  self->state.totals.bytes_released += outcome.released_bytes;
  self->send(s.producer, batch_done_atom::value, s.topic, s.partition, outcome);
}

void fail_records(self_ptr self, pending_records& records, int64_t accounted, const caf::error& err) {
  auto& s = self->state.settings;
  records.for_each([&](size_t, const pending_record& r, reply_target& to) {
    resolve(self, r, to, metadata_of(s, r, -1, r.timestamp), err);
  });
  batch_outcome o;
  o.released_bytes = accounted;
  o.failed = static_cast<int32_t>(records.size());
  o.error = err;
  report(self, o);
  records.clear();
}

void complete(self_ptr self, closed_batch& b, const produce_result& r) {
  auto& s = self->state.settings;
  b.records.for_each([&](size_t i, const pending_record& rec, reply_target& to) {
    int64_t offset = r.base_offset < 0 ? -1 : r.base_offset + static_cast<int64_t>(i);
    int64_t ts = r.log_append_time >= 0 ? r.log_append_time : rec.timestamp;
    resolve(self, rec, to, metadata_of(s, rec, offset, ts), caf::error{}, r.log_append_time);
  });
  batch_outcome o;
  o.released_bytes = b.accounted_bytes;
  o.records = static_cast<int32_t>(b.records.size());
  o.retried = b.attempts > 1 ? static_cast<int32_t>(b.records.size()) : 0;
  o.sent_bytes = static_cast<int64_t>(b.bytes->size());
  o.uncompressed_bytes = b.uncompressed_bytes;
  o.latency_us = duration_cast<microseconds>(self->clock().now() - b.last_sent).count();
  report(self, o);
}

caf::error expired_error(self_ptr self, const closed_batch& b) {
  auto& s = self->state.settings;
  auto age = duration_cast<milliseconds>(self->clock().now() - b.created).count();
  return make_error(errc::delivery_timeout, "Expiring " + std::to_string(b.records.size()) + " record(s) for "
                                              + partition_name(s) + ": " + std::to_string(age)
                                              + " ms has passed since batch creation (delivery.timeout.ms="
                                              + std::to_string(s.delivery_timeout.count()) + ")");
}

bool expired(self_ptr self, clock_type::time_point created) {
  return self->clock().now() - created >= self->state.settings.delivery_timeout;
}

// ---- Batches ------------------------------------------------------------------------------------

void maybe_send(self_ptr self);
void schedule_expiry(self_ptr self);

// Closes the open batch: compresses it, stamps producer id and sequence, queues it for sending.
void close_open(self_ptr self) {
  auto& st = self->state;
  auto& s = st.settings;
  auto ob = std::move(*st.open);
  st.open.reset();
  protocol::producer_stamp stamp;
  if (s.idempotent) {
    stamp.producer_id = s.identity.id;
    stamp.producer_epoch = s.identity.epoch;
    stamp.base_sequence = st.next_sequence;
    stamp.transactional = s.transactional;
  }
  int32_t count = ob.builder.record_count();
  int64_t uncompressed = static_cast<int64_t>(ob.builder.size());
  auto bytes = std::move(ob.builder).finish(s.codec, s.compression_level, stamp);
  if (!bytes) {
    fail_records(self, ob.records, ob.accounted_bytes,
                 make_error(errc::serialization_error, partition_name(s) + ": " + bytes.error()));
    return;
  }
  if (s.idempotent)
    st.next_sequence = protocol::next_sequence(st.next_sequence, count);
  closed_batch cb;
  cb.id = ob.id;
  cb.bytes = std::make_shared<const protocol::byte_buffer>(std::move(*bytes));
  cb.records = std::move(ob.records);
  cb.created = ob.created;
  cb.accounted_bytes = ob.accounted_bytes;
  cb.uncompressed_bytes = uncompressed;
  cb.base_sequence = stamp.base_sequence;
  cb.stamped = s.identity;
  st.ready.push_back(std::move(cb));
}

// Appends one record to the open batch (closing a full one first); returns where its outcome goes.
void append(self_ptr self, producer_record& rec, int32_t accounted, pending_record pr, reply_target to) {
  auto& st = self->state;
  auto& s = st.settings;
  auto key = rec.key.view();
  auto value = rec.value.view();
  auto limit = static_cast<size_t>(s.batch_size);
  if (st.open && !st.open->builder.append_if_fits(limit, rec.timestamp, key, value, rec.headers))
    close_open(self);
  bool appended = st.open.has_value();
  if (!st.open) {
    open_batch ob;
    ob.id = st.next_batch_id++;
    ob.builder = protocol::record_batch_builder(static_cast<size_t>(s.batch_size));
    ob.created = self->clock().now();
    st.open = std::move(ob);
    if (s.linger.count() > 0)
      self->delayed_send(self, s.linger, linger_atom::value, st.open->id);
  }
  pr.timestamp = rec.timestamp;
  pr.key_size = rec.key.serialized_size();
  pr.value_size = rec.value.serialized_size();
  if (!appended)
    st.open->builder.append(rec.timestamp, key, value, rec.headers);
  st.open->records.add(pr, std::move(to));
  st.open->accounted_bytes += accounted;
  ++st.totals.records_appended;
  st.totals.bytes_accounted += accounted;
  if (st.open->builder.size() >= static_cast<size_t>(s.batch_size))
    close_open(self);
}

// ---- Leaders ------------------------------------------------------------------------------------

void on_topic_view(self_ptr self, topic_metadata& md) {
  auto& st = self->state;
  st.leader_lookup = false;
  st.settings.topic_id = md.topic_id;
  if (static_cast<size_t>(st.settings.partition) < md.partitions.size())
    st.settings.leader = md.partitions[static_cast<size_t>(st.settings.partition)].leader;
  maybe_send(self);
}

// The metadata actor gave up (max.block.ms); keep the old leader and let delivery.timeout.ms decide.
void on_topic_view_failed(self_ptr self, caf::error&) {
  self->state.leader_lookup = false;
  maybe_send(self);
  schedule_expiry(self);
}

void refresh_leader(self_ptr self) {
  auto& st = self->state;
  if (st.leader_lookup)
    return;
  st.leader_lookup = true;
  self->request(st.settings.metadata, caf::infinite, topic_atom::value, st.settings.topic, true)
    .then([=](topic_metadata& md) { checked(self, on_topic_view, md); },
          [=](caf::error& err) { checked(self, on_topic_view_failed, err); });
}

void on_hinted_leader(self_ptr self, connection_actor& leader) {
  self->state.leader_lookup = false;
  self->state.settings.leader = std::move(leader);
  maybe_send(self);
}

// Nobody knows the hinted broker's address: the full refresh is the fallback.
void on_hint_failed(self_ptr self, caf::error&) {
  self->state.leader_lookup = false;
  refresh_leader(self);
}

// KIP-951: the broker named the partition's new leader; following it spares a Metadata round trip
// (the full refresh is the fallback when the metadata actor cannot reach that broker).
void follow_leader_hint(self_ptr self, const leader_hint& hint) {
  auto& st = self->state;
  if (st.leader_lookup)
    return;
  st.leader_lookup = true;
  self->request(st.settings.metadata, caf::infinite, leader_atom::value, st.settings.topic, st.settings.partition, hint)
    .then([=](connection_actor& leader) { checked(self, on_hinted_leader, leader); },
          [=](caf::error& err) { checked(self, on_hint_failed, err); });
}

// ---- Retries in order ---------------------------------------------------------------------------

milliseconds backoff_for(self_ptr self, int32_t attempts) {
  auto& s = self->state.settings;
  double base = static_cast<double>(s.retry_backoff.count()) * std::pow(2.0, std::max(0, attempts - 1));
  base = std::min(base, static_cast<double>(s.retry_backoff_max.count()));
  std::uniform_real_distribution<double> jitter(0.8, 1.2);
  return milliseconds{static_cast<long long>(base * jitter(self->state.random))};
}

// A retriable failure: the batch waits in `held` (in id order) until the batches sent after it are
// answered. In an identity phase the identity business goes first; held says what follows it.
void hold(self_ptr self, closed_batch b) {
  auto& st = self->state;
  auto at = std::upper_bound(st.held.begin(), st.held.end(), b.id, [](uint64_t id, auto& x) { return id < x.id; });
  st.held.insert(at, std::move(b));
  if (st.phase == batch_phase::sending)
    enter(self, batch_phase::draining);
}

// Once nothing is in flight, the held batches go back to the front of the queue in sequence order
// and sending resumes after the backoff: sequence numbers stay contiguous on the wire.
void requeue_held(self_ptr self) {
  auto& st = self->state;
  if (!st.in_flight.empty() || st.held.empty())
    return;
  int32_t attempts = 0;
  for (auto i = st.held.rbegin(); i != st.held.rend(); ++i) {
    attempts = std::max(attempts, i->attempts);
    st.ready.push_front(std::move(*i));
  }
  st.held.clear();
  st.retry_timer_armed = true;
  self->delayed_send(self, backoff_for(self, attempts), retry_atom::value);
  if (st.phase == batch_phase::draining)
    enter(self, batch_phase::backing_off);
}

void on_retry(self_ptr self) {
  self->state.retry_timer_armed = false;
  if (self->state.phase == batch_phase::backing_off)
    enter(self, batch_phase::sending);
  maybe_send(self);
}

// ---- Producer identity (KIP-360) ----------------------------------------------------------------

// Once a new identity arrived and nothing stamped with the old one is in flight, queued batches get
// the new producer id/epoch and sequence numbers from 0, in order (KIP-360): the broker starts a new
// epoch's sequence at 0. Where the broker still knows the old epoch (another partition lost its
// state), a batch sent before keeps its old stamp, as in Java: its retry is then deduplicated if an
// earlier attempt did get written. Bytes are copied first: a timed-out request may still hold them.
void restamp_if_drained(self_ptr self) {
  auto& st = self->state;
  if (!restamping(st.phase) || !st.in_flight.empty())
    return;
  requeue_held(self);
  bool keep_sent = st.phase == batch_phase::restamping_unsent;
  int32_t sequence = 0;
  for (auto& b : st.ready) {
    if (keep_sent && b.attempts > 0)
      continue; // sent under the old epoch: goes again as it was, before any new-epoch batch
    auto bytes = *b.bytes;
    protocol::restamp_record_batch(bytes, {st.settings.identity.id, st.settings.identity.epoch, sequence,
                                          st.settings.transactional});
    b.bytes = std::make_shared<const protocol::byte_buffer>(std::move(bytes));
    b.base_sequence = sequence;
    b.stamped = st.settings.identity;
    sequence = protocol::next_sequence(sequence, static_cast<int32_t>(b.records.size()));
  }
  st.next_sequence = sequence;
  enter(self, st.retry_timer_armed ? batch_phase::backing_off : batch_phase::sending);
}

// Whether the broker no longer knows the producer's sequence state for this partition, so only a
// new epoch lets the batch through: UNKNOWN_PRODUCER_ID, or OUT_OF_ORDER_SEQUENCE_NUMBER that no
// failed or unanswered predecessor explains.
bool needs_new_epoch(self_ptr self, const closed_batch& b, std::optional<int16_t> code) {
  auto& st = self->state;
  if (!st.settings.idempotent || st.settings.transactional || !code)
    return false;
  if (*code == protocol::errc::unknown_producer_id)
    return true;
  if (*code != protocol::errc::out_of_order_sequence_number || !st.held.empty())
    return false;
  return std::none_of(st.in_flight.begin(), st.in_flight.end(), [&](auto& x) { return x.id < b.id; });
}

// One bump per loss: the producer hears about `seen` once, whatever else fails meanwhile.
void ask_for_new_epoch(self_ptr self, producer_identity seen) {
  if (self->state.phase == batch_phase::awaiting_identity)
    return;
  self->send(self->state.settings.producer, bump_epoch_atom::value, seen);
  enter(self, batch_phase::awaiting_identity);
}

void on_identity(self_ptr self, producer_identity id) {
  auto& st = self->state;
  bool asked = st.phase == batch_phase::awaiting_identity;
  if (st.settings.idempotent && id != st.settings.identity) {
    st.settings.identity = id;
    if (asked)
      enter(self, batch_phase::restamping_all); // the epoch this partition asked for: its state is gone
    else if (st.phase != batch_phase::restamping_all)
      enter(self, batch_phase::restamping_unsent); // another partition's bump
  } else if (asked) {
    enter(self, resume_phase(self)); // the producer kept the identity: carry on with it
  }
  maybe_send(self);
}

// ---- Sending ------------------------------------------------------------------------------------

void on_failure(self_ptr self, uint64_t batch_id, const caf::error& err) {
  auto& st = self->state;
  auto& s = st.settings;
  auto i = std::find_if(st.in_flight.begin(), st.in_flight.end(), [&](auto& b) { return b.id == batch_id; });
  if (i == st.in_flight.end())
    return;
  auto b = std::move(*i);
  st.in_flight.erase(i);
  auto code = broker_error_code(err);
  using namespace protocol::errc;
  bool sequence_error = code == out_of_order_sequence_number || code == unknown_producer_id
                        || code == invalid_producer_epoch;
  // Stamped before the identity changed: its sequence errors go away with the restamp.
  bool stale_stamp = s.idempotent && sequence_error && b.stamped != s.identity;
  bool new_epoch = !stale_stamp && needs_new_epoch(self, b, code);
  bool out_of_order_after_failure = code == out_of_order_sequence_number && !st.held.empty();
  bool retriable = is_retriable(err) || out_of_order_after_failure || stale_stamp || new_epoch;
  if (retriable && b.attempts <= s.retries && !expired(self, b.created)) {
    if (needs_metadata_refresh(err))
      refresh_leader(self);
    if (new_epoch)
      ask_for_new_epoch(self, b.stamped);
    if (stale_stamp)
      enter(self, batch_phase::restamping_all); // a batch kept on the old epoch found the state gone here too
    hold(self, std::move(b));
    requeue_held(self);
    restamp_if_drained(self);
    schedule_expiry(self);
    return;
  }
  caf::error final_error = retriable && expired(self, b.created) ? expired_error(self, b) : err;
  fail_records(self, b.records, b.accounted_bytes, final_error);
  requeue_held(self);
  maybe_send(self);
}

void on_produced(self_ptr self, uint64_t id, produce_result& r) {
  if (r.error_code == 0 || r.error_code == duplicate_sequence_number) {
    auto& st = self->state;
    auto i = std::find_if(st.in_flight.begin(), st.in_flight.end(), [&](auto& x) { return x.id == id; });
    if (i == st.in_flight.end())
      return;
    auto done = std::move(*i);
    st.in_flight.erase(i);
    st.acknowledged = done.stamped;
    complete(self, done, r);
    requeue_held(self);
    maybe_send(self);
    return;
  }
  if (r.error_code == protocol::errc::not_leader_or_follower && r.new_leader.node_id >= 0)
    follow_leader_hint(self, r.new_leader);
  std::string context = partition_name(self->state.settings) + ": "
                        + (r.error_message.empty() ? std::string(protocol::error_info(r.error_code).message)
                                                   : r.error_message);
  on_failure(self, id, kafka_error(r.error_code, context));
}

void on_produce_failed(self_ptr self, uint64_t id, caf::error& err) {
  // A connection stops when its broker moves to another address (after answering what it held): a
  // request that finds it gone is as retriable as a lost connection, after a refresh.
  if (err == caf::sec::request_receiver_down)
    err = make_error(errc::network_error, partition_name(self->state.settings) + ": its leader's connection is closed");
  on_failure(self, id, err);
}

void send(self_ptr self, closed_batch b) {
  auto& st = self->state;
  auto& s = st.settings;
  if (CAFKA_BATCH_CHECKS && st.phase != batch_phase::sending)
    broken(self, "phases: nothing is sent outside the sending phase");
  b.last_sent = self->clock().now();
  ++b.attempts;
  produce_batch pb{s.topic, s.topic_id, s.partition, b.bytes, static_cast<int32_t>(b.records.size()), s.max_version};
  uint64_t id = b.id;
  st.in_flight.push_back(std::move(b));
  self->request(s.leader, caf::infinite, produce_atom::value, std::move(pb))
    .then([=](produce_result& r) { checked(self, on_produced, id, r); },
          [=](caf::error& err) { checked(self, on_produce_failed, id, err); });
}

// How many batches may be in flight. A broker that has no state for a producer on a partition takes
// any first sequence (ProducerStateManager accepts it, for producers whose state expired): were two
// batches in flight and the first failed (a fresh topic's NOT_LEADER_OR_FOLLOWER), the second would
// be written ahead of it. So one batch goes alone until one of the current identity is acknowledged.
size_t send_window(self_ptr self) {
  auto& st = self->state;
  auto& s = st.settings;
  if (s.idempotent && st.acknowledged != s.identity)
    return 1;
  return static_cast<size_t>(s.max_in_flight);
}

void maybe_send(self_ptr self) {
  auto& st = self->state;
  auto& s = st.settings;
  restamp_if_drained(self);
  switch (st.phase) {
    case batch_phase::sending:
      break;
    case batch_phase::awaiting_identity:
    case batch_phase::restamping_unsent:
    case batch_phase::restamping_all:
      schedule_expiry(self); // the new identity may be slow to come: delivery.timeout.ms still holds
      return;
    case batch_phase::draining:
    case batch_phase::backing_off:
    case batch_phase::closed:
      return;
  }
  if (!s.leader) {
    refresh_leader(self);
    schedule_expiry(self);
    return;
  }
  while (st.in_flight.size() < send_window(self)) {
    if (st.ready.empty()) {
      if (!st.open || !(st.open->due || s.linger.count() == 0))
        break;
      close_open(self);
      if (st.ready.empty())
        continue;
    }
    auto b = std::move(st.ready.front());
    st.ready.pop_front();
    if (expired(self, b.created)) {
      fail_records(self, b.records, b.accounted_bytes, expired_error(self, b));
      continue;
    }
    // A new-epoch batch waits until every batch still on the old epoch is acknowledged: the broker
    // fences the old epoch once it saw the new one.
    if (s.idempotent && b.stamped == s.identity
        && std::any_of(st.in_flight.begin(), st.in_flight.end(), [&](auto& x) { return x.stamped != s.identity; })) {
      st.ready.push_front(std::move(b));
      break;
    }
    send(self, std::move(b));
  }
  if (!st.ready.empty() || st.open)
    schedule_expiry(self);
}

// ---- Expiry (delivery.timeout.ms) ---------------------------------------------------------------

void schedule_expiry(self_ptr self) {
  auto& st = self->state;
  if (st.expiry_timer_armed)
    return;
  std::optional<clock_type::time_point> earliest;
  auto consider = [&](clock_type::time_point t) {
    if (!earliest || t < *earliest)
      earliest = t;
  };
  if (st.open)
    consider(st.open->created);
  for (auto& b : st.ready)
    consider(b.created);
  if (!earliest)
    return;
  st.expiry_timer_armed = true;
  self->delayed_send(self, timer_delay(*earliest + st.settings.delivery_timeout - self->clock().now()),
                     expire_atom::value);
}

void on_expire(self_ptr self) {
  auto& st = self->state;
  st.expiry_timer_armed = false;
  while (!st.ready.empty() && expired(self, st.ready.front().created)) {
    auto b = std::move(st.ready.front());
    st.ready.pop_front();
    fail_records(self, b.records, b.accounted_bytes, expired_error(self, b));
  }
  if (st.open && expired(self, st.open->created)) {
    size_t queued = st.ready.size();
    close_open(self);
    if (st.ready.size() > queued) {
      auto b = std::move(st.ready.back());
      st.ready.pop_back();
      fail_records(self, b.records, b.accounted_bytes, expired_error(self, b));
    }
  }
  if (!st.ready.empty() || st.open)
    schedule_expiry(self);
}

// ---- The other messages -------------------------------------------------------------------------

caf::result<record_metadata> on_append(self_ptr self, producer_record& rec, int32_t accounted) {
  reply_target to;
  to.single = self->make_response_promise<record_metadata>();
  auto rp = to.single;
  append(self, rec, accounted, {}, std::move(to));
  maybe_send(self);
  return rp;
}

void on_append_to(self_ptr self, delivery_sink& sink, std::vector<uint64_t>& ids, std::vector<producer_record>& recs,
                  std::vector<int32_t>& accounted) {
  reply_target to;
  to.sink = sink;
  for (size_t i = 0; i < recs.size(); ++i) {
    pending_record pr;
    pr.slot = i < ids.size() ? ids[i] : 0;
    append(self, recs[i], i < accounted.size() ? accounted[i] : 0, pr, to);
  }
  maybe_send(self);
}

caf::result<append_outcome> on_append_many(self_ptr self, std::vector<producer_record>& recs,
                                           std::vector<int32_t>& accounted) {
  // Before the promise: once a handler made one, CAF 0.17 drops the value it returns.
  if (recs.empty())
    return append_outcome{};
  auto rp = self->make_response_promise<append_outcome>();
  reply_target to;
  to.group = std::make_shared<collected_runs>(rp, recs.size());
  for (size_t i = 0; i < recs.size(); ++i) {
    pending_record pr;
    pr.slot = i;
    append(self, recs[i], i < accounted.size() ? accounted[i] : 0, pr, to);
  }
  maybe_send(self);
  return rp;
}

void on_flush(self_ptr self) {
  if (self->state.open)
    self->state.open->due = true;
  maybe_send(self);
}

// The transaction aborts (Java's abortUndrainedBatches): the records never sent fail with `err`, the
// open batch's and those of the ready batches never sent; what was sent (in flight, held, or queued
// for its retry) is awaited, as its outcome is the broker's. The never-sent batches are the newest
// (retries first), so the next sequence goes back to the first of them: the sequences on the wire
// stay contiguous (transactions v1 keeps an identity's sequences across transactions).
void on_abort_unsent(self_ptr self, caf::error& err) {
  auto& st = self->state;
  if (st.open) {
    fail_records(self, st.open->records, st.open->accounted_bytes, err);
    st.open.reset();
  }
  auto unsent = std::find_if(st.ready.begin(), st.ready.end(), [](auto& b) { return b.attempts == 0; });
  if (unsent != st.ready.end() && unsent->stamped == st.settings.identity)
    st.next_sequence = unsent->base_sequence;
  for (auto i = unsent; i != st.ready.end(); ++i)
    fail_records(self, i->records, i->accounted_bytes, err);
  st.ready.erase(unsent, st.ready.end());
  maybe_send(self);
}

void on_linger(self_ptr self, uint64_t id) {
  auto& st = self->state;
  if (st.open && st.open->id == id) {
    st.open->due = true;
    maybe_send(self);
  }
}

// The partition's leader moved (a refresh another partition asked for showed it).
void on_leader(self_ptr self, connection_actor& leader) {
  self->state.settings.leader = std::move(leader);
  maybe_send(self);
}

void on_close(self_ptr self) {
  auto& st = self->state;
  auto err = make_error(errc::producer_closed, partition_name(st.settings)
                                                 + ": the producer was closed before the broker acknowledged the record");
  if (st.open) {
    fail_records(self, st.open->records, st.open->accounted_bytes, err);
    st.open.reset();
  }
  for (auto* queue : {&st.ready, &st.in_flight})
    for (auto& b : *queue)
      fail_records(self, b.records, b.accounted_bytes, err);
  for (auto& b : st.held)
    fail_records(self, b.records, b.accounted_bytes, err);
  st.ready.clear();
  st.in_flight.clear();
  st.held.clear();
  enter(self, batch_phase::closed);
  self->quit();
}

} // namespace

static batch_actor::behavior_type batch(self_ptr self, batch_settings settings) {
  self->state.settings = std::move(settings);
  if (self->state.settings.idempotent && self->state.settings.identity.id < 0)
    self->state.phase = batch_phase::awaiting_identity; // the producer's id is on its way
  if (!self->state.settings.interceptors)
    self->state.settings.interceptors = std::make_shared<const interceptor_list>();
  return {
    [=](append_atom, producer_record& rec, int32_t accounted) { return checked(self, on_append, rec, accounted); },
    [=](append_many_atom, std::vector<producer_record>& recs, std::vector<int32_t>& accounted) {
      return checked(self, on_append_many, recs, accounted);
    },
    [=](append_to_atom, delivery_sink& sink, std::vector<uint64_t>& ids, std::vector<producer_record>& recs,
        std::vector<int32_t>& accounted) {
      checked(self, on_append_to, sink, ids, recs, accounted);
    },
    [=](flush_atom) { checked(self, on_flush); },
    [=](unsent_atom, caf::error& err) { checked(self, on_abort_unsent, err); },
    [=](produce_version_atom, int16_t v) { self->state.settings.max_version = v; }, // between transactions
    [=](close_atom) { checked(self, on_close); },
    [=](leader_atom, connection_actor& leader) { checked(self, on_leader, leader); },
    [=](producer_id_atom, producer_identity id) { checked(self, on_identity, id); },
    [=](linger_atom, uint64_t id) { checked(self, on_linger, id); },
    [=](retry_atom) { checked(self, on_retry); },
    [=](expire_atom) { checked(self, on_expire); },
  };
}

batch_actor spawn_batch(caf::actor_system& sys, batch_settings settings) {
  return sys.spawn(batch, std::move(settings));
}

} // namespace cafka
