#define CAF_SUITE integration.security
#include "caf/test/unit_test.hpp"

#include "cafka/producer.hpp"
#include "integration/broker_harness.hpp"
#include "integration/producer_session.hpp"
#include "integration/send_all.hpp"
#include "protocol/sasl.hpp"

#include <atomic>
#include <map>
#include <thread>

// TLS and SASL against the real broker's secured listeners (scripts/broker with
// CAFKA_BROKER_SECURITY=1: user alice / alice-secret, a CA of its own, a certificate for localhost).
// Records go in through a secured listener and a real consumer (kcat) reads them back through the
// plaintext one: what arrived is what was sent. The failures are checked for what they say, and
// that they say no secret.

using namespace cafka;
using namespace cafka::test;

namespace {

constexpr const char* password = "alice-secret";
constexpr const char* wrong_password = "not-alices-secret-4711";

std::string jaas(const std::string& module, const std::string& secret) {
  return "org.apache.kafka.common.security." + module + " required username=\"alice\" password=\"" + secret + "\";";
}

properties plain(const std::string& secret) {
  return {{"security.protocol", "SASL_PLAINTEXT"},
          {"sasl.mechanism", "PLAIN"},
          {"sasl.jaas.config", jaas("plain.PlainLoginModule", secret)}};
}

properties scram_over_tls(const std::string& mechanism, const std::string& secret) {
  return {{"security.protocol", "SASL_SSL"},
          {"ssl.truststore.type", "PEM"},
          {"ssl.truststore.location", tls_dir() + "/ca.pem"},
          {"sasl.mechanism", mechanism},
          {"sasl.jaas.config", jaas("scram.ScramLoginModule", secret)}};
}

properties tls_only() {
  return {{"security.protocol", "SSL"}, {"ssl.truststore.type", "PEM"}, {"ssl.truststore.location", tls_dir() + "/ca.pem"}};
}

std::vector<producer_record> numbered(const std::string& topic, int n) {
  std::vector<producer_record> out;
  for (int i = 0; i < n; ++i) {
    producer_record r;
    r.topic = topic;
    r.key = nullable_bytes::of("key-" + std::to_string(i % 17));
    r.value = nullable_bytes::of("value-" + std::to_string(i) + std::string(static_cast<size_t>(i % 300), 'v'));
    out.push_back(std::move(r));
  }
  return out;
}

struct fixture : producer_session {
  producer_actor spawn_on(const std::string& listener, properties props, producer_options options = {}) {
    props["bootstrap.servers"] = secured_listener(listener);
    auto p = spawn_producer(*sys, props, std::move(options));
    if (!p)
      CAF_FAIL("spawn failed: " << sys->render(p.error()));
    return *p;
  }

  // Sends records that a real consumer reads back, each at the offset its report gave.
  void send_and_read_back(producer_actor p, const std::string& topic, int n) {
    auto records = numbered(topic, n);
    auto reports = send_all(*sys, p, records);
    CAF_REQUIRE_EQUAL(reports.size(), records.size());
    for (size_t i = 0; i < reports.size(); ++i)
      if (reports[i].error)
        CAF_FAIL("record " << i << " failed: " << sys->render(reports[i].error));
    auto consumed = consume_at_least(topic, records.size());
    CAF_REQUIRE_EQUAL(consumed.size(), records.size());
    std::map<std::pair<int32_t, int64_t>, const consumed_record*> at;
    for (auto& c : consumed)
      at[{c.partition, c.offset}] = &c;
    for (size_t i = 0; i < records.size(); ++i) {
      auto found = at.find({reports[i].metadata.partition, reports[i].metadata.offset});
      CAF_REQUIRE(found != at.end());
      CAF_CHECK(found->second->key == records[i].key);
      CAF_CHECK(found->second->value == records[i].value);
    }
  }

