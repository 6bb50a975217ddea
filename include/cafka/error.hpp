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

// "RECORD_TOO_LARGE: the record is 2000123 bytes ..." for any error of this category.
std::string describe_error(uint8_t code, const caf::message& context);

// Registers the renderer so that system.render(err) prints names, not numbers.
void add_error_category(caf::actor_system_config& cfg);

} // namespace cafka
