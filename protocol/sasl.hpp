// SASL mechanisms, client side, as plain classes: they make the auth bytes of SaslAuthenticate
// requests and check the broker's answers; the connection sends and receives them. No I/O except
// that make_sasl_client reads an OAUTHBEARER token file.
//
// The connection's conversation (after ApiVersions, on SASL_PLAINTEXT or SASL_SSL):
//
//   auto client = make_sasl_client(settings, std::chrono::system_clock::now());   // one per connection
//   1. SaslHandshake v1 {mechanism = name_of(client->mechanism())}
//        error_code != 0: fail; UNSUPPORTED_SASL_MECHANISM lists the broker's mechanisms.
//   2. SaslAuthenticate {auth_bytes = client->initial_response()}
//   3. On each SaslAuthenticate response:
//        error_code != 0:  fail with error_message (and client->server_error() if not empty);
//        else next = client->evaluate(response.auth_bytes):
//          an error:     fail (the broker's answer was wrong: a foreign nonce, a bad signature, e=...);
//          bytes:        send them in the next SaslAuthenticate, back to 3;
//          std::nullopt: authenticated (client->complete()); the response's session_lifetime_ms says
//                        when to re-authenticate (KIP-368, with a new client), 0 for never.
//
// Errors never contain a password, a token or a salted key.
#pragma once

#include "protocol/bytes.hpp"
#include "protocol/result.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cafka::protocol {

enum class sasl_mechanism { plain, scram_sha_256, scram_sha_512, oauthbearer };

// The names SaslHandshake and sasl.mechanism use: "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER".
std::string_view name_of(sasl_mechanism m);
std::optional<sasl_mechanism> parse_sasl_mechanism(std::string_view name);

// One authentication exchange. Not reusable: re-authentication takes a new client.
class sasl_client {
public:
  virtual ~sasl_client() = default;
  virtual sasl_mechanism mechanism() const = 0;
  // The first SaslAuthenticate's auth_bytes; call once, first.
  virtual result<byte_buffer> initial_response() = 0;
  // The auth_bytes of a SaslAuthenticate response that had no error: what to send next, or
  // std::nullopt once the exchange is complete. An error fails the exchange for good.
  virtual result<std::optional<byte_buffer>> evaluate(byte_span challenge) = 0;
  virtual bool complete() const = 0;
  // What the server said was wrong while the exchange went on, for the error that ends it (only
  // OAUTHBEARER has this: its JSON error comes before the failed SaslAuthenticate); else empty.
  virtual std::string server_error() const { return {}; }
};

// ---- PLAIN (RFC 4616) ---------------------------------------------------------------------------
// One message, "\0username\0password" (no authorization id, as Java's client); the broker answers
// with empty bytes or SASL_AUTHENTICATION_FAILED.
class plain_client final : public sasl_client {
public:
  enum class state { send_initial, receive_outcome, complete, failed };
  plain_client(std::string username, std::string password);
  ~plain_client() override;

  sasl_mechanism mechanism() const override { return sasl_mechanism::plain; }
  result<byte_buffer> initial_response() override;
  result<std::optional<byte_buffer>> evaluate(byte_span challenge) override;
  bool complete() const override { return state_ == state::complete; }
  state current_state() const { return state_; }

private:
  std::string username_;
  std::string password_;
  state state_ = state::send_initial;
};

// ---- SCRAM-SHA-256 / SCRAM-SHA-512 (RFC 5802, RFC 7677; Kafka's KIP-84) -------------------------
// client-first  n,,n=<saslname>,r=<client nonce>[,tokenauth=true]
// server-first  r=<client nonce + server nonce>,s=<salt, base64>,i=<iterations>
// client-final  c=biws,r=<that nonce>,p=<ClientProof, base64>
// server-final  v=<ServerSignature, base64>, checked; or e=<error>
// As Kafka: no SASLprep of the password (its UTF-8 bytes), no channel binding, 4096 iterations at
// least. Stricter than Kafka: the server nonce must extend ours (not just equal it), a mandatory
// extension (m=) is refused as RFC 5802 says, and more than 16384 iterations (Kafka's own maximum
// for credentials) are refused, so that a hostile server cannot stall the connection.
class scram_client final : public sasl_client {
public:
  enum class state { send_client_first, receive_server_first, receive_server_final, complete, failed };
  static constexpr int32_t min_iterations = 4096;
  static constexpr int32_t max_iterations = 16384;

  // mechanism: scram_sha_256 or scram_sha_512. extensions go into client-first as ",key=value"
  // (Kafka's delegation tokens: {"tokenauth", "true"}). nonce: empty for 24 random bytes from
  // OpenSSL's RAND_bytes in base64 (printable, no ','); tests give their own.
  scram_client(sasl_mechanism mechanism, std::string username, std::string password,
               std::vector<std::pair<std::string, std::string>> extensions = {}, std::string nonce = {});
  ~scram_client() override;

  sasl_mechanism mechanism() const override { return mechanism_; }
  result<byte_buffer> initial_response() override;
  result<std::optional<byte_buffer>> evaluate(byte_span challenge) override;
  bool complete() const override { return state_ == state::complete; }
  state current_state() const { return state_; }

private:
  result<std::optional<byte_buffer>> on_server_first(std::string_view message);
  result<std::optional<byte_buffer>> on_server_final(std::string_view message);
  unexpected fail(std::string why);

