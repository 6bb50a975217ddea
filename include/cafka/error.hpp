// cafka's caf::error category: every failure a user sees carries one of these codes and a context
// string that names the cause. Kafka's broker error codes 1..133 map to themselves; Kafka's -1
// (UNKNOWN_SERVER_ERROR) and cafka's own client-side causes take spare values above them.
#pragma once

#include "caf/all.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace cafka {

enum class errc : uint8_t {
  // 1..199: the broker's error code (protocol::error_info names it).
  unknown_server_error = 200, // Kafka's -1
  unknown_broker_error_code,  // a code this client does not know
  metadata_timeout,           // topic not present in metadata after max.block.ms
  buffer_exhausted,           // buffer.memory full for max.block.ms
  record_too_large,           // larger than max.request.size or buffer.memory
  delivery_timeout,           // not acknowledged within delivery.timeout.ms
  producer_closed,            // sent after close
  invalid_config,             // a property's name or value is wrong
  invalid_record,             // e.g. partition out of range
  network_error,              // connection refused or lost
  request_timeout,            // no response within request.timeout.ms
  unsupported_version,        // the broker speaks no version cafka speaks
  malformed_response,         // bytes from the broker that do not decode
  serialization_error,        // a key or value serializer failed
  authentication_failed,      // TLS or SASL: a check on our side failed (the broker's certificate,
                              // its host name, a SCRAM server signature) or the broker refused our
                              // certificate; a broker's SASL refusal keeps its own code (58)
  // Transactions (issue #14).
  transaction_aborted,        // a record not written because its transaction aborted (Java's TransactionAbortedException)
  abortable_error,            // the transaction cannot commit any more: abort it, then go on (Java's ABORTABLE_ERROR state)
  illegal_state,              // a call the producer's state does not allow, e.g. begin_transaction twice (Java's IllegalStateException)
};

constexpr caf::atom_value error_category = caf::atom("kafka");

caf::error make_error(errc code);
caf::error make_error(errc code, std::string context);

// The caf::error for a Kafka error code from a broker response (never NONE).
caf::error kafka_error(int16_t code, std::string context = {});

// The Kafka error code an error carries, if it came from a broker (-1 for UNKNOWN_SERVER_ERROR).
std::optional<int16_t> broker_error_code(const caf::error& err);

// Whether retrying the request that failed with err may succeed (Kafka's retriable errors, lost
// connections, request timeouts).
bool is_retriable(const caf::error& err);

// Whether err says that authenticating to a broker failed, as Java's AuthenticationException
// (which includes SslAuthenticationException): AUTHENTICATION_FAILED (TLS, SASL checks on our side)
// or the broker's SASL_AUTHENTICATION_FAILED (58), UNSUPPORTED_SASL_MECHANISM (33) and
// ILLEGAL_SASL_STATE (34). Not retriable: a producer fails what waits for that broker at once.
bool is_authentication_error(const caf::error& err);
// KIP-1050's categories of a transactional error: what the application does next. Errors of a
// transactional producer (its replies to init/begin/commit/abort/send_offsets/send_transaction and
// each record's) fall in one of them; the broker's codes follow Java 4.4's exception classes
// (RetriableException, RefreshRetriableException, TransactionAbortableException,
// ApplicationRecoverableException, InvalidConfigurationException), cafka's own codes the nearest.
enum class transaction_category : uint8_t {
  none,                    // no error
  // A passing condition: the same call may succeed later (a timeout, a coordinator loading,
  // CONCURRENT_TRANSACTIONS). A timed-out init/commit/abort goes on meanwhile: calling it again
  // waits for the same outcome.
  retriable,
  // Like retriable, after the client refreshed metadata or found the coordinator again (cafka does
  // so itself: NOT_COORDINATOR, NOT_LEADER_OR_FOLLOWER, a lost connection).
  refresh_retriable,
  // The transaction cannot commit: abort_transaction, then go on with the same producer (a record
  // failed, TRANSACTION_ABORTABLE, ABORTABLE_ERROR, TRANSACTION_ABORTED).
  abortable,
  // The producer cannot go on (fenced by a newer one with the same transactional.id, an old epoch, a
  // consumer group's metadata went stale): close it; a new producer's init_transactions recovers.
  application_recoverable,
  // Retrying will not help until the configuration or the ACLs change (authorization, unsupported
  // version, transaction.timeout.ms above the broker's transaction.max.timeout.ms, ...).
  invalid_configuration,
  // cafka's: a call in a state that does not allow it (ILLEGAL_STATE, Java's IllegalStateException),
  // a bug of the caller; nothing changed.
  illegal_state,
  // Anything else: the producer cannot go on and nothing tells how to recover (INVALID_TXN_STATE, an
  // unknown error): close it.
  fatal,
};

transaction_category transaction_error_category(const caf::error& err);

// "retriable", "refresh-retriable", "abortable", "application-recoverable", "invalid-configuration",
// "illegal-state", "fatal", "none".
const char* to_string(transaction_category c);

// "RECORD_TOO_LARGE: the record is 2000123 bytes ..." for any error of this category.
std::string describe_error(uint8_t code, const caf::message& context);

// Registers the renderer so that system.render(err) prints names, not numbers.
void add_error_category(caf::actor_system_config& cfg);

} // namespace cafka
