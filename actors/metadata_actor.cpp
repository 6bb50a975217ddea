#include "actors/metadata_actor.hpp"

#include "actors/timer_delay.hpp"
#include "cafka/error.hpp"
#include "protocol/error_codes.hpp"

#include <map>
#include <set>

namespace cafka {

namespace {

using namespace std::chrono;
using clock_type = steady_clock;

struct topic_waiter {
  caf::typed_response_promise<topic_metadata> promise;
  clock_type::time_point since;
  clock_type::time_point deadline; // max.block.ms after since
};

struct cached_topic {
  topic_metadata metadata;
  clock_type::time_point fetched_at;
  int16_t error_code = 0;
};

struct pid_waiter {
  caf::typed_response_promise<producer_identity> promise;
  producer_identity current;
  clock_type::time_point since;
  clock_type::time_point deadline; // max.block.ms after since
  std::string last_refusal; // the last error a broker answered with (e.g. COORDINATOR_NOT_AVAILABLE)
};

// Why a broker's last request failed ("broker -1 (127.0.0.1:1): connection refused"), and when.
struct broker_failure {
  std::string why;
  clock_type::time_point at;
};

} // namespace

struct metadata_state {
  producer_config config;
  // config.security as every connection shares it (one copy of the secrets, not one per broker).
  std::shared_ptr<const tls_config> tls;
  std::shared_ptr<const protocol::sasl_settings> sasl;
  connection_factory connect;
  std::map<int32_t, connection_actor> connections; // broker node id -> connection (< 0: bootstrap)
  std::map<int32_t, std::pair<std::string, int32_t>> addresses;
  std::map<std::string, cached_topic> topics;
  std::map<std::string, clock_type::time_point> last_asked; // metadata.max.idle.ms drops the quiet ones
  std::map<std::string, std::vector<topic_waiter>> waiters;
  bool fetching = false;
  bool fetch_again = false;
  bool refresh_scheduled = false;
  size_t rotation = 0;
  std::map<int32_t, broker_failure> failures; // broker node id -> its last failure; gone once it answers
  uint64_t next_pid_waiter = 0;
  std::map<uint64_t, pid_waiter> pid_waiters;
  std::vector<uint64_t> pid_retries; // waiters whose last attempt failed: asked again on the next tick
  metadata_listener listener;

