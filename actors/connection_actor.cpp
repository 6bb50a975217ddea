#include "actors/connection_actor.hpp"

#include "actors/request_window.hpp"
#include "actors/timer_delay.hpp"

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

// Decodes a response frame and resolves whoever asked; an error result means the connection can no
// longer be used (a stream that cannot be trusted, a failed authentication): it is dropped with it.
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
  steady_clock::time_point deadline{}; // sent + request.timeout.ms
};

struct queued_batch {
  produce_batch batch;
  caf::typed_response_promise<produce_result> promise;
};

// A connection's set-up, step by step, then its working life:
//
//   idle → connecting → tls_handshake → api_versions → sasl_handshake → authenticating → ready
//                       (SSL, SASL_SSL)                 (SASL_PLAINTEXT, SASL_SSL)
//
// Only `ready` sends the callers' requests; before it they wait in `pending` and `produce_queue`.
// KIP-368: a SASL session the broker gave a lifetime goes ready → sasl_handshake → authenticating
// → ready again before it ends (`reauthenticating` is set meanwhile); responses to what was sent
// before still arrive and are handled, nothing new is sent until it is done. Any failure, in any
// state, goes back to idle (`disconnect`).
enum class link_state { idle, connecting, tls_handshake, api_versions, sasl_handshake, authenticating, ready };

const char* name_of(link_state s) {
  switch (s) {
    case link_state::idle: return "idle";
    case link_state::connecting: return "connecting";
    case link_state::tls_handshake: return "the TLS handshake";
    case link_state::api_versions: return "ApiVersions";
    case link_state::sasl_handshake: return "SaslHandshake";
    case link_state::authenticating: return "SaslAuthenticate";
    case link_state::ready: return "ready";
  }
  return "?";
}

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
  link_state state = link_state::idle;
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
  // One timeout_atom on its way at a time, due when the oldest request in flight is: responses come
  // in order, so the oldest's deadline is the earliest (one timer per request woke CAF's clock
  // thread on every Produce).
  bool timeout_armed = false;
  int failures = 0;
  steady_clock::time_point next_attempt{};
  bool connect_scheduled = false;
  int64_t reported_in_flight = 0; // our share of settings.counters->in_flight
  std::mt19937 random{std::random_device{}()};
  // SASL: the mechanism's client for the exchange under way, the negotiated versions, when the
  // last SaslAuthenticate went out (the session lifetime counts from about then).
  std::unique_ptr<protocol::sasl_client> sasl_client;
  int16_t sasl_handshake_version = 1;
  int16_t sasl_authenticate_version = 0;
  steady_clock::time_point auth_sent_at{};
  bool reauthenticating = false;
  int answered_since_ready = 0; // responses since the connection became ready (for one hint)

  static inline const char* name = "cafka.connection";

  // Brings the shared in-flight counter up to date with this connection's queue.
  void report_in_flight() {
    auto now = static_cast<int64_t>(in_flight.size());
    if (settings.counters && now != reported_in_flight)
      settings.counters->in_flight.fetch_add(now - reported_in_flight, std::memory_order_relaxed);
    reported_in_flight = now;
  }

  void count(std::atomic<uint64_t> connection_counters::*counter) {
    if (settings.counters)
      ((*settings.counters).*counter).fetch_add(1, std::memory_order_relaxed);
  }

  ~connection_state();
};

