#include "actors/connection_actor.hpp"

#include "actors/request_window.hpp"

#include "cafka/error.hpp"
#include "protocol/error_codes.hpp"
#include "protocol/framing.hpp"
#include "protocol/record_batch.hpp"
#include "protocol/version_negotiation.hpp"

#include <deque>
#include <functional>
#include <map>
#include <random>
#include <set>

namespace cafka {

namespace {

using namespace std::chrono;
using protocol::byte_buffer;

// Decodes a response frame and resolves whoever asked; an error result means the stream can no
// longer be trusted.
using completion = std::function<caf::error(caf::expected<byte_buffer> frame, int16_t version)>;

struct pending_request {
  protocol::api_key api;
  int16_t at_most = INT16_MAX; // the caller's cap on the negotiated version
  std::function<void(byte_buffer& out, int16_t version, int32_t correlation_id, const std::string& client_id)>
    encode;
  completion done;
};

struct in_flight_request {
  int32_t correlation_id = 0;
  int16_t version = 0;
  completion done;
};

struct queued_batch {
  produce_batch batch;
  caf::typed_response_promise<produce_result> promise;
};

enum class link_status { idle, connecting, negotiating, ready };

constexpr int16_t api_versions_max = protocol::api_versions_request::max_version;

bool is_zstd(const produce_batch& b) {
  return b.bytes->size() > protocol::record_batch_attributes_offset + 1
         && ((*b.bytes)[protocol::record_batch_attributes_offset + 1] & 0x07)
              == static_cast<uint8_t>(protocol::compression_codec::zstd);
}

} // namespace

struct connection_state {
  connection_settings settings;
  std::shared_ptr<network> net;
  std::shared_ptr<tcp_session> session;
  link_status status = link_status::idle;
  uint64_t generation = 0;
  int32_t next_correlation_id = 1;
  uint64_t next_write_id = 1;
  std::map<protocol::api_key, int16_t> versions;
  // The features the cluster finalized (ApiVersions v3+, FinalizedFeaturesEpoch >= 0): name -> max level.
  std::map<std::string, int16_t> finalized_features;
  // Asked for a feature's level before ApiVersions was answered: answered once it is.
  std::vector<std::pair<std::string, caf::typed_response_promise<int16_t>>> feature_waiters;
  std::deque<pending_request> pending;
  std::deque<queued_batch> produce_queue;
  std::deque<in_flight_request> in_flight;
  std::deque<std::pair<uint64_t, std::vector<queued_batch>>> awaiting_write; // acks=0
  request_window window;
  bool resume_scheduled = false; // a resume_atom is on its way for the end of a throttle
  int failures = 0;
  steady_clock::time_point next_attempt{};
  bool connect_scheduled = false;
  int64_t reported_in_flight = 0; // our share of settings.in_flight_gauge
  std::mt19937 random{std::random_device{}()};

  static inline const char* name = "cafka.connection";

  // Brings the shared in-flight gauge up to date with this connection's queue.
  void report_in_flight() {
    auto now = static_cast<int64_t>(in_flight.size());
    if (settings.in_flight_gauge && now != reported_in_flight)
      settings.in_flight_gauge->fetch_add(now - reported_in_flight, std::memory_order_relaxed);
    reported_in_flight = now;
  }

