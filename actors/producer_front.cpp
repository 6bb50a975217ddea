#include "actors/producer_front.hpp"

#include "cafka/error.hpp"
#include "protocol/record_batch.hpp"

#include <deque>
#include <map>
#include <set>

namespace cafka {

namespace {

using namespace std::chrono;
using clock_type = steady_clock;
using topic_partition = std::pair<std::string, int32_t>;

// A send (one record, or a send_batch) that cannot be handed to batch actors yet: it waits for
// the producer id, its topics' metadata, or buffer memory, in arrival order, until max.block.ms.
struct waiting_send {
  std::vector<producer_record> records;
  caf::typed_response_promise<record_metadata> single; // for send
  caf::typed_response_promise<std::vector<delivery_report>> many; // for send_batch
  bool is_batch = false;
  clock_type::time_point deadline;
};

// The sticky partitions leased from the partitioner actor for one topic, used in turn; the next
// lease is asked for halfway through, so that a steady stream never waits for one.
struct topic_lease {
  std::vector<int32_t> partitions;
  size_t current = 0;
  int64_t bytes_each = 0;
  int64_t remaining = 0; // bytes before the next partition is due
  bool renewing = false;
  uint64_t unleased = 0; // records placed round robin before the first lease (see place)

  // Whether the current partition may take more records (the last one, once full, may not).
  bool usable() const {
    return !partitions.empty() && (remaining > 0 || current + 1 < partitions.size());
  }

  // Appends a new lease's partitions after the ones not used up yet.
  void extend(std::vector<int32_t> more, int64_t bytes) {
    partitions.erase(partitions.begin(), partitions.begin() + static_cast<std::ptrdiff_t>(current));
    current = 0;
    bytes_each = bytes;
    if (partitions.empty() || remaining <= 0) {
      if (!partitions.empty())
        partitions.erase(partitions.begin());
      remaining = bytes;
    }
    partitions.insert(partitions.end(), more.begin(), more.end());
  }
};

struct flush_waiter {
  uint64_t target;
  caf::typed_response_promise<ok_atom> promise;
};

int64_t now_ms() {
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

} // namespace

struct front_state {
  front_settings settings;
  std::shared_ptr<const interceptor_list> interceptors;
  partitioner_actor partitioner;
  std::map<std::string, topic_lease> leases;
  metadata_actor metadata;
  std::map<std::string, topic_metadata> topics;
  std::map<std::string, clock_type::time_point> topics_fetched;
  std::set<std::string> topics_requested;
  std::map<std::string, caf::error> topic_errors; // why the last metadata wait failed
  std::map<topic_partition, batch_actor> batches;
  std::map<topic_partition, int64_t> queued_bytes;
  producer_identity identity;
  bool identity_requested = false;
  bool bumping_epoch = false;
  caf::error identity_error;
  std::deque<waiting_send> waiting;
  bool expiry_scheduled = false;
  int64_t buffer_in_use = 0;
  uint64_t accepted = 0;  // records taken by send / send_batch
  uint64_t resolved = 0;  // records whose outcome is known
  std::vector<flush_waiter> flushes;
  bool flushing = false;
  bool closed = false;
  producer_metrics metrics;
  double latency_sum_ms = 0;
  uint64_t latency_count = 0;