  sasl_mechanism mechanism_;
  std::string username_;
  std::string password_;
  std::vector<std::pair<std::string, std::string>> extensions_;
  std::string client_nonce_;
  std::string client_first_bare_;
  std::string auth_message_;
  byte_buffer salted_password_;
  state state_ = state::send_client_first;
};

// RFC 5802's saslname: ',' becomes "=2C" and '=' becomes "=3D".
std::string scram_saslname(std::string_view username);

// ---- OAUTHBEARER (RFC 7628; Kafka's KIP-255) ----------------------------------------------------
// Initial response "n,,\x01auth=Bearer <token>[\x01key=value...]\x01\x01". The broker answers with
// empty bytes, or with a JSON error ({"status":"invalid_token",...}) to which the client answers
// "\x01" and the broker then fails the SaslAuthenticate with that JSON as its message.
struct oauthbearer_server_error {
  std::string status;
  std::string scope;
  std::string openid_configuration;
  std::string text() const; // "invalid_token (scope: ..., openid-configuration: ...)"
};
result<oauthbearer_server_error> parse_oauthbearer_error(std::string_view json);

class oauthbearer_client final : public sasl_client {
public:
  enum class state { send_initial, receive_outcome, receive_failure, complete, failed };
  oauthbearer_client(std::string token, std::vector<std::pair<std::string, std::string>> extensions = {});
  ~oauthbearer_client() override;

  sasl_mechanism mechanism() const override { return sasl_mechanism::oauthbearer; }
  result<byte_buffer> initial_response() override;
  result<std::optional<byte_buffer>> evaluate(byte_span challenge) override;
  bool complete() const override { return state_ == state::complete; }
  std::string server_error() const override;
  state current_state() const { return state_; }

private:
  std::string token_;
  std::vector<std::pair<std::string, std::string>> extensions_;
  std::optional<oauthbearer_server_error> server_error_;
  std::string raw_server_error_;
  state state_ = state::send_initial;
};

// A token as RFC 6750's b64token (what Kafka's broker accepts): [-_~+/.A-Za-z0-9]+ then '='s.
bool valid_bearer_token(std::string_view token);
// RFC 7628's extensions as Kafka checks them: keys [A-Za-z]+ and not "auth", values of printable
// ASCII, space, tab, CR and LF. The error names the key, never the value.
result<void> check_oauthbearer_extensions(const std::vector<std::pair<std::string, std::string>>& extensions);

// An unsecured JWT as Kafka's OAuthBearerUnsecuredLoginCallbackHandler makes it for tests and
// development: header {"alg":"none"}, claims {"exp":...,"iat":...,<claims>}, both base64url without
// padding, and an empty signature: "<header>.<claims>.". Brokers accept it only with their
// unsecured validator (the default when no OAuth validation is configured).
struct unsecured_jwt {
  enum class claim_kind { string, number, list };
  struct claim {
    std::string name;
    claim_kind kind = claim_kind::string;
    std::string value; // a list's first character separates its elements ("|a|b"); a number as given
  };
  std::vector<claim> claims;             // in order; never iat or exp, which are computed
  std::string principal_claim = "sub";   // must be among the string claims, not empty
  int64_t lifetime_seconds = 3600;
};
result<void> check_unsecured_jwt(const unsecured_jwt& jwt);
std::string make_unsecured_jwt(const unsecured_jwt& jwt, std::chrono::system_clock::time_point now);

// ---- Settings to client -------------------------------------------------------------------------

// What a connection needs to authenticate, parsed from the producer's configuration (actors/config).
struct sasl_settings {
  sasl_mechanism mechanism = sasl_mechanism::plain;
  std::string username; // PLAIN, SCRAM
  std::string password; // PLAIN, SCRAM
  bool scram_token_auth = false; // ScramLoginModule's tokenauth="true" (delegation tokens)
  // OAUTHBEARER takes its token from exactly one of these: a function asked at every authentication
  // (the application's token provider), a file re-read at every authentication (so that an outside
  // process can renew it), or an unsecured JWT minted at every authentication.
  std::function<result<std::string>()> oauthbearer_token_provider;
  std::string oauthbearer_token_file;
  std::optional<unsecured_jwt> oauthbearer_unsecured;
  std::vector<std::pair<std::string, std::string>> oauthbearer_extensions;
};

// Reads a token file: the token is its content without surrounding whitespace. Errors name the file,
// never its content.
result<std::string> read_oauthbearer_token_file(const std::string& path);

// A fresh client for one exchange; OAUTHBEARER reads its token file or mints its unsecured token now.
result<std::unique_ptr<sasl_client>> make_sasl_client(const sasl_settings& settings,
                                                      std::chrono::system_clock::time_point now);

// ---- Primitives (exposed for the tests) ---------------------------------------------------------

std::string base64_encode(byte_span bytes);
std::string base64url_encode(byte_span bytes); // no padding (JWT)
// Strict: the standard alphabet with its padding, nothing else.
std::optional<byte_buffer> base64_decode(std::string_view text);

} // namespace cafka::protocol
