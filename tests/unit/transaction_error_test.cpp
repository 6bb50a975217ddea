#define CAF_SUITE actors.transaction_errors
#include "caf/test/unit_test.hpp"

#include "cafka/error.hpp"
#include "protocol/error_codes.hpp"

using namespace cafka;

namespace {

transaction_category of_code(int16_t code) {
  return transaction_error_category(kafka_error(code, "x"));
}

transaction_category of(errc code) {
  return transaction_error_category(make_error(code, "x"));
}

} // namespace

CAF_TEST(broker codes follow java 4.4's exception classes) {
  using enum transaction_category;
  namespace e = protocol::errc;
  // RetriableException
  CAF_CHECK(of_code(e::concurrent_transactions) == retriable);
  CAF_CHECK(of_code(e::coordinator_load_in_progress) == retriable);
  CAF_CHECK(of_code(e::not_enough_replicas) == retriable);
  CAF_CHECK(of_code(e::request_timed_out) == retriable);
  // RefreshRetriableException
  CAF_CHECK(of_code(e::not_coordinator) == refresh_retriable);
  CAF_CHECK(of_code(e::coordinator_not_available) == refresh_retriable);
  CAF_CHECK(of_code(e::not_leader_or_follower) == refresh_retriable);
  CAF_CHECK(of_code(e::unknown_topic_or_partition) == refresh_retriable);
  CAF_CHECK(of_code(e::network_exception) == refresh_retriable);
  // TransactionAbortableException
  CAF_CHECK(of_code(e::transaction_abortable) == abortable);
  // ApplicationRecoverableException
  CAF_CHECK(of_code(e::producer_fenced) == application_recoverable);
  CAF_CHECK(of_code(e::invalid_producer_epoch) == application_recoverable);
  CAF_CHECK(of_code(e::invalid_producer_id_mapping) == application_recoverable);
  CAF_CHECK(of_code(e::fenced_instance_id) == application_recoverable);
  CAF_CHECK(of_code(e::illegal_generation) == application_recoverable);
  CAF_CHECK(of_code(e::unknown_member_id) == application_recoverable);
  // InvalidConfigurationException (and INVALID_TRANSACTION_TIMEOUT)
  CAF_CHECK(of_code(e::transactional_id_authorization_failed) == invalid_configuration);
  CAF_CHECK(of_code(e::topic_authorization_failed) == invalid_configuration);
  CAF_CHECK(of_code(e::group_authorization_failed) == invalid_configuration);
  CAF_CHECK(of_code(e::cluster_authorization_failed) == invalid_configuration);
  CAF_CHECK(of_code(e::unsupported_version) == invalid_configuration);
  CAF_CHECK(of_code(e::invalid_transaction_timeout) == invalid_configuration);
  // The rest
  CAF_CHECK(of_code(e::invalid_txn_state) == fatal);
  CAF_CHECK(of_code(e::unknown_server_error) == fatal);
  CAF_CHECK(of_code(e::out_of_order_sequence_number) == fatal);
}

CAF_TEST(cafka own codes take the nearest category) {
  using enum transaction_category;
  CAF_CHECK(transaction_error_category(caf::error{}) == none);
  CAF_CHECK(of(errc::network_error) == refresh_retriable);
  CAF_CHECK(of(errc::request_timeout) == retriable);
  CAF_CHECK(of(errc::delivery_timeout) == retriable);
  CAF_CHECK(of(errc::transaction_aborted) == abortable);
  CAF_CHECK(of(errc::abortable_error) == abortable);
  CAF_CHECK(of(errc::illegal_state) == illegal_state);
  CAF_CHECK(of(errc::invalid_config) == invalid_configuration);
  CAF_CHECK(of(errc::producer_closed) == application_recoverable);
  CAF_CHECK(transaction_error_category(caf::make_error(caf::sec::request_timeout)) == retriable);
  CAF_CHECK(transaction_error_category(caf::make_error(caf::sec::request_receiver_down)) == application_recoverable);
  CAF_CHECK_EQUAL(std::string(to_string(application_recoverable)), "application-recoverable");
  CAF_CHECK_EQUAL(std::string(to_string(refresh_retriable)), "refresh-retriable");
  CAF_CHECK_EQUAL(describe_error(static_cast<uint8_t>(errc::transaction_aborted), caf::make_message(std::string("t"))),
                  "TRANSACTION_ABORTED: t");
  CAF_CHECK_EQUAL(describe_error(static_cast<uint8_t>(errc::illegal_state), caf::make_message(std::string("t"))),
                  "ILLEGAL_STATE: t");
}
