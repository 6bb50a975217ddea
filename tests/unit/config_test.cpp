#define CAF_SUITE actors.config
#include "caf/test/unit_test.hpp"

#include "actors/config.hpp"

#include <cstdio>
#include <fstream>
#include <unistd.h>

using namespace cafka;

namespace {

std::string error_of(properties p) {
  p.emplace("bootstrap.servers", "127.0.0.1:9092");
  auto c = parse_config(p);
  return c ? std::string{} : c.error();
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

} // namespace

CAF_TEST(java defaults) {
  auto c = parse_config({{"bootstrap.servers", "a:1,b:2"}});
  CAF_REQUIRE(c.has_value());
  CAF_CHECK_EQUAL(c->bootstrap_servers.size(), 2u);
  CAF_CHECK_EQUAL(c->bootstrap_servers[1].host, "b");
  CAF_CHECK_EQUAL(c->bootstrap_servers[1].port, 2);
  CAF_CHECK_EQUAL(c->acks, -1);
  CAF_CHECK(c->enable_idempotence);
  CAF_CHECK_EQUAL(c->linger.count(), 5);
  CAF_CHECK_EQUAL(c->batch_size, 16384);
  CAF_CHECK_EQUAL(c->buffer_memory, 33554432);
  CAF_CHECK_EQUAL(c->max_block.count(), 60000);
  CAF_CHECK_EQUAL(c->delivery_timeout.count(), 120000);
  CAF_CHECK_EQUAL(c->request_timeout.count(), 30000);
  CAF_CHECK_EQUAL(c->retry_backoff.count(), 100);
  CAF_CHECK_EQUAL(c->retry_backoff_max.count(), 1000);
  CAF_CHECK_EQUAL(c->max_in_flight, 5);
  CAF_CHECK_EQUAL(c->max_request_size, 1048576);
  CAF_CHECK(c->compression == protocol::compression_codec::none);
  CAF_CHECK_EQUAL(c->zstd_level, 3);
  CAF_CHECK_EQUAL(c->lz4_level, 9);
  CAF_CHECK_EQUAL(c->gzip_level, -1);
  CAF_CHECK(!c->client_id.empty());
}

CAF_TEST(errors name the property) {
  CAF_CHECK(starts_with(error_of({{"linger.ms", "soon"}}), "linger.ms:"));
  CAF_CHECK(starts_with(error_of({{"lingerms", "5"}}), "lingerms: unknown property"));
  CAF_CHECK(starts_with(error_of({{"acks", "2"}}), "acks:"));
  CAF_CHECK(starts_with(error_of({{"compression.type", "brotli"}}), "compression.type:"));
  CAF_CHECK(starts_with(error_of({{"compression.zstd.level", "99"}}), "compression.zstd.level:"));
  CAF_CHECK(starts_with(error_of({{"batch.size", "-1"}}), "batch.size:"));
  CAF_CHECK(starts_with(error_of({{"max.in.flight.requests.per.connection", "0"}}), "max.in.flight"));
  CAF_CHECK(starts_with(error_of({{"enable.idempotence", "yes"}}), "enable.idempotence:"));
  CAF_CHECK(starts_with(error_of({{"transactional.id", ""}}), "transactional.id: String must be non-empty"));
  CAF_CHECK(starts_with(error_of({{"transaction.timeout.ms", "0"}}), "transaction.timeout.ms:"));
  CAF_CHECK(starts_with(error_of({{"transaction.timeout.ms", "2147483648"}}), "transaction.timeout.ms:"));
  CAF_CHECK(starts_with(parse_config({}).error(), "bootstrap.servers:"));
  CAF_CHECK(starts_with(parse_config({{"bootstrap.servers", "nohost"}}).error(), "bootstrap.servers:"));
  CAF_CHECK(starts_with(parse_config({{"bootstrap.servers", "h:99999"}}).error(), "bootstrap.servers:"));
}

CAF_TEST(idempotence yields quietly only when not set explicitly) {
  auto quiet = parse_config({{"bootstrap.servers", "h:1"}, {"acks", "1"}});
  CAF_REQUIRE(quiet.has_value());
  CAF_CHECK(!quiet->enable_idempotence);
  auto quiet_inflight = parse_config({{"bootstrap.servers", "h:1"}, {"max.in.flight.requests.per.connection", "6"}});
  CAF_REQUIRE(quiet_inflight.has_value());
  CAF_CHECK(!quiet_inflight->enable_idempotence);
  CAF_CHECK(starts_with(error_of({{"acks", "1"}, {"enable.idempotence", "true"}}), "acks:"));
  CAF_CHECK(starts_with(error_of({{"retries", "0"}, {"enable.idempotence", "true"}}), "retries:"));
  CAF_CHECK(starts_with(error_of({{"max.in.flight.requests.per.connection", "6"}, {"enable.idempotence", "true"}}),
                        "max.in.flight.requests.per.connection:"));
}

CAF_TEST(a transactional id forces idempotence on as in java) {
  auto plain = parse_config({{"bootstrap.servers", "h:1"}});
  CAF_REQUIRE(plain.has_value());
  CAF_CHECK(!plain->transactional());
  CAF_CHECK_EQUAL(plain->transaction_timeout.count(), 60000);
  auto txn = parse_config({{"bootstrap.servers", "h:1"}, {"transactional.id", "orders-1"},
                           {"transaction.timeout.ms", "5000"}});
  CAF_REQUIRE(txn.has_value());
  CAF_CHECK(txn->transactional());
  CAF_CHECK_EQUAL(txn->transactional_id, "orders-1");
  CAF_CHECK_EQUAL(txn->transaction_timeout.count(), 5000);
  CAF_CHECK(txn->enable_idempotence);
  // Java: a setting that would quietly turn idempotence off makes a transactional.id an error.
  auto needs = std::string("transactional.id: Cannot set a transactional.id without also enabling idempotence.");
  CAF_CHECK_EQUAL(error_of({{"transactional.id", "t"}, {"enable.idempotence", "false"}}), needs);
  CAF_CHECK_EQUAL(error_of({{"transactional.id", "t"}, {"acks", "1"}}), needs);
  CAF_CHECK_EQUAL(error_of({{"transactional.id", "t"}, {"retries", "0"}}), needs);
  CAF_CHECK_EQUAL(error_of({{"transactional.id", "t"}, {"max.in.flight.requests.per.connection", "6"}}), needs);
  // Set explicitly, the conflict names the conflicting setting, as without a transactional.id.
  CAF_CHECK(starts_with(error_of({{"transactional.id", "t"}, {"acks", "1"}, {"enable.idempotence", "true"}}), "acks:"));
}

CAF_TEST(delivery timeout must cover linger and request timeout) {
  CAF_CHECK(starts_with(error_of({{"delivery.timeout.ms", "1000"}, {"request.timeout.ms", "2000"}}),
                        "delivery.timeout.ms:"));
  CAF_CHECK(error_of({{"delivery.timeout.ms", "3000"}, {"request.timeout.ms", "2000"}, {"linger.ms", "0"}}).empty());
}

CAF_TEST(the chosen codec takes its level) {
  auto c = parse_config({{"bootstrap.servers", "h:1"}, {"compression.type", "zstd"}, {"compression.zstd.level", "7"}});
  CAF_REQUIRE(c.has_value());
  CAF_CHECK_EQUAL(c->compression_level, 7);
}

CAF_TEST(properties files) {
  auto path = std::string("/tmp/cafka-config-test-") + std::to_string(getpid()) + ".properties";
  {
    std::ofstream out{path};
    out << "# a comment\n! another\n\nbootstrap.servers = 127.0.0.1:9092\nlinger.ms:20\n  acks=1  \n";
  }
  auto props = load_properties_file(path);
  std::remove(path.c_str());
  CAF_REQUIRE(props.has_value());
  CAF_CHECK_EQUAL(props->at("bootstrap.servers"), "127.0.0.1:9092");
  CAF_CHECK_EQUAL(props->at("linger.ms"), "20");
  CAF_CHECK_EQUAL(props->at("acks"), "1");
  CAF_CHECK(!load_properties_file("/nonexistent/file").has_value());
}

// ---- Security (issue #13) -----------------------------------------------------------------------

namespace {

// Test fixtures only, made for these tests with
//   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout key.pem -out cert.pem
//     -days 36500 -subj /CN=cafka-test      (one command)
//   openssl pkcs8 -topk8 -in key.pem -out key-enc.pem -passout pass:kp -v2 aes-256-cbc
//   openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out other.pem
constexpr const char* test_cert = R"(-----BEGIN CERTIFICATE-----
MIIBgjCCASegAwIBAgIUKYOO3r9hA51QGP1K1KU6y3QjJNYwCgYIKoZIzj0EAwIw
FTETMBEGA1UEAwwKY2Fma2EtdGVzdDAgFw0yNjExMjkxNjI4NDBaGA8yMTI2MTEw
NTE2Mjg0MFowFTETMBEGA1UEAwwKY2Fma2EtdGVzdDBZMBMGByqGSM49AgEGCCqG
SM49AwEHA0IABBxMMc29ZVJNhXOyu/b5GtKiCPAD7G6ccS8iAEYgPPchWSpV2mv4
pyKP1PfHKRoJlGpDAy3DRE9+8WxeW/MNkIGjUzBRMB0GA1UdDgQWBBSanEZ0W0Go
RULNgTzhxTX9EA+k+jAfBgNVHSMEGDAWgBSanEZ0W0GoRULNgTzhxTX9EA+k+jAP
BgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0kAMEYCIQCD8vCng7VfdPmy3J+l
hddVCafRyjYZkLh5cDwoeTNbkgIhAN1/HpR4Rxwe8dNdKqL/ToHt1WbM1Jcqt9qm
p552cNoj
-----END CERTIFICATE-----
)";
constexpr const char* test_key = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgMPXnwHaOSQERXYz8
O1J9cMlGRjgRwkBOK5AWkXsS2ZChRANCAAQcTDHNvWVSTYVzsrv2+RrSogjwA+xu
nHEvIgBGIDz3IVkqVdpr+Kcij9T3xykaCZRqQwMtw0RPfvFsXlvzDZCB
-----END PRIVATE KEY-----
)";
constexpr const char* test_key_encrypted = R"(-----BEGIN ENCRYPTED PRIVATE KEY-----
MIHsMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAg9evH85z95FwICCAAw
DAYIKoZIhvcNAgkFADAdBglghkgBZQMEASoEEFIbtCNZAN+uONlgP/3t/kMEgZDf
tu+jrW6X3Qajc6mVN87Ybj5i85K0Mdn2fxBxLITG9hD43eaxGXRES1qEGihTRE1B
Fp6Y8Yax/hUin0A1+WvibfaMtoICaR3yILcFj4MVhF3PewMi6DKUchtLVI1dy8z4
jbAEsOaw7jpOzz+GXg/VhtDVakwHWnw7gUblRqLCXShSUWMDrWDaxdOexCjK17A=
-----END ENCRYPTED PRIVATE KEY-----
)";
constexpr const char* other_key = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgKukN42dnF2OUm+Wi
2zZ3ymVveELy515tnVusq+BgtqGhRANCAAT6F63cJQpiEjc9nJTsXlOKSAB50ef6
+lOX4hOrJg8Y8AbvvYBT3B8zGnzodclhIQWVU+3KZ0d7kaMx/tyJ8aPV
-----END PRIVATE KEY-----
)";

