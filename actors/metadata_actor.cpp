#include "actors/metadata_actor.hpp"

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
  clock_type::time_point deadline;
};

struct cached_topic {
  topic_metadata metadata;
  clock_type::time_point fetched_at;
  int16_t error_code = 0;
};

struct pid_waiter {
  caf::typed_response_promise<producer_identity> promise;
  producer_identity current;
  int attempts = 0;
};

} // namespace

struct metadata_state {
  producer_config config;
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
  std::string last_fetch_error;
  std::vector<pid_waiter> pid_retries;
  metadata_listener listener;

  static inline const char* name = "cafka.metadata";
};

namespace {

using self_ptr = metadata_actor::stateful_pointer<metadata_state>;

connection_settings settings_for(const producer_config& c, int32_t node_id, const std::string& host, uint16_t port) {
  connection_settings s;
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
  return s;
}

// Known brokers first (round robin), bootstrap addresses until one answered.
connection_actor pick_connection(self_ptr self) {
  auto& st = self->state;
  std::vector<connection_actor> brokers, bootstrap;
  for (auto& [id, conn] : st.connections)
    (id >= 0 ? brokers : bootstrap).push_back(conn);
  auto& from = brokers.empty() ? bootstrap : brokers;
  return from[st.rotation++ % from.size()];
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

void expire_waiters(self_ptr self) {
  auto& st = self->state;
  auto now = self->clock().now();
  for (auto i = st.waiters.begin(); i != st.waiters.end();) {
    auto& list = i->second;
    for (auto w = list.begin(); w != list.end();) {
      if (w->deadline <= now) {
        std::string why = "Topic " + i->first + " not present in metadata after "
                          + std::to_string(st.config.max_block.count()) + " ms.";
        if (!st.last_fetch_error.empty())
          why += " Last error: " + st.last_fetch_error;
        w->promise.deliver(make_error(errc::metadata_timeout, why));
        w = list.erase(w);
      } else {
        ++w;
      }
    }
    i = list.empty() ? st.waiters.erase(i) : std::next(i);
  }
}

void fetch(self_ptr self);

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
  st.connections[node_id] = st.connect(self, settings_for(st.config, node_id, host, static_cast<uint16_t>(port)));
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
    if (t.error_code != 0)
      st.last_fetch_error = std::string(protocol::error_info(t.error_code).name) + " for " + *t.name;
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
  auto conn = pick_connection(self);
  self->request(conn, st.config.request_timeout + seconds{1}, std::move(req))
    .then(
      [=](protocol::metadata_response& resp) {
        auto& s = self->state;
        s.fetching = false;
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
        s.last_fetch_error = self->system().render(err);
        expire_waiters(self);
        if (!s.waiters.empty() || s.fetch_again)
          schedule_refresh(self);
      });
}

void init_producer_id(self_ptr self, pid_waiter w) {
  auto& st = self->state;
  protocol::init_producer_id_request req;
  req.transaction_timeout_ms = INT32_MAX;
  req.producer_id = w.current.id;
  req.producer_epoch = w.current.epoch;
  // Retriable failures wait for the next refresh tick (retry.backoff.ms) rather than spin.
  auto retry_or_fail = [self](pid_waiter& waiter, const caf::error& err) {
    if (is_retriable(err) && ++waiter.attempts < 30) {
      self->state.pid_retries.push_back(std::move(waiter));
      schedule_refresh(self);
      return;
    }
    waiter.promise.deliver(err);
  };
  self->request(pick_connection(self), st.config.request_timeout + seconds{1}, std::move(req))
    .then(
      [=](protocol::init_producer_id_response& resp) mutable {
        if (resp.error_code != 0)
          retry_or_fail(w, kafka_error(resp.error_code, "InitProducerId: "
                                                          + std::string(protocol::error_info(resp.error_code).message)));
        else
          w.promise.deliver(producer_identity{resp.producer_id, resp.producer_epoch});
      },
      [=](caf::error& err) mutable { retry_or_fail(w, err); });
}

} // namespace

connection_factory real_connections(std::shared_ptr<network> net, std::shared_ptr<std::atomic<int64_t>> in_flight_gauge) {
  return [net, in_flight_gauge](caf::local_actor* parent, const connection_settings& s) -> connection_actor {
    auto with_gauge = s;
    with_gauge.in_flight_gauge = in_flight_gauge;
    auto conn = spawn_connection(parent->system(), std::move(with_gauge), net);
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
  int32_t bootstrap_id = -1;
  for (auto& b : st.config.bootstrap_servers) {
    st.connections[bootstrap_id] = st.connect(self, settings_for(st.config, bootstrap_id, b.host, b.port));
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
      s.waiters[topic].push_back({rp, self->clock().now() + s.config.max_block});
      fetch(self);
      return rp;
    },
    [=](producer_id_atom, producer_identity current) -> caf::result<producer_identity> {
      auto rp = self->make_response_promise<producer_identity>();
      init_producer_id(self, pid_waiter{rp, current, 0});
      return rp;
    },
    [=](leader_atom, std::string& topic, int32_t partition, leader_hint& hint) -> caf::result<connection_actor> {
      auto conn = apply_leader_hint(self, topic, partition, hint);
      if (!conn)
        return conn.error();
      return *conn;
    },
    [=](refresh_atom) {
      auto& s = self->state;
      s.refresh_scheduled = false;
      expire_waiters(self);
      if (!s.waiters.empty() || s.fetch_again)
        fetch(self);
      auto retries = std::move(s.pid_retries);
      s.pid_retries.clear();
      for (auto& w : retries)
        init_producer_id(self, std::move(w));
    },
  };
}

metadata_actor spawn_metadata(caf::actor_system& sys, producer_config config, connection_factory connect,
                              metadata_listener listener) {
  return sys.spawn(metadata, std::move(config), std::move(connect), std::move(listener));
}

} // namespace cafka