  static inline const char* name = "cafka.metadata";
};

namespace {

using self_ptr = metadata_actor::stateful_pointer<metadata_state>;

connection_settings settings_for(const metadata_state& st, int32_t node_id, const std::string& host, uint16_t port) {
  auto& c = st.config;
  connection_settings s;
  s.tls = st.tls;
  s.sasl = st.sasl;
  s.node_id = node_id;
  s.host = host;
  s.port = port;
  s.client_id = c.client_id;
  s.max_in_flight = c.max_in_flight;
  s.acks = c.acks;
  s.max_request_size = c.max_request_size;
  s.request_timeout = c.request_timeout;
  s.connect_timeout = c.socket_connection_setup_timeout;
  s.reconnect_backoff = c.reconnect_backoff;
  s.reconnect_backoff_max = c.reconnect_backoff_max;
  s.transactional_id = c.transactional_id;
  return s;
}

// Known brokers first (round robin), bootstrap addresses until one answered; with its node id.
std::pair<int32_t, connection_actor> pick_connection(self_ptr self) {
  auto& st = self->state;
  std::vector<std::pair<int32_t, connection_actor>> brokers, bootstrap;
  for (auto& [id, conn] : st.connections)
    (id >= 0 ? brokers : bootstrap).emplace_back(id, conn);
  auto& from = brokers.empty() ? bootstrap : brokers;
  return from[st.rotation++ % from.size()];
}

// Remembers why a request to a broker failed. The connection's errors name the broker and the
// cause; anything else (the connection actor gone, say) gets the broker's id in front.
void note_failure(self_ptr self, int32_t node_id, const caf::error& err) {
  std::string why;
  if (err.category() == error_category && err.context().match_elements<std::string>())
    why = err.context().get_as<std::string>(0);
  else
    why = "broker " + std::to_string(node_id) + ": " + self->system().render(err);
  self->state.failures[node_id] = {std::move(why), self->clock().now()};
}

// The brokers' failures since a wait began, "; "-separated: why nobody answered.
std::string failures_since(const metadata_state& st, clock_type::time_point since) {
  std::string out;
  for (auto& [_, f] : st.failures)
    if (f.at >= since)
      out += (out.empty() ? "" : "; ") + f.why;
  return out;
}

// Schedules the expiry of a wait that ends at `deadline`.
void expire_at(self_ptr self, clock_type::time_point deadline) {
  self->delayed_send(self, timer_delay(deadline - self->clock().now()), expire_atom::value);
}

bool complete(const topic_metadata& md) {
  if (md.partitions.empty())
    return false;
  for (auto& p : md.partitions)
    if (p.leader_id < 0 || !p.leader)
      return false;
  return true;
}

void schedule_refresh(self_ptr self) {
  auto& st = self->state;
  if (st.refresh_scheduled)
    return;
  st.refresh_scheduled = true;
  self->delayed_send(self, st.config.retry_backoff, refresh_atom::value);
}

// "<what> after N ms: <why>", or "<what> after N ms." when nothing said why.
caf::error timed_out(const metadata_state& st, const std::string& what, std::string why) {
  return make_error(errc::metadata_timeout, what + " " + std::to_string(st.config.max_block.count()) + " ms"
                                              + (why.empty() ? "." : ": " + why));
}

// Fails the waits whose max.block.ms ran out, with what the brokers said meanwhile (the producer
// actor asks without a timeout of its own: this is the answer it waits for).
void expire_waiters(self_ptr self) {
  auto& st = self->state;
  auto now = self->clock().now();
  for (auto i = st.pid_waiters.begin(); i != st.pid_waiters.end();) {
    if (i->second.deadline <= now) {
      auto why = failures_since(st, i->second.since);
      if (why.empty())
        why = i->second.last_refusal;
      i->second.promise.deliver(timed_out(st, "no producer id (InitProducerId) after", why));
      i = st.pid_waiters.erase(i);
    } else {
      ++i;
    }
  }
  for (auto i = st.waiters.begin(); i != st.waiters.end();) {
    auto& list = i->second;
    for (auto w = list.begin(); w != list.end();) {
      auto brokers = failures_since(st, w->since);
      if (w->deadline <= now) {
        std::string why;
        if (auto c = st.topics.find(i->first); c != st.topics.end() && c->second.error_code != 0)
          why = protocol::error_info(c->second.error_code).name;
        why += (why.empty() || brokers.empty() ? "" : "; ") + brokers;
        w->promise.deliver(timed_out(st, "Topic " + i->first + " not present in metadata after", why));
        w = list.erase(w);
      } else {
        ++w;
      }
    }
    i = list.empty() ? st.waiters.erase(i) : std::next(i);
  }
}

void fetch(self_ptr self);

// Authentication failed (TLS or SASL): no wait can end well by waiting on, so every topic wait
// fails now with that error, as Java's producer throws its AuthenticationException from the send
// waiting for metadata. Later sends ask again, at the pace of the connection's reconnect backoff.
void fail_topic_waiters(self_ptr self, const caf::error& err) {
  auto waiters = std::move(self->state.waiters);
  self->state.waiters.clear();
  for (auto& [_, list] : waiters)
    for (auto& w : list)
      w.promise.deliver(err);
}

// Whether a partition got another leader (or the topic another partition count).
bool leaders_moved(const topic_metadata& before, const topic_metadata& after) {
  if (before.partitions.size() != after.partitions.size())
    return true;
  for (size_t i = 0; i < after.partitions.size(); ++i)
    if (before.partitions[i].leader_id != after.partitions[i].leader_id)
      return true;
  return false;
}

// Records where a broker listens, with a new connection when that is news.
void know_broker(self_ptr self, int32_t node_id, const std::string& host, int32_t port) {
  auto& st = self->state;
  auto known = st.addresses.find(node_id);
  if (known != st.addresses.end() && known->second == std::make_pair(host, port))
    return;
  st.addresses[node_id] = {host, port};
  st.failures.erase(node_id); // about the old address
  if (auto old = st.connections.find(node_id); old != st.connections.end()) {
    // One connection per address: the old one answers what it holds (retriable) and stops.
    self->unlink_from(old->second);
    self->send_exit(old->second, make_error(errc::network_error, "its address changed"));
  }
  st.connections[node_id] = st.connect(self, settings_for(st, node_id, host, static_cast<uint16_t>(port)));
}

void apply_metadata(self_ptr self, const protocol::metadata_response& resp) {
  auto& st = self->state;
  for (auto& b : resp.brokers)
    know_broker(self, b.node_id, b.host, b.port);
  auto now = self->clock().now();
  for (auto& t : resp.topics) {
    if (!t.name)
      continue;
    if (!st.last_asked.count(*t.name))
      continue; // dropped as idle while the request was out
    cached_topic c;
    c.fetched_at = now;
    c.error_code = t.error_code;
    c.metadata.topic = *t.name;
    c.metadata.topic_id = t.topic_id;
    c.metadata.partitions.resize(t.partitions.size());
    bool dense = true;
    for (auto& p : t.partitions) {
      if (p.partition_index < 0 || static_cast<size_t>(p.partition_index) >= t.partitions.size()) {
        dense = false;
        continue;
      }
      auto& out = c.metadata.partitions[static_cast<size_t>(p.partition_index)];
      out.partition = p.partition_index;
      out.leader_id = p.leader_id;
      out.leader_epoch = p.leader_epoch;
      out.replicas = p.replica_nodes;
      out.isr = p.isr_nodes;
      if (auto conn = st.connections.find(p.leader_id); conn != st.connections.end() && p.leader_id >= 0)
        out.leader = conn->second;
      else
        out.leader_id = -1;
    }
    if (!dense)
      c.metadata.partitions.clear();
    auto& cached = st.topics[*t.name];
    bool moved = st.listener && t.error_code == 0 && complete(c.metadata) && cached.error_code == 0
                 && complete(cached.metadata) && leaders_moved(cached.metadata, c.metadata);
    cached = std::move(c);
    if (moved)
      self->send(st.listener, topic_atom::value, cached.metadata);
  }
}

// KIP-951: records a leader that a Produce answer named, unless the cache already knows a newer
// leader epoch; returns the leader's connection, or an error when its address is unknown.
caf::expected<connection_actor> apply_leader_hint(self_ptr self, const std::string& topic, int32_t partition,
                                                  const leader_hint& hint) {
  auto& st = self->state;
  if (!hint.host.empty() && hint.port > 0 && hint.port <= UINT16_MAX)
    know_broker(self, hint.node_id, hint.host, hint.port);
  auto conn = st.connections.find(hint.node_id);
  if (hint.node_id < 0 || conn == st.connections.end())
    return make_error(errc::network_error, "no address for broker " + std::to_string(hint.node_id)
                                             + ", the new leader of " + topic + "-" + std::to_string(partition));
  auto cached = st.topics.find(topic);
  if (cached != st.topics.end() && partition >= 0
      && static_cast<size_t>(partition) < cached->second.metadata.partitions.size()) {
    auto& p = cached->second.metadata.partitions[static_cast<size_t>(partition)];
    if (hint.leader_epoch >= p.leader_epoch) {
      p.leader_id = hint.node_id;
      p.leader_epoch = hint.leader_epoch;
      p.leader = conn->second;
    }
  }
  return conn->second;
}

void answer_waiters(self_ptr self) {
  auto& st = self->state;
  for (auto i = st.waiters.begin(); i != st.waiters.end();) {
    auto c = st.topics.find(i->first);
    if (c != st.topics.end() && c->second.error_code == 0 && complete(c->second.metadata)) {
      for (auto& w : i->second)
        w.promise.deliver(c->second.metadata);
      i = st.waiters.erase(i);
    } else {
      ++i;
    }
  }
}

// Topics nobody asked about for metadata.max.idle.ms leave the cache and the Metadata requests
// (asking again brings them back, as a send to an idle topic does in Java).
void forget_idle_topics(self_ptr self) {
  auto& st = self->state;
  auto now = self->clock().now();
  for (auto i = st.last_asked.begin(); i != st.last_asked.end();) {
    if (now - i->second > st.config.metadata_max_idle && !st.waiters.count(i->first)) {
      st.topics.erase(i->first);
      i = st.last_asked.erase(i);
    } else {
      ++i;
    }
  }
}

void fetch(self_ptr self) {
  auto& st = self->state;
  if (st.fetching) {
    st.fetch_again = true;
    return;
  }
  st.fetching = true;
  st.fetch_again = false;
  protocol::metadata_request req;
  req.allow_auto_topic_creation = false;
  forget_idle_topics(self);
  std::set<std::string> names;
  for (auto& [name, _] : st.waiters)
    names.insert(name);
  for (auto& [name, _] : st.topics)
    names.insert(name);
  req.topics.emplace();
  for (auto& n : names)
    req.topics->push_back({{}, n});
  auto [node_id, conn] = pick_connection(self);
  self->request(conn, st.config.request_timeout + seconds{1}, std::move(req))
    .then(
      [=](protocol::metadata_response& resp) {
        auto& s = self->state;
        s.fetching = false;
        s.failures.erase(node_id);
        apply_metadata(self, resp);
        answer_waiters(self);
        expire_waiters(self);
        if (s.fetch_again)
          fetch(self);
        else if (!s.waiters.empty())
          schedule_refresh(self); // topic missing or leaderless: ask again after retry.backoff.ms
      },
      [=](caf::error& err) {
        auto& s = self->state;
        s.fetching = false;
        note_failure(self, node_id, err);
        if (is_authentication_error(err))
          fail_topic_waiters(self, err);
        expire_waiters(self);
        if (!s.waiters.empty() || s.fetch_again)
          schedule_refresh(self);
      });
}

// A retriable failure waits for the next refresh tick (retry.backoff.ms) rather than spin, until
// the waiter's max.block.ms runs out (expire_waiters); any other fails the waiter now.
void retry_or_fail(self_ptr self, uint64_t waiter, const caf::error& err) {
  auto& st = self->state;
  auto w = st.pid_waiters.find(waiter);
  if (w == st.pid_waiters.end())
    return; // expired meanwhile
  if (!is_retriable(err)) {
    w->second.promise.deliver(err);
    st.pid_waiters.erase(w);
    return;
  }
  st.pid_retries.push_back(waiter);
  schedule_refresh(self);
}

void init_producer_id(self_ptr self, uint64_t waiter) {
  auto& st = self->state;
  auto w = st.pid_waiters.find(waiter);
  if (w == st.pid_waiters.end())
    return;
  protocol::init_producer_id_request req;
  req.transaction_timeout_ms = INT32_MAX;
  req.producer_id = w->second.current.id;
  req.producer_epoch = w->second.current.epoch;
  auto [node_id, conn] = pick_connection(self);
  self->request(conn, st.config.request_timeout + seconds{1}, std::move(req))
    .then(
      [=](protocol::init_producer_id_response& resp) {
        auto& s = self->state;
        s.failures.erase(node_id);
        auto answered = s.pid_waiters.find(waiter);
        if (answered == s.pid_waiters.end())
          return; // expired meanwhile
        if (resp.error_code != 0) {
          auto refusal = kafka_error(resp.error_code, "InitProducerId: "
                                                        + std::string(protocol::error_info(resp.error_code).message));
          answered->second.last_refusal = self->system().render(refusal);
          retry_or_fail(self, waiter, refusal);
          return;
        }
        answered->second.promise.deliver(producer_identity{resp.producer_id, resp.producer_epoch});
        s.pid_waiters.erase(answered);
      },
      [=](caf::error& err) {
        note_failure(self, node_id, err);
        retry_or_fail(self, waiter, err);
      });
}

} // namespace

connection_factory real_connections(std::shared_ptr<network> net, std::shared_ptr<connection_counters> counters) {
  return [net, counters](caf::local_actor* parent, const connection_settings& s) -> connection_actor {
    auto with_counters = s;
    with_counters.counters = counters;
    auto conn = spawn_connection(parent->system(), std::move(with_counters), net);
    parent->link_to(conn);
    return conn;
  };
}

static metadata_actor::behavior_type metadata(self_ptr self, producer_config config, connection_factory connect,
                                              metadata_listener listener) {
  auto& st = self->state;
  st.config = std::move(config);
  st.connect = std::move(connect);
  st.listener = std::move(listener);
  if (st.config.security.tls)
    st.tls = std::make_shared<const tls_config>(*st.config.security.tls);
  if (st.config.security.sasl)
    st.sasl = std::make_shared<const protocol::sasl_settings>(*st.config.security.sasl);
  int32_t bootstrap_id = -1;
  for (auto& b : st.config.bootstrap_servers) {
    st.connections[bootstrap_id] = st.connect(self, settings_for(st, bootstrap_id, b.host, b.port));
    --bootstrap_id;
  }
  return {
    [=](topic_atom, std::string& topic, bool stale) -> caf::result<topic_metadata> {
      auto& s = self->state;
      s.last_asked[topic] = self->clock().now();
      auto c = s.topics.find(topic);
      if (!stale && c != s.topics.end() && c->second.error_code == 0 && complete(c->second.metadata)
          && self->clock().now() - c->second.fetched_at < s.config.metadata_max_age)
        return c->second.metadata;
      auto rp = self->make_response_promise<topic_metadata>();
      auto now = self->clock().now();
      auto deadline = now + s.config.max_block;
      s.waiters[topic].push_back({rp, now, deadline});
      expire_at(self, deadline);
      fetch(self);
      return rp;
    },
    [=](producer_id_atom, producer_identity current) -> caf::result<producer_identity> {
      auto& s = self->state;
      auto rp = self->make_response_promise<producer_identity>();
      auto now = self->clock().now();
      auto deadline = now + s.config.max_block;
      auto id = s.next_pid_waiter++;
      s.pid_waiters[id] = pid_waiter{rp, current, now, deadline, {}};
      expire_at(self, deadline);
      init_producer_id(self, id);
      return rp;
    },
    [=](leader_atom, std::string& topic, int32_t partition, leader_hint& hint) -> caf::result<connection_actor> {
      auto conn = apply_leader_hint(self, topic, partition, hint);
      if (!conn)
        return conn.error();
      return *conn;
    },
    [=](connection_atom) -> caf::result<connection_actor> { return pick_connection(self).second; },
    [=](connection_atom, int32_t node_id, std::string& host, int32_t port) -> caf::result<connection_actor> {
      if (host.empty() || port <= 0 || port > UINT16_MAX)
        return make_error(errc::network_error, "broker " + std::to_string(node_id) + " has no address ('" + host
                                                 + ":" + std::to_string(port) + "')");
      know_broker(self, node_id, host, port);
      return self->state.connections[node_id];
    },
    [=](refresh_atom) {
      auto& s = self->state;
      s.refresh_scheduled = false;
      expire_waiters(self);
      if (!s.waiters.empty() || s.fetch_again)
        fetch(self);
      auto retries = std::move(s.pid_retries);
      s.pid_retries.clear();
      for (auto w : retries)
        init_producer_id(self, w);
    },
    [=](expire_atom) { expire_waiters(self); },
  };
}

metadata_actor spawn_metadata(caf::actor_system& sys, producer_config config, connection_factory connect,
                              metadata_listener listener) {
  return sys.spawn(metadata, std::move(config), std::move(connect), std::move(listener));
}

} // namespace cafka