constexpr const char* plain_module = "org.apache.kafka.common.security.plain.PlainLoginModule";
constexpr const char* scram_module = "org.apache.kafka.common.security.scram.ScramLoginModule";
constexpr const char* oauth_module = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule";

// Files under /tmp for one test, removed when it ends.
struct temp_files {
  std::vector<std::string> paths;
  std::string add(const std::string& name, const std::string& content) {
    auto path = "/tmp/cafka-config-test-" + std::to_string(getpid()) + "-" + name;
    std::ofstream{path} << content;
    paths.push_back(path);
    return path;
  }
  ~temp_files() {
    for (auto& p : paths)
      std::remove(p.c_str());
  }
};

std::expected<producer_config, std::string> with(properties p) {
  p.emplace("bootstrap.servers", "127.0.0.1:9092");
  return parse_config(p);
}

std::string jaas(const char* module, const std::string& options) {
  return std::string(module) + " required " + options + ";";
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

} // namespace

CAF_TEST(security defaults to plaintext) {
  auto c = parse_config({{"bootstrap.servers", "h:1"}});
  CAF_REQUIRE(c.has_value());
  CAF_CHECK(c->security.protocol == security_protocol::plaintext);
  CAF_CHECK(!c->security.uses_tls());
  CAF_CHECK(!c->security.uses_sasl());
}

