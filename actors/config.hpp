// The producer's configuration parsed: Java's property names and Java 4.x's defaults, validated once
// at spawn so that a wrong name or value fails there, naming the property.
#pragma once

#include "cafka/config.hpp"
#include "protocol/compression.hpp"
#include "protocol/sasl.hpp"

#include <chrono>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cafka {

struct broker_address {
  std::string host;
  uint16_t port = 0;
};

// ---- Security (issue #13): security.protocol, ssl.*, sasl.* ------------------------------------
// As in Java, the ssl.* settings count only when security.protocol is SSL or SASL_SSL and the sasl.*
// settings only when it is SASL_PLAINTEXT or SASL_SSL; otherwise they are accepted and ignored.

enum class security_protocol { plaintext, ssl, sasl_plaintext, sasl_ssl };
std::string_view name_of(security_protocol p); // "PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"

// TLS to the brokers, PEM only (Java's JKS and PKCS12 stores are refused at spawn). Files were
// readable and held the expected PEM blocks at spawn; the connection loads them when it connects.
struct tls_config {
  // The CAs to trust: a PEM file (ssl.truststore.location, librdkafka's ssl.ca.location) or PEM text
  // (ssl.truststore.certificates). Neither: OpenSSL's default paths (the system's CAs).
  std::string ca_file;
  std::string ca_pem;
  // The client's certificate for mutual TLS, optional: files or PEM text, never both. Java's
  // ssl.keystore.location holds the chain and the key in one file, so both fields name it;
  // librdkafka's ssl.certificate.location and ssl.key.location are two files; Java's
  // ssl.keystore.certificate.chain and ssl.keystore.key are the PEM text.
  std::string certificate_chain_file;
  std::string private_key_file;
  std::string certificate_chain_pem;
  std::string private_key_pem;
  std::string key_password; // ssl.key.password: decrypts an encrypted private key; empty: none
  // ssl.endpoint.identification.algorithm: "https" (the default) checks that the broker's
  // certificate names the host connected to; empty turns that off. The chain is always verified.
  bool verify_hostname = true;

  bool has_client_certificate() const { return !certificate_chain_file.empty() || !certificate_chain_pem.empty(); }
};

struct security_config {
  security_protocol protocol = security_protocol::plaintext;
  std::optional<tls_config> tls;              // set for SSL and SASL_SSL
  std::optional<protocol::sasl_settings> sasl; // set for SASL_PLAINTEXT and SASL_SSL

  bool uses_tls() const { return tls.has_value(); }
  bool uses_sasl() const { return sasl.has_value(); }
};

struct producer_config {
  std::vector<broker_address> bootstrap_servers;
  std::string client_id;
  int16_t acks = -1; // "all"
  bool enable_idempotence = true;
  std::chrono::milliseconds linger{5};
  int32_t batch_size = 16384;
  int64_t buffer_memory = 33554432;
  // cafka's own: bytes of records a send may hold while they wait (at most max.block.ms) for their
  // topic's metadata, the producer id or room in buffer.memory; past it a send fails at once with
  // BUFFER_EXHAUSTED. Java blocks the sending thread instead; an actor must not. -1: buffer.memory.
  int64_t max_blocked_bytes = -1;
  std::chrono::milliseconds max_block{60000};
  std::chrono::milliseconds delivery_timeout{120000};
  std::chrono::milliseconds request_timeout{30000};
  int32_t retries = INT32_MAX;
  std::chrono::milliseconds retry_backoff{100};
  std::chrono::milliseconds retry_backoff_max{1000};
  int32_t max_in_flight = 5;
  int32_t max_request_size = 1048576;
  protocol::compression_codec compression = protocol::compression_codec::none;
  int compression_level = 0; // the level of the chosen codec
  int gzip_level = -1, lz4_level = 9, zstd_level = 3;
  std::chrono::milliseconds metadata_max_age{300000};
  std::chrono::milliseconds metadata_max_idle{300000};
  bool partitioner_ignore_keys = false;
  bool partitioner_adaptive = true;
  std::chrono::milliseconds partitioner_availability_timeout{0};
  std::chrono::milliseconds reconnect_backoff{50};
  std::chrono::milliseconds reconnect_backoff_max{1000};
  std::chrono::milliseconds socket_connection_setup_timeout{10000};
  security_config security; // holds secrets (passwords, keys): never log or send it
  // Transactions (Java's names and defaults). A transactional.id makes the producer transactional
  // and forces idempotence on (Java's rules: a conflict is an error, never a quiet downgrade).
  std::string transactional_id; // empty: not transactional
  std::chrono::milliseconds transaction_timeout{60000};

  bool transactional() const { return !transactional_id.empty(); }
};

// The error says which property and why ("linger.ms: 'abc' is not an integer").
// oauthbearer_token_provider: the application gives OAUTHBEARER tokens itself
// (producer_options::oauthbearer_token), so the properties give none.
std::expected<producer_config, std::string> parse_config(const properties& props, bool oauthbearer_token_provider = false);

// The security.*, ssl.* and sasl.* properties of props (the others are not looked at). The error
// names the property and never holds a secret.
std::expected<security_config, std::string> parse_security_config(const properties& props,
                                                                  bool oauthbearer_token_provider = false);

// "host:port[,host:port...]".
std::expected<std::vector<broker_address>, std::string> parse_bootstrap_servers(const std::string& list);

} // namespace cafka
