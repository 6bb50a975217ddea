#include "actors/producer_front.hpp"

#include "actors/collected_reports.hpp"
#include "actors/memory_budget.hpp"
#include "actors/timer_delay.hpp"
#include "actors/topic_lease.hpp"
#include "actors/transaction_actor.hpp"
#include "cafka/error.hpp"
#include "protocol/record_batch.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <set>
#include <variant>

// Admission: what happens to a record between `send` (or send_batch, or push) and its partition's
// batch actor. Everything is per topic: a topic's records wait for what that topic needs (its
// metadata, a sticky lease) and never behind another topic's. A record waits only for what it
// needs — its topic's metadata, the producer id, room in buffer.memory — each bounded by its
// max.block.ms deadline, and while it waits it counts against max.blocked.bytes (or, pushed within
// credit, against the credit it was granted). Records of one topic leave in arrival order, so a
// partition sees them in the order they were sent.

namespace cafka {

namespace {

using namespace std::chrono;
using clock_type = steady_clock;

// Where a record's outcome goes: a `send` request, a slot of a `send_batch` reply, or a credit
// sender (push), which gets it as a record_ack with the id it gave the record.
struct to_request {
  // Boxed: a promise is 56 bytes, and every held record pays for the largest target.
  std::unique_ptr<caf::typed_response_promise<record_metadata>> promise;
};
struct to_batch_reply {
  std::shared_ptr<collected_reports> reply;
  size_t index = 0;
};
struct to_sender {
  delivery_sink sink;
  uint64_t id = 0;
};
using reply_target = std::variant<to_request, to_batch_reply, to_sender>;

// A record the front holds until it can go to its partition's batch actor.
struct held_record {
  producer_record record;
  int32_t size = 0;       // what buffer.memory counts for it
  bool credited = false;  // pushed within credit: its memory is set aside already
  uint64_t arrival = 0;   // the order records came in, across topics (room in the buffer goes first come)
  clock_type::time_point deadline; // max.block.ms after it came
  reply_target target;
};

struct partition_state {
  batch_actor batches;
  int64_t queued_bytes = 0; // in the batch actor, not released yet (adaptive partitioning weighs them)
};

struct topic_state {
  topic_metadata metadata; // no partitions until the first answer
  clock_type::time_point fetched_at;
  bool fetching = false;   // a Metadata request for it is out
  caf::error last_error;   // why the last wait for its metadata failed
  topic_lease lease;
  std::deque<held_record> held; // in arrival order
  std::map<int32_t, partition_state> partitions;
  clock_type::time_point last_used;

  bool known() const { return !metadata.partitions.empty(); }
  int32_t partition_count() const { return static_cast<int32_t>(metadata.partitions.size()); }
};

// Records that go to one batch actor in one message: an append_many for send_batch records (the
// outcomes come back here, and `reports` says whose reply each fills), or an append_to for one
// sender's records (the batch actor sends that sender the outcomes itself, by `ids`).
struct append_group {
  batch_actor batches;
  std::vector<producer_record> records;
  std::vector<int32_t> sizes;
  report_slots reports;      // append_many
  delivery_sink sink;        // append_to
  std::vector<uint64_t> ids; // append_to
};

// A group per partition and sender (no sender: an append_many).
using append_key = std::tuple<std::string, int32_t, caf::actor_addr>;

struct flush_waiter {
  uint64_t target;
  caf::typed_response_promise<ok_atom> promise;
};

int64_t now_ms() {
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// The time once for all records a message brings or lets go (a clock read per record cost a tenth
// of the unthrottled path): the actor clock for deadlines and metadata age, and wall-clock
// milliseconds for record timestamps.
struct moment {
  clock_type::time_point steady;
  int64_t epoch_ms = 0;
};

} // namespace

struct front_state {
  front_settings settings;
  std::shared_ptr<const interceptor_list> interceptors;
  partitioner_actor partitioner;
  metadata_actor metadata;
  std::map<std::string, topic_state> topics;
  std::unique_ptr<memory_budget> budget;
  producer_identity identity;
  bool bumping_epoch = false;
  uint64_t arrivals = 0;
  bool expiry_scheduled = false;
  // Filled while messages are handled and sent once those already in the mailbox are done (a
  // dispatch message to ourselves comes after them): a message per batch actor and per sender, not
  // per record, also when every record comes in a message of its own.
  std::map<append_key, append_group> appends;
  // The group the last record joined: the next one mostly joins it too (a send_batch's records go
  // to one sticky partition), found then without the map. Forgotten whenever groups are sent.
  struct {
    append_group* group = nullptr;
    const topic_state* topic = nullptr;
    int32_t partition = -1;
    caf::actor_addr sink;
  } last_group;
  std::map<caf::actor_addr, std::pair<delivery_sink, std::vector<record_ack>>> acks;
  bool dispatch_queued = false;
  uint64_t accepted = 0; // records taken by send, send_batch and push
  uint64_t resolved = 0; // records whose outcome is known
  std::vector<flush_waiter> flushes;
  bool closing = false;
  producer_metrics metrics;
  // Transactions (a transactional.id): the transaction actor and its last status. Records are taken
  // only in IN_TRANSACTION; under transactions v1 a partition's records wait here until the
  // transaction actor added the partition (AddPartitionsToTxn), once per transaction.
  transaction_actor txn;
  transaction_status txn_status;
  // commit or abort calls forwarded and not answered yet: records are refused from the call on, as
  // Java's state changes in the calling thread, not only when the transaction actor's status comes.
  int txn_endings = 0;
  transaction_state txn_ending = transaction_state::committing;
  std::set<std::pair<std::string, int32_t>> txn_partitions; // in the current transaction
  std::map<std::pair<std::string, int32_t>, std::vector<held_record>> awaiting_partition;
  double latency_sum_ms = 0;
  uint64_t latency_count = 0;

