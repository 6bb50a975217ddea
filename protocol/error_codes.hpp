// Kafka's error codes as one table: code, name, whether a retry may succeed, and the broker's text.
#pragma once

#include <cstdint>
#include <string_view>

namespace cafka::protocol {

struct error_code_info {
  int16_t code;
  std::string_view name;
  bool retriable;
  std::string_view message;
};

// The entry for code; codes this table does not know come back as UNKNOWN_SERVER_ERROR's entry
// with the code kept, named "UNKNOWN_ERROR_CODE".
error_code_info error_info(int16_t code);

// Named codes the producer acts on.
namespace errc {
constexpr int16_t unknown_server_error = -1;
constexpr int16_t none = 0;
constexpr int16_t corrupt_message = 2;
constexpr int16_t unknown_topic_or_partition = 3;
constexpr int16_t leader_not_available = 5;
constexpr int16_t not_leader_or_follower = 6;
constexpr int16_t request_timed_out = 7;
constexpr int16_t message_too_large = 10;
constexpr int16_t network_exception = 13;
constexpr int16_t not_enough_replicas = 19;
constexpr int16_t not_enough_replicas_after_append = 20;
constexpr int16_t invalid_required_acks = 21;
constexpr int16_t topic_authorization_failed = 29;
constexpr int16_t unsupported_version = 35;
constexpr int16_t out_of_order_sequence_number = 45;
constexpr int16_t duplicate_sequence_number = 46;
constexpr int16_t invalid_producer_epoch = 47;
constexpr int16_t unsupported_for_message_format = 43;
constexpr int16_t unknown_producer_id = 59;
constexpr int16_t producer_fenced = 90;
constexpr int16_t unknown_topic_id = 100;
} // namespace errc

} // namespace cafka::protocol