namespace {

using self_ptr = connection_actor::stateful_pointer<connection_state>;

std::string describe_peer(const connection_state& st) {
  return "broker " + std::to_string(st.settings.node_id) + " (" + st.settings.host + ":"
         + std::to_string(st.settings.port) + ")";
}

std::string mechanism_name(const connection_state& st) {
  return std::string(protocol::name_of(st.settings.sasl->mechanism));
}

// Bytes that make no sense. Before ApiVersions was answered, the peer is taken for something other
// than a Kafka broker (a web server): a network error like a refused connection, retried until the
// caller's deadline. Afterwards, a broker's stream broke.
caf::error nonsense(const connection_state& st, const std::string& what) {
  if (st.state <= link_state::api_versions)
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

// ---- Failures ------------------------------------------------------------------------------------

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

// Drops the connection and fails what depended on it: what is in flight fails as retriable after a
// network error, and with the error itself after a failed authentication (not retriable), so that
// nothing waits on for a broker that refuses us. A connection that never became ready backs off
// further each time (reconnect.backoff.ms doubling up to reconnect.backoff.max.ms, ±20 %), so a
// refused authentication is tried again at that pace, not in a storm.
void disconnect(self_ptr self, const caf::error& err) {
  auto& st = self->state;
  if (st.session)
    st.session->close();
  st.session.reset();
  bool established = st.state == link_state::ready || st.reauthenticating;
  st.state = link_state::idle;
  st.reauthenticating = false;
  st.sasl_client.reset();
  ++st.generation;
  if (is_authentication_error(err))
    st.count(&connection_counters::authentication_failures);
  if (!established)
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

// ---- Writing requests ----------------------------------------------------------------------------

// Writes a frame; no word comes back when it is on the wire (a message per write would wake the
// actor once more per request for nothing).
void send_frame(self_ptr self, byte_buffer frame) {
  self->state.session->write(std::move(frame), tcp_session::unreported);
}

// Arms the request timer for the oldest request in flight, unless it is armed already.
void arm_request_timer(self_ptr self) {
  auto& st = self->state;
  if (st.timeout_armed || st.in_flight.empty())
    return;
  st.timeout_armed = true;
  self->delayed_send(self, timer_delay(st.in_flight.front().deadline - steady_clock::now()), timeout_atom::value);
}

// Writes a request that expects a response: it joins the in-flight queue and its
// request.timeout.ms starts now.
void send_tracked(self_ptr self, in_flight_request r, byte_buffer frame) {
  auto& st = self->state;
  r.deadline = steady_clock::now() + st.settings.request_timeout;
  st.in_flight.push_back(std::move(r));
  arm_request_timer(self);
  st.report_in_flight();
  send_frame(self, std::move(frame));
}

// A request of the connection's own (set-up, authentication) at a version chosen already: it goes
// out now, whatever the state, ahead of the callers' requests.
template <class Request>
void send_own(self_ptr self, const Request& req, int16_t version, completion done) {
  auto& st = self->state;
  int32_t id = st.next_correlation_id++;
  byte_buffer frame;
  protocol::encode_request(frame, req, version, id, st.settings.client_id);
  send_tracked(self, {id, version, std::move(done)}, std::move(frame));
}

// ---- Set-up: connect → TLS handshake → ApiVersions → SASL → ready -----------------------------

void begin_connect(self_ptr self) {
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
  st.state = link_state::connecting;
  st.count(&connection_counters::connection_attempts);
  uint64_t generation = ++st.generation;
  auto weak = caf::actor_cast<caf::weak_actor_ptr>(caf::actor_cast<caf::strong_actor_ptr>(self));
  auto to_self = [weak](auto... xs) {
    if (auto strong = caf::actor_cast<caf::strong_actor_ptr>(weak))
      caf::anon_send(caf::actor_cast<connection_actor>(strong), std::move(xs)...);
  };
  session_events events;
  events.connected = [=] { to_self(net_up_atom::value, generation); };
  events.secured = [=] { to_self(net_secure_atom::value, generation); };
  events.frame = [=](byte_buffer frame) { to_self(net_frame_atom::value, generation, std::move(frame)); };
  events.closed = [=](std::string reason, session_failure kind) {
    to_self(net_down_atom::value, generation, std::move(reason), kind == session_failure::tls);
  };
  events.written = [=](uint64_t id) { to_self(net_sent_atom::value, generation, id); };
  events.garbled = [=](std::string what) { to_self(net_junk_atom::value, generation, std::move(what)); };
  // Responses carry at most what a producer asks for; bound frames so a corrupt size cannot OOM.
  st.session = std::make_shared<tcp_session>(st.net->io(), std::move(events), size_t{256} << 20, st.settings.tls);
  st.session->connect(st.settings.host, st.settings.port, st.settings.connect_timeout);
}

void ask_api_versions(self_ptr self, int16_t version);

void on_connected(self_ptr self) {
  auto& st = self->state;
  if (st.settings.tls) {
    st.state = link_state::tls_handshake; // the io thread runs it and reports net_secure
    return;
  }
  ask_api_versions(self, api_versions_max);
}

void on_secured(self_ptr self) {
  ask_api_versions(self, api_versions_max);
}

void become_ready(self_ptr self) {
  auto& st = self->state;
  st.state = link_state::ready;
  st.failures = 0;
  st.answered_since_ready = 0;
  for (auto& [name, promise] : std::exchange(st.feature_waiters, {}))
    promise.deliver(feature_level(st, name));
  try_send(self);
}

void begin_authentication(self_ptr self);

caf::error on_api_versions(self_ptr self, caf::expected<byte_buffer> reply, int16_t v) {
  if (!reply)
    return caf::none; // the connection is already going down
  auto& st = self->state;
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
      ask_api_versions(self, fallback);
      return caf::none;
    }
    return nonsense(st, "ApiVersions: " + (decoded ? std::string("unsupported version") : decoded.error()));
  }
  note_throttle<protocol::api_versions_request>(self, v, decoded->throttle_time_ms);
  if (decoded->error_code != 0)
    return kafka_error(decoded->error_code, describe_peer(st) + " refused ApiVersions");
  auto produce = protocol::negotiate_version<protocol::produce_request>(*decoded);
  auto metadata = protocol::negotiate_version<protocol::metadata_request>(*decoded);
  if (!produce || !metadata)
    return make_error(errc::unsupported_version,
                      describe_peer(st) + " speaks no Produce (v3-v12) or Metadata (v1-v13) version cafka speaks");
  st.versions[protocol::api_key::produce] = *produce;
  st.versions[protocol::api_key::metadata] = *metadata;
  if (auto pid = protocol::negotiate_version<protocol::init_producer_id_request>(*decoded))
    st.versions[protocol::api_key::init_producer_id] = *pid;
  // Transactions: what a request of an API the broker does not list gets is UNSUPPORTED_VERSION.
  auto offer = [&]<class Request>(Request*) {
    if (auto chosen = protocol::negotiate_version<Request>(*decoded))
      st.versions[Request::key] = *chosen;
  };
  offer(static_cast<protocol::find_coordinator_request*>(nullptr));
  offer(static_cast<protocol::add_partitions_to_txn_request*>(nullptr));
  offer(static_cast<protocol::add_offsets_to_txn_request*>(nullptr));
  offer(static_cast<protocol::end_txn_request*>(nullptr));
  offer(static_cast<protocol::txn_offset_commit_request*>(nullptr));
  st.finalized_features.clear();
  if (decoded->finalized_features && decoded->finalized_features_epoch.value_or(-1) >= 0)
    for (auto& f : *decoded->finalized_features)
      st.finalized_features[f.name] = f.max_version_level;
  if (!st.settings.sasl) {
    become_ready(self);
    return caf::none;
  }
  // SaslHandshake v0 means raw SASL tokens without Kafka framing (brokers before 1.0): not spoken.
  auto handshake = protocol::negotiate_version<protocol::sasl_handshake_request>(*decoded);
  auto authenticate = protocol::negotiate_version<protocol::sasl_authenticate_request>(*decoded);
  if (!handshake || *handshake < 1 || !authenticate)
    return make_error(errc::unsupported_version, describe_peer(st)
                                                   + " speaks no SaslHandshake v1 and SaslAuthenticate (Kafka 1.0+): "
                                                     "cafka does not send raw SASL tokens");
  st.sasl_handshake_version = *handshake;
  st.sasl_authenticate_version = *authenticate;
  begin_authentication(self);
  return caf::none;
}

void ask_api_versions(self_ptr self, int16_t version) {
  self->state.state = link_state::api_versions;
  send_own(self, protocol::api_versions_request{}, version, [self](caf::expected<byte_buffer> reply, int16_t v) {
    return on_api_versions(self, std::move(reply), v);
  });
}

// ---- SASL: SaslHandshake, then SaslAuthenticate until the mechanism is done ---------------------

caf::error on_sasl_handshake(self_ptr self, caf::expected<byte_buffer> reply, int16_t v);
caf::error on_sasl_authenticate(self_ptr self, caf::expected<byte_buffer> reply, int16_t v);

// After ApiVersions, and again for a re-authentication: a fresh mechanism client (OAUTHBEARER takes
// its token now: from the provider, the file, or a new unsecured JWT), then SaslHandshake.
void begin_authentication(self_ptr self) {
  auto& st = self->state;
  auto client = protocol::make_sasl_client(*st.settings.sasl, system_clock::now());
  if (!client) {
    disconnect(self, make_error(errc::authentication_failed, describe_peer(st) + ": " + client.error()));
    return;
  }
  st.sasl_client = std::move(*client);
  st.state = link_state::sasl_handshake;
  protocol::sasl_handshake_request req;
  req.mechanism = mechanism_name(st);
  send_own(self, req, st.sasl_handshake_version, [self](caf::expected<byte_buffer> reply, int16_t v) {
    return on_sasl_handshake(self, std::move(reply), v);
  });
}

void send_sasl_bytes(self_ptr self, byte_buffer bytes) {
  auto& st = self->state;
  protocol::sasl_authenticate_request req;
  req.auth_bytes = std::move(bytes);
  st.auth_sent_at = steady_clock::now();
  send_own(self, req, st.sasl_authenticate_version, [self](caf::expected<byte_buffer> reply, int16_t v) {
    return on_sasl_authenticate(self, std::move(reply), v);
  });
  std::fill(req.auth_bytes.begin(), req.auth_bytes.end(), uint8_t{0}); // a PLAIN password, a token
}

caf::error on_sasl_handshake(self_ptr self, caf::expected<byte_buffer> reply, int16_t v) {
  if (!reply)
    return caf::none;
  auto& st = self->state;
  auto decoded = protocol::decode_response<protocol::sasl_handshake_request>(*reply, v);
  if (!decoded)
    return make_error(errc::malformed_response, describe_peer(st) + ": SaslHandshake response: " + decoded.error());
  switch (decoded->error_code) {
    case protocol::errc::none: break;
    case protocol::errc::unsupported_sasl_mechanism: {
      std::string offered;
      for (auto& m : decoded->mechanisms)
        offered += (offered.empty() ? "" : ", ") + m;
      return kafka_error(decoded->error_code, describe_peer(st) + " does not enable " + mechanism_name(st)
                                                + " on this listener; it offers " + (offered.empty() ? "none" : offered));
    }
    case protocol::errc::illegal_sasl_state:
      // What a PLAINTEXT or SSL listener answers: it takes no SASL at all.
      return kafka_error(decoded->error_code,
                         describe_peer(st) + " refused SaslHandshake (no SASL on this listener): is this port a "
                                             "PLAINTEXT or SSL listener? security.protocol is SASL_"
                           + std::string(st.settings.tls ? "SSL" : "PLAINTEXT"));
    default:
      return kafka_error(decoded->error_code, describe_peer(st) + ": SaslHandshake: "
                                                + std::string(protocol::error_info(decoded->error_code).message));
  }
  st.state = link_state::authenticating;
  auto first = st.sasl_client->initial_response();
  if (!first)
    return make_error(errc::authentication_failed, describe_peer(st) + ": " + first.error());
  send_sasl_bytes(self, std::move(*first));
  return caf::none;
}

void authenticated(self_ptr self, int64_t session_lifetime_ms);

caf::error on_sasl_authenticate(self_ptr self, caf::expected<byte_buffer> reply, int16_t v) {
  if (!reply)
    return caf::none;
  auto& st = self->state;
  auto decoded = protocol::decode_response<protocol::sasl_authenticate_request>(*reply, v);
  if (!decoded)
    return make_error(errc::malformed_response, describe_peer(st) + ": SaslAuthenticate response: " + decoded.error());
  std::string what = mechanism_name(st) + (st.reauthenticating ? " re-authentication" : " authentication");
  if (decoded->error_code != 0) {
    // The broker's own message ("Authentication failed during authentication due to invalid
    // credentials with SASL mechanism SCRAM-SHA-256"): it names no secret.
    auto why = decoded->error_message.value_or(std::string(protocol::error_info(decoded->error_code).message));
    if (auto server = st.sasl_client->server_error(); !server.empty())
      why += " (" + server + ")";
    return kafka_error(decoded->error_code, describe_peer(st) + " refused " + what + ": " + why);
  }
  auto next = st.sasl_client->evaluate(decoded->auth_bytes);
  if (!next)
    return make_error(errc::authentication_failed, describe_peer(st) + ": " + what + " failed: " + next.error());
  if (*next) {
    send_sasl_bytes(self, std::move(**next));
    return caf::none;
  }
  authenticated(self, decoded->session_lifetime_ms);
  return caf::none;
}

// KIP-368: the broker ends the session after session_lifetime_ms (connections.max.reauth.ms, or an
// OAuth token's expiry). As Java's client, re-authenticate at a random 85-95 % of it, counted from
// when the last SaslAuthenticate went out (the broker counts from its answer, a little later).
void schedule_reauthentication(self_ptr self, int64_t session_lifetime_ms) {
  auto& st = self->state;
  std::uniform_real_distribution<double> share(0.85, 0.95);
  auto due = st.auth_sent_at + milliseconds{static_cast<int64_t>(static_cast<double>(session_lifetime_ms) * share(st.random))};
  auto delay = std::max(duration_cast<milliseconds>(due - steady_clock::now()), milliseconds{0});
  self->delayed_send(self, delay, reauth_atom::value, st.generation);
}

void authenticated(self_ptr self, int64_t session_lifetime_ms) {
  auto& st = self->state;
  st.sasl_client.reset();
  st.count(st.reauthenticating ? &connection_counters::reauthentications : &connection_counters::authentications);
  st.reauthenticating = false;
  if (session_lifetime_ms > 0)
    schedule_reauthentication(self, session_lifetime_ms);
  become_ready(self);
}

// The session nears its end. Kafka's broker takes a re-authentication at any time and answers the
// requests before it first (it reads one request at a time per connection), so it starts now:
// responses to requests already sent keep arriving in order and are handled as usual, and nothing
// else is sent until the new session is up (KIP-368). Java's client does the same, except that it
// waits for the next request to send before it starts.
void on_reauthentication_due(self_ptr self) {
  auto& st = self->state;
  if (st.state != link_state::ready)
    return;
  st.reauthenticating = true;
  begin_authentication(self);
}

// ---- Produce ------------------------------------------------------------------------------------

// The batches for the next Produce request: at most one per partition, within max.request.size
// (the first batch always goes). A zstd batch the broker's Produce version cannot take fails here.
std::vector<queued_batch> take_produce_batches(self_ptr self, int16_t version, size_t& total) {
  auto& st = self->state;
  std::vector<queued_batch> taken;
  std::deque<queued_batch> rest;
  total = 0;
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
  return taken;
}

protocol::produce_request build_produce_request(const connection_state& st, const std::vector<queued_batch>& batches) {
  protocol::produce_request req;
  if (!st.settings.transactional_id.empty())
    req.transactional_id = st.settings.transactional_id;
  req.acks = st.settings.acks;
  req.timeout_ms = static_cast<int32_t>(st.settings.request_timeout.count());
  for (auto& q : batches) {
    auto t = std::find_if(req.topic_data.begin(), req.topic_data.end(),
                          [&](auto& td) { return td.name == q.batch.topic; });
    if (t == req.topic_data.end()) {
      req.topic_data.push_back({q.batch.topic, q.batch.topic_id, {}});
      t = std::prev(req.topic_data.end());
    }
    t->partition_data.push_back({q.batch.partition, protocol::byte_span{*q.batch.bytes}});
  }
  return req;
}

// One batch's answer out of a Produce response (topics by id from v13, else by name), with the
// new leader a NOT_LEADER_OR_FOLLOWER answer names (KIP-951).
caf::expected<produce_result> result_for(const protocol::produce_response& response, const produce_batch& batch,
                                         bool by_id) {
  const protocol::produce_response::partition* found = nullptr;
  for (auto& t : response.responses)
    if (by_id ? t.topic_id == batch.topic_id : t.name == batch.topic)
      for (auto& p : t.partition_responses)
        if (p.index == batch.partition)
          found = &p;
  if (!found)
    return make_error(errc::malformed_response,
                      "the Produce response lacks " + batch.topic + "-" + std::to_string(batch.partition));
  produce_result res;
  res.error_code = found->error_code;
  res.base_offset = found->base_offset;
  res.log_append_time = found->log_append_time_ms;
  res.error_message = found->error_message.value_or("");
  if (found->current_leader && found->current_leader->leader_id >= 0) {
    res.new_leader.node_id = found->current_leader->leader_id;
    res.new_leader.leader_epoch = found->current_leader->leader_epoch;
    for (auto& n : response.node_endpoints.value_or(std::vector<protocol::produce_response::node_endpoint>{}))
      if (n.node_id == res.new_leader.node_id) {
        res.new_leader.host = n.host;
        res.new_leader.port = n.port;
      }
  }
  return res;
}

// A Produce response (or the error that came instead): every batch of the request gets its answer.
caf::error on_produce_response(self_ptr self, std::vector<queued_batch>& batches, bool by_id,
                               caf::expected<byte_buffer> reply, int16_t version) {
  if (!reply) {
    for (auto& q : batches)
      q.promise.deliver(reply.error());
    return caf::none;
  }
  auto decoded = protocol::decode_response<protocol::produce_request>(*reply, version);
  if (!decoded) {
    auto err = make_error(errc::malformed_response, describe_peer(self->state) + ": Produce response: " + decoded.error());
    for (auto& q : batches)
      q.promise.deliver(err);
    return err;
  }
  note_throttle<protocol::produce_request>(self, version, decoded->throttle_time_ms);
  for (auto& q : batches) {
    auto res = result_for(*decoded, q.batch, by_id);
    if (res)
      q.promise.deliver(std::move(*res));
    else
      q.promise.deliver(res.error());
  }
  return caf::none;
}

// Sends one Produce request of the queued batches. acks=0: no response comes, the batches resolve
// once written.
void send_produce(self_ptr self) {
  auto& st = self->state;
  int16_t version = st.versions[protocol::api_key::produce];
  size_t total = 0;
  auto taken = take_produce_batches(self, version, total);
  if (taken.empty())
    return;
  // v13 names topics by id (KIP-516): only when every batch's topic id is known.
  bool ids_known = std::none_of(taken.begin(), taken.end(), [](auto& q) { return q.batch.topic_id == protocol::uuid{}; });
  if (!ids_known)
    version = std::min<int16_t>(version, protocol::produce_request::topic_id_min_version - 1);
  for (auto& q : taken) // a transactions v1 producer's batches cap it below v12
    version = std::min(version, q.batch.max_version);
  bool by_id = version >= protocol::produce_request::topic_id_min_version;
  int32_t id = st.next_correlation_id++;
  byte_buffer frame;
  frame.reserve(total + 256);
  protocol::encode_request(frame, build_produce_request(st, taken), version, id, st.settings.client_id);
  if (st.settings.acks == 0) {
    // No response comes: the batches resolve once the session reports the frame written.
    auto write_id = st.next_write_id++;
    st.awaiting_write.emplace_back(write_id, std::move(taken));
    st.session->write(std::move(frame), write_id);
    return;
  }
  auto batches = std::make_shared<std::vector<queued_batch>>(std::move(taken));
  completion done = [self, batches, by_id](caf::expected<byte_buffer> reply, int16_t v) {
    return on_produce_response(self, *batches, by_id, std::move(reply), v);
  };
  send_tracked(self, {id, version, std::move(done)}, std::move(frame));
}

// ---- The callers' requests ----------------------------------------------------------------------

// Sends what waits, as far as the state, max.in.flight and the broker's throttle allow; connects
// when idle with something to send.
void try_send(self_ptr self) {
  auto& st = self->state;
  if (st.state == link_state::idle
      && (!st.pending.empty() || !st.produce_queue.empty() || !st.feature_waiters.empty())) {
    begin_connect(self);
    return;
  }
  if (st.state != link_state::ready)
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

// A Metadata or InitProducerId request: queued, sent when the connection may, answered with the
// decoded response.
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

caf::result<produce_result> enqueue_produce(self_ptr self, produce_batch batch) {
  auto rp = self->make_response_promise<produce_result>();
  self->state.produce_queue.push_back({std::move(batch), rp});
  try_send(self);
  return rp;
}

// ---- Events from the io thread and timers -------------------------------------------------------

// A response: it answers the oldest request in flight (Kafka answers in order on a connection).
void on_frame(self_ptr self, byte_buffer frame) {
  auto& st = self->state;
  auto id = protocol::correlation_id_of(frame);
  if (!id || st.in_flight.empty() || st.in_flight.front().correlation_id != *id) {
    disconnect(self, nonsense(st, "a response with an unexpected correlation id"));
    return;
  }
  auto r = std::move(st.in_flight.front());
  st.in_flight.pop_front();
  st.report_in_flight();
  if (st.state == link_state::ready)
    ++st.answered_since_ready;
  if (auto err = r.done(std::move(frame), r.version)) {
    disconnect(self, err);
    return;
  }
  try_send(self);
}

void on_closed(self_ptr self, const std::string& reason, bool tls_refused) {
  auto& st = self->state;
  auto why = describe_peer(st) + ": " + reason;
  if (tls_refused) {
    disconnect(self, make_error(errc::authentication_failed, why));
    return;
  }
  // A SASL listener closes a connection that sends anything but ApiVersions and SaslHandshake
  // before it authenticates.
  if (!st.settings.sasl && st.state == link_state::ready && st.answered_since_ready == 0 && !st.in_flight.empty())
    why += " before answering a request (a SASL_PLAINTEXT or SASL_SSL listener does so to a client that does not "
           "authenticate: is security.protocol right?)";
  else if (st.state == link_state::sasl_handshake || st.state == link_state::authenticating)
    why += " (during " + std::string(name_of(st.state)) + ")";
  disconnect(self, make_error(errc::network_error, why));
}

void on_written(self_ptr self, uint64_t write_id) {
  auto& st = self->state;
  while (!st.awaiting_write.empty() && st.awaiting_write.front().first <= write_id) {
    for (auto& q : st.awaiting_write.front().second)
      q.promise.deliver(produce_result{}); // acks=0: offset unknown (-1)
    st.awaiting_write.pop_front();
  }
  try_send(self);
}

// The request timer: the oldest request in flight (of whichever session) past its deadline ends
// the connection; otherwise the timer goes again for the oldest one.
void on_request_timer(self_ptr self) {
  auto& st = self->state;
  st.timeout_armed = false;
  if (!st.in_flight.empty() && st.in_flight.front().deadline <= steady_clock::now()) {
    std::string during = st.state == link_state::ready ? "" : " (during " + std::string(name_of(st.state)) + ")";
    disconnect(self, make_error(errc::request_timeout, describe_peer(st) + ": no response within request.timeout.ms ("
                                                         + std::to_string(st.settings.request_timeout.count())
                                                         + " ms)" + during));
    return;
  }
  arm_request_timer(self);
}

void on_throttle_end(self_ptr self) {
  self->state.resume_scheduled = false;
  try_send(self);
}

void on_backoff_end(self_ptr self) {
  self->state.connect_scheduled = false;
  if (self->state.state == link_state::idle)
    try_send(self);
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
  // Events of an older session (a generation ago) are dropped.
  auto current = [=](uint64_t generation) { return generation == self->state.generation; };
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
      if (st.state == link_state::ready)
        return feature_level(st, name);
      auto rp = self->make_response_promise<int16_t>();
      st.feature_waiters.emplace_back(std::move(name), rp);
      try_send(self); // connects when idle
      return rp;
    },
    [=](produce_atom, produce_batch& batch) -> caf::result<produce_result> {
      return enqueue_produce(self, std::move(batch));
    },
    [=](net_up_atom, uint64_t generation) {
      if (current(generation))
        on_connected(self);
    },
    [=](net_secure_atom, uint64_t generation) {
      if (current(generation))
        on_secured(self);
    },
    [=](net_frame_atom, uint64_t generation, byte_buffer& frame) {
      if (current(generation))
        on_frame(self, std::move(frame));
    },
    [=](net_down_atom, uint64_t generation, std::string& reason, bool tls_refused) {
      if (current(generation))
        on_closed(self, reason, tls_refused);
    },
    [=](net_junk_atom, uint64_t generation, std::string& what) {
      if (current(generation))
        disconnect(self, nonsense(self->state, what));
    },
    [=](net_sent_atom, uint64_t generation, uint64_t write_id) {
      if (current(generation))
        on_written(self, write_id);
    },
    [=](resume_atom) { on_throttle_end(self); },
    [=](connect_atom) { on_backoff_end(self); },
    [=](reauth_atom, uint64_t generation) {
      if (current(generation))
        on_reauthentication_due(self);
    },
    [=](timeout_atom) { on_request_timer(self); },
  };
}

connection_actor spawn_connection(caf::actor_system& sys, connection_settings settings, std::shared_ptr<network> net) {
  return sys.spawn(connection, std::move(settings), std::move(net));
}

} // namespace cafka