  static inline const char* name = "cafka.producer";
};

namespace {

using self_ptr = producer_internal_actor::stateful_pointer<front_state>;

const producer_config& cfg(self_ptr self) {
  return self->state.settings.config;
}

int32_t accounted_size(const producer_record& r) {
  return static_cast<int32_t>(protocol::record_batch_header_size
                              + protocol::record_batch_builder::record_size(0, 0, r.key.view(), r.value.view(),
                                                                            r.headers));
}

void process_waiting(self_ptr self);

void note_resolved(self_ptr self, uint64_t n) {
  auto& st = self->state;
  st.resolved += n;
  for (auto i = st.flushes.begin(); i != st.flushes.end();) {
    if (st.resolved >= i->target) {
      i->promise.deliver(ok_atom::value);
      i = st.flushes.erase(i);
    } else {
      ++i;
    }
  }
  st.flushing = !st.flushes.empty();
}

// Records that fail before reaching a batch actor still count, and still see interceptors.
caf::error fail_early(self_ptr self, const producer_record& r, caf::error err) {
  record_metadata md{r.topic, r.partition, -1, r.timestamp, -1, -1};
  run_on_acknowledgement(*self->state.interceptors, md, err);
  ++self->state.metrics.records_failed;
  note_resolved(self, 1);
  return err;
}

// The checks Java makes before appending: size limits and an explicit partition in range.
caf::error validate(self_ptr self, const producer_record& r, int32_t size, const topic_metadata& md) {
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
  auto count = static_cast<int32_t>(md.partitions.size());
  if (r.partition >= count || r.partition < -1)
    return make_error(errc::invalid_record, "Partition " + std::to_string(r.partition) + " of topic " + r.topic
                                              + " with partition count " + std::to_string(count)
                                              + " is not present in metadata.");
  return {};
}

batch_actor batch_for(self_ptr self, const std::string& topic, int32_t partition) {
  auto& st = self->state;
  auto key = topic_partition{topic, partition};
  auto i = st.batches.find(key);
  if (i != st.batches.end())
    return i->second;
  auto& c = cfg(self);
  batch_settings bs;
  bs.topic = topic;
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
  auto& md = st.topics[topic];
  bs.topic_id = md.topic_id;
  if (static_cast<size_t>(partition) < md.partitions.size())
    bs.leader = md.partitions[static_cast<size_t>(partition)].leader;
  bs.metadata = st.metadata;
  bs.producer = self;
  bs.interceptors = st.interceptors;
  auto b = spawn_batch(self->system(), std::move(bs));
  self->link_to(b);
  st.batches.emplace(key, b);
  return b;
}

std::vector<int64_t> queued_per_partition(self_ptr self, const std::string& topic, size_t count) {
  std::vector<int64_t> out(count, 0);
  auto& q = self->state.queued_bytes;
  for (auto i = q.lower_bound({topic, 0}); i != q.end() && i->first.first == topic; ++i)
    if (static_cast<size_t>(i->first.second) < count)
      out[static_cast<size_t>(i->first.second)] = i->second;
  return out;
}

std::vector<int32_t> available_partitions(const topic_metadata& md) {
  std::vector<int32_t> out;
  for (auto& p : md.partitions)
    if (p.leader_id >= 0)
      out.push_back(p.partition);
  return out;
}

// Whether the record's partition comes from the topic's sticky lease.
bool uses_sticky(self_ptr self, const producer_record& r) {
  return r.partition < 0 && !self->state.settings.partitioner && (r.key.is_null || cfg(self).partitioner_ignore_keys);
}

// Asks the partitioner actor for the topic's next sticky partitions (one request at a time).
void renew_lease(self_ptr self, const std::string& topic) {
  auto& st = self->state;
  auto& lease = st.leases[topic];
  if (lease.renewing)
    return;
  lease.renewing = true;
  auto& md = st.topics[topic];
  std::vector<int64_t> queued;
  if (cfg(self).partitioner_adaptive)
    queued = queued_per_partition(self, topic, md.partitions.size());
  self->request(st.partitioner, caf::infinite, sticky_atom::value, topic, static_cast<int32_t>(md.partitions.size()),
                available_partitions(md), std::move(queued))
    .then(
      [=](sticky_lease& got) {
        auto& l = self->state.leases[got.topic];
        l.renewing = false;
        if (got.partitions.empty())
          return;
        l.extend(std::move(got.partitions), got.bytes_each);
        process_waiting(self);
      },
      [=](caf::error&) { self->state.leases[topic].renewing = false; });
}

// Stamps time and partition on a record whose topic metadata (and sticky lease, if it needs one)
// is known: an explicit partition wins, then the user's partitioner, then Java's rule for keys,
// then the topic's current sticky partition.
void place(self_ptr self, producer_record& r, int32_t size) {
  auto& st = self->state;
  if (r.timestamp < 0)
    r.timestamp = now_ms();
  if (r.partition >= 0)
    return;
  auto count = static_cast<int32_t>(st.topics[r.topic].partitions.size());
  if (st.settings.partitioner) {
    r.partition = st.settings.partitioner(r.topic, r.key.view(), r.value.view(), count);
    return;
  }
  if (!r.key.is_null && !cfg(self).partitioner_ignore_keys) {
    r.partition = partition_for_key(r.key.data, count);
    return;
  }
  auto& lease = st.leases[r.topic];
  if (lease.partitions.empty()) {
    // No lease yet: only a send_batch that went ahead because another of its topics failed gets
    // here. Spread its records round robin rather than hold them.
    r.partition = static_cast<int32_t>(lease.unleased++ % static_cast<uint64_t>(std::max(count, 1)));
    renew_lease(self, r.topic);
    return;
  }
  if (lease.remaining <= 0 && lease.current + 1 < lease.partitions.size()) {
    // The current partition had its batch.size bytes: the next one takes over.
    ++lease.current;
    lease.remaining = lease.bytes_each;
  }
  r.partition = lease.partitions[lease.current];
  lease.remaining -= size;
  if (lease.current * 2 >= lease.partitions.size())
    renew_lease(self, r.topic);
}

void account(self_ptr self, const producer_record& r, int32_t size) {
  auto& st = self->state;
  st.buffer_in_use += size;
  st.queued_bytes[{r.topic, r.partition}] += size;
}

enum class readiness { ready, blocked };

// Whether everything a send needs is here; asks for what is missing.
readiness check_ready(self_ptr self, std::span<const producer_record> records, int64_t bytes_needed);

void request_topic(self_ptr self, const std::string& topic) {
  auto& st = self->state;
  if (!st.topics_requested.insert(topic).second)
    return;
  self->request(st.metadata, cfg(self).max_block, topic_atom::value, topic, false)
    .then(
      [=](topic_metadata& md) {
        auto& s = self->state;
        s.topics_requested.erase(md.topic);
        s.topic_errors.erase(md.topic);
        s.topics_fetched[md.topic] = self->clock().now();
        s.topics[md.topic] = std::move(md);
        process_waiting(self);
      },
      [=](caf::error& err) {
        auto& s = self->state;
        s.topics_requested.erase(topic);
        if (err == caf::sec::request_timeout)
          err = make_error(errc::metadata_timeout, "Topic " + topic + " not present in metadata after "
                                                     + std::to_string(cfg(self).max_block.count()) + " ms.");
        s.topic_errors[topic] = err;
        process_waiting(self);
      });
}

void request_identity(self_ptr self) {
  auto& st = self->state;
  if (st.identity_requested)
    return;
  st.identity_requested = true;
  self->request(st.metadata, cfg(self).max_block, producer_id_atom::value, producer_identity{})
    .then(
      [=](producer_identity& id) {
        self->state.identity = id;
        self->state.identity_error = caf::error{};
        process_waiting(self);
      },
      [=](caf::error& err) {
        self->state.identity_requested = false; // ask again for the next send
        self->state.identity_error = err;
        process_waiting(self);
      });
}

// A refresh showed leaders moving: the cached view (partition availability) follows, and every
// batch actor whose partition moved gets its new leader before its next send can fail.
void adopt_topic_view(self_ptr self, topic_metadata md) {
  auto& st = self->state;
  auto known = st.topics.find(md.topic);
  if (known == st.topics.end())
    return; // not a topic of ours (any more)
  for (auto& p : md.partitions) {
    auto b = st.batches.find({md.topic, p.partition});
    auto idx = static_cast<size_t>(p.partition);
    bool moved = idx >= known->second.partitions.size() || known->second.partitions[idx].leader_id != p.leader_id;
    if (b != st.batches.end() && moved && p.leader)
      self->send(b->second, leader_atom::value, p.leader);
  }
  st.topics_fetched[md.topic] = self->clock().now();
  known->second = std::move(md);
}

// Hands a new identity to every batch actor, which restamps what is not acknowledged yet.
void adopt_identity(self_ptr self, producer_identity id) {
  auto& st = self->state;
  st.identity = id;
  ++st.metrics.epoch_bumps;
  for (auto& [_, b] : st.batches)
    self->send(b, producer_id_atom::value, id);
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
  self->request(st.metadata, cfg(self).max_block, producer_id_atom::value, producer_identity{})
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

readiness check_ready(self_ptr self, std::span<const producer_record> records, int64_t bytes_needed) {
  auto& st = self->state;
  bool blocked = false;
  if (cfg(self).enable_idempotence && st.identity.id < 0) {
    request_identity(self);
    blocked = true;
  }
  for (auto& r : records) {
    auto t = st.topics.find(r.topic);
    bool stale = t != st.topics.end()
                 && self->clock().now() - st.topics_fetched[r.topic] > cfg(self).metadata_max_age;
    if (t == st.topics.end()) {
      request_topic(self, r.topic);
      blocked = true;
    } else {
      if (stale)
        request_topic(self, r.topic); // refresh on age; keep using what we have meanwhile
      if (uses_sticky(self, r) && !st.leases[r.topic].usable()) {
        renew_lease(self, r.topic); // the first lease, or one that ran out in a burst
        blocked = true;
      }
    }
  }
  if (!blocked && st.buffer_in_use > 0 && st.buffer_in_use + bytes_needed > cfg(self).buffer_memory)
    blocked = true; // waits for batch_done to release memory
  return blocked ? readiness::blocked : readiness::ready;
}

// Hands ready records to their batch actors. For send, the batch actor answers the user directly.
void dispatch_single(self_ptr self, producer_record& r, int32_t size, caf::typed_response_promise<record_metadata> rp) {
  place(self, r, size);
  account(self, r, size);
  auto b = batch_for(self, r.topic, r.partition);
  rp.delegate(b, append_atom::value, std::move(r), size);
  if (self->state.flushing)
    self->send(b, flush_atom::value);
}

void dispatch_many(self_ptr self, std::vector<producer_record>& records,
                   caf::typed_response_promise<std::vector<delivery_report>> rp) {
  auto& st = self->state;
  auto reports = std::make_shared<std::vector<delivery_report>>(records.size());
  struct group {
    std::vector<producer_record> records;
    std::vector<int32_t> sizes;
    std::vector<size_t> positions;
  };
  std::map<topic_partition, group> groups;
  size_t early = 0;
  for (size_t i = 0; i < records.size(); ++i) {
    auto& r = records[i];
    int32_t size = accounted_size(r);
    // A topic whose metadata wait failed fails its records; the others pass Java's checks.
    bool topic_failed = st.topic_errors.count(r.topic) > 0 && st.topics.count(r.topic) == 0;
    if (auto err = topic_failed ? st.topic_errors[r.topic] : validate(self, r, size, st.topics[r.topic])) {
      (*reports)[i] = delivery_report{record_metadata{r.topic, r.partition, -1, r.timestamp, -1, -1},
                                      fail_early(self, r, err)};
      ++early;
      continue;
    }
    place(self, r, size);
    account(self, r, size);
    auto& g = groups[{r.topic, r.partition}];
    g.sizes.push_back(size);
    g.positions.push_back(i);
    g.records.push_back(std::move(r));
  }
  if (groups.empty()) {
    rp.deliver(std::move(*reports));
    return;
  }
  auto remaining = std::make_shared<size_t>(groups.size());
  for (auto& [tp, g] : groups) {
    auto b = batch_for(self, tp.first, tp.second);
    auto positions = std::move(g.positions);
    self->request(b, caf::infinite, append_many_atom::value, std::move(g.records), std::move(g.sizes))
      .then(
        [=](std::vector<delivery_report>& got) mutable {
          for (size_t k = 0; k < got.size() && k < positions.size(); ++k)
            (*reports)[positions[k]] = std::move(got[k]);
          if (--*remaining == 0)
            rp.deliver(std::move(*reports));
        },
        [=](caf::error& err) mutable {
          for (auto p : positions)
            (*reports)[p].error = err;
          if (--*remaining == 0)
            rp.deliver(std::move(*reports));
        });
    if (st.flushing)
      self->send(b, flush_atom::value);
  }
}

int64_t bytes_of(const std::vector<producer_record>& records) {
  int64_t n = 0;
  for (auto& r : records)
    n += accounted_size(r);
  return n;
}

void schedule_expiry(self_ptr self) {
  auto& st = self->state;
  if (st.expiry_scheduled || st.waiting.empty())
    return;
  st.expiry_scheduled = true;
  auto due = st.waiting.front().deadline - self->clock().now();
  self->delayed_send(self, std::max(duration_cast<milliseconds>(due), milliseconds{0}) + milliseconds{1},
                     expire_atom::value);
}

// Fails a waiting send whose max.block.ms ran out, with the reason it was waiting for.
void expire(self_ptr self, waiting_send& w) {
  auto& st = self->state;
  caf::error err;
  if (cfg(self).enable_idempotence && st.identity.id < 0)
    err = st.identity_error ? st.identity_error
                            : make_error(errc::metadata_timeout, "no producer id within max.block.ms ("
                                                                   + std::to_string(cfg(self).max_block.count()) + " ms)");
  for (auto& r : w.records)
    if (!err && !st.topics.count(r.topic))
      err = st.topic_errors.count(r.topic) ? st.topic_errors[r.topic]
                                           : make_error(errc::metadata_timeout,
                                                        "Topic " + r.topic + " not present in metadata after "
                                                          + std::to_string(cfg(self).max_block.count()) + " ms.");
  if (!err)
    err = make_error(errc::buffer_exhausted,
                     "Failed to allocate " + std::to_string(bytes_of(w.records)) + " bytes within the configured max blocking time "
                       + std::to_string(cfg(self).max_block.count()) + " ms. Total memory: "
                       + std::to_string(cfg(self).buffer_memory) + " bytes. Available memory: "
                       + std::to_string(cfg(self).buffer_memory - st.buffer_in_use) + " bytes.");
  if (w.is_batch) {
    std::vector<delivery_report> reports;
    for (auto& r : w.records)
      reports.push_back({record_metadata{r.topic, r.partition, -1, r.timestamp, -1, -1}, fail_early(self, r, err)});
    w.many.deliver(std::move(reports));
  } else {
    w.single.deliver(fail_early(self, w.records.front(), err));
  }
}

void process_waiting(self_ptr self) {
  auto& st = self->state;
  while (!st.waiting.empty()) {
    auto& w = st.waiting.front();
    // A topic whose metadata wait already failed fails its records now rather than wait again.
    bool failed_topic = false;
    for (auto& r : w.records)
      if (!st.topics.count(r.topic) && st.topic_errors.count(r.topic))
        failed_topic = true;
    if (self->clock().now() >= w.deadline || (failed_topic && !w.is_batch)) {
      expire(self, w);
      st.waiting.pop_front();
      continue;
    }
    bool identity_failed = cfg(self).enable_idempotence && st.identity.id < 0 && st.identity_error;
    if (identity_failed) {
      expire(self, w);
      st.waiting.pop_front();
      continue;
    }
    if (!failed_topic && check_ready(self, w.records, bytes_of(w.records)) == readiness::blocked)
      break;
    auto item = std::move(w);
    st.waiting.pop_front();
    if (item.is_batch) {
      dispatch_many(self, item.records, item.many);
    } else {
      auto& r = item.records.front();
      int32_t size = accounted_size(r);
      if (auto err = validate(self, r, size, st.topics[r.topic]))
        item.single.deliver(fail_early(self, r, err));
      else
        dispatch_single(self, r, size, item.single);
    }
  }
  schedule_expiry(self);
}

} // namespace

static producer_internal_actor::behavior_type producer_front(self_ptr self, front_settings settings) {
  auto& st = self->state;
  st.settings = std::move(settings);
  st.interceptors = std::make_shared<const interceptor_list>(st.settings.interceptors);
  auto& c = st.settings.config;
  partitioner_settings ps;
  ps.batch_size = c.batch_size;
  ps.sticky.adaptive = c.partitioner_adaptive;
  st.partitioner = st.settings.sticky_partitions ? st.settings.sticky_partitions
                                                 : spawn_partitioner(self->system(), ps);
  self->link_to(st.partitioner);
  st.metadata = spawn_metadata(self->system(), c, st.settings.connections,
                               caf::actor_cast<metadata_listener>(self));
  self->link_to(st.metadata);
  if (c.enable_idempotence)
    request_identity(self);
  return {
    [=](send_atom, producer_record& r) -> caf::result<record_metadata> {
      auto& s = self->state;
      if (s.closed)
        return make_error(errc::producer_closed, "Cannot perform operation after producer has been closed");
      ++s.accepted;
      run_on_send(*s.interceptors, r);
      if (r.topic.empty())
        return fail_early(self, r, make_error(errc::invalid_record, "a record needs a topic"));
      int32_t size = accounted_size(r);
      if (s.waiting.empty() && check_ready(self, {&r, 1}, size) == readiness::ready) {
        if (auto err = validate(self, r, size, s.topics[r.topic]))
          return fail_early(self, r, err);
        auto rp = self->make_response_promise<record_metadata>();
        dispatch_single(self, r, size, rp);
        return rp;
      }
      if (s.topic_errors.count(r.topic) && !s.topics.count(r.topic) && s.waiting.empty()
          && !s.topics_requested.count(r.topic)) {
        // The last wait for this topic failed: wait again (it may exist now), bounded as before.
        s.topic_errors.erase(r.topic);
        check_ready(self, {&r, 1}, size);
      }
      auto rp = self->make_response_promise<record_metadata>();
      waiting_send w;
      w.records.push_back(std::move(r));
      w.single = rp;
      w.deadline = self->clock().now() + cfg(self).max_block;
      s.waiting.push_back(std::move(w));
      schedule_expiry(self);
      return rp;
    },
    [=](send_batch_atom, std::vector<producer_record>& records) -> caf::result<std::vector<delivery_report>> {
      auto& s = self->state;
      if (s.closed) {
        std::vector<delivery_report> out;
        for (auto& r : records)
          out.push_back({record_metadata{r.topic, r.partition, -1, r.timestamp, -1, -1},
                         make_error(errc::producer_closed, "Cannot perform operation after producer has been closed")});
        return out;
      }
      s.accepted += records.size();
      for (auto& r : records)
        run_on_send(*s.interceptors, r);
      auto rp = self->make_response_promise<std::vector<delivery_report>>();
      for (auto& r : records)
        if (s.topic_errors.count(r.topic) && !s.topics.count(r.topic) && !s.topics_requested.count(r.topic))
          s.topic_errors.erase(r.topic);
      if (s.waiting.empty() && check_ready(self, records, bytes_of(records)) == readiness::ready) {
        dispatch_many(self, records, rp);
        return rp;
      }
      waiting_send w;
      w.records = std::move(records);
      w.many = rp;
      w.is_batch = true;
      w.deadline = self->clock().now() + cfg(self).max_block;
      s.waiting.push_back(std::move(w));
      schedule_expiry(self);
      return rp;
    },
    [=](flush_atom) -> caf::result<ok_atom> {
      auto& s = self->state;
      if (s.resolved >= s.accepted)
        return ok_atom::value;
      auto rp = self->make_response_promise<ok_atom>();
      s.flushes.push_back({s.accepted, rp});
      s.flushing = true;
      for (auto& [_, b] : s.batches)
        self->send(b, flush_atom::value);
      return rp;
    },
    [=](close_atom, caf::timespan timeout) -> caf::result<ok_atom> {
      auto& s = self->state;
      s.closed = true;
      auto rp = self->make_response_promise<ok_atom>();
      auto finish = [=]() mutable {
        // Records still unacknowledged when the flush ran out of time fail with PRODUCER_CLOSED:
        // the batch actors are told first and unlinked, so no exit overtakes that message.
        for (auto& [_, b] : self->state.batches) {
          self->unlink_from(b);
          self->send(b, close_atom::value);
        }
        rp.deliver(ok_atom::value);
        // Not exit_reason::normal: that would leave the linked metadata and connection actors running.
        self->quit(caf::exit_reason::user_shutdown);
      };
      if (s.resolved >= s.accepted) {
        finish();
        return rp;
      }
      for (auto& [_, b] : s.batches)
        self->send(b, flush_atom::value);
      self->request(caf::actor_cast<producer_actor>(self), timeout, flush_atom::value)
        .then([=](ok_atom) mutable { finish(); }, [=](caf::error&) mutable { finish(); });
      return rp;
    },
    [=](partitions_atom, std::string& topic) -> caf::result<std::vector<partition_info>> {
      auto rp = self->make_response_promise<std::vector<partition_info>>();
      self->request(self->state.metadata, cfg(self).max_block, topic_atom::value, topic, false)
        .then(
          [=](topic_metadata& md) mutable {
            std::vector<partition_info> out;
            for (auto& p : md.partitions)
              out.push_back({md.topic, p.partition, p.leader_id, p.replicas, p.isr});
            rp.deliver(std::move(out));
          },
          [=](caf::error& err) mutable {
            if (err == caf::sec::request_timeout)
              err = make_error(errc::metadata_timeout, "Topic " + topic + " not present in metadata after "
                                                         + std::to_string(cfg(self).max_block.count()) + " ms.");
            rp.deliver(err);
          });
      return rp;
    },
    [=](metrics_atom) -> producer_metrics {
      auto& s = self->state;
      auto m = s.metrics;
      m.buffer_bytes_in_use = s.buffer_in_use;
      if (s.settings.in_flight_requests)
        m.in_flight_requests = s.settings.in_flight_requests->load(std::memory_order_relaxed);
      m.compression_ratio = m.uncompressed_bytes ? static_cast<double>(m.bytes_sent) / m.uncompressed_bytes : 1.0;
      m.request_latency_avg_ms = s.latency_count ? s.latency_sum_ms / s.latency_count : 0;
      return m;
    },
    [=](batch_done_atom, std::string& topic, int32_t partition, batch_outcome& o) {
      auto& s = self->state;
      s.buffer_in_use -= o.released_bytes;
      s.queued_bytes[{topic, partition}] -= o.released_bytes;
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
      note_resolved(self, static_cast<uint64_t>(o.records + o.failed));
      if (!s.waiting.empty())
        process_waiting(self);
    },
    [=](bump_epoch_atom, producer_identity seen) { bump_epoch(self, seen); },
    [=](topic_atom, topic_metadata& md) { adopt_topic_view(self, std::move(md)); },
    [=](expire_atom) {
      self->state.expiry_scheduled = false;
      process_waiting(self);
    },
  };
}

producer_internal_actor spawn_producer_front(caf::actor_system& sys, front_settings settings) {
  return sys.spawn(producer_front, std::move(settings));
}

} // namespace cafka
