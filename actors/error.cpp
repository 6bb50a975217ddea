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