CAF_TEST(security protocol names in any case) {
  for (auto [text, expected] : {std::pair{"PLAINTEXT", security_protocol::plaintext}, std::pair{"ssl", security_protocol::ssl},
                                std::pair{"SASL_PLAINTEXT", security_protocol::sasl_plaintext}}) {
    properties p{{"security.protocol", text}};
    if (expected == security_protocol::sasl_plaintext) {
      p.emplace("sasl.mechanism", "PLAIN");
      p.emplace("sasl.jaas.config", jaas(plain_module, R"(username="u" password="p")"));
    }
    auto c = with(p);
    if (!c)
      CAF_FAIL(c.error());
    CAF_CHECK(c->security.protocol == expected);
    CAF_CHECK_EQUAL(name_of(c->security.protocol), std::string(text) == "ssl" ? "SSL" : text);
  }
  CAF_CHECK_EQUAL(error_of({{"security.protocol", "TLS"}}),
                  "security.protocol: 'TLS' is not one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL");
}

CAF_TEST(ssl and sasl settings count only when the protocol uses them) {
  // As Java: with PLAINTEXT nothing of them is looked at, not even values cafka would refuse.
  auto c = with({{"ssl.truststore.type", "JKS"},
                 {"ssl.truststore.location", "/nonexistent.jks"},
                 {"sasl.mechanism", "GSSAPI"},
                 {"sasl.jaas.config", "not even JAAS"}});
  if (!c)
    CAF_FAIL(c.error());
  CAF_CHECK(!c->security.uses_tls());
  CAF_CHECK(!c->security.uses_sasl());
  // SSL ignores sasl.*, SASL_PLAINTEXT ignores ssl.*.
  auto ssl = with({{"security.protocol", "SSL"}, {"sasl.mechanism", "GSSAPI"}});
  CAF_REQUIRE(ssl.has_value());
  CAF_CHECK(ssl->security.uses_tls());
  CAF_CHECK(!ssl->security.uses_sasl());
  auto sasl = with({{"security.protocol", "SASL_PLAINTEXT"},
                    {"ssl.keystore.type", "PKCS12"},
                    {"sasl.mechanism", "PLAIN"},
                    {"sasl.jaas.config", jaas(plain_module, R"(username="u" password="p")")}});
  CAF_REQUIRE(sasl.has_value());
  CAF_CHECK(!sasl->security.uses_tls());
  CAF_CHECK(sasl->security.uses_sasl());
}

