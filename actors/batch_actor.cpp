#include "actors/batch_actor.hpp"

#include "cafka/error.hpp"
#include "protocol/error_codes.hpp"
#include "protocol/record_batch.hpp"

#include <algorithm>
#include <deque>
#include <optional>
#include <random>

namespace cafka {

namespace {

using namespace std::chrono;
using clock_type = steady_clock;
using protocol::errc::duplicate_sequence_number;

// A send_batch group: one reply for many records, sent when the last one resolved.
struct group_reply {
  caf::typed_response_promise<std::vector<delivery_report>> promise;
  std::vector<delivery_report> reports;
  size_t remaining = 0;
};

struct pending_record {
  caf::typed_response_promise<record_metadata> single;
  std::shared_ptr<group_reply> group;
  size_t index = 0;
  int64_t timestamp = -1;
  int32_t key_size = -1;
  int32_t value_size = -1;
};

struct open_batch {
  uint64_t id = 0;
  protocol::record_batch_builder builder;
  std::vector<pending_record> records;
  clock_type::time_point created;
  int64_t accounted_bytes = 0;
  bool linger_expired = false;
};

struct closed_batch {
  uint64_t id = 0;
  std::shared_ptr<const protocol::byte_buffer> bytes;
  std::vector<pending_record> records;
  clock_type::time_point created;
  clock_type::time_point last_sent{}; // the attempt that the acknowledgement answers
  int64_t accounted_bytes = 0;
  int64_t uncompressed_bytes = 0;
  int32_t attempts = 0;
  int32_t base_sequence = -1;
  producer_identity stamped; // the identity written into the batch
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
  std::optional<open_batch> open;
  std::deque<closed_batch> ready;     // closed, in sequence order, not sent
  std::deque<closed_batch> in_flight; // sent, awaiting the broker
  std::vector<closed_batch> held;     // failed retriably; re-queued once nothing is in flight
  uint64_t next_batch_id = 1;
  int32_t next_sequence = 0;
  bool flush_requested = false;
  bool backing_off = false;
  bool refreshing_leader = false;
  bool expiry_scheduled = false;
  bool awaiting_identity = false; // asked the producer for a new epoch (KIP-360)
  bool restamp_due = false;       // a new identity arrived; restamp once nothing is in flight
  bool lost_state = false;        // the broker lost this partition's sequence state: restamp all
  std::mt19937 random{std::random_device{}()};