  // Sends n records through the listener with the given security properties and reads them back.
  void round_trip(const std::string& listener, const properties& security, producer_options options = {},
                  int n = 500) {
    auto topic = unique_topic("secured-" + listener);
    create_topic(topic, 3);
    auto p = spawn_on(listener, security, std::move(options));
    send_and_read_back(p, topic, n);
    auto m = metrics(p);
    if (security.count("sasl.mechanism") > 0)
      CAF_CHECK_GREATER_OR_EQUAL(m.authentications, 1u);
    CAF_CHECK_EQUAL(m.authentication_failures, 0u);
    close(p);
  }

  // Sends one record that cannot go anywhere; returns its error rendered (the test fails if it
  // succeeded) and checks that the error says no secret.
  std::string failed_send(producer_actor p, const std::string& topic) {
    auto reports = send_all(*sys, p, numbered(topic, 1), send_mode::one_by_one, std::chrono::seconds{30});
    CAF_REQUIRE_EQUAL(reports.size(), 1u);
    CAF_REQUIRE(reports[0].error);
    auto text = sys->render(reports[0].error);
    CAF_MESSAGE("the error: " << text);
    CAF_CHECK_EQUAL(text.find(password), std::string::npos);
    CAF_CHECK_EQUAL(text.find(wrong_password), std::string::npos);
    return text;
  }
};

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(security_tests, fixture)

CAF_TEST(SSL with the broker CA as a PEM truststore) {
  round_trip("ssl", tls_only());
}

CAF_TEST(SASL_PLAINTEXT with PLAIN) {
  round_trip("sasl_plaintext", plain(password));
}

CAF_TEST(SASL_SSL with SCRAM-SHA-256) {
  round_trip("sasl_ssl", scram_over_tls("SCRAM-SHA-256", password));
}

CAF_TEST(SASL_SSL with SCRAM-SHA-512 under librdkafka property names) {
  round_trip("sasl_ssl", {{"security.protocol", "sasl_ssl"},
                          {"ssl.ca.location", tls_dir() + "/ca.pem"},
                          {"sasl.mechanisms", "SCRAM-SHA-512"},
                          {"sasl.username", "alice"},
                          {"sasl.password", password}});
}

// The broker's answer is the error (its message, not a timeout), the password is nowhere in it,
// and the next connection waits for the reconnect backoff (reconnect.backoff.ms doubled after a
// failed set-up, less at most 20 % jitter), so a wrong password makes no reconnect storm.
CAF_TEST(a wrong SCRAM password fails with the broker message and backs off) {
  using namespace std::chrono;
  auto topic = unique_topic("wrong-password");
  create_topic(topic, 1);
  auto props = scram_over_tls("SCRAM-SHA-256", wrong_password);
  props["reconnect.backoff.ms"] = "400";
  props["reconnect.backoff.max.ms"] = "1000";
  props["max.block.ms"] = "20000";
  auto p = spawn_on("sasl_ssl", props);
  auto started = steady_clock::now();
  auto text = failed_send(p, topic);
  auto first_failed = steady_clock::now();
  CAF_CHECK(has(text, "SASL_AUTHENTICATION_FAILED"));
  CAF_CHECK(has(text, "refused SCRAM-SHA-256 authentication"));
  CAF_CHECK(has(text, "invalid credentials with SASL mechanism SCRAM-SHA-256"));
  // Not retriable: the send fails on the broker's answer, long before max.block.ms.
  CAF_CHECK_LESS(first_failed - started, milliseconds{10000});
  // The next send asks again, on a new connection no sooner than the backoff.
  failed_send(p, topic);
  CAF_CHECK_GREATER_OR_EQUAL(steady_clock::now() - first_failed, milliseconds{640});
  // The producer id is asked for again meanwhile: a connection attempt per backoff at most.
  auto m = metrics(p);
  auto backoffs = duration_cast<milliseconds>(steady_clock::now() - started) / milliseconds{640};
  CAF_MESSAGE(m.connection_attempts << " connection attempts, " << m.authentication_failures << " failed");
  CAF_CHECK_GREATER_OR_EQUAL(m.authentication_failures, 2u);
  CAF_CHECK_LESS_OR_EQUAL(m.connection_attempts, static_cast<uint64_t>(1 + backoffs));
  CAF_CHECK_EQUAL(m.authentications, 0u);
  close(p);
}

CAF_TEST(a wrong PLAIN password fails with the broker message) {
  auto topic = unique_topic("wrong-plain");
  create_topic(topic, 1);
  auto props = plain(wrong_password);
  props["max.block.ms"] = "5000";
  auto p = spawn_on("sasl_plaintext", props);
  auto text = failed_send(p, topic);
  CAF_CHECK(has(text, "SASL_AUTHENTICATION_FAILED"));
  CAF_CHECK(has(text, "Invalid username or password"));
  close(p);
}

// No truststore: the system's CAs, which do not include the broker's test CA.
CAF_TEST(an untrusted broker certificate fails naming the check) {
  auto topic = unique_topic("untrusted");
  create_topic(topic, 1);
  auto p = spawn_on("ssl", {{"security.protocol", "SSL"}, {"max.block.ms", "5000"}});
  auto text = failed_send(p, topic);
  CAF_CHECK(has(text, "AUTHENTICATION_FAILED"));
  CAF_CHECK(has(text, "TLS handshake failed: certificate verify failed"));
  // The broker sends its chain up to the test CA, which no system CA vouches for.
  CAF_CHECK(has(text, "self-signed certificate in certificate chain"));
  CAF_CHECK(has(text, "CN=cafka-test-ca"));
  CAF_CHECK(has(text, "trusted: the system's CAs"));
  close(p);
}

// The certificate is for localhost; reached as 127.0.0.1 the host-name check refuses it, and
// ssl.endpoint.identification.algorithm= (empty) turns that check off.
CAF_TEST(a host name mismatch fails naming the check unless it is turned off) {
  auto topic = unique_topic("mismatch");
  create_topic(topic, 1);
  auto address = secured_listener("ssl");
  auto by_ip = "127.0.0.1" + address.substr(address.rfind(':'));
  auto props = tls_only();
  props["bootstrap.servers"] = by_ip;
  props["max.block.ms"] = "5000";
  auto p = spawn(props);
  auto text = failed_send(p, topic);
  CAF_CHECK(has(text, "AUTHENTICATION_FAILED"));
  CAF_CHECK(has(text, "hostname mismatch: the certificate is for localhost, not 127.0.0.1"));
  close(p);
  props["ssl.endpoint.identification.algorithm"] = "";
  auto unchecked = spawn(props);
  auto reports = send_all(*sys, unchecked, numbered(topic, 3));
  for (auto& r : reports)
    CAF_CHECK(!r.error);
  close(unchecked);
}

CAF_TEST(SASL_SSL with OAUTHBEARER and an unsecured JWT from sasl.jaas.config) {
  auto security = scram_over_tls("OAUTHBEARER", "");
  security["sasl.jaas.config"] =
    "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub=\"alice\";";
  round_trip("sasl_ssl", security);
}

// The application's token provider is asked at every authentication (here: an unsecured JWT the
// broker's default validator takes).
CAF_TEST(SASL_PLAINTEXT with OAUTHBEARER tokens from the application) {
  auto asked = std::make_shared<std::atomic<int>>(0);
  producer_options options;
  options.oauthbearer_token = [asked]() -> std::expected<std::string, std::string> {
    ++*asked;
    protocol::unsecured_jwt jwt;
    jwt.claims.push_back({"sub", protocol::unsecured_jwt::claim_kind::string, "alice"});
    return protocol::make_unsecured_jwt(jwt, std::chrono::system_clock::now());
  };
  round_trip("sasl_plaintext", {{"security.protocol", "SASL_PLAINTEXT"}, {"sasl.mechanism", "OAUTHBEARER"}},
             std::move(options));
  CAF_CHECK_GREATER_OR_EQUAL(asked->load(), 1);
}

// The mtls listener requires a certificate its CA signed: the client's, from one PEM file.
CAF_TEST(mutual TLS with the client certificate from a PEM keystore) {
  auto security = tls_only();
  security["ssl.keystore.type"] = "PEM";
  security["ssl.keystore.location"] = tls_dir() + "/client.pem";
  round_trip("mtls", security);
}

// TLS 1.3: the broker checks the client's certificate after the client finished its handshake, so
// its refusal (an alert) comes with the first read; it is still a TLS error, not a network one.
CAF_TEST(mutual TLS without a client certificate fails saying the broker wants one) {
  auto topic = unique_topic("no-client-certificate");
  create_topic(topic, 1);
  auto security = tls_only();
  security["max.block.ms"] = "5000";
  auto p = spawn_on("mtls", security);
  auto text = failed_send(p, topic);
  CAF_CHECK(has(text, "AUTHENTICATION_FAILED"));
  CAF_CHECK(has(text, "the broker wants a client certificate"));
  close(p);
}

// KIP-368: the reauth listener gives sessions of 3 s (connections.max.reauth.ms); the producer
// re-authenticates on the same connections before they end and keeps sending on them.
CAF_TEST(SASL sessions are renewed on the same connection before the broker ends them) {
  using namespace std::chrono;
  auto topic = unique_topic("reauthenticated");
  auto later_topic = unique_topic("reauthenticated-later");
  create_topic(topic, 3);
  create_topic(later_topic, 3);
  auto p = spawn_on("reauth", {{"security.protocol", "SASL_PLAINTEXT"},
                               {"sasl.mechanism", "SCRAM-SHA-256"},
                               {"sasl.jaas.config", jaas("scram.ScramLoginModule", password)}});
  send_and_read_back(p, topic, 200);
  auto before = metrics(p);
  CAF_CHECK_GREATER_OR_EQUAL(before.authentications, 1u);
  // Each renewal is due at 85-95 % of 3 s: ask the metrics every 100 ms until every connection
  // renewed its session, for at most 20 s.
  auto deadline = steady_clock::now() + seconds{20};
  auto now = before;
  while (now.reauthentications < before.authentications && steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds{100});
    now = metrics(p);
  }
  CAF_CHECK_GREATER_OR_EQUAL(now.reauthentications, before.authentications);
  // Past the first sessions' end: the connections still take records, and no new one was made.
  send_and_read_back(p, later_topic, 400);
  auto after = metrics(p);
  CAF_CHECK_EQUAL(after.connection_attempts, before.connection_attempts);
  CAF_CHECK_EQUAL(after.authentication_failures, 0u);
  close(p);
}

// A protocol mismatch is a clear error, never a silent fallback to plaintext. Either side may be
// a network error worth retrying (a port being reconfigured), so the send fails at max.block.ms
// with what the broker did.
CAF_TEST(TLS to a plaintext port and plaintext to a TLS port fail saying so) {
  auto topic = unique_topic("mismatched-protocol");
  create_topic(topic, 1);
  auto to_plaintext = tls_only();
  to_plaintext["bootstrap.servers"] = bootstrap();
  to_plaintext["ssl.endpoint.identification.algorithm"] = "";
  to_plaintext["max.block.ms"] = "2000";
  auto p = spawn(to_plaintext);
  auto text = failed_send(p, topic);
  CAF_CHECK(has(text, "is this port a PLAINTEXT or SASL_PLAINTEXT listener?"));
  close(p);
  auto to_tls = plain(password);
  to_tls["max.block.ms"] = "2000";
  auto q = spawn_on("ssl", to_tls);
  text = failed_send(q, topic);
  CAF_CHECK(has(text, "the broker answered in TLS"));
  CAF_CHECK(has(text, "is this port an SSL or SASL_SSL listener?"));
  close(q);
}

CAF_TEST_FIXTURE_SCOPE_END()