CAF_TEST(ssl trust store) {
  temp_files files;
  auto ca = files.add("ca.pem", test_cert);
  auto c = with({{"security.protocol", "SSL"}, {"ssl.truststore.location", ca}});
  if (!c)
    CAF_FAIL(c.error());
  CAF_REQUIRE(c->security.tls.has_value());
  CAF_CHECK_EQUAL(c->security.tls->ca_file, ca);
  CAF_CHECK(c->security.tls->verify_hostname);
  CAF_CHECK(!c->security.tls->has_client_certificate());
  // librdkafka's name, and the PEM text inline.
  auto rd = with({{"security.protocol", "SSL"}, {"ssl.ca.location", ca}});
  CAF_REQUIRE(rd.has_value());
  CAF_CHECK_EQUAL(rd->security.tls->ca_file, ca);
  CAF_CHECK(with({{"security.protocol", "SSL"}, {"ssl.ca.location", ca}, {"ssl.truststore.location", ca}}).has_value());
  auto inline_pem = with({{"security.protocol", "SSL"}, {"ssl.truststore.certificates", test_cert},
                          {"ssl.truststore.type", "PEM"}});
  CAF_REQUIRE(inline_pem.has_value());
  CAF_CHECK_EQUAL(inline_pem->security.tls->ca_pem + "\n", test_cert); // trimmed, as every value
  // Neither: OpenSSL's default CAs.
  auto system = with({{"security.protocol", "SASL_SSL"}, {"sasl.mechanism", "PLAIN"}, {"sasl.username", "u"},
                      {"sasl.password", "p"}});
  CAF_REQUIRE(system.has_value());
  CAF_CHECK(system->security.tls->ca_file.empty() && system->security.tls->ca_pem.empty());
  CAF_CHECK(system->security.uses_sasl());
}

