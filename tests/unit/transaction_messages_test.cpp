#define CAF_SUITE protocol.transaction_messages
#include "caf/test/unit_test.hpp"

#include "protocol/error_codes.hpp"
#include "protocol/framing.hpp"
#include "protocol/messages.hpp"
#include "protocol/version_negotiation.hpp"
#include "test_support.hpp"

using namespace cafka::protocol;
using cafka::test::from_hex;
using cafka::test::to_hex;

// The messages a transactional producer sends, with golden bytes written out by hand from Kafka
// 4.4.0's schemas (common/message/*.json in kafka-clients-4.4.0.jar): request header v1 (classic) or
// v2 (flexible, one more tag byte), client id "c", then the body field by field.

namespace {

// Encodes a response as a broker would (correlation id 9, then header v1's empty tag section in
// flexible versions, except for ApiVersions) and decodes it through the same description.
template <class Request>
result<typename Request::response_type> round_trip(const typename Request::response_type& m, int16_t v) {
  byte_buffer body;
  writer w{body};
  w.i32(9);
  bool flexible = is_flexible<Request>(v);
  if (flexible && Request::key != api_key::api_versions)
    w.uvarint(0);
  field_encoder enc{w, v, flexible};
  enc(m);
  return decode_response<Request>(body, v);
}

} // namespace

// ---- Error codes --------------------------------------------------------------------------------

CAF_TEST(transaction error codes name their table entries) {
  struct expected {
    int16_t code;
    std::string_view name;
    bool retriable;
  };
  // Names and retriability as kafka-clients 4.4.0's Errors lists them.
  for (auto e : {expected{errc::coordinator_load_in_progress, "COORDINATOR_LOAD_IN_PROGRESS", true},
                 expected{errc::coordinator_not_available, "COORDINATOR_NOT_AVAILABLE", true},
                 expected{errc::not_coordinator, "NOT_COORDINATOR", true},
                 expected{errc::illegal_generation, "ILLEGAL_GENERATION", false},
                 expected{errc::unknown_member_id, "UNKNOWN_MEMBER_ID", false},
                 expected{errc::group_authorization_failed, "GROUP_AUTHORIZATION_FAILED", false},
                 expected{errc::cluster_authorization_failed, "CLUSTER_AUTHORIZATION_FAILED", false},
                 expected{errc::invalid_producer_epoch, "INVALID_PRODUCER_EPOCH", false},
                 expected{errc::invalid_txn_state, "INVALID_TXN_STATE", false},
                 expected{errc::invalid_producer_id_mapping, "INVALID_PRODUCER_ID_MAPPING", false},
                 expected{errc::invalid_transaction_timeout, "INVALID_TRANSACTION_TIMEOUT", false},
                 expected{errc::concurrent_transactions, "CONCURRENT_TRANSACTIONS", true},
                 expected{errc::transactional_id_authorization_failed, "TRANSACTIONAL_ID_AUTHORIZATION_FAILED", false},
                 expected{errc::operation_not_attempted, "OPERATION_NOT_ATTEMPTED", false},
                 expected{errc::group_id_not_found, "GROUP_ID_NOT_FOUND", false},
                 expected{errc::fenced_instance_id, "FENCED_INSTANCE_ID", false},
                 expected{errc::producer_fenced, "PRODUCER_FENCED", false},
                 expected{errc::stale_member_epoch, "STALE_MEMBER_EPOCH", false},
                 expected{errc::transaction_abortable, "TRANSACTION_ABORTABLE", false}}) {
    auto info = error_info(e.code);
    CAF_CHECK_EQUAL(info.code, e.code);
    CAF_CHECK_EQUAL(std::string{info.name}, std::string{e.name});
    CAF_CHECK_EQUAL(info.retriable, e.retriable);
  }
  CAF_CHECK_EQUAL(std::string{error_info(136).name}, "CONTROLLER_ID_NOT_REGISTERED");
  CAF_CHECK_EQUAL(std::string{error_info(137).name}, "UNKNOWN_ERROR_CODE");
}
