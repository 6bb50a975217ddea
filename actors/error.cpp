#include "cafka/error.hpp"

#include "protocol/error_codes.hpp"

namespace cafka {

namespace {

constexpr int16_t unknown_server_error_code = -1;

const char* client_error_name(errc code) {
  switch (code) {
    case errc::unknown_server_error: return "UNKNOWN_SERVER_ERROR";
    case errc::unknown_broker_error_code: return "UNKNOWN_ERROR_CODE";
    case errc::metadata_timeout: return "METADATA_TIMEOUT";
    case errc::buffer_exhausted: return "BUFFER_EXHAUSTED";
    case errc::record_too_large: return "RECORD_TOO_LARGE";
    case errc::delivery_timeout: return "DELIVERY_TIMEOUT";
    case errc::producer_closed: return "PRODUCER_CLOSED";
    case errc::invalid_config: return "INVALID_CONFIG";
    case errc::invalid_record: return "INVALID_RECORD";
    case errc::network_error: return "NETWORK_ERROR";
    case errc::request_timeout: return "REQUEST_TIMEOUT";
    case errc::unsupported_version: return "UNSUPPORTED_VERSION";
    case errc::malformed_response: return "MALFORMED_RESPONSE";
    case errc::serialization_error: return "SERIALIZATION_ERROR";
    case errc::authentication_failed: return "AUTHENTICATION_FAILED";
    case errc::transaction_aborted: return "TRANSACTION_ABORTED";
    case errc::abortable_error: return "ABORTABLE_ERROR";
    case errc::illegal_state: return "ILLEGAL_STATE";
  }
  return nullptr;
}

} // namespace

caf::error make_error(errc code) {
  return {static_cast<uint8_t>(code), error_category};
}

caf::error make_error(errc code, std::string context) {
  return {static_cast<uint8_t>(code), error_category, caf::make_message(std::move(context))};
}

caf::error kafka_error(int16_t code, std::string context) {
  auto info = protocol::error_info(code);
  if (context.empty())
    context = std::string(info.message);
  if (code == unknown_server_error_code)
    return make_error(errc::unknown_server_error, std::move(context));
  if (code < 1 || code >= static_cast<int16_t>(errc::unknown_server_error))
    return make_error(errc::unknown_broker_error_code, "code " + std::to_string(code) + ": " + context);
  return {static_cast<uint8_t>(code), error_category, caf::make_message(std::move(context))};
}

std::optional<int16_t> broker_error_code(const caf::error& err) {
  if (err.category() != error_category)
    return std::nullopt;
  if (err.code() == static_cast<uint8_t>(errc::unknown_server_error))
    return unknown_server_error_code;
  if (err.code() >= 1 && err.code() < static_cast<uint8_t>(errc::unknown_server_error))
    return static_cast<int16_t>(err.code());
  return std::nullopt;
}

bool is_retriable(const caf::error& err) {
  if (err.category() != error_category)
    return false;
  if (auto code = broker_error_code(err))
    return protocol::error_info(*code).retriable;
  auto code = static_cast<errc>(err.code());
  return code == errc::network_error || code == errc::request_timeout;
}

namespace {

// Java 4.4's exception class of a broker error code, as a KIP-1050 category.
transaction_category broker_category(int16_t code) {
  using namespace protocol::errc;
  using enum transaction_category;
  switch (code) {
    // RefreshRetriableException: NotCoordinator, CoordinatorNotAvailable and InvalidMetadataException's family.
    case not_coordinator:
    case coordinator_not_available:
    case unknown_topic_or_partition:
    case leader_not_available:
    case not_leader_or_follower:
    case network_exception:
    case 9:   // REPLICA_NOT_AVAILABLE
    case 56:  // KAFKA_STORAGE_ERROR
    case 72:  // LISTENER_NOT_FOUND
    case 74:  // FENCED_LEADER_EPOCH
    case 80:  // PREFERRED_LEADER_NOT_AVAILABLE
    case 83:  // ELIGIBLE_LEADERS_NOT_AVAILABLE
    case 84:  // ELECTION_NOT_NEEDED
    case unknown_topic_id:
    case 103: // INCONSISTENT_TOPIC_ID
      return refresh_retriable;
    // TransactionAbortableException (KIP-890).
    case transaction_abortable:
      return abortable;
    // ApplicationRecoverableException.
    case producer_fenced:
    case invalid_producer_epoch:
    case invalid_producer_id_mapping:
    case fenced_instance_id:
    case illegal_generation:
    case unknown_member_id:
      return application_recoverable;
    // InvalidConfigurationException: authorization, authentication, versions, topics, acks; and the
    // timeout the broker refuses (InvalidTxnTimeoutException, which Java leaves uncategorized).
    case 17:  // INVALID_TOPIC_EXCEPTION
    case 18:  // RECORD_LIST_TOO_LARGE
    case invalid_required_acks:
    case topic_authorization_failed:
    case group_authorization_failed:
    case cluster_authorization_failed:
    case 33:  // UNSUPPORTED_SASL_MECHANISM
    case 34:  // ILLEGAL_SASL_STATE
    case unsupported_version:
    case 38:  // INVALID_REPLICATION_FACTOR
    case unsupported_for_message_format:
    case invalid_transaction_timeout:
    case transactional_id_authorization_failed:
    case 58:  // SASL_AUTHENTICATION_FAILED
    case 65:  // DELEGATION_TOKEN_AUTHORIZATION_FAILED
      return invalid_configuration;
    default:
      return protocol::error_info(code).retriable ? retriable : fatal;
  }
}

} // namespace

transaction_category transaction_error_category(const caf::error& err) {
  using enum transaction_category;
  if (!err)
    return none;
  if (err.category() != error_category) {
    if (err == caf::sec::request_timeout)
      return retriable;
    if (err == caf::sec::request_receiver_down)
      return application_recoverable; // the producer is gone: a new one recovers
    return fatal;
  }
  if (auto code = broker_error_code(err))
    return broker_category(*code);
  switch (static_cast<errc>(err.code())) {
    case errc::network_error: // Java's NetworkException
      return refresh_retriable;
    case errc::request_timeout: // Java's TimeoutException, BufferExhaustedException
    case errc::metadata_timeout:
    case errc::buffer_exhausted:
    case errc::delivery_timeout:
      return retriable;
    case errc::transaction_aborted:
    case errc::abortable_error:
      return abortable;
    case errc::invalid_config:
    case errc::unsupported_version:
    case errc::authentication_failed: // Java's AuthenticationException: the credentials or certificates
    case errc::record_too_large: // RecordTooLargeException is fatal for the record, the producer's config decides
      return invalid_configuration;
    case errc::illegal_state:
      return illegal_state;
    case errc::invalid_record:       // the record, not the transaction: abort it and send a good one
    case errc::serialization_error:
      return abortable;
    case errc::producer_closed:
      return application_recoverable;
    default:
      return fatal;
  }
}

const char* to_string(transaction_category c) {
  switch (c) {
    case transaction_category::none: return "none";
    case transaction_category::retriable: return "retriable";
    case transaction_category::refresh_retriable: return "refresh-retriable";
    case transaction_category::abortable: return "abortable";
    case transaction_category::application_recoverable: return "application-recoverable";
    case transaction_category::invalid_configuration: return "invalid-configuration";
    case transaction_category::illegal_state: return "illegal-state";
    case transaction_category::fatal: return "fatal";
  }
  return "?";
}

bool is_authentication_error(const caf::error& err) {
  if (err.category() != error_category)
    return false;
  if (auto code = broker_error_code(err))
    return *code == protocol::errc::sasl_authentication_failed || *code == protocol::errc::unsupported_sasl_mechanism
           || *code == protocol::errc::illegal_sasl_state;
  return err.code() == static_cast<uint8_t>(errc::authentication_failed);
}

std::string describe_error(uint8_t code, const caf::message& context) {
  std::string name;
  if (code >= 1 && code < static_cast<uint8_t>(errc::unknown_server_error))
    name = std::string(protocol::error_info(static_cast<int16_t>(code)).name);
  else if (auto n = client_error_name(static_cast<errc>(code)))
    name = n;
  else
    name = "cafka error " + std::to_string(code);
  if (context.match_elements<std::string>())
    return name + ": " + context.get_as<std::string>(0);
  if (!context.empty())
    return name + ": " + to_string(context);
  return name;
}

void add_error_category(caf::actor_system_config& cfg) {
  cfg.add_error_category(error_category, [](uint8_t code, caf::atom_value, const caf::message& context) {
    return describe_error(code, context);
  });
}

} // namespace cafka