  static inline const char* name = "cafka.producer";
};

namespace {

using self_ptr = producer_internal_actor::stateful_pointer<front_state>;

const producer_config& cfg(self_ptr self) {
  return self->state.settings.config;
}

moment moment_now(self_ptr self) {
  return {self->clock().now(), now_ms()};
}

int32_t accounted_size(const producer_record& r) {
  return static_cast<int32_t>(credit_cost(r));
}

// The largest record cost the producer takes at all (RECORD_TOO_LARGE above it).
int64_t largest_record(self_ptr self) {
  return std::min<int64_t>(cfg(self).max_request_size, cfg(self).buffer_memory);
}

caf::error closed_error() {
  return make_error(errc::producer_closed, "Cannot perform operation after producer has been closed");
}

std::vector<delivery_report> refuse_all(const std::vector<producer_record>& records) {
  std::vector<delivery_report> out;
  for (auto& r : records)
    out.push_back({record_metadata{r.topic, r.partition, -1, r.timestamp, -1, -1}, closed_error()});
  return out;
}

std::string ms_text(milliseconds ms) {
  return std::to_string(ms.count()) + " ms";
}

// ---- Outcomes ---------------------------------------------------------------------------------

void note_resolved(self_ptr self, uint64_t n) {
  auto& st = self->state;
  st.resolved += n;
  std::erase_if(st.flushes, [&](flush_waiter& f) {
    if (st.resolved < f.target)
      return false;
    f.promise.deliver(ok_atom::value);
    return true;
  });
}

void send_appends(self_ptr self, const std::string& topic, int32_t partition);
void queue_dispatch(self_ptr self);

// A flush or close waits: records handed to a batch actor now go out without linger.ms.
bool flushing(self_ptr self) {
  return !self->state.flushes.empty() || self->state.closing;
}

// Hands an outcome to whoever waits for it (acks to credit senders go out when the message is done).
void answer(self_ptr self, reply_target& target, record_metadata md, caf::error err) {
  std::visit(
    [&](auto& t) {
      using type = std::decay_t<decltype(t)>;
      if constexpr (std::is_same_v<type, to_request>) {
        if (err)
          t.promise->deliver(std::move(err));
        else
          t.promise->deliver(std::move(md));
      } else if constexpr (std::is_same_v<type, to_batch_reply>) {
        t.reply->fill(t.index, delivery_report{std::move(md), std::move(err)});
      } else {
        auto& slot = self->state.acks[t.sink.address()];
        slot.first = t.sink;
        slot.second.push_back(record_ack{t.id, std::move(md), std::move(err)});
        queue_dispatch(self);
      }
    },
    target);
}

// A record refused as it came (no topic, not in a transaction): it still counts, and interceptors
// see it, but it was never part of a transaction.
void refuse(self_ptr self, producer_record& r, reply_target& target, caf::error err) {
  record_metadata md{r.topic, r.partition, -1, r.timestamp, -1, -1};
  run_on_acknowledgement(*self->state.interceptors, md, err);
  ++self->state.metrics.records_failed;
  note_resolved(self, 1);
  answer(self, target, std::move(md), std::move(err));
}

// A record that fails before reaching a batch actor: under a transaction, the transaction cannot
// commit any more.
void fail(self_ptr self, producer_record& r, reply_target& target, caf::error err) {
  auto& st = self->state;
  if (st.txn
      && (st.txn_status.state == transaction_state::in_transaction || st.txn_status.state == transaction_state::committing))
    self->send(st.txn, record_failed_atom::value, err);
  refuse(self, r, target, std::move(err));
}

// A held record that fails: its memory goes back first.
void fail_held(self_ptr self, held_record& h, caf::error err) {
  auto& budget = *self->state.budget;
  if (h.credited)
    budget.pushed_dropped(h.size);
  else
    budget.stop_waiting(h.size);
  fail(self, h.record, h.target, std::move(err));
}

// Every record the topic holds fails with err.
void fail_held_records(self_ptr self, topic_state& topic, const caf::error& err) {
  auto held = std::move(topic.held);
  topic.held.clear();
  for (auto& h : held)
    fail_held(self, h, err);
}

// ---- Metadata, producer id, leases ------------------------------------------------------------

void drain(self_ptr self, topic_state& topic);
void drain_all(self_ptr self);
void expire(self_ptr self);
void schedule_expiry(self_ptr self);
void send_pending(self_ptr self);
void hand_off(self_ptr self, topic_state& topic, held_record&& h);
void join_transaction(self_ptr self, held_record&& h);

topic_state* find_topic(self_ptr self, const std::string& name) {
  auto i = self->state.topics.find(name);
  return i == self->state.topics.end() ? nullptr : &i->second;
}

// Asks the metadata actor for a topic's leaders; it answers once every partition has one, or with
// METADATA_TIMEOUT naming the cause once max.block.ms ran out.
void fetch_topic(self_ptr self, const std::string& name) {
  auto& topic = self->state.topics[name];
  if (topic.fetching)
    return;
  topic.fetching = true;
  self->request(self->state.metadata, caf::infinite, topic_atom::value, name, false)
    .then(
      [=](topic_metadata& md) {
        auto* t = find_topic(self, name);
        if (!t)
          return;
        t->fetching = false;
        t->last_error = caf::error{};
        t->fetched_at = self->clock().now();
        t->metadata = std::move(md);
        drain(self, *t);
        queue_dispatch(self);
      },
      [=](caf::error& err) {
        auto* t = find_topic(self, name);
        if (!t)
          return;
        t->fetching = false;
        // A broker that refused us (TLS, SASL) will not answer by waiting on: the held records fail
        // now with its error, as Java's send throws its AuthenticationException.
        if (is_authentication_error(err))
          fail_held_records(self, *t, err);
        t->last_error = std::move(err);
        // Records whose max.block.ms ran out fail with the cause; later ones wait anew.
        expire(self);
        if (!t->held.empty())
          fetch_topic(self, name);
        queue_dispatch(self);
      });
}

template <class F>
void for_each_batch_actor(self_ptr self, F f);

// An idempotent producer's first id (InitProducerId). Records do not wait for it here: they wait in
// their batch actors, which send nothing before it comes (as Java's Sender), bounded by
// delivery.timeout.ms. Asked again, as Java's Sender does, until the broker gives one.
void request_identity(self_ptr self) {
  self->request(self->state.metadata, caf::infinite, producer_id_atom::value, producer_identity{})
    .then(
      [=](producer_identity& id) {
        self->state.identity = id;
        for_each_batch_actor(self, [&](batch_actor& b) { self->send(b, producer_id_atom::value, id); });
      },
      [=](caf::error&) {
        if (!self->state.closing)
          self->delayed_send(self, cfg(self).retry_backoff_max, producer_id_atom::value);
      });
}

std::vector<int32_t> available_partitions(const topic_metadata& md) {
  std::vector<int32_t> out;
  for (auto& p : md.partitions)
    if (p.leader_id >= 0)
      out.push_back(p.partition);
  return out;
}

// Asks the partitioner actor for the topic's next sticky partitions (one request at a time).
void renew_lease(self_ptr self, const std::string& name, topic_state& topic) {
  if (topic.lease.renewing)
    return;
  topic.lease.renewing = true;
  std::vector<int64_t> queued;
  if (cfg(self).partitioner_adaptive) {
    queued.resize(topic.metadata.partitions.size(), 0);
    for (auto& [p, ps] : topic.partitions)
      if (static_cast<size_t>(p) < queued.size())
        queued[static_cast<size_t>(p)] = ps.queued_bytes;
  }
  self->request(self->state.partitioner, caf::infinite, sticky_atom::value, name, topic.partition_count(),
                available_partitions(topic.metadata), std::move(queued))
    .then(
      [=](sticky_lease& got) {
        auto* t = find_topic(self, name);
        if (!t)
          return;
        t->lease.renewing = false;
        if (got.partitions.empty())
          return;
        t->lease.extend(std::move(got.partitions), got.bytes_each);
        drain(self, *t);
        queue_dispatch(self);
      },
      [=](caf::error&) {
        if (auto* t = find_topic(self, name))
          t->lease.renewing = false;
      });
}

// Whether the record's partition comes from the topic's sticky lease.
bool uses_sticky(self_ptr self, const producer_record& r) {
  return r.partition < 0 && !self->state.settings.partitioner
         && (r.key.is_null || cfg(self).partitioner_ignore_keys);
}

// ---- Placing a record -------------------------------------------------------------------------

enum class wait_reason { none, metadata, lease, buffer };

// What the record still waits for; asks for it.
wait_reason needs(self_ptr self, const std::string& name, topic_state& topic, const held_record& h,
                  clock_type::time_point now) {
  auto& st = self->state;
  if (!topic.known()) {
    fetch_topic(self, name);
    return wait_reason::metadata;
  }
  if (now - topic.fetched_at > cfg(self).metadata_max_age)
    fetch_topic(self, name); // refresh on age; keep using what we have meanwhile
  if (uses_sticky(self, h.record) && !topic.lease.usable()) {
    renew_lease(self, name, topic); // the first lease, or one that ran out in a burst
    return wait_reason::lease;
  }
  if (!h.credited && !st.budget->has_room(h.size))
    return wait_reason::buffer;
  return wait_reason::none;
}

// The checks Java makes before appending: size limits and a partition in range.
caf::error validate(self_ptr self, const producer_record& r, int32_t size, int32_t partition_count) {
  auto& c = cfg(self);
  if (size > c.max_request_size)
    return make_error(errc::record_too_large,
                      "The message is " + std::to_string(size) + " bytes when serialized which is larger than "
                        + std::to_string(c.max_request_size)
                        + ", which is the value of the max.request.size configuration.");
  if (size > c.buffer_memory)
    return make_error(errc::record_too_large,
                      "The message is " + std::to_string(size)
                        + " bytes when serialized which is larger than the total memory buffer you have "
                          "configured with the buffer.memory configuration ("
                        + std::to_string(c.buffer_memory) + ").");
  if (r.partition >= partition_count || r.partition < -1)
    return make_error(errc::invalid_record, "Partition " + std::to_string(r.partition) + " of topic " + r.topic
                                              + " with partition count " + std::to_string(partition_count)
                                              + " is not present in metadata.");
  return {};
}

// The record's partition: an explicit one wins, then the user's partitioner (whose answer must be
// in range), then Java's rule for keys, then the topic's sticky partition.
caf::expected<int32_t> choose_partition(self_ptr self, topic_state& topic, const producer_record& r, int32_t size) {
  auto count = topic.partition_count();
  if (r.partition >= 0)
    return r.partition;
  if (auto& custom = self->state.settings.partitioner) {
    auto p = custom(r.topic, r.key.view(), r.value.view(), count);
    if (p < 0 || p >= count)
      return make_error(errc::invalid_record, "the custom partitioner chose partition " + std::to_string(p)
                                                + " of topic " + r.topic + ", which has "
                                                + std::to_string(count) + " partitions");
    return p;
  }
  if (!r.key.is_null && !cfg(self).partitioner_ignore_keys)
    return partition_for_key(r.key.data, count);
  auto p = topic.lease.take(size);
  if (topic.lease.running_low())
    renew_lease(self, r.topic, topic);
  return p;
}

// The highest Produce version: below v12 under transactions v1, where partitions join by
// AddPartitionsToTxn (a transactional producer's version may change between transactions).
int16_t produce_version(self_ptr self) {
  if (cfg(self).transactional() && !self->state.txn_status.v2)
    return static_cast<int16_t>(protocol::produce_request::txn_v2_min_version - 1);
  return protocol::produce_request::max_version;
}

batch_actor batches_for(self_ptr self, topic_state& topic, int32_t partition) {
  auto& ps = topic.partitions[partition];
  if (ps.batches)
    return ps.batches;
  auto& st = self->state;
  auto& c = cfg(self);
  batch_settings bs;
  bs.topic = topic.metadata.topic;
  bs.topic_id = topic.metadata.topic_id;
  bs.partition = partition;
  bs.batch_size = std::max(c.batch_size, 1);
  bs.linger = c.linger;
  bs.codec = c.compression;
  bs.compression_level = c.compression_level;
  bs.delivery_timeout = c.delivery_timeout;
  bs.retry_backoff = c.retry_backoff;
  bs.retry_backoff_max = c.retry_backoff_max;
  bs.retries = c.retries;
  bs.max_in_flight = c.max_in_flight;
  bs.idempotent = c.enable_idempotence;
  bs.identity = st.identity;
  bs.transactional = c.transactional();
  bs.max_version = produce_version(self);
  if (static_cast<size_t>(partition) < topic.metadata.partitions.size())
    bs.leader = topic.metadata.partitions[static_cast<size_t>(partition)].leader;
  bs.metadata = st.metadata;
  bs.producer = self;
  bs.interceptors = st.interceptors;
  ps.batches = spawn_batch(self->system(), std::move(bs));
  self->link_to(ps.batches);
  return ps.batches;
}

// Fails a record whose memory is in the batches already (it waited for its partition to join).
void fail_placed(self_ptr self, held_record& h, caf::error err) {
  self->state.budget->release(h.size);
  if (auto* t = find_topic(self, h.record.topic))
    t->partitions[h.record.partition].queued_bytes -= h.size;
  fail(self, h.record, h.target, std::move(err));
}

// Transactions: the record's partition is not in the current transaction yet. The first record
// asks the transaction actor to add it; the partition's records wait here, in order, until it did.
void join_transaction(self_ptr self, held_record&& h) {
  auto& st = self->state;
  std::pair<std::string, int32_t> key{h.record.topic, h.record.partition};
  auto& waiting = st.awaiting_partition[key];
  waiting.push_back(std::move(h));
  if (waiting.size() > 1)
    return;
  auto transaction = st.txn_status.transaction;
  self->request(st.txn, caf::infinite, add_partition_atom::value, key.first, key.second)
    .then(
      [=](ok_atom) {
        auto& s = self->state;
        auto parked = s.awaiting_partition.extract(key);
        if (parked.empty())
          return; // failed meanwhile (the transaction could not go on)
        if (s.txn_status.transaction == transaction)
          s.txn_partitions.insert(key);
        auto* topic = find_topic(self, key.first);
        for (auto& p : parked.mapped())
          hand_off(self, *topic, std::move(p));
        queue_dispatch(self);
      },
      [=](caf::error& err) {
        auto parked = self->state.awaiting_partition.extract(key);
        if (!parked.empty())
          for (auto& p : parked.mapped())
            fail_placed(self, p, err);
        queue_dispatch(self);
      });
}

// Places a record that has all it needs: checks it, chooses its partition, moves its memory into
// the batches, and hands it to the partition's batch actor (after the partition joined the
// transaction, for a transactional producer).
void dispatch(self_ptr self, topic_state& topic, held_record&& h, const moment& at) {
  auto& st = self->state;
  auto& r = h.record;
  auto fail_now = [&](caf::error err) {
    if (h.credited)
      st.budget->pushed_dropped(h.size);
    fail(self, r, h.target, std::move(err));
  };
  if (auto err = validate(self, r, h.size, topic.partition_count()))
    return fail_now(std::move(err));
  auto partition = choose_partition(self, topic, r, h.size);
  if (!partition)
    return fail_now(std::move(partition.error()));
  r.partition = *partition;
  if (r.timestamp < 0)
    r.timestamp = at.epoch_ms;
  if (h.credited)
    st.budget->pushed_enter_batches(h.size);
  else
    st.budget->enter_batches(h.size);
  topic.partitions[r.partition].queued_bytes += h.size;
  if (st.txn && !st.txn_partitions.count({r.topic, r.partition}))
    return join_transaction(self, std::move(h));
  hand_off(self, topic, std::move(h));
}

// The append group for the record's partition and sink (none: an append_many).
append_group& group_for(self_ptr self, const topic_state& topic, const producer_record& r, const caf::actor_addr& sink) {
  auto& last = self->state.last_group;
  if (last.group && last.topic == &topic && last.partition == r.partition && last.sink == sink)
    return *last.group;
  auto& group = self->state.appends[{r.topic, r.partition, sink}];
  last = {&group, &topic, r.partition, sink};
  return group;
}

// Gives a record with its partition chosen and its memory in the batches to the batch actor: a
// `send` is delegated (the batch actor answers the user), the others join this message's append
// group for that partition.
void hand_off(self_ptr self, topic_state& topic, held_record&& h) {
  auto& r = h.record;
  auto b = batches_for(self, topic, r.partition);
  if (auto* single = std::get_if<to_request>(&h.target)) {
    // Straight to the batch actor, which answers the user; what waits for this partition goes
    // first, so that the partition takes records in the order they came.
    send_appends(self, r.topic, r.partition);
    single->promise->delegate(b, append_atom::value, std::move(r), h.size);
    if (flushing(self)) // behind the record: a flush ahead of it would leave it to linger.ms
      self->send(b, flush_atom::value);
    return;
  }
  auto* to = std::get_if<to_sender>(&h.target);
  auto& group = group_for(self, topic, r, to ? to->sink.address() : caf::actor_addr{});
  group.batches = b;
  group.sizes.push_back(h.size);
  if (to) {
    group.sink = to->sink;
    group.ids.push_back(to->id);
  } else {
    auto& slot = std::get<to_batch_reply>(h.target);
    slot.reply->describe(slot.index, r.topic, r.partition, r.timestamp, r.key.serialized_size(),
                         r.value.serialized_size());
    group.reports.add(slot.reply, slot.index);
  }
  group.records.push_back(std::move(r));
  queue_dispatch(self);
}

// Lets the topic's held records go, in order, while the first of them has what it needs.
void drain(self_ptr self, topic_state& topic) {
  auto& name = topic.metadata.topic;
  auto at = moment_now(self);
  while (!topic.held.empty() && needs(self, name, topic, topic.held.front(), at.steady) == wait_reason::none) {
    auto h = std::move(topic.held.front());
    topic.held.pop_front();
    if (!h.credited)
      self->state.budget->stop_waiting(h.size);
    dispatch(self, topic, std::move(h), at);
  }
}

// Room in the buffer came free: topics take turns by the arrival of their oldest held record.
void drain_all(self_ptr self) {
  std::vector<std::pair<uint64_t, topic_state*>> order;
  for (auto& [_, topic] : self->state.topics)
    if (!topic.held.empty())
      order.emplace_back(topic.held.front().arrival, &topic);
  std::sort(order.begin(), order.end(), [](auto& a, auto& b) { return a.first < b.first; });
  for (auto& [_, topic] : order)
    if (topic->known())
      drain(self, *topic);
}

// ---- Taking records in ------------------------------------------------------------------------

// Why a transactional producer takes no record now (Java's failIfNotReadyForSend); none when it does.
caf::error transaction_refusal(self_ptr self) {
  auto& st = self->state;
  if (!st.txn)
    return {};
  auto state = st.txn_status.state;
  if (st.txn_endings > 0 && state == transaction_state::in_transaction)
    state = st.txn_ending;
  switch (state) {
    case transaction_state::in_transaction:
      return {};
    case transaction_state::abortable_error:
    case transaction_state::fatal_error:
      return st.txn_status.error;
    case transaction_state::uninitialized:
    case transaction_state::initializing:
      return make_error(errc::illegal_state, "Cannot perform a 'send' before completing a call to initTransactions "
                                             "when transactions are enabled.");
    default:
      return make_error(errc::illegal_state,
                        std::string("Cannot call send in state ") + name_of(state)
                          + " (records go between begin_transaction and commit_transaction or abort_transaction)");
  }
}

// One record from send, send_batch or push, after the interceptors saw it.
void admit(self_ptr self, held_record&& h, const moment& at) {
  auto& st = self->state;
  ++st.accepted;
  auto& r = h.record;
  auto refused = transaction_refusal(self);
  if (!refused && r.topic.empty())
    refused = make_error(errc::invalid_record, "a record needs a topic");
  if (refused) {
    if (h.credited)
      st.budget->pushed_dropped(h.size);
    refuse(self, r, h.target, std::move(refused));
    return;
  }
  auto& topic = st.topics[r.topic];
  topic.last_used = at.steady;
  if (topic.metadata.topic.empty())
    topic.metadata.topic = r.topic;
  h.arrival = st.arrivals++;
  h.deadline = at.steady + cfg(self).max_block;
  if (topic.held.empty() && needs(self, r.topic, topic, h, at.steady) == wait_reason::none) {
    dispatch(self, topic, std::move(h), at);
    return;
  }
  if (!h.credited) {
    if (!st.budget->may_wait(h.size)) {
      fail(self, r, h.target,
           make_error(errc::buffer_exhausted,
                      "Cannot hold " + std::to_string(h.size) + " more bytes while they wait: "
                        + std::to_string(st.budget->waiting()) + " bytes already wait for metadata, a producer "
                        "id or buffer.memory, and max.blocked.bytes is "
                        + std::to_string(cfg(self).max_blocked_bytes) + "."));
      return;
    }
    st.budget->wait(h.size);
  }
  topic.held.push_back(std::move(h));
  schedule_expiry(self);
}

held_record make_held(self_ptr self, producer_record r, reply_target target, bool credited = false) {
  run_on_send(*self->state.interceptors, r);
  held_record h;
  h.size = accounted_size(r);
  h.record = std::move(r);
  h.target = std::move(target);
  h.credited = credited;
  return h;
}

// ---- After each message -----------------------------------------------------------------------

// A batch actor answered an append_many: each record's offset or error goes into its send_batch's
// reply. Runs come ordered by their first record and cover each record once; a record the answer
// leaves out (never expected) fails rather than leave its reply waiting.
void report_outcome(const report_slots& reports, const append_outcome& outcome) {
  auto run = outcome.runs.begin();
  reports.for_each([&](size_t record, collected_reports& reply, size_t index) {
    while (run != outcome.runs.end() && run->first + run->count <= record)
      ++run;
    if (run == outcome.runs.end() || run->first > record)
      return reply.fill(index, -1, -1,
                        make_error(errc::illegal_state, "the partition's batch actor answered without this record"));
    auto offset = run->base_offset < 0 ? -1 : run->base_offset + static_cast<int64_t>(record - run->first);
    reply.fill(index, offset, run->log_append_time, run->error);
  });
}

// Sends one append group: an append_to, or an append_many whose outcomes go into send_batch replies.
void send_group(self_ptr self, append_group& g) {
  // A flush or close under way: the batch actor sends these at once (the flush goes behind them).
  auto flush_after = [&] {
    if (flushing(self))
      self->send(g.batches, flush_atom::value);
  };
  if (g.sink) {
    self->send(g.batches, append_to_atom::value, g.sink, std::move(g.ids), std::move(g.records), std::move(g.sizes));
    flush_after();
    return;
  }
  auto reports = std::make_shared<report_slots>(std::move(g.reports));
  self->request(g.batches, caf::infinite, append_many_atom::value, std::move(g.records), std::move(g.sizes))
    .then([=](append_outcome& outcome) { report_outcome(*reports, outcome); },
          [=](caf::error& err) {
            reports->for_each([&](size_t, collected_reports& reply, size_t index) { reply.fill(index, -1, -1, err); });
          });
  flush_after();
}

// Sends what waits for one partition now.
void send_appends(self_ptr self, const std::string& topic, int32_t partition) {
  auto& appends = self->state.appends;
  self->state.last_group = {};
  auto i = appends.lower_bound({topic, partition, caf::actor_addr{}});
  while (i != appends.end() && std::get<0>(i->first) == topic && std::get<1>(i->first) == partition) {
    send_group(self, i->second);
    i = appends.erase(i);
  }
}

// What messages produced goes out after the messages already in the mailbox (see front_state).
void queue_dispatch(self_ptr self) {
  auto& st = self->state;
  if (st.dispatch_queued)
    return;
  st.dispatch_queued = true;
  self->send(self, dispatch_atom::value);
}

// Sends what messages produced: one append per batch actor and sender, one ack message per sender,
// and the credit that freed memory allows.
void send_pending(self_ptr self) {
  auto& st = self->state;
  for (auto& [_, g] : st.appends)
    send_group(self, g);
  st.appends.clear();
  st.last_group = {};
  for (auto& [_, acks] : st.acks)
    self->send(acks.first, delivered_atom::value, std::move(acks.second));
  st.acks.clear();
  if (!st.closing)
    for (auto& [sink, bytes] : st.budget->grants())
      self->send(sink, credit_atom::value, bytes);
}

// ---- max.block.ms -----------------------------------------------------------------------------

void schedule_expiry(self_ptr self) {
  auto& st = self->state;
  if (st.expiry_scheduled)
    return;
  std::optional<clock_type::time_point> earliest;
  for (auto& [_, topic] : st.topics)
    if (!topic.held.empty() && (!earliest || topic.held.front().deadline < *earliest))
      earliest = topic.held.front().deadline;
  if (!earliest)
    return;
  st.expiry_scheduled = true;
  self->delayed_send(self, timer_delay(*earliest - self->clock().now()), expire_atom::value);
}

// Why a record waited in vain, in Java's words where Java has them, with the cause where known.
// No error while the answer that will name the cause is still on its way.
caf::error why_expired(self_ptr self, topic_state& topic, const held_record& h, clock_type::time_point now) {
  auto& st = self->state;
  auto& c = cfg(self);
  switch (needs(self, topic.metadata.topic, topic, h, now)) {
    case wait_reason::metadata:
      if (topic.last_error)
        return topic.last_error;
      if (topic.fetching)
        return {}; // the metadata actor answers by now, naming the cause
      return make_error(errc::metadata_timeout,
                        "Topic " + topic.metadata.topic + " not present in metadata after " + ms_text(c.max_block) + ".");
    case wait_reason::lease:
    case wait_reason::buffer:
      return make_error(errc::buffer_exhausted,
                        "Failed to allocate " + std::to_string(h.size) + " bytes within the configured max blocking time "
                          + ms_text(c.max_block) + ". Total memory: " + std::to_string(c.buffer_memory)
                          + " bytes. Available memory: " + std::to_string(c.buffer_memory - st.budget->in_batches())
                          + " bytes.");
    case wait_reason::none:
      break;
  }
  return {};
}

// Fails the held records whose max.block.ms ran out, then lets the rest go where they can.
void expire(self_ptr self) {
  auto now = self->clock().now();
  for (auto& [_, topic] : self->state.topics) {
    while (!topic.held.empty() && topic.held.front().deadline <= now) {
      auto err = why_expired(self, topic, topic.held.front(), now);
      if (!err)
        break;
      auto h = std::move(topic.held.front());
      topic.held.pop_front();
      fail_held(self, h, std::move(err));
    }
  }
  drain_all(self);
  schedule_expiry(self);
}

// ---- Metadata pushes, epochs, idle topics -----------------------------------------------------

// A refresh showed leaders moving: the cached view (partition availability) follows, and every
// batch actor whose partition moved gets its new leader before its next send can fail.
void adopt_topic_view(self_ptr self, topic_metadata md) {
  auto* topic = find_topic(self, md.topic);
  if (!topic || !topic->known())
    return;
  for (auto& p : md.partitions) {
    auto idx = static_cast<size_t>(p.partition);
    bool moved = idx >= topic->metadata.partitions.size() || topic->metadata.partitions[idx].leader_id != p.leader_id;
    auto ps = topic->partitions.find(p.partition);
    if (ps != topic->partitions.end() && ps->second.batches && moved && p.leader)
      self->send(ps->second.batches, leader_atom::value, p.leader);
  }
  topic->fetched_at = self->clock().now();
  topic->metadata = std::move(md);
}

template <class F>
void for_each_batch_actor(self_ptr self, F f) {
  for (auto& [name, topic] : self->state.topics)
    for (auto& [partition, ps] : topic.partitions)
      if (ps.batches)
        f(ps.batches);
}

// Hands a new identity to every batch actor, which restamps what is not acknowledged yet.
void adopt_identity(self_ptr self, producer_identity id) {
  self->state.identity = id;
  ++self->state.metrics.epoch_bumps;
  for_each_batch_actor(self, [&](batch_actor& b) { self->send(b, producer_id_atom::value, id); });
}

// KIP-360: a batch actor saw the broker lose (or reject) the sequence state of `seen`. As in Java's
// idempotent producer, the epoch is bumped here, without a request: the broker takes a higher epoch
// when its first batch per partition has sequence 0. Only an exhausted epoch needs a new producer id.
// One bump serves every partition, so requests naming an identity already replaced coalesce.
void bump_epoch(self_ptr self, producer_identity seen) {
  auto& st = self->state;
  if (seen != st.identity) {
    // Already bumped since that batch was stamped: the asker only needs the current identity.
    auto& asker = self->current_sender();
    if (asker && asker.get() != self->ctrl()) // not our own delayed retry
      self->send(caf::actor_cast<batch_actor>(asker), producer_id_atom::value, st.identity);
    return;
  }
  if (st.identity.epoch < INT16_MAX) {
    adopt_identity(self, {st.identity.id, static_cast<int16_t>(st.identity.epoch + 1)});
    return;
  }
  if (st.bumping_epoch)
    return;
  st.bumping_epoch = true;
  self->request(st.metadata, caf::infinite, producer_id_atom::value, producer_identity{})
    .then(
      [=](producer_identity& id) {
        self->state.bumping_epoch = false;
        adopt_identity(self, id);
      },
      [=](caf::error&) {
        // Ask again after the longest retry backoff; the waiting batches expire by delivery.timeout.ms.
        self->state.bumping_epoch = false;
        self->delayed_send(self, cfg(self).retry_backoff_max, bump_epoch_atom::value, self->state.identity);
      });
}

// A topic nobody sent to for metadata.max.idle.ms, with nothing held or unacknowledged, leaves:
// its batch actors stop, and a long-running producer whose topics change stays small.
void forget_idle_topics(self_ptr self) {
  auto now = self->clock().now();
  self->state.last_group = {}; // it may point into a topic that leaves
  // A transactional producer keeps its batch actors: under transactions v1 a partition's sequence
  // numbers go on across transactions, and a new batch actor would start again at 0.
  if (self->state.txn) {
    self->delayed_send(self, cfg(self).metadata_max_idle, sweep_atom::value);
    return;
  }
  std::erase_if(self->state.topics, [&](auto& entry) {
    auto& topic = entry.second;
    bool idle = now - topic.last_used >= cfg(self).metadata_max_idle && topic.held.empty() && !topic.fetching
                && !topic.lease.renewing
                && std::all_of(topic.partitions.begin(), topic.partitions.end(),
                               [](auto& p) { return p.second.queued_bytes == 0; });
    if (!idle)
      return false;
    for (auto& [_, ps] : topic.partitions)
      if (ps.batches) {
        self->unlink_from(ps.batches);
        self->send(ps.batches, close_atom::value); // nothing is pending there: it just stops
      }
    return true;
  });
  self->delayed_send(self, cfg(self).metadata_max_idle, sweep_atom::value);
}

// Answers once every record accepted so far has its outcome; the batch actors send their open
// batches now.
caf::result<ok_atom> flush(self_ptr self) {
  auto& st = self->state;
  if (st.resolved >= st.accepted)
    return ok_atom::value;
  auto rp = self->make_response_promise<ok_atom>();
  st.flushes.push_back({st.accepted, rp});
  send_pending(self); // gathered appends go ahead of the flush, which would otherwise overtake them
  for_each_batch_actor(self, [&](batch_actor& b) { self->send(b, flush_atom::value); });
  return rp;
}

// ---- Transactions -----------------------------------------------------------------------------

// The transaction actor's state changed: batches take its identity (a transactions v2 epoch bump at
// every end), a new transaction starts with no partitions, and records waiting for their partition
// fail once the transaction cannot go on.
void adopt_transaction_status(self_ptr self, transaction_status status) {
  auto& st = self->state;
  if (status.transaction != st.txn_status.transaction)
    st.txn_partitions.clear();
  bool new_identity = status.identity.id >= 0 && status.identity != st.identity;
  bool new_version = status.v2 != st.txn_status.v2;
  st.txn_status = std::move(status);
  if (new_version) // between transactions: nothing is on its way
    for_each_batch_actor(self, [&](batch_actor& b) { self->send(b, produce_version_atom::value, produce_version(self)); });
  if (new_identity) {
    if (st.identity.id < 0)
      st.identity = st.txn_status.identity; // the first: batch actors are spawned with it
    else
      adopt_identity(self, st.txn_status.identity);
  }
  auto s = st.txn_status.state;
  if (s == transaction_state::abortable_error || s == transaction_state::fatal_error) {
    for (auto& [_, parked] : std::exchange(st.awaiting_partition, {}))
      for (auto& h : parked)
        fail_placed(self, h, st.txn_status.error);
    queue_dispatch(self);
  }
}

// abort_transaction (Java's abortUndrainedBatches): every record not sent yet fails with `err`,
// those held for metadata or memory, those waiting for their partition to join, and in each batch
// actor those in no Produce request yet; the answer comes once what was sent is answered.
caf::result<ok_atom> abort_unsent(self_ptr self, const caf::error& err) {
  auto& st = self->state;
  for (auto& [_, topic] : st.topics)
    fail_held_records(self, topic, err);
  for (auto& [_, parked] : std::exchange(st.awaiting_partition, {}))
    for (auto& h : parked)
      fail_placed(self, h, err);
  send_pending(self); // appends gathered in this message reach their batch actors ahead of the abort
  for_each_batch_actor(self, [&](batch_actor& b) { self->send(b, unsent_atom::value, err); });
  return flush(self);
}

// Java's message for a transactional call on a producer without a transactional.id.
caf::error not_transactional() {
  return make_error(errc::illegal_state, "Cannot use transactional methods without enabling transactions by "
                                         "setting the transactional.id configuration property");
}

// Why a transactional call cannot go to the transaction actor at all; none when it can.
caf::error transaction_call_refusal(self_ptr self) {
  if (self->state.closing)
    return closed_error();
  if (!self->state.txn)
    return not_transactional();
  return {};
}

// A transactional call goes to the transaction actor, which answers the caller.
template <class Atom>
caf::result<ok_atom> to_transaction(self_ptr self, Atom call) {
  if (auto err = transaction_call_refusal(self))
    return err;
  auto rp = self->make_response_promise<ok_atom>();
  rp.delegate(self->state.txn, call);
  return rp;
}

// commit_transaction / abort_transaction go to the transaction actor like the other calls, but the
// front refuses records from the call on (see front_state::txn_endings).
template <class Atom>
caf::result<ok_atom> end_transaction(self_ptr self, Atom call, transaction_state ending) {
  if (auto err = transaction_call_refusal(self))
    return err;
  auto& st = self->state;
  auto rp = self->make_response_promise<ok_atom>();
  ++st.txn_endings;
  st.txn_ending = ending;
  self->request(st.txn, caf::infinite, call)
    .then(
      [=](ok_atom) mutable {
        --self->state.txn_endings;
        rp.deliver(ok_atom::value);
      },
      [=](caf::error& err) mutable {
        --self->state.txn_endings;
        rp.deliver(std::move(err));
      });
  return rp;
}

// ---- Closing ----------------------------------------------------------------------------------

// After the bounded flush: records still unacknowledged or held fail with PRODUCER_CLOSED (the
// batch actors are told first and unlinked, so no exit overtakes that message), and the producer
// stops with PRODUCER_CLOSED as its exit reason, which stops its linked actors too and tells whoever
// monitors it why. (It cannot stay behind to answer later calls: CAF 0.17 destroys an actor still
// alive at the actor system's shutdown in a way that crashes, and timers and remote nodes keep
// references to it. Calls that arrive while it closes get PRODUCER_CLOSED; after it, CAF's
// request_receiver_down.)
void finish_close(self_ptr self) {
  auto& st = self->state;
  for (auto& [_, topic] : st.topics) {
    for (auto& h : topic.held)
      fail_held(self, h, closed_error());
    topic.held.clear();
  }
  for (auto& [_, parked] : std::exchange(st.awaiting_partition, {}))
    for (auto& h : parked)
      fail_placed(self, h, closed_error());
  for_each_batch_actor(self, [&](batch_actor& b) {
    self->unlink_from(b);
    self->send(b, close_atom::value);
  });
  send_pending(self);
  for (auto& f : st.flushes) // nothing is left to wait for
    f.promise.deliver(ok_atom::value);
  st.flushes.clear();
  self->quit(closed_error());
}

} // namespace

static producer_internal_actor::behavior_type producer_front(self_ptr self, front_settings settings) {
  auto& st = self->state;
  st.settings = std::move(settings);
  st.interceptors = std::make_shared<const interceptor_list>(st.settings.interceptors);
  auto& c = st.settings.config;
  st.budget = std::make_unique<memory_budget>(c.buffer_memory, c.max_blocked_bytes, std::max(c.batch_size, 1024),
                                              std::min<int64_t>(c.max_request_size, c.buffer_memory));
  partitioner_settings ps;
  ps.batch_size = c.batch_size;
  ps.sticky.adaptive = c.partitioner_adaptive;
  st.partitioner = st.settings.sticky_partitions ? st.settings.sticky_partitions
                                                 : spawn_partitioner(self->system(), ps);
  self->link_to(st.partitioner);
  st.metadata = spawn_metadata(self->system(), c, st.settings.connections,
                               caf::actor_cast<metadata_listener>(self));
  self->link_to(st.metadata);
  if (c.transactional()) {
    transaction_settings ts;
    ts.transactional_id = c.transactional_id;
    ts.transaction_timeout = c.transaction_timeout;
    ts.max_block = c.max_block;
    ts.retry_backoff = c.retry_backoff;
    ts.metadata = st.metadata;
    ts.host = caf::actor_cast<transaction_host>(self);
    st.txn = spawn_transaction(self->system(), std::move(ts));
    self->link_to(st.txn);
  } else if (c.enable_idempotence) {
    request_identity(self); // a transactional producer's id comes with init_transactions
  }
  self->delayed_send(self, c.metadata_max_idle, sweep_atom::value);
  // A credit sender that ends (or its node) gives its unused credit back.
  self->set_down_handler([=](caf::down_msg& dm) {
    self->state.budget->detach(dm.source);
    queue_dispatch(self);
  });
  return {
    [=](send_atom, producer_record& r) -> caf::result<record_metadata> {
      if (self->state.closing)
        return closed_error();
      auto rp = self->make_response_promise<record_metadata>();
      admit(self, make_held(self, std::move(r), to_request{std::make_unique<decltype(rp)>(rp)}), moment_now(self));
      queue_dispatch(self);
      return rp;
    },
    [=](send_atom, uint64_t id, producer_record& r) {
      auto sender = caf::actor_cast<delivery_sink>(self->current_sender());
      if (!sender)
        return; // anonymous: nobody to tell
      reply_target target = to_sender{sender, id};
      if (self->state.closing) {
        ++self->state.accepted;
        fail(self, r, target, closed_error());
        return;
      }
      admit(self, make_held(self, std::move(r), std::move(target)), moment_now(self));
    },
    [=](send_batch_atom, std::vector<producer_record>& records) -> caf::result<std::vector<delivery_report>> {
      if (self->state.closing)
        return refuse_all(records);
      if (records.empty())
        return std::vector<delivery_report>{};
      auto rp = self->make_response_promise<std::vector<delivery_report>>();
      auto reply = std::make_shared<collected_reports>(rp, records.size());
      auto at = moment_now(self);
      for (size_t i = 0; i < records.size(); ++i)
        admit(self, make_held(self, std::move(records[i]), to_batch_reply{reply, i}), at);
      queue_dispatch(self);
      return rp;
    },
    [=](attach_atom, delivery_sink& sink) -> caf::result<int64_t> {
      auto& s = self->state;
      if (s.closing)
        return closed_error();
      if (!s.budget->attached(sink.address())) {
        s.budget->attach(sink);
        self->monitor(sink);
      }
      // The answer first, then the credit: a sender knows the largest record before it may push.
      auto rp = self->make_response_promise<int64_t>();
      rp.deliver(largest_record(self));
      queue_dispatch(self);
      return rp;
    },
    [=](push_atom, uint64_t first_id, std::vector<producer_record>& records) {
      auto& s = self->state;
      auto sender = caf::actor_cast<delivery_sink>(self->current_sender());
      if (!sender)
        return; // anonymous: nobody to tell what became of the records
      // Records larger than any credit fail as Java fails them, uncharged; the rest must fit the
      // credit granted (else, or after detach, or while closing, they are refused, nothing held).
      auto too_large = [&](const producer_record& r) { return accounted_size(r) > largest_record(self); };
      int64_t bytes = 0;
      for (auto& r : records)
        if (!too_large(r))
          bytes += accounted_size(r);
      bool within = !s.closing && s.budget->spend(sender.address(), bytes);
      auto at = moment_now(self);
      for (size_t i = 0; i < records.size(); ++i) {
        reply_target target = to_sender{sender, first_id + i};
        if (too_large(records[i])) {
          ++s.accepted;
          fail(self, records[i], target, validate(self, records[i], accounted_size(records[i]), 0));
          continue;
        }
        if (!within) {
          ++s.accepted;
          fail(self, records[i], target,
               s.closing ? closed_error()
                         : make_error(errc::buffer_exhausted,
                                      "pushed " + std::to_string(bytes) + " bytes beyond the credit this producer "
                                      "granted (attach first, then push no more than the credit messages allow)"));
          continue;
        }
        admit(self, make_held(self, std::move(records[i]), std::move(target), true), at);
      }
      queue_dispatch(self);
    },
    [=](detach_atom) {
      auto& sender = self->current_sender();
      if (!sender)
        return;
      self->state.budget->detach(sender->address());
      self->demonitor(sender->address());
      queue_dispatch(self);
    },
    [=](flush_atom) { return flush(self); },
    [=](close_atom, caf::timespan timeout) -> caf::result<ok_atom> {
      auto& s = self->state;
      auto rp = self->make_response_promise<ok_atom>();
      if (s.closing) { // a second close waits with the first
        s.flushes.push_back({s.accepted, rp});
        return rp;
      }
      s.closing = true;
      if (s.resolved >= s.accepted) {
        finish_close(self);
        rp.deliver(ok_atom::value);
        return rp;
      }
      for_each_batch_actor(self, [&](batch_actor& b) { self->send(b, flush_atom::value); });
      self->request(caf::actor_cast<producer_actor>(self), timeout, flush_atom::value)
        .then([=](ok_atom) mutable { finish_close(self); rp.deliver(ok_atom::value); },
              [=](caf::error&) mutable { finish_close(self); rp.deliver(ok_atom::value); });
      return rp;
    },
    [=](partitions_atom, std::string& topic) -> caf::result<std::vector<partition_info>> {
      auto rp = self->make_response_promise<std::vector<partition_info>>();
      self->request(self->state.metadata, caf::infinite, topic_atom::value, topic, false)
        .then(
          [=](topic_metadata& md) mutable {
            std::vector<partition_info> out;
            for (auto& p : md.partitions)
              out.push_back({md.topic, p.partition, p.leader_id, p.replicas, p.isr});
            rp.deliver(std::move(out));
          },
          [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
      return rp;
    },
    [=](metrics_atom) -> producer_metrics {
      auto& s = self->state;
      auto m = s.metrics;
      m.buffer_bytes_in_use = s.budget->in_batches() + s.budget->pushed() + s.budget->credit_outstanding();
      m.waiting_bytes = s.budget->waiting();
      if (auto& counters = s.settings.counters) {
        m.in_flight_requests = counters->in_flight.load(std::memory_order_relaxed);
        m.connection_attempts = counters->connection_attempts.load(std::memory_order_relaxed);
        m.authentications = counters->authentications.load(std::memory_order_relaxed);
        m.reauthentications = counters->reauthentications.load(std::memory_order_relaxed);
        m.authentication_failures = counters->authentication_failures.load(std::memory_order_relaxed);
      }
      m.compression_ratio = m.uncompressed_bytes ? static_cast<double>(m.bytes_sent) / m.uncompressed_bytes : 1.0;
      m.request_latency_avg_ms = s.latency_count ? s.latency_sum_ms / s.latency_count : 0;
      m.active_topics = static_cast<int64_t>(s.topics.size());
      for (auto& [_, topic] : s.topics)
        m.active_partitions += static_cast<int64_t>(topic.partitions.size());
      return m;
    },
    [=](batch_done_atom, std::string& topic, int32_t partition, batch_outcome& o) {
      auto& s = self->state;
      s.budget->release(o.released_bytes);
      if (auto* t = find_topic(self, topic))
        t->partitions[partition].queued_bytes -= o.released_bytes;
      s.metrics.records_sent += static_cast<uint64_t>(o.records);
      s.metrics.records_failed += static_cast<uint64_t>(o.failed);
      s.metrics.records_retried += static_cast<uint64_t>(o.retried);
      if (o.records > 0) {
        ++s.metrics.batches_sent;
        s.metrics.bytes_sent += static_cast<uint64_t>(o.sent_bytes);
        s.metrics.uncompressed_bytes += static_cast<uint64_t>(o.uncompressed_bytes);
        double ms = static_cast<double>(o.latency_us) / 1000.0;
        s.latency_sum_ms += ms;
        ++s.latency_count;
        s.metrics.request_latency_max_ms = std::max(s.metrics.request_latency_max_ms, ms);
      }
      if (o.error && s.txn) // before note_resolved answers a flush: a commit waiting for it then knows
        self->send(s.txn, record_failed_atom::value, o.error);
      note_resolved(self, static_cast<uint64_t>(o.records + o.failed));
      drain_all(self);
      queue_dispatch(self);
    },
    [=](bump_epoch_atom, producer_identity seen) { bump_epoch(self, seen); },
    [=](producer_id_atom) { request_identity(self); },
    [=](topic_atom, topic_metadata& md) { adopt_topic_view(self, std::move(md)); },
    [=](expire_atom) {
      self->state.expiry_scheduled = false;
      expire(self);
      queue_dispatch(self);
    },
    [=](sweep_atom) { forget_idle_topics(self); },
    [=](dispatch_atom) {
      self->state.dispatch_queued = false;
      send_pending(self);
    },
    [=](init_txn_atom a) { return to_transaction(self, a); },
    [=](begin_txn_atom a) { return to_transaction(self, a); },
    [=](commit_txn_atom a) { // the transaction actor flushes first
      return end_transaction(self, a, transaction_state::committing);
    },
    [=](abort_txn_atom a) { return end_transaction(self, a, transaction_state::aborting); },
    [=](send_txn_atom a, std::vector<producer_record>& records) -> caf::result<std::vector<record_metadata>> {
      auto& s = self->state;
      if (s.closing)
        return closed_error();
      if (!s.txn)
        return not_transactional();
      auto rp = self->make_response_promise<std::vector<record_metadata>>();
      rp.delegate(s.txn, a, std::move(records));
      return rp;
    },
    [=](send_offsets_atom a, std::vector<offset_to_commit>& offsets,
        consumer_group_metadata& group) -> caf::result<ok_atom> {
      auto& s = self->state;
      if (s.closing)
        return closed_error();
      if (!s.txn)
        return not_transactional();
      auto rp = self->make_response_promise<ok_atom>();
      rp.delegate(s.txn, a, std::move(offsets), std::move(group));
      return rp;
    },
    [=](txn_status_atom, transaction_status& status) { adopt_transaction_status(self, std::move(status)); },
    [=](unsent_atom, caf::error& err) { return abort_unsent(self, err); },
  };
}

producer_internal_actor spawn_producer_front(caf::actor_system& sys, front_settings settings) {
  return sys.spawn(producer_front, std::move(settings));
}

} // namespace cafka