CAF_TEST(ssl trust store errors name the property) {
  temp_files files;
  auto ca = files.add("ca.pem", test_cert);
  auto not_pem = files.add("not.pem", "hello\n");
  auto broken = files.add("broken.pem", std::string(test_cert) + "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
  properties ssl{{"security.protocol", "SSL"}};
  auto plus = [&](properties more) {
    more.insert(ssl.begin(), ssl.end());
    return error_of(more);
  };
  CAF_CHECK_EQUAL(plus({{"ssl.truststore.location", "/nonexistent/ca.pem"}}),
                  "ssl.truststore.location: cannot read /nonexistent/ca.pem");
  CAF_CHECK_EQUAL(plus({{"ssl.truststore.location", "/tmp"}}), "ssl.truststore.location: /tmp is a directory, not a PEM file");
  CAF_CHECK_EQUAL(plus({{"ssl.truststore.location", not_pem}}),
                  "ssl.truststore.location: " + not_pem + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
  CAF_CHECK_EQUAL(plus({{"ssl.truststore.location", broken}}),
                  "ssl.truststore.location: " + broken + " holds a certificate OpenSSL cannot read");
  CAF_CHECK_EQUAL(plus({{"ssl.ca.location", "/nonexistent/ca.pem"}}), "ssl.ca.location: cannot read /nonexistent/ca.pem");
  CAF_CHECK_EQUAL(plus({{"ssl.ca.location", ca}, {"ssl.truststore.location", not_pem}}),
                  "ssl.ca.location: conflicts with ssl.truststore.location (give one of them)");
  CAF_CHECK_EQUAL(plus({{"ssl.truststore.location", ca}, {"ssl.truststore.certificates", test_cert}}),
                  "ssl.truststore.certificates: cannot be given with ssl.truststore.location");
  CAF_CHECK_EQUAL(plus({{"ssl.truststore.certificates", "hello"}}),
                  "ssl.truststore.certificates: holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
  CAF_CHECK(starts_with(plus({{"ssl.truststore.type", "JKS"}, {"ssl.truststore.location", ca}}),
                        "ssl.truststore.type: JKS is not supported, only PEM (export the CA certificates: keytool"));
  CAF_CHECK(starts_with(plus({{"ssl.truststore.type", "pkcs12"}}), "ssl.truststore.type: PKCS12 is not supported, only PEM"));
  CAF_CHECK_EQUAL(plus({{"ssl.truststore.type", "BKS"}}), "ssl.truststore.type: 'BKS' is not supported, only PEM");
  CAF_CHECK(starts_with(plus({{"ssl.truststore.password", "changeit"}}), "ssl.truststore.password: cannot be given"));
  CAF_CHECK(!contains(plus({{"ssl.truststore.password", "changeit"}}), "changeit"));
}

CAF_TEST(ssl client certificate in three forms) {
  temp_files files;
  auto keystore = files.add("keystore.pem", std::string(test_key) + test_cert);
  auto cert = files.add("cert.pem", test_cert);
  auto key = files.add("key.pem", test_key);
  auto java_file = with({{"security.protocol", "SSL"}, {"ssl.keystore.type", "PEM"}, {"ssl.keystore.location", keystore}});
  if (!java_file)
    CAF_FAIL(java_file.error());
  CAF_CHECK_EQUAL(java_file->security.tls->certificate_chain_file, keystore);
  CAF_CHECK_EQUAL(java_file->security.tls->private_key_file, keystore);
  CAF_CHECK(java_file->security.tls->has_client_certificate());
  auto java_inline = with({{"security.protocol", "SSL"}, {"ssl.keystore.certificate.chain", test_cert},
                           {"ssl.keystore.key", test_key}});
  if (!java_inline)
    CAF_FAIL(java_inline.error());
  CAF_CHECK_EQUAL(java_inline->security.tls->certificate_chain_pem + "\n", test_cert);
  CAF_CHECK_EQUAL(java_inline->security.tls->private_key_pem + "\n", test_key);
  auto rd = with({{"security.protocol", "SSL"}, {"ssl.certificate.location", cert}, {"ssl.key.location", key}});
  if (!rd)
    CAF_FAIL(rd.error());
  CAF_CHECK_EQUAL(rd->security.tls->certificate_chain_file, cert);
  CAF_CHECK_EQUAL(rd->security.tls->private_key_file, key);
}

CAF_TEST(ssl client certificate errors name the property and hide the key) {
  temp_files files;
  auto cert = files.add("cert.pem", test_cert);
  auto key = files.add("key.pem", test_key);
  auto encrypted = files.add("key-enc.pem", test_key_encrypted);
  auto other = files.add("other.pem", other_key);
  auto only_cert = files.add("only-cert.pem", test_cert);
  auto plus = [](properties more) {
    more.emplace("security.protocol", "SSL");
    return error_of(more);
  };
  CAF_CHECK_EQUAL(plus({{"ssl.keystore.key", test_key}}), "ssl.keystore.certificate.chain: required with ssl.keystore.key");
  CAF_CHECK_EQUAL(plus({{"ssl.keystore.certificate.chain", test_cert}}),
                  "ssl.keystore.key: required with ssl.keystore.certificate.chain");
  CAF_CHECK_EQUAL(plus({{"ssl.keystore.location", cert}, {"ssl.keystore.key", test_key},
                        {"ssl.keystore.certificate.chain", test_cert}}),
                  "ssl.keystore.key: cannot be given with ssl.keystore.location");
  CAF_CHECK_EQUAL(plus({{"ssl.certificate.location", cert}}), "ssl.key.location: required with ssl.certificate.location");
  CAF_CHECK_EQUAL(plus({{"ssl.key.location", key}}), "ssl.certificate.location: required with ssl.key.location");
  CAF_CHECK_EQUAL(plus({{"ssl.certificate.location", cert}, {"ssl.key.location", key}, {"ssl.keystore.location", cert}}),
                  "ssl.certificate.location: cannot be given with ssl.keystore.location");
  CAF_CHECK_EQUAL(plus({{"ssl.keystore.location", only_cert}}),
                  "ssl.keystore.location: no PEM private key OpenSSL can read in " + only_cert);
  CAF_CHECK_EQUAL(plus({{"ssl.certificate.location", cert}, {"ssl.key.location", encrypted}}),
                  "ssl.key.password: required: the private key in " + encrypted + " is encrypted");
  CAF_CHECK_EQUAL(plus({{"ssl.certificate.location", cert}, {"ssl.key.location", encrypted}, {"ssl.key.password", "wrong"}}),
                  "ssl.key.password: does not decrypt the private key in " + encrypted);
  CAF_CHECK(error_of({{"security.protocol", "SSL"}, {"ssl.certificate.location", cert}, {"ssl.key.location", encrypted},
                      {"ssl.key.password", "kp"}})
              .empty());
  CAF_CHECK_EQUAL(plus({{"ssl.certificate.location", cert}, {"ssl.key.location", other}}),
                  "ssl.key.location: the private key in " + other + " does not belong to the first certificate of the chain");
  CAF_CHECK_EQUAL(plus({{"ssl.keystore.certificate.chain", "garbage"}, {"ssl.keystore.key", test_key}}),
                  "ssl.keystore.certificate.chain: holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
  auto inline_bad_key = plus({{"ssl.keystore.certificate.chain", test_cert}, {"ssl.keystore.key", "s3cret-not-a-key"}});
  CAF_CHECK_EQUAL(inline_bad_key, "ssl.keystore.key: no PEM private key OpenSSL can read in ssl.keystore.key");
  auto wrong_inline = plus({{"ssl.keystore.certificate.chain", test_cert}, {"ssl.keystore.key", other_key}});
  CAF_CHECK(starts_with(wrong_inline, "ssl.keystore.key: the private key in ssl.keystore.key does not belong"));
  CAF_CHECK(!contains(wrong_inline, "PRIVATE KEY"));
  CAF_CHECK(starts_with(plus({{"ssl.keystore.password", "storepass"}}), "ssl.keystore.password: cannot be given"));
  CAF_CHECK(starts_with(plus({{"ssl.keystore.type", "JKS"}}), "ssl.keystore.type: JKS is not supported, only PEM"));
}

CAF_TEST(ssl endpoint identification) {
  auto algorithm = [](const char* value) { return with({{"security.protocol", "SSL"}, {"ssl.endpoint.identification.algorithm", value}}); };
  CAF_CHECK(algorithm("https")->security.tls->verify_hostname);
  CAF_CHECK(algorithm("HTTPS")->security.tls->verify_hostname);
  CAF_CHECK(!algorithm("")->security.tls->verify_hostname);
  CAF_CHECK(!algorithm("  ")->security.tls->verify_hostname);
  auto ldaps = algorithm("ldaps");
  CAF_REQUIRE(!ldaps);
  CAF_CHECK_EQUAL(ldaps.error(),
                  "ssl.endpoint.identification.algorithm: 'ldaps' is not https or empty (no host name check)");
}

CAF_TEST(sasl mechanism is required and gssapi refused) {
  CAF_CHECK_EQUAL(error_of({{"security.protocol", "SASL_SSL"}}),
                  "sasl.mechanism: required with SASL_SSL: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER "
                  "(Java's default, GSSAPI, is not supported)");
  CAF_CHECK_EQUAL(error_of({{"security.protocol", "SASL_PLAINTEXT"}, {"sasl.mechanism", "GSSAPI"}}),
                  "sasl.mechanism: GSSAPI (Kerberos) is not supported: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER");
  CAF_CHECK(starts_with(error_of({{"security.protocol", "SASL_PLAINTEXT"}, {"sasl.mechanisms", "GSSAPI"}}),
                        "sasl.mechanisms: GSSAPI (Kerberos) is not supported"));
  CAF_CHECK(starts_with(error_of({{"security.protocol", "SASL_PLAINTEXT"}, {"sasl.mechanism", "SCRAM-SHA-1"}}),
                        "sasl.mechanism: 'SCRAM-SHA-1' is not one of"));
  CAF_CHECK_EQUAL(error_of({{"security.protocol", "SASL_PLAINTEXT"}, {"sasl.mechanism", "PLAIN"},
                            {"sasl.mechanisms", "SCRAM-SHA-256"}}),
                  "sasl.mechanisms: conflicts with sasl.mechanism (give one of them)");
}

CAF_TEST(sasl plain and scram credentials) {
  auto plain = with({{"security.protocol", "SASL_PLAINTEXT"}, {"sasl.mechanism", "PLAIN"},
                     {"sasl.jaas.config", jaas(plain_module, R"(username="alice" password="alice-secret")")}});
  if (!plain)
    CAF_FAIL(plain.error());
  CAF_REQUIRE(plain->security.sasl.has_value());
  CAF_CHECK(plain->security.sasl->mechanism == protocol::sasl_mechanism::plain);
  CAF_CHECK_EQUAL(plain->security.sasl->username, "alice");
  CAF_CHECK_EQUAL(plain->security.sasl->password, "alice-secret");
  auto scram = with({{"security.protocol", "SASL_SSL"}, {"sasl.mechanism", "SCRAM-SHA-512"},
                     {"sasl.jaas.config", jaas(scram_module, R"(username="u,1" password="p=2" tokenauth="true")")}});
  if (!scram)
    CAF_FAIL(scram.error());
  CAF_CHECK(scram->security.sasl->mechanism == protocol::sasl_mechanism::scram_sha_512);
  CAF_CHECK_EQUAL(scram->security.sasl->username, "u,1");
  CAF_CHECK(scram->security.sasl->scram_token_auth);
  // Java hands PlainLoginModule's credentials to SCRAM too.
  CAF_CHECK(with({{"security.protocol", "SASL_PLAINTEXT"}, {"sasl.mechanism", "SCRAM-SHA-256"},
                  {"sasl.jaas.config", jaas(plain_module, R"(username="u" password="p")")}})
              .has_value());
  // librdkafka's way, as kcat users type it.
  auto rd = with({{"security.protocol", "sasl_ssl"}, {"sasl.mechanisms", "SCRAM-SHA-256"}, {"sasl.username", "bob"},
                  {"sasl.password", "bob-secret"}});
  if (!rd)
    CAF_FAIL(rd.error());
  CAF_CHECK(rd->security.sasl->mechanism == protocol::sasl_mechanism::scram_sha_256);
  CAF_CHECK_EQUAL(rd->security.sasl->username, "bob");
  CAF_CHECK_EQUAL(rd->security.sasl->password, "bob-secret");
  CAF_CHECK(!rd->security.sasl->scram_token_auth);
}

CAF_TEST(sasl credential errors name the property) {
  properties base{{"security.protocol", "SASL_PLAINTEXT"}, {"sasl.mechanism", "PLAIN"}};
  auto plus = [&](properties more) {
    more.insert(base.begin(), base.end());
    return error_of(more);
  };
  CAF_CHECK(starts_with(plus({}), "sasl.jaas.config: required with sasl.mechanism=PLAIN, e.g. "
                                  "org.apache.kafka.common.security.plain.PlainLoginModule required username="));
  CAF_CHECK_EQUAL(plus({{"sasl.username", "u"}}), "sasl.password: required with sasl.username");
  CAF_CHECK_EQUAL(plus({{"sasl.password", "p"}}), "sasl.username: required with sasl.password");
  CAF_CHECK_EQUAL(plus({{"sasl.username", "u"}, {"sasl.jaas.config", jaas(plain_module, R"(username="u" password="p")")}}),
                  "sasl.username: cannot be given with sasl.jaas.config (give the credentials in one of them)");
  CAF_CHECK_EQUAL(plus({{"sasl.jaas.config", jaas(plain_module, R"(username="u")")}}),
                  "sasl.jaas.config: PlainLoginModule needs password=\"...\"");
  CAF_CHECK_EQUAL(plus({{"sasl.jaas.config", jaas(plain_module, R"(password="p")")}}),
                  "sasl.jaas.config: PlainLoginModule needs username=\"...\"");
  CAF_CHECK_EQUAL(plus({{"sasl.jaas.config", jaas(plain_module, R"(username="" password="p")")}}),
                  "sasl.jaas.config: PlainLoginModule needs username=\"...\"");
  CAF_CHECK_EQUAL(plus({{"sasl.jaas.config", jaas(plain_module, R"(username="u" password="p" user_x="y")")}}),
                  "sasl.jaas.config: PlainLoginModule has no option 'user_x'");
  CAF_CHECK_EQUAL(plus({{"sasl.jaas.config", jaas(plain_module, R"(username="u" username="v" password="p")")}}),
                  "sasl.jaas.config: option 'username' is given twice");
  CAF_CHECK_EQUAL(plus({{"sasl.jaas.config", jaas(plain_module, R"(username="u" password="p" tokenauth="true")")}}),
                  "sasl.jaas.config: PlainLoginModule has no option 'tokenauth'");
  CAF_CHECK_EQUAL(plus({{"sasl.jaas.config", jaas(scram_module, R"(username="u" password="p" tokenauth="true")")}}),
                  "sasl.jaas.config: tokenauth (delegation tokens) works with SCRAM only");
  CAF_CHECK(starts_with(plus({{"sasl.jaas.config", jaas(oauth_module, "")}}),
                        "sasl.jaas.config: login module 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule' "
                        "does not work with PLAIN; use org.apache.kafka.common.security.plain.PlainLoginModule"));
  CAF_CHECK(starts_with(plus({{"sasl.jaas.config", "com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true;"}}),
                        "sasl.jaas.config: login module 'com.sun.security.auth.module.Krb5LoginModule' does not work"));
  CAF_CHECK_EQUAL(plus({{"sasl.jaas.config", jaas(plain_module, R"(username="u" password="p")") + " "
                                               + jaas(plain_module, R"(username="v" password="q")")}}),
                  "sasl.jaas.config: one login module expected, 2 given");
  CAF_CHECK_EQUAL(plus({{"sasl.oauthbearer.token.file", "/tmp/t"}, {"sasl.username", "u"}, {"sasl.password", "p"}}),
                  "sasl.oauthbearer.token.file: only for sasl.mechanism=OAUTHBEARER");
}

CAF_TEST(secrets never appear in errors) {
  const std::string secret = "hunter2-Tr0ub4dor";
  auto plain = [](const std::string& jaas_text) {
    return error_of({{"security.protocol", "SASL_SSL"}, {"sasl.mechanism", "PLAIN"}, {"sasl.jaas.config", jaas_text}});
  };
  std::string module = plain_module;
  for (auto& text : {module + " required username=\"u\" password=\"" + secret + ";",         // unterminated quote
                     module + " required username=\"u\" password=\"" + secret + "\"",         // no ';'
                     module + " required username=\"u\" password=" + secret + " x;",         // unquoted, then a word
                     module + " required username=\"u\" password=" + secret + "!;",          // stray character
                     module + " required username=\"u\" password=\"" + secret + "\" \"x\";",  // a value without a name
                     module + " password=\"" + secret + "\";",                                // no control flag
                     module + " required password=\"" + secret + "\";",                       // no username
                     module + " required username=\"u\" password=\"" + secret + "\" port=1;", // unknown option
                     std::string(oauth_module) + " required username=\"u\" password=\"" + secret + "\";"}) {
    auto e = plain(text);
    CAF_CHECK(starts_with(e, "sasl.jaas.config: "));
    CAF_CHECK_EQUAL(contains(e, secret) ? e : "", ""); // shows the error if it holds the secret
  }
  // Nor the other secret-bearing properties.
  auto rd = error_of({{"security.protocol", "SASL_SSL"}, {"sasl.mechanism", "OAUTHBEARER"}, {"sasl.password", secret}});
  CAF_CHECK(starts_with(rd, "sasl.password: "));
  CAF_CHECK(!contains(rd, secret));
  auto key_password = error_of({{"security.protocol", "SSL"}, {"ssl.keystore.password", secret}});
  CAF_CHECK(!contains(key_password, secret));
}

CAF_TEST(oauthbearer unsecured jwt from jaas options) {
  auto c = with({{"security.protocol", "SASL_PLAINTEXT"},
                 {"sasl.mechanism", "OAUTHBEARER"},
                 {"sasl.jaas.config", jaas(oauth_module, R"(unsecuredLoginStringClaim_sub="alice"
                                                            unsecuredLoginListClaim_scope="|produce|describe"
                                                            unsecuredLoginNumberClaim_level="3"
                                                            unsecuredLoginLifetimeSeconds="60"
                                                            unsecuredLoginScopeClaimName="scope"
                                                            unsecuredLoginExtension_traceId="123")")}});
  if (!c)
    CAF_FAIL(c.error());
  auto& s = *c->security.sasl;
  CAF_CHECK(s.mechanism == protocol::sasl_mechanism::oauthbearer);
  CAF_REQUIRE(s.oauthbearer_unsecured.has_value());
  CAF_REQUIRE_EQUAL(s.oauthbearer_unsecured->claims.size(), 3u);
  CAF_CHECK_EQUAL(s.oauthbearer_unsecured->claims[0].name, "sub");
  CAF_CHECK_EQUAL(s.oauthbearer_unsecured->claims[0].value, "alice");
  CAF_CHECK(s.oauthbearer_unsecured->claims[1].kind == protocol::unsecured_jwt::claim_kind::list);
  CAF_CHECK(s.oauthbearer_unsecured->claims[2].kind == protocol::unsecured_jwt::claim_kind::number);
  CAF_CHECK_EQUAL(s.oauthbearer_unsecured->lifetime_seconds, 60);
  CAF_REQUIRE_EQUAL(s.oauthbearer_extensions.size(), 1u);
  CAF_CHECK_EQUAL(s.oauthbearer_extensions[0].first, "traceId");
  // A client from these settings sends an unsecured JWT (alg none, empty signature).
  auto client = protocol::make_sasl_client(s, std::chrono::system_clock::now());
  CAF_REQUIRE(client.has_value());
  auto first = (*client)->initial_response();
  CAF_REQUIRE(first.has_value());
  auto text = std::string(protocol::as_chars(*first));
  CAF_CHECK(starts_with(text, "n,,\x01" "auth=Bearer eyJhbGciOiJub25lIn0."));
  CAF_CHECK(contains(text, ".\x01" "traceId=123\x01\x01"));
  // Another principal claim name.
  auto custom = with({{"security.protocol", "SASL_PLAINTEXT"}, {"sasl.mechanism", "OAUTHBEARER"},
                      {"sasl.jaas.config", jaas(oauth_module, R"(unsecuredLoginPrincipalClaimName="user" unsecuredLoginStringClaim_user="bob")")}});
  CAF_REQUIRE(custom.has_value());
  CAF_CHECK_EQUAL(custom->security.sasl->oauthbearer_unsecured->principal_claim, "user");
}

CAF_TEST(oauthbearer token file and errors) {
  temp_files files;
  auto token = files.add("token", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl\n");
  auto empty = files.add("empty-token", "\n");
  auto bad = files.add("bad-token", "Bearer s3cret token\n");
  properties base{{"security.protocol", "SASL_SSL"}, {"sasl.mechanism", "OAUTHBEARER"}};
  auto plus = [&](properties more) {
    more.insert(base.begin(), base.end());
    return with(more);
  };
  auto c = plus({{"sasl.oauthbearer.token.file", token}});
  if (!c)
    CAF_FAIL(c.error());
  CAF_CHECK_EQUAL(c->security.sasl->oauthbearer_token_file, token);
  CAF_CHECK(!c->security.sasl->oauthbearer_unsecured);
  // With the login module for extensions only.
  auto ext = plus({{"sasl.oauthbearer.token.file", token},
                   {"sasl.jaas.config", jaas(oauth_module, R"(unsecuredLoginExtension_traceId="1")")}});
  CAF_REQUIRE(ext.has_value());
  CAF_CHECK_EQUAL(ext->security.sasl->oauthbearer_extensions.size(), 1u);
  auto error = [&](properties more) {
    auto r = plus(std::move(more));
    return r ? std::string{} : r.error();
  };
  CAF_CHECK_EQUAL(error({{"sasl.oauthbearer.token.file", "/nonexistent/token"}}),
                  "sasl.oauthbearer.token.file: cannot read the token file /nonexistent/token");
  CAF_CHECK_EQUAL(error({{"sasl.oauthbearer.token.file", empty}}),
                  "sasl.oauthbearer.token.file: the token file " + empty + " is empty");
  auto bad_token = error({{"sasl.oauthbearer.token.file", bad}});
  CAF_CHECK(starts_with(bad_token, "sasl.oauthbearer.token.file: the token file " + bad + " does not hold a bearer token"));
  CAF_CHECK(!contains(bad_token, "s3cret"));
  CAF_CHECK(starts_with(error({}), "sasl.oauthbearer.token.file: OAUTHBEARER needs a token"));
  CAF_CHECK(starts_with(error({{"sasl.jaas.config", jaas(oauth_module, R"(unsecuredLoginExtension_traceId="1")")}}),
                        "sasl.jaas.config: OAUTHBEARER needs a token"));
  CAF_CHECK_EQUAL(error({{"sasl.oauthbearer.token.file", token},
                         {"sasl.jaas.config", jaas(oauth_module, R"(unsecuredLoginStringClaim_sub="alice")")}}),
                  "sasl.oauthbearer.token.file: cannot be given with unsecured JWT claims in sasl.jaas.config");
  CAF_CHECK(starts_with(error({{"sasl.username", "u"}, {"sasl.password", "p"}}), "sasl.username: not used with OAUTHBEARER"));
  CAF_CHECK(starts_with(error({{"sasl.jaas.config", jaas(oauth_module, R"(clientId="id" clientSecret="secret")")}}),
                        "sasl.jaas.config: OAuthBearerLoginModule option 'clientId' is not supported"));
  CAF_CHECK_EQUAL(error({{"sasl.jaas.config", jaas(oauth_module, R"(unsecuredLoginStringClaim_user="bob")")}}),
                  "sasl.jaas.config: the principal claim 'sub' is missing");
  CAF_CHECK_EQUAL(error({{"sasl.jaas.config", jaas(oauth_module, R"(unsecuredLoginStringClaim_sub="a" unsecuredLoginNumberClaim_exp="1")")}}),
                  "sasl.jaas.config: the 'exp' claim cannot be set, it is computed");
  CAF_CHECK_EQUAL(error({{"sasl.jaas.config", jaas(oauth_module, R"(unsecuredLoginStringClaim_sub="a" unsecuredLoginLifetimeSeconds="soon")")}}),
                  "sasl.jaas.config: unsecuredLoginLifetimeSeconds must be a positive integer");
  CAF_CHECK_EQUAL(error({{"sasl.jaas.config", jaas(oauth_module, R"(unsecuredLoginStringClaim_sub="a" unsecuredLoginExtension_auth="x")")}}),
                  "sasl.jaas.config: extension name 'auth' is reserved");
  CAF_CHECK(starts_with(error({{"sasl.jaas.config", jaas(plain_module, R"(username="u" password="p")")}}),
                        "sasl.jaas.config: login module 'org.apache.kafka.common.security.plain.PlainLoginModule' does not work with OAUTHBEARER"));
}