  static inline const char* name = "cafka.batch";
};

namespace {

using self_ptr = batch_actor::stateful_pointer<batch_state>;

std::string partition_name(const batch_settings& s) {
  return s.topic + "-" + std::to_string(s.partition);
}

void resolve(self_ptr self, pending_record& r, const record_metadata& md, const caf::error& err) {
  run_on_acknowledgement(*self->state.settings.interceptors, md, err);
  if (r.group) {
    r.group->reports[r.index] = delivery_report{md, err};
    if (--r.group->remaining == 0)
      r.group->promise.deliver(std::move(r.group->reports));
  } else if (err) {
    r.single.deliver(err);
  } else {
    r.single.deliver(md);
  }
}

record_metadata metadata_of(const batch_settings& s, const pending_record& r, int64_t offset, int64_t timestamp) {
  return {s.topic, s.partition, offset, timestamp, r.key_size, r.value_size};
}

void report(self_ptr self, batch_outcome outcome) {
  auto& s = self->state.settings;
  self->send(s.producer, batch_done_atom::value, s.topic, s.partition, outcome);
}

void fail_records(self_ptr self, std::vector<pending_record>& records, int64_t accounted, const caf::error& err) {
  auto& s = self->state.settings;
  for (auto& r : records)
    resolve(self, r, metadata_of(s, r, -1, r.timestamp), err);
  batch_outcome o;
  o.released_bytes = accounted;
  o.failed = static_cast<int32_t>(records.size());
  report(self, o);
  records.clear();
}

void maybe_send(self_ptr self);
void schedule_expiry(self_ptr self);

// The sequence after `records` records from `sequence`: Kafka's sequences wrap at INT32_MAX.
int32_t sequence_after(int32_t sequence, size_t records) {
  return static_cast<int32_t>((static_cast<int64_t>(sequence) + static_cast<int64_t>(records)) % INT32_MAX);
}

// Closes the open batch: compresses it, stamps producer id and sequence, queues it for sending.
void close_open(self_ptr self) {
  auto& st = self->state;
  auto& s = st.settings;
  auto ob = std::move(*st.open);
  st.open.reset();
  st.flush_requested = false;
  protocol::producer_stamp stamp;
  if (s.idempotent) {
    stamp.producer_id = s.identity.id;
    stamp.producer_epoch = s.identity.epoch;
    stamp.base_sequence = st.next_sequence;
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
    st.next_sequence = sequence_after(st.next_sequence, static_cast<size_t>(count));
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

void complete(self_ptr self, closed_batch& b, const produce_result& r) {
  auto& s = self->state.settings;
  for (size_t i = 0; i < b.records.size(); ++i) {
    auto& rec = b.records[i];
    int64_t offset = r.base_offset < 0 ? -1 : r.base_offset + static_cast<int64_t>(i);
    int64_t ts = r.log_append_time >= 0 ? r.log_append_time : rec.timestamp;
    resolve(self, rec, metadata_of(s, rec, offset, ts), caf::error{});
  }
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

milliseconds backoff_for(self_ptr self, int32_t attempts) {
  auto& s = self->state.settings;
  double base = static_cast<double>(s.retry_backoff.count()) * std::pow(2.0, std::max(0, attempts - 1));
  base = std::min(base, static_cast<double>(s.retry_backoff_max.count()));
  std::uniform_real_distribution<double> jitter(0.8, 1.2);
  return milliseconds{static_cast<long long>(base * jitter(self->state.random))};
}

void refresh_leader(self_ptr self) {
  auto& st = self->state;
  if (st.refreshing_leader)
    return;
  st.refreshing_leader = true;
  self->request(st.settings.metadata, caf::infinite, topic_atom::value, st.settings.topic, true)
    .then(
      [=](topic_metadata& md) {
        auto& s = self->state;
        s.refreshing_leader = false;
        s.settings.topic_id = md.topic_id;
        if (static_cast<size_t>(s.settings.partition) < md.partitions.size())
          s.settings.leader = md.partitions[static_cast<size_t>(s.settings.partition)].leader;
        maybe_send(self);
      },
      [=](caf::error&) {
        // The metadata actor gave up (max.block.ms); keep the old leader and let delivery.timeout.ms decide.
        self->state.refreshing_leader = false;
        maybe_send(self);
        schedule_expiry(self);
      });
}

// KIP-951: the broker named the partition's new leader; following it spares a Metadata round trip
// (the full refresh is the fallback when the metadata actor cannot reach that broker).
void follow_leader_hint(self_ptr self, const leader_hint& hint) {
  auto& st = self->state;
  if (st.refreshing_leader)
    return;
  st.refreshing_leader = true;
  self->request(st.settings.metadata, caf::infinite, leader_atom::value, st.settings.topic, st.settings.partition, hint)
    .then(
      [=](connection_actor& leader) {
        self->state.refreshing_leader = false;
        self->state.settings.leader = std::move(leader);
        maybe_send(self);
      },
      [=](caf::error&) {
        self->state.refreshing_leader = false;
        refresh_leader(self);
      });
}

// Once nothing is in flight, the held batches go back to the front of the queue in sequence order
// and sending resumes after the backoff: sequence numbers stay contiguous on the wire.
void requeue_held(self_ptr self) {
  auto& st = self->state;
  if (!st.in_flight.empty() || st.held.empty())
    return;
  std::sort(st.held.begin(), st.held.end(), [](auto& a, auto& b) { return a.id < b.id; });
  int32_t attempts = 0;
  for (auto i = st.held.rbegin(); i != st.held.rend(); ++i) {
    attempts = std::max(attempts, i->attempts);
    st.ready.push_front(std::move(*i));
  }
  st.held.clear();
  st.backing_off = true;
  self->delayed_send(self, backoff_for(self, attempts), retry_atom::value);
}

// Once a new identity arrived and nothing stamped with the old one is in flight, queued batches get
// the new producer id/epoch and sequence numbers from 0, in order (KIP-360): the broker starts a new
// epoch's sequence at 0. Where the broker still knows the old epoch (another partition lost its
// state), a batch sent before keeps its old stamp, as in Java: its retry is then deduplicated if an
// earlier attempt did get written. Bytes are copied first: a timed-out request may still hold them.
void restamp_if_due(self_ptr self) {
  auto& st = self->state;
  if (!st.restamp_due || !st.in_flight.empty())
    return;
  requeue_held(self);
  bool keep_sent = !st.lost_state;
  int32_t sequence = 0;
  for (auto& b : st.ready) {
    if (keep_sent && b.attempts > 0)
      continue; // sent under the old epoch: goes again as it was, before any new-epoch batch
    auto bytes = *b.bytes;
    protocol::restamp_record_batch(bytes, {st.settings.identity.id, st.settings.identity.epoch, sequence, false});
    b.bytes = std::make_shared<const protocol::byte_buffer>(std::move(bytes));
    b.base_sequence = sequence;
    b.stamped = st.settings.identity;
    sequence = sequence_after(sequence, b.records.size());
  }
  st.next_sequence = sequence;
  st.restamp_due = false;
  st.lost_state = false;
}

// Whether the broker no longer knows the producer's sequence state for this partition, so only a
// new epoch lets the batch through: UNKNOWN_PRODUCER_ID, or OUT_OF_ORDER_SEQUENCE_NUMBER that no
// failed or unanswered predecessor explains.
bool needs_new_epoch(self_ptr self, const closed_batch& b, std::optional<int16_t> code) {
  auto& st = self->state;
  if (!st.settings.idempotent || !code)
    return false;
  if (*code == protocol::errc::unknown_producer_id)
    return true;
  if (*code != protocol::errc::out_of_order_sequence_number || !st.held.empty())
    return false;
  return std::none_of(st.in_flight.begin(), st.in_flight.end(), [&](auto& x) { return x.id < b.id; });
}

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
    if (new_epoch && !st.awaiting_identity) {
      st.awaiting_identity = true;
      self->send(s.producer, bump_epoch_atom::value, b.stamped);
    }
    if (new_epoch || stale_stamp)
      st.lost_state = true;
    if (stale_stamp)
      st.restamp_due = true; // a batch kept on the old epoch found the state gone here too
    st.held.push_back(std::move(b));
    requeue_held(self);
    restamp_if_due(self);
    schedule_expiry(self);
    return;
  }
  caf::error final_error = retriable && expired(self, b.created) ? expired_error(self, b) : err;
  fail_records(self, b.records, b.accounted_bytes, final_error);
  requeue_held(self);
  maybe_send(self);
}

void send(self_ptr self, closed_batch b) {
  auto& st = self->state;
  auto& s = st.settings;
  b.last_sent = self->clock().now();
  ++b.attempts;
  produce_batch pb{s.topic, s.topic_id, s.partition, b.bytes, static_cast<int32_t>(b.records.size())};
  uint64_t id = b.id;
  st.in_flight.push_back(std::move(b));
  self->request(s.leader, caf::infinite, produce_atom::value, std::move(pb))
    .then(
      [=](produce_result& r) {
        if (r.error_code == 0 || r.error_code == duplicate_sequence_number) {
          auto& stt = self->state;
          auto i = std::find_if(stt.in_flight.begin(), stt.in_flight.end(), [&](auto& x) { return x.id == id; });
          if (i == stt.in_flight.end())
            return;
          auto done = std::move(*i);
          stt.in_flight.erase(i);
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
      },
      [=](caf::error& err) {
        // A connection stops when its broker moves to another address (after answering what it
        // held): a request that finds it gone is as retriable as a lost connection, after a refresh.
        if (err == caf::sec::request_receiver_down)
          err = make_error(errc::network_error,
                           partition_name(self->state.settings) + ": its leader's connection is closed");
        on_failure(self, id, err);
      });
}

void maybe_send(self_ptr self) {
  auto& st = self->state;
  auto& s = st.settings;
  restamp_if_due(self);
  if (st.awaiting_identity || st.restamp_due) {
    schedule_expiry(self); // the new identity may be slow to come: delivery.timeout.ms still holds
    return;
  }
  if (st.backing_off || !st.held.empty())
    return;
  if (!s.leader) {
    refresh_leader(self);
    schedule_expiry(self);
    return;
  }
  while (st.in_flight.size() < static_cast<size_t>(s.max_in_flight)) {
    if (st.ready.empty()) {
      if (!st.open || !(st.open->linger_expired || st.flush_requested || s.linger.count() == 0))
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

void schedule_expiry(self_ptr self) {
  auto& st = self->state;
  if (st.expiry_scheduled)
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
  st.expiry_scheduled = true;
  auto due = *earliest + st.settings.delivery_timeout - self->clock().now();
  self->delayed_send(self, std::max(duration_cast<milliseconds>(due), milliseconds{0}) + milliseconds{1},
                     expire_atom::value);
}

// Appends one record to the open batch (closing a full one first); returns where its outcome goes.
void append(self_ptr self, producer_record& rec, int32_t accounted, pending_record pr) {
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
  pr.key_size = rec.key.is_null ? -1 : static_cast<int32_t>(rec.key.size());
  pr.value_size = rec.value.is_null ? -1 : static_cast<int32_t>(rec.value.size());
  if (!appended)
    st.open->builder.append(rec.timestamp, key, value, rec.headers);
  st.open->records.push_back(std::move(pr));
  st.open->accounted_bytes += accounted;
  if (st.open->builder.size() >= static_cast<size_t>(s.batch_size))
    close_open(self);
}

} // namespace

static batch_actor::behavior_type batch(self_ptr self, batch_settings settings) {
  self->state.settings = std::move(settings);
  if (!self->state.settings.interceptors)
    self->state.settings.interceptors = std::make_shared<const interceptor_list>();
  return {
    [=](append_atom, producer_record& rec, int32_t accounted) -> caf::result<record_metadata> {
      pending_record pr;
      pr.single = self->make_response_promise<record_metadata>();
      auto rp = pr.single;
      append(self, rec, accounted, std::move(pr));
      maybe_send(self);
      return rp;
    },
    [=](append_many_atom, std::vector<producer_record>& recs,
        std::vector<int32_t>& accounted) -> caf::result<std::vector<delivery_report>> {
      auto group = std::make_shared<group_reply>();
      group->promise = self->make_response_promise<std::vector<delivery_report>>();
      group->reports.resize(recs.size());
      group->remaining = recs.size();
      auto rp = group->promise;
      if (recs.empty())
        return std::vector<delivery_report>{};
      for (size_t i = 0; i < recs.size(); ++i) {
        pending_record pr;
        pr.group = group;
        pr.index = i;
        append(self, recs[i], i < accounted.size() ? accounted[i] : 0, std::move(pr));
      }
      maybe_send(self);
      return rp;
    },
    [=](flush_atom) {
      if (self->state.open)
        self->state.flush_requested = true;
      maybe_send(self);
    },
    [=](close_atom) {
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
      self->quit();
    },
    [=](leader_atom, connection_actor& leader) {
      self->state.settings.leader = std::move(leader);
      maybe_send(self);
    },
    [=](producer_id_atom, producer_identity id) {
      auto& st = self->state;
      st.awaiting_identity = false;
      if (st.settings.idempotent && id != st.settings.identity) {
        st.settings.identity = id;
        st.restamp_due = true;
      }
      maybe_send(self);
    },
    [=](linger_atom, uint64_t id) {
      auto& st = self->state;
      if (st.open && st.open->id == id) {
        st.open->linger_expired = true;
        maybe_send(self);
      }
    },
    [=](retry_atom) {
      self->state.backing_off = false;
      maybe_send(self);
    },
    [=](expire_atom) {
      auto& st = self->state;
      st.expiry_scheduled = false;
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
    },
  };
}

batch_actor spawn_batch(caf::actor_system& sys, batch_settings settings) {
  return sys.spawn(batch, std::move(settings));
}

} // namespace cafka