  ~connection_state();
};

namespace {

using self_ptr = connection_actor::stateful_pointer<connection_state>;

std::string describe_peer(const connection_state& st) {
  return "broker " + std::to_string(st.settings.node_id) + " (" + st.settings.host + ":"
         + std::to_string(st.settings.port) + ")";
}

// Bytes that make no sense. Before ApiVersions was answered, the peer is taken for something other
// than a Kafka broker (a web server, a TLS port): a network error like a refused connection, retried
// until the caller's deadline. Afterwards, a broker's stream broke.
caf::error nonsense(const connection_state& st, const std::string& what) {
  if (st.status != link_status::ready)
    return make_error(errc::network_error, describe_peer(st) + ": not a Kafka broker: " + what);
  return make_error(errc::malformed_response, describe_peer(st) + ": " + what);
}

// KIP-219: a response of a version that leaves throttling to the client holds this connection's
// next requests back for its throttle_time_ms.
template <class Request>
void note_throttle(self_ptr self, int16_t version, int32_t throttle_time_ms) {
  if (version >= Request::client_throttles_from)
    self->state.window.throttle(steady_clock::now(), throttle_time_ms);
}

void try_send(self_ptr self);

// A feature's finalized level as the broker's ApiVersions answer gave it; 0 when not finalized.
int16_t feature_level(const connection_state& st, const std::string& name) {
  auto f = st.finalized_features.find(name);
  return f == st.finalized_features.end() ? int16_t{0} : f->second;
}

// Answers every request held (CAF 0.17 never answers a promise whose holder is gone).
void fail_everything(connection_state& st, const caf::error& err) {
  auto in_flight = std::move(st.in_flight);
  auto pending = std::move(st.pending);
  auto queue = std::move(st.produce_queue);
  auto awaiting = std::move(st.awaiting_write);
  auto feature_waiters = std::move(st.feature_waiters);
  st.feature_waiters.clear();
  st.in_flight.clear();
  st.report_in_flight();
  st.pending.clear();
  st.produce_queue.clear();
  st.awaiting_write.clear();
  for (auto& r : in_flight)
    r.done(err, r.version);
  for (auto& r : pending)
    r.done(err, 0);
  for (auto& q : queue)
    q.promise.deliver(err);
  for (auto& [id, batches] : awaiting)
    for (auto& q : batches)
      q.promise.deliver(err);
  for (auto& [_, promise] : feature_waiters)
    promise.deliver(err);
}

// Drops the connection and fails what depended on it. What is in flight fails as retriable.
void disconnect(self_ptr self, const caf::error& err) {
  auto& st = self->state;
  if (st.session)
    st.session->close();
  st.session.reset();
  bool was_ready = st.status == link_status::ready;
  st.status = link_status::idle;
  ++st.generation;
  if (!was_ready)
    ++st.failures; // never got through: back off further
  else
    st.failures = 0;
  auto base = st.settings.reconnect_backoff.count() * (1LL << std::min(st.failures, 20));
  auto capped = std::min<long long>(base, st.settings.reconnect_backoff_max.count());
  std::uniform_real_distribution<double> jitter(0.8, 1.2);
  st.next_attempt = steady_clock::now() + milliseconds{static_cast<long long>(capped * jitter(st.random))};
  fail_everything(st, err);
}

// Why the actor stops, for what it still holds: the text of a cafka error (the metadata actor says
// "its address changed"); any other reason comes from its linked parent, which only goes when the
// producer does.
caf::error stopping(const connection_state& st, const caf::error& reason) {
  std::string why = "the producer is shutting down";
  if (reason.category() == error_category && reason.context().match_elements<std::string>())
    why = reason.context().get_as<std::string>(0);
  return make_error(errc::network_error, "connection to " + describe_peer(st) + " closed: " + why);
}

void send_frame(self_ptr self, byte_buffer frame) {
  self->state.session->write(std::move(frame), self->state.next_write_id++);
}

// Writes a request that expects a response: it joins the in-flight queue and its
// request.timeout.ms starts now.
void send_tracked(self_ptr self, in_flight_request r, byte_buffer frame) {
  auto& st = self->state;
  self->delayed_send(self, st.settings.request_timeout, timeout_atom::value, st.generation, r.correlation_id);
  st.in_flight.push_back(std::move(r));
  st.report_in_flight();
  send_frame(self, std::move(frame));
}

void send_api_versions(self_ptr self, int16_t version) {
  auto& st = self->state;
  int32_t id = st.next_correlation_id++;
  byte_buffer frame;
  protocol::encode_request(frame, protocol::api_versions_request{}, version, id, st.settings.client_id);
  in_flight_request r;
  r.correlation_id = id;
  r.version = version;
  r.done = [self](caf::expected<byte_buffer> reply, int16_t v) -> caf::error {
    if (!reply)
      return caf::none; // the connection is already going down
    auto& link = self->state;
    auto decoded = protocol::decode_response<protocol::api_versions_request>(*reply, v);
    if (!decoded || decoded->error_code == protocol::errc::unsupported_version) {
      // KIP-511: a broker that does not speak our version answers in v0 with what it speaks.
      // Some peers (librdkafka 2.0.2's mock cluster) answer in neither form: then ask with v0,
      // which every broker speaks.
      if (v > 0) {
        int16_t fallback = 0;
        if (auto v0 = protocol::decode_response<protocol::api_versions_request>(*reply, 0))
          for (auto& k : v0->api_keys)
            if (k.api_key == static_cast<int16_t>(protocol::api_key::api_versions))
              fallback = std::min<int16_t>(k.max_version, v - 1);
        send_api_versions(self, fallback);
        return caf::none;
      }
      return nonsense(link, "ApiVersions: " + (decoded ? std::string("unsupported version") : decoded.error()));
    }
    note_throttle<protocol::api_versions_request>(self, v, decoded->throttle_time_ms);
    if (decoded->error_code != 0)
      return kafka_error(decoded->error_code, describe_peer(link) + " refused ApiVersions");
    auto produce = protocol::negotiate_version<protocol::produce_request>(*decoded);
    auto metadata = protocol::negotiate_version<protocol::metadata_request>(*decoded);
    if (!produce || !metadata)
      return make_error(errc::unsupported_version,
                        describe_peer(link) + " speaks no Produce (v3-v12) or Metadata (v1-v13) version cafka speaks");
    link.versions[protocol::api_key::produce] = *produce;
    link.versions[protocol::api_key::metadata] = *metadata;
    if (auto pid = protocol::negotiate_version<protocol::init_producer_id_request>(*decoded))
      link.versions[protocol::api_key::init_producer_id] = *pid;
    // Transactions: what a request of an API the broker does not list gets is UNSUPPORTED_VERSION.
    auto offer = [&]<class Request>(Request*) {
      if (auto chosen = protocol::negotiate_version<Request>(*decoded))
        link.versions[Request::key] = *chosen;
    };
    offer(static_cast<protocol::find_coordinator_request*>(nullptr));
    offer(static_cast<protocol::add_partitions_to_txn_request*>(nullptr));
    offer(static_cast<protocol::add_offsets_to_txn_request*>(nullptr));
    offer(static_cast<protocol::end_txn_request*>(nullptr));
    offer(static_cast<protocol::txn_offset_commit_request*>(nullptr));
    link.finalized_features.clear();
    if (decoded->finalized_features && decoded->finalized_features_epoch.value_or(-1) >= 0)
      for (auto& f : *decoded->finalized_features)
        link.finalized_features[f.name] = f.max_version_level;
    link.status = link_status::ready;
    link.failures = 0;
    for (auto& [name, promise] : std::exchange(link.feature_waiters, {}))
      promise.deliver(feature_level(link, name));
    try_send(self);
    return caf::none;
  };
  send_tracked(self, std::move(r), std::move(frame));
}

void start_connect(self_ptr self) {
  auto& st = self->state;
  auto now = steady_clock::now();
  if (now < st.next_attempt) {
    if (!st.connect_scheduled) {
      st.connect_scheduled = true;
      self->delayed_send(self, duration_cast<milliseconds>(st.next_attempt - now) + milliseconds{1},
                         connect_atom::value);
    }
    return;
  }
  st.status = link_status::connecting;
  uint64_t generation = ++st.generation;
  auto weak = caf::actor_cast<caf::weak_actor_ptr>(caf::actor_cast<caf::strong_actor_ptr>(self));
  auto to_self = [weak](auto... xs) {
    if (auto strong = caf::actor_cast<caf::strong_actor_ptr>(weak))
      caf::anon_send(caf::actor_cast<connection_actor>(strong), std::move(xs)...);
  };
  session_events events;
  events.connected = [=] { to_self(net_up_atom::value, generation); };
  events.frame = [=](byte_buffer frame) { to_self(net_frame_atom::value, generation, std::move(frame)); };
  events.closed = [=](std::string reason) { to_self(net_down_atom::value, generation, std::move(reason)); };
  events.written = [=](uint64_t id) { to_self(net_sent_atom::value, generation, id); };
  events.garbled = [=](std::string what) { to_self(net_junk_atom::value, generation, std::move(what)); };
  // Responses carry at most what a producer asks for; bound frames so a corrupt size cannot OOM.
  st.session = std::make_shared<tcp_session>(st.net->io(), std::move(events), size_t{256} << 20);
  st.session->connect(st.settings.host, st.settings.port, st.settings.connect_timeout);
}

// Encodes one Produce request from the queued batches: at most one batch per partition, within
// max.request.size (the first batch always goes).
void send_produce(self_ptr self) {
  auto& st = self->state;
  int16_t version = st.versions[protocol::api_key::produce];
  std::vector<queued_batch> taken;
  std::deque<queued_batch> rest;
  size_t total = 0;
  std::set<std::pair<std::string, int32_t>> seen;
  for (auto& q : st.produce_queue) {
    if (is_zstd(q.batch) && version < protocol::produce_request::zstd_min_version) {
      q.promise.deliver(make_error(errc::unsupported_version,
                                   describe_peer(st) + " takes Produce v" + std::to_string(version)
                                     + " at most; zstd needs v7"));
      continue;
    }
    auto key = std::make_pair(q.batch.topic, q.batch.partition);
    size_t size = q.batch.bytes->size();
    if (seen.count(key) > 0 || (!taken.empty() && total + size > static_cast<size_t>(st.settings.max_request_size))) {
      rest.push_back(std::move(q));
      continue;
    }
    seen.insert(key);
    total += size;
    taken.push_back(std::move(q));
  }
  st.produce_queue = std::move(rest);
  if (taken.empty())
    return;
  // v13 names topics by id (KIP-516): only when every batch's topic id is known.
  bool ids_known = std::none_of(taken.begin(), taken.end(), [](auto& q) { return q.batch.topic_id == protocol::uuid{}; });
  if (!ids_known)
    version = std::min<int16_t>(version, protocol::produce_request::topic_id_min_version - 1);
  for (auto& q : taken) // a transactions v1 producer's batches cap it below v12
    version = std::min(version, q.batch.max_version);
  bool by_id = version >= protocol::produce_request::topic_id_min_version;
  protocol::produce_request req;
  if (!st.settings.transactional_id.empty())
    req.transactional_id = st.settings.transactional_id;
  req.acks = st.settings.acks;
  req.timeout_ms = static_cast<int32_t>(st.settings.request_timeout.count());
  for (auto& q : taken) {
    auto t = std::find_if(req.topic_data.begin(), req.topic_data.end(),
                          [&](auto& td) { return td.name == q.batch.topic; });
    if (t == req.topic_data.end()) {
      req.topic_data.push_back({q.batch.topic, q.batch.topic_id, {}});
      t = std::prev(req.topic_data.end());
    }
    t->partition_data.push_back({q.batch.partition, protocol::byte_span{*q.batch.bytes}});
  }
  int32_t id = st.next_correlation_id++;
  byte_buffer frame;
  frame.reserve(total + 256);
  protocol::encode_request(frame, req, version, id, st.settings.client_id);
  if (st.settings.acks == 0) {
    // No response will come: the batches resolve once written.
    uint64_t write_id = st.next_write_id;
    st.awaiting_write.emplace_back(write_id, std::move(taken));
    send_frame(self, std::move(frame));
    return;
  }
  in_flight_request r;
  r.correlation_id = id;
  r.version = version;
  auto batches = std::make_shared<std::vector<queued_batch>>(std::move(taken));
  r.done = [self, batches, by_id](caf::expected<byte_buffer> reply, int16_t v) -> caf::error {
    if (!reply) {
      for (auto& q : *batches)
        q.promise.deliver(reply.error());
      return caf::none;
    }
    auto decoded = protocol::decode_response<protocol::produce_request>(*reply, v);
    if (!decoded) {
      auto err = make_error(errc::malformed_response, describe_peer(self->state) + ": Produce response: " + decoded.error());
      for (auto& q : *batches)
        q.promise.deliver(err);
      return err;
    }
    note_throttle<protocol::produce_request>(self, v, decoded->throttle_time_ms);
    for (auto& q : *batches) {
      const protocol::produce_response::partition* found = nullptr;
      for (auto& t : decoded->responses)
        if (by_id ? t.topic_id == q.batch.topic_id : t.name == q.batch.topic)
          for (auto& p : t.partition_responses)
            if (p.index == q.batch.partition)
              found = &p;
      if (!found) {
        q.promise.deliver(make_error(errc::malformed_response, "the Produce response lacks " + q.batch.topic + "-"
                                                                 + std::to_string(q.batch.partition)));
        continue;
      }
      produce_result res;
      res.error_code = found->error_code;
      res.base_offset = found->base_offset;
      res.log_append_time = found->log_append_time_ms;
      res.error_message = found->error_message.value_or("");
      if (found->current_leader && found->current_leader->leader_id >= 0) {
        res.new_leader.node_id = found->current_leader->leader_id;
        res.new_leader.leader_epoch = found->current_leader->leader_epoch;
        for (auto& n : decoded->node_endpoints.value_or(std::vector<protocol::produce_response::node_endpoint>{}))
          if (n.node_id == res.new_leader.node_id) {
            res.new_leader.host = n.host;
            res.new_leader.port = n.port;
          }
      }
      q.promise.deliver(std::move(res));
    }
    return caf::none;
  };
  send_tracked(self, std::move(r), std::move(frame));
}

void try_send(self_ptr self) {
  auto& st = self->state;
  if (st.status == link_status::idle
      && (!st.pending.empty() || !st.produce_queue.empty() || !st.feature_waiters.empty())) {
    start_connect(self);
    return;
  }
  if (st.status != link_status::ready)
    return;
  auto now = steady_clock::now();
  if (st.window.throttled(now)) {
    // Everything waits, acks=0 Produce too, until the broker's throttle time passed.
    if (!st.resume_scheduled && (!st.pending.empty() || !st.produce_queue.empty())) {
      st.resume_scheduled = true;
      self->delayed_send(self, duration_cast<milliseconds>(st.window.throttled_until() - now) + milliseconds{1},
                         resume_atom::value);
    }
    return;
  }
  while (!st.pending.empty() && st.window.can_send(st.in_flight.size(), now)) {
    auto p = std::move(st.pending.front());
    st.pending.pop_front();
    auto v = st.versions.find(p.api);
    if (v == st.versions.end()) {
      p.done(make_error(errc::unsupported_version,
                        describe_peer(st) + " does not support API " + std::to_string(static_cast<int>(p.api))),
             0);
      continue;
    }
    int16_t version = std::min(v->second, p.at_most);
    int32_t id = st.next_correlation_id++;
    byte_buffer frame;
    p.encode(frame, version, id, st.settings.client_id);
    send_tracked(self, {id, version, std::move(p.done)}, std::move(frame));
  }
  while (!st.produce_queue.empty() && (st.settings.acks == 0 || st.window.can_send(st.in_flight.size(), now)))
    send_produce(self);
}

template <class Request>
caf::result<typename Request::response_type> enqueue(self_ptr self, Request req, int16_t at_most = INT16_MAX) {
  using response = typename Request::response_type;
  auto rp = self->make_response_promise<response>();
  pending_request p;
  p.api = Request::key;
  p.at_most = at_most;
  p.encode = [req = std::move(req)](byte_buffer& out, int16_t version, int32_t id, const std::string& client) {
    protocol::encode_request(out, req, version, id, client);
  };
  p.done = [rp, self](caf::expected<byte_buffer> reply, int16_t version) mutable -> caf::error {
    if (!reply) {
      rp.deliver(reply.error());
      return caf::none;
    }
    auto decoded = protocol::decode_response<Request>(*reply, version);
    if (!decoded) {
      auto err = make_error(errc::malformed_response, describe_peer(self->state) + ": " + decoded.error());
      rp.deliver(err);
      return err;
    }
    note_throttle<Request>(self, version, decoded->throttle_time_ms);
    rp.deliver(std::move(*decoded));
    return caf::none;
  };
  self->state.pending.push_back(std::move(p));
  try_send(self);
  return rp;
}

} // namespace

connection_state::~connection_state() {
  // Killed: exit_reason::kill skips the exit handler, yet nothing held may go unanswered.
  fail_everything(*this, make_error(errc::network_error,
                                    "connection to " + describe_peer(*this) + " closed: its actor was killed"));
  if (session)
    session->close();
}

static connection_actor::behavior_type connection(self_ptr self, connection_settings settings, std::shared_ptr<network> net) {
  self->state.settings = std::move(settings);
  self->state.net = std::move(net);
  self->state.window = request_window{static_cast<size_t>(self->state.settings.max_in_flight)};
  // Stopped by the metadata actor, or by the exit of the producer it is linked to: answer first.
  self->set_exit_handler([=](caf::exit_msg& msg) {
    if (msg.reason == caf::exit_reason::normal)
      return; // as CAF's default: a normal exit of a linked actor is no reason to stop
    fail_everything(self->state, stopping(self->state, msg.reason));
    self->quit(msg.reason);
  });
  return {
    [=](protocol::metadata_request& req) -> caf::result<protocol::metadata_response> {
      return enqueue(self, std::move(req));
    },
    [=](protocol::init_producer_id_request& req) -> caf::result<protocol::init_producer_id_response> {
      return enqueue(self, std::move(req));
    },
    [=](protocol::find_coordinator_request& req) -> caf::result<protocol::find_coordinator_response> {
      return enqueue(self, std::move(req));
    },
    [=](protocol::add_partitions_to_txn_request& req) -> caf::result<protocol::add_partitions_to_txn_response> {
      return enqueue(self, std::move(req));
    },
    [=](protocol::add_offsets_to_txn_request& req) -> caf::result<protocol::add_offsets_to_txn_response> {
      return enqueue(self, std::move(req));
    },
    [=](protocol::end_txn_request& req, int16_t at_most) -> caf::result<protocol::end_txn_response> {
      return enqueue(self, std::move(req), at_most);
    },
    [=](protocol::txn_offset_commit_request& req, int16_t at_most) -> caf::result<protocol::txn_offset_commit_response> {
      return enqueue(self, std::move(req), at_most);
    },
    [=](feature_atom, std::string& name) -> caf::result<int16_t> {
      auto& st = self->state;
      if (st.status == link_status::ready)
        return feature_level(st, name);
      auto rp = self->make_response_promise<int16_t>();
      st.feature_waiters.emplace_back(std::move(name), rp);
      try_send(self); // connects when idle
      return rp;
    },
    [=](produce_atom, produce_batch& batch) -> caf::result<produce_result> {
      auto rp = self->make_response_promise<produce_result>();
      self->state.produce_queue.push_back({std::move(batch), rp});
      try_send(self);
      return rp;
    },
    [=](net_up_atom, uint64_t generation) {
      auto& st = self->state;
      if (generation != st.generation)
        return;
      st.status = link_status::negotiating;
      send_api_versions(self, api_versions_max);
    },
    [=](net_frame_atom, uint64_t generation, byte_buffer& frame) {
      auto& st = self->state;
      if (generation != st.generation)
        return;
      auto id = protocol::correlation_id_of(frame);
      if (!id || st.in_flight.empty() || st.in_flight.front().correlation_id != *id) {
        disconnect(self, nonsense(st, "a response with an unexpected correlation id"));
        return;
      }
      auto r = std::move(st.in_flight.front());
      st.in_flight.pop_front();
      st.report_in_flight();
      if (auto err = r.done(std::move(frame), r.version)) {
        disconnect(self, err);
        return;
      }
      try_send(self);
    },
    [=](net_down_atom, uint64_t generation, std::string& reason) {
      auto& st = self->state;
      if (generation != st.generation)
        return;
      disconnect(self, make_error(errc::network_error, describe_peer(st) + ": " + reason));
    },
    [=](net_junk_atom, uint64_t generation, std::string& what) {
      if (generation == self->state.generation)
        disconnect(self, nonsense(self->state, what));
    },
    [=](net_sent_atom, uint64_t generation, uint64_t write_id) {
      auto& st = self->state;
      if (generation != st.generation)
        return;
      while (!st.awaiting_write.empty() && st.awaiting_write.front().first <= write_id) {
        for (auto& q : st.awaiting_write.front().second)
          q.promise.deliver(produce_result{}); // acks=0: offset unknown (-1)
        st.awaiting_write.pop_front();
      }
      try_send(self);
    },
    [=](resume_atom) {
      self->state.resume_scheduled = false;
      try_send(self);
    },
    [=](connect_atom) {
      self->state.connect_scheduled = false;
      if (self->state.status == link_status::idle)
        try_send(self);
    },
    [=](timeout_atom, uint64_t generation, int32_t correlation_id) {
      auto& st = self->state;
      if (generation != st.generation)
        return;
      for (auto& r : st.in_flight)
        if (r.correlation_id == correlation_id) {
          disconnect(self, make_error(errc::request_timeout,
                                      describe_peer(st) + ": no response within request.timeout.ms ("
                                        + std::to_string(st.settings.request_timeout.count()) + " ms)"));
          return;
        }
    },
  };
}

connection_actor spawn_connection(caf::actor_system& sys, connection_settings settings, std::shared_ptr<network> net) {
  return sys.spawn(connection, std::move(settings), std::move(net));
}

} // namespace cafka
