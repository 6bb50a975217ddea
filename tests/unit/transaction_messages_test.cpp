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

// ---- ApiVersions features -----------------------------------------------------------------------

CAF_TEST(api versions v3 response reads the tagged features) {
  auto frame = from_hex(
    "00 00 00 07"                               // correlation id (header v0, even when flexible)
    "00 00"                                     // ErrorCode
    "02  00 1a 00 00 00 05 00"                  // ApiKeys: EndTxn v0-v5, tags
    "00 00 00 00"                               // ThrottleTimeMs
    "04"                                        // four tagged fields
    "00 1a"                                     // tag 0 SupportedFeatures, 26 bytes:
    "02  14 74 72 61 6e 73 61 63 74 69 6f 6e 2e 76 65 72 73 69 6f 6e" // one: "transaction.version"
    "00 00  00 02  00"                          // MinVersion 0, MaxVersion 2, tags
    "01 08  00 00 00 00 00 00 00 09"            // tag 1 FinalizedFeaturesEpoch 9
    "02 30"                                     // tag 2 FinalizedFeatures, 48 bytes:
    "03  14 74 72 61 6e 73 61 63 74 69 6f 6e 2e 76 65 72 73 69 6f 6e" // "transaction.version"
    "00 02  00 00  00"                          // MaxVersionLevel 2, MinVersionLevel 0, tags
    "11 6d 65 74 61 64 61 74 61 2e 76 65 72 73 69 6f 6e" // "metadata.version"
    "00 1b  00 1b  00"                          // MaxVersionLevel 27, MinVersionLevel 27, tags
    "03 01  01");                               // tag 3 ZkMigrationReady true
  auto r = decode_response<api_versions_request>(frame, 3);
  if (!r)
    CAF_FAIL(r.error());
  CAF_REQUIRE_EQUAL(r->api_keys.size(), 1u);
  CAF_CHECK_EQUAL(r->api_keys[0].api_key, 26);
  CAF_CHECK_EQUAL(r->api_keys[0].max_version, 5);
  CAF_REQUIRE(r->supported_features.has_value());
  CAF_REQUIRE_EQUAL(r->supported_features->size(), 1u);
  CAF_CHECK_EQUAL(r->supported_features->at(0).name, "transaction.version");
  CAF_CHECK_EQUAL(r->supported_features->at(0).min_version, 0);
  CAF_CHECK_EQUAL(r->supported_features->at(0).max_version, 2);
  CAF_CHECK_EQUAL(r->finalized_features_epoch, std::optional<int64_t>{9});
  CAF_REQUIRE(r->finalized_features.has_value());
  CAF_CHECK_EQUAL(r->finalized_features->size(), 2u);
  CAF_CHECK_EQUAL(r->zk_migration_ready, std::optional<bool>{true});
  CAF_CHECK_EQUAL(finalized_feature(*r, transaction_version_feature), std::optional<int16_t>{2});
  CAF_CHECK_EQUAL(finalized_feature(*r, "metadata.version"), std::optional<int16_t>{27});
  CAF_CHECK(!finalized_feature(*r, "group.version"));
  // The list counts only with an epoch >= 0 (the schema's FinalizedFeatures "about").
  auto no_epoch = *r;
  no_epoch.finalized_features_epoch.reset();
  CAF_CHECK(!finalized_feature(no_epoch, transaction_version_feature));
  no_epoch.finalized_features_epoch = -1;
  CAF_CHECK(!finalized_feature(no_epoch, transaction_version_feature));
}

CAF_TEST(api versions v0 response has no features) {
  auto frame = from_hex("00 00 00 07  00 00  00 00 00 01  00 1a 00 00 00 04");
  auto r = decode_response<api_versions_request>(frame, 0);
  if (!r)
    CAF_FAIL(r.error());
  CAF_CHECK(!r->supported_features);
  CAF_CHECK(!r->finalized_features);
  CAF_CHECK(!finalized_feature(*r, transaction_version_feature));
}

CAF_TEST(api versions responses with features round trip through the same description) {
  api_versions_response av;
  av.api_keys.push_back({26, 0, 5});
  av.throttle_time_ms = 3;
  av.supported_features = std::vector<api_versions_response::supported_feature_key>{{"transaction.version", 0, 2}};
  av.finalized_features_epoch = 12;
  av.finalized_features = std::vector<api_versions_response::finalized_feature_key>{{"transaction.version", 2, 2}};
  av.zk_migration_ready = false;
  for (int16_t v = api_versions_request::min_version; v <= api_versions_request::max_version; ++v) {
    auto back = round_trip<api_versions_request>(av, v);
    if (!back)
      CAF_FAIL("ApiVersions v" << v << ": " << back.error());
    CAF_CHECK_EQUAL(back->api_keys.at(0).max_version, 5);
    CAF_CHECK_EQUAL(back->throttle_time_ms, v >= 1 ? 3 : 0);
    CAF_CHECK_EQUAL(finalized_feature(*back, transaction_version_feature),
                    v >= 3 ? std::optional<int16_t>{2} : std::nullopt);
    CAF_CHECK_EQUAL(back->supported_features.has_value(), v >= 3);
    CAF_CHECK_EQUAL(back->zk_migration_ready, v >= 3 ? std::optional<bool>{false} : std::nullopt);
  }
}

// ---- InitProducerId, transactional --------------------------------------------------------------

CAF_TEST(init producer id v1 and v5 requests carry the transactional id and timeout) {
  init_producer_id_request req;
  req.transactional_id = "txn";
  req.transaction_timeout_ms = 60000;
  CAF_CHECK_EQUAL(to_hex(encode_request(req, 1, 12, "c")),
                  to_hex(from_hex("00 00 00 14  00 16 00 01 00 00 00 0c 00 01 63" // size 20, key 22, v1, corr 12
                                  "00 03 74 78 6e"                                // TransactionalId "txn"
                                  "00 00 ea 60")));                               // TransactionTimeoutMs 60000
  CAF_CHECK_EQUAL(to_hex(encode_request(req, 5, 12, "c")),
                  to_hex(from_hex("00 00 00 1f  00 16 00 05 00 00 00 0c 00 01 63 00" // size 31, header v2
                                  "04 74 78 6e  00 00 ea 60"                         // "txn", 60000
                                  "ff ff ff ff ff ff ff ff  ff ff"                   // ProducerId, Epoch -1 (v3+)
                                  "00")));                                           // tagged fields
}

CAF_TEST(init producer id responses round trip through the same description) {
  init_producer_id_response ip{3, errc::none, 42, 7};
  for (int16_t v = init_producer_id_request::min_version; v <= init_producer_id_request::max_version; ++v) {
    auto back = round_trip<init_producer_id_request>(ip, v);
    if (!back)
      CAF_FAIL("InitProducerId v" << v << ": " << back.error());
    CAF_CHECK_EQUAL(back->producer_id, 42);
    CAF_CHECK_EQUAL(back->producer_epoch, 7);
  }
}

// ---- FindCoordinator ----------------------------------------------------------------------------

CAF_TEST(find coordinator v1 request names one key and its type) {
  auto req = find_coordinator_for(coordinator_type::transaction, "txn");
  CAF_CHECK_EQUAL(to_hex(encode_request(req, 1, 7, "c")),
                  to_hex(from_hex("00 00 00 11  00 0a 00 01 00 00 00 07 00 01 63" // size 17, key 10, v1, corr 7, "c"
                                  "00 03 74 78 6e"                                // Key "txn" (v0-v3)
                                  "01")));                                        // KeyType 1: transaction
}

CAF_TEST(find coordinator v4 request batches keys) {
  auto req = find_coordinator_for(coordinator_type::transaction, "txn");
  CAF_CHECK_EQUAL(to_hex(encode_request(req, 4, 7, "c")),
                  to_hex(from_hex("00 00 00 13  00 0a 00 04 00 00 00 07 00 01 63 00" // header v2: tag byte
                                  "01"                                               // KeyType 1
                                  "02  04 74 78 6e"                                  // CoordinatorKeys ["txn"]
                                  "00")));                                           // tagged fields
}

CAF_TEST(find coordinator v1 response has one coordinator at the top level) {
  auto frame = from_hex("00 00 00 07"    // correlation id (header v0)
                        "00 00 00 00"    // ThrottleTimeMs
                        "00 00  ff ff"   // ErrorCode 0, ErrorMessage null
                        "00 00 00 01"    // NodeId 1
                        "00 01 68"       // Host "h"
                        "00 00 23 84");  // Port 9092
  auto r = decode_response<find_coordinator_request>(frame, 1);
  if (!r)
    CAF_FAIL(r.error());
  CAF_CHECK_EQUAL(r->node_id, 1);
  CAF_CHECK_EQUAL(r->host, "h");
  CAF_CHECK(!r->error_message);
  CAF_CHECK(r->coordinators.empty());
  auto all = coordinators_of(*r);
  CAF_REQUIRE_EQUAL(all.size(), 1u);
  CAF_CHECK_EQUAL(all[0].node_id, 1);
  CAF_CHECK_EQUAL(all[0].port, 9092);
  CAF_CHECK_EQUAL(all[0].error_code, 0);
}

CAF_TEST(find coordinator v4 response lists a coordinator per key) {
  auto frame = from_hex("00 00 00 07  00"                  // correlation id, header v1 tags
                        "00 00 00 00"                      // ThrottleTimeMs
                        "03"                               // Coordinators: 2 entries
                        "04 74 78 6e  00 00 00 02  02 68"  // Key "txn", NodeId 2, Host "h"
                        "00 00 23 84  00 00  00  00"       // Port 9092, ErrorCode 0, ErrorMessage null, tags
                        "02 67  ff ff ff ff  01"           // Key "g", NodeId -1, Host ""
                        "ff ff ff ff  00 0f  02 78  00"    // Port -1, COORDINATOR_NOT_AVAILABLE, "x", tags
                        "00");                             // tagged fields
  auto r = decode_response<find_coordinator_request>(frame, 4);
  if (!r)
    CAF_FAIL(r.error());
  CAF_REQUIRE_EQUAL(r->coordinators.size(), 2u);
  CAF_CHECK_EQUAL(r->coordinators[0].key, "txn");
  CAF_CHECK_EQUAL(r->coordinators[0].node_id, 2);
  CAF_CHECK_EQUAL(r->coordinators[0].host, "h");
  CAF_CHECK_EQUAL(r->coordinators[0].port, 9092);
  CAF_CHECK_EQUAL(r->coordinators[1].key, "g");
  CAF_CHECK_EQUAL(r->coordinators[1].error_code, errc::coordinator_not_available);
  CAF_CHECK_EQUAL(r->coordinators[1].error_message.value_or(""), "x");
  CAF_CHECK_EQUAL(coordinators_of(*r).size(), 2u);
}

CAF_TEST(find coordinator responses round trip through the same description) {
  find_coordinator_response fc;
  fc.throttle_time_ms = 3;
  fc.error_code = errc::not_coordinator;
  fc.error_message = "moved";
  fc.node_id = 4;
  fc.host = "h";
  fc.port = 9092;
  fc.coordinators.push_back({"txn", 4, "h", 9092, errc::none, std::nullopt});
  for (int16_t v = find_coordinator_request::min_version; v <= find_coordinator_request::max_version; ++v) {
    auto back = round_trip<find_coordinator_request>(fc, v);
    if (!back)
      CAF_FAIL("FindCoordinator v" << v << ": " << back.error());
    CAF_CHECK_EQUAL(back->throttle_time_ms, 3);
    auto all = coordinators_of(*back);
    CAF_REQUIRE_EQUAL(all.size(), 1u);
    CAF_CHECK_EQUAL(all[0].node_id, 4);
    CAF_CHECK_EQUAL(all[0].host, "h");
    CAF_CHECK_EQUAL(all[0].port, 9092);
    CAF_CHECK_EQUAL(all[0].key, v >= 4 ? "txn" : "");
    CAF_CHECK_EQUAL(all[0].error_code, v >= 4 ? errc::none : errc::not_coordinator);
    CAF_CHECK_EQUAL(all[0].error_message.value_or("-"), v >= 4 ? "-" : "moved");
  }
}

CAF_TEST(truncated find coordinator responses are errors at every cut) {
  auto fc = from_hex("00 00 00 07  00  00 00 00 00  02  04 74 78 6e  00 00 00 02  02 68"
                     "00 00 23 84  00 00  00  00  00");
  CAF_REQUIRE(decode_response<find_coordinator_request>(fc, 4).has_value());
  for (size_t cut = 0; cut < fc.size(); ++cut)
    CAF_CHECK(!decode_response<find_coordinator_request>(byte_span{fc.data(), cut}, 4).has_value());
}

// ---- AddPartitionsToTxn -------------------------------------------------------------------------

namespace {

add_partitions_to_txn_request add_partitions_example() {
  add_partitions_to_txn_request req;
  req.transactional_id = "txn";
  req.producer_id = 5;
  req.producer_epoch = 1;
  req.topics.push_back({"t", {0, 1}});
  return req;
}

} // namespace

CAF_TEST(add partitions to txn v2 request) {
  CAF_CHECK_EQUAL(to_hex(encode_request(add_partitions_example(), 2, 8, "c")),
                  to_hex(from_hex("00 00 00 2d  00 18 00 02 00 00 00 08 00 01 63" // size 45, key 24, v2, corr 8
                                  "00 03 74 78 6e"                                // V3AndBelowTransactionalId
                                  "00 00 00 00 00 00 00 05  00 01"                // ProducerId 5, ProducerEpoch 1
                                  "00 00 00 01  00 01 74"                         // one topic: Name "t"
                                  "00 00 00 02  00 00 00 00  00 00 00 01")));     // Partitions [0, 1]
}

CAF_TEST(add partitions to txn v3 request is flexible) {
  CAF_CHECK_EQUAL(to_hex(encode_request(add_partitions_example(), 3, 8, "c")),
                  to_hex(from_hex("00 00 00 28  00 18 00 03 00 00 00 08 00 01 63 00" // size 40, header v2
                                  "04 74 78 6e"                                      // compact "txn"
                                  "00 00 00 00 00 00 00 05  00 01"                   // ProducerId, ProducerEpoch
                                  "02  02 74"                                        // one topic "t"
                                  "03  00 00 00 00  00 00 00 01  00"                 // Partitions [0, 1], topic tags
                                  "00")));                                           // tagged fields
}

CAF_TEST(add partitions to txn v3 response has a result per partition) {
  auto frame = from_hex("00 00 00 08  00"       // correlation id, header v1 tags
                        "00 00 00 00"           // ThrottleTimeMs
                        "02  02 74"             // ResultsByTopicV3AndBelow: topic "t"
                        "03"                    // two partitions
                        "00 00 00 00  00 00  00" // partition 0: NONE
                        "00 00 00 01  00 33  00" // partition 1: CONCURRENT_TRANSACTIONS (51)
                        "00  00");              // topic tags, tagged fields
  auto r = decode_response<add_partitions_to_txn_request>(frame, 3);
  if (!r)
    CAF_FAIL(r.error());
  CAF_REQUIRE_EQUAL(r->results_by_topic.size(), 1u);
  auto& t = r->results_by_topic[0];
  CAF_CHECK_EQUAL(t.name, "t");
  CAF_REQUIRE_EQUAL(t.results_by_partition.size(), 2u);
  CAF_CHECK_EQUAL(t.results_by_partition[0].partition_error_code, errc::none);
  CAF_CHECK_EQUAL(t.results_by_partition[1].partition_index, 1);
  CAF_CHECK_EQUAL(t.results_by_partition[1].partition_error_code, errc::concurrent_transactions);
}

CAF_TEST(add partitions to txn responses round trip through the same description) {
  add_partitions_to_txn_response ap;
  ap.throttle_time_ms = 3;
  ap.results_by_topic.push_back({"t", {{0, errc::none}, {1, errc::transaction_abortable}}});
  for (int16_t v = add_partitions_to_txn_request::min_version; v <= add_partitions_to_txn_request::max_version;
       ++v) {
    auto back = round_trip<add_partitions_to_txn_request>(ap, v);
    if (!back)
      CAF_FAIL("AddPartitionsToTxn v" << v << ": " << back.error());
    CAF_CHECK_EQUAL(back->throttle_time_ms, 3);
    CAF_REQUIRE_EQUAL(back->results_by_topic.size(), 1u);
    CAF_CHECK_EQUAL(back->results_by_topic[0].name, "t");
    CAF_REQUIRE_EQUAL(back->results_by_topic[0].results_by_partition.size(), 2u);
    CAF_CHECK_EQUAL(back->results_by_topic[0].results_by_partition[1].partition_error_code,
                    errc::transaction_abortable);
  }
}

// ---- AddOffsetsToTxn ----------------------------------------------------------------------------

namespace {

add_offsets_to_txn_request add_offsets_example() {
  add_offsets_to_txn_request req;
  req.transactional_id = "txn";
  req.producer_id = 5;
  req.producer_epoch = 1;
  req.group_id = "g";
  return req;
}

} // namespace

CAF_TEST(add offsets to txn v2 and v3 requests) {
  CAF_CHECK_EQUAL(to_hex(encode_request(add_offsets_example(), 2, 9, "c")),
                  to_hex(from_hex("00 00 00 1d  00 19 00 02 00 00 00 09 00 01 63" // size 29, key 25, v2, corr 9
                                  "00 03 74 78 6e"                                // TransactionalId "txn"
                                  "00 00 00 00 00 00 00 05  00 01"                // ProducerId 5, ProducerEpoch 1
                                  "00 01 67")));                                  // GroupId "g"
  CAF_CHECK_EQUAL(to_hex(encode_request(add_offsets_example(), 3, 9, "c")),
                  to_hex(from_hex("00 00 00 1d  00 19 00 03 00 00 00 09 00 01 63 00" // size 29, header v2
                                  "04 74 78 6e"                                      // compact "txn"
                                  "00 00 00 00 00 00 00 05  00 01"                   // ProducerId, ProducerEpoch
                                  "02 67  00")));                                    // GroupId "g", tags
}

CAF_TEST(add offsets to txn responses) {
  auto v0 = decode_response<add_offsets_to_txn_request>(from_hex("00 00 00 09  00 00 00 0a  00 00"), 0);
  if (!v0)
    CAF_FAIL(v0.error());
  CAF_CHECK_EQUAL(v0->throttle_time_ms, 10);
  CAF_CHECK_EQUAL(v0->error_code, errc::none);
  // v4: header v1 tags, throttle 0, GROUP_AUTHORIZATION_FAILED, tags.
  auto v4 = decode_response<add_offsets_to_txn_request>(from_hex("00 00 00 09 00  00 00 00 00  00 1e  00"), 4);
  if (!v4)
    CAF_FAIL(v4.error());
  CAF_CHECK_EQUAL(v4->error_code, errc::group_authorization_failed);
}

CAF_TEST(add offsets to txn responses round trip through the same description) {
  add_offsets_to_txn_response ao{3, errc::producer_fenced};
  for (int16_t v = add_offsets_to_txn_request::min_version; v <= add_offsets_to_txn_request::max_version; ++v) {
    auto back = round_trip<add_offsets_to_txn_request>(ao, v);
    if (!back)
      CAF_FAIL("AddOffsetsToTxn v" << v << ": " << back.error());
    CAF_CHECK_EQUAL(back->throttle_time_ms, 3);
    CAF_CHECK_EQUAL(back->error_code, errc::producer_fenced);
  }
}

// ---- EndTxn -------------------------------------------------------------------------------------

namespace {

end_txn_request end_txn_example() {
  end_txn_request req;
  req.transactional_id = "txn";
  req.producer_id = 5;
  req.producer_epoch = 1;
  req.committed = true;
  return req;
}

} // namespace

CAF_TEST(end txn v2 request commits) {
  CAF_CHECK_EQUAL(to_hex(encode_request(end_txn_example(), 2, 10, "c")),
                  to_hex(from_hex("00 00 00 1b  00 1a 00 02 00 00 00 0a 00 01 63" // size 27, key 26, v2, corr 10
                                  "00 03 74 78 6e"                                // TransactionalId "txn"
                                  "00 00 00 00 00 00 00 05  00 01"                // ProducerId 5, ProducerEpoch 1
                                  "01")));                                        // Committed true
}

CAF_TEST(end txn v5 request is flexible) {
  auto req = end_txn_example();
  req.committed = false;
  CAF_CHECK_EQUAL(to_hex(encode_request(req, 5, 10, "c")),
                  to_hex(from_hex("00 00 00 1c  00 1a 00 05 00 00 00 0a 00 01 63 00" // size 28, header v2
                                  "04 74 78 6e"                                      // compact "txn"
                                  "00 00 00 00 00 00 00 05  00 01"                   // ProducerId, ProducerEpoch
                                  "00  00")));                                       // Committed false (abort), tags
}

CAF_TEST(end txn v5 response carries the next producer id and epoch) {
  auto frame = from_hex("00 00 00 0a  00"            // correlation id, header v1 tags
                        "00 00 00 00  00 00"          // ThrottleTimeMs, ErrorCode NONE
                        "00 00 00 00 00 00 00 05"     // ProducerId 5 (v5+)
                        "00 02"                       // ProducerEpoch 2: bumped by the commit
                        "00");                        // tagged fields
  auto r = decode_response<end_txn_request>(frame, 5);
  if (!r)
    CAF_FAIL(r.error());
  CAF_CHECK_EQUAL(r->error_code, errc::none);
  CAF_CHECK_EQUAL(r->producer_id, 5);
  CAF_CHECK_EQUAL(r->producer_epoch, 2);
  // v4 has no identity: the defaults stay.
  auto v4 = decode_response<end_txn_request>(from_hex("00 00 00 0a 00  00 00 00 00  00 30  00"), 4);
  if (!v4)
    CAF_FAIL(v4.error());
  CAF_CHECK_EQUAL(v4->error_code, errc::invalid_txn_state);
  CAF_CHECK_EQUAL(v4->producer_id, -1);
  CAF_CHECK_EQUAL(v4->producer_epoch, -1);
}

CAF_TEST(end txn responses round trip through the same description) {
  end_txn_response et{3, errc::none, 77, 8};
  for (int16_t v = end_txn_request::min_version; v <= end_txn_request::max_version; ++v) {
    auto back = round_trip<end_txn_request>(et, v);
    if (!back)
      CAF_FAIL("EndTxn v" << v << ": " << back.error());
    CAF_CHECK_EQUAL(back->throttle_time_ms, 3);
    CAF_CHECK_EQUAL(back->producer_id, v >= 5 ? 77 : -1);
    CAF_CHECK_EQUAL(back->producer_epoch, v >= 5 ? 8 : -1);
  }
}

CAF_TEST(truncated end txn responses are errors at every cut) {
  auto frame = from_hex("00 00 00 0a  00  00 00 00 00  00 00  00 00 00 00 00 00 00 05  00 02  00");
  CAF_REQUIRE(decode_response<end_txn_request>(frame, 5).has_value());
  for (size_t cut = 0; cut < frame.size(); ++cut)
    CAF_CHECK(!decode_response<end_txn_request>(byte_span{frame.data(), cut}, 5).has_value());
}

// ---- TxnOffsetCommit ----------------------------------------------------------------------------

namespace {

uuid test_topic_id() {
  uuid id;
  for (uint8_t i = 0; i < 16; ++i)
    id.bytes[i] = static_cast<uint8_t>(0x10 + i);
  return id;
}

txn_offset_commit_request txn_offset_commit_example() {
  txn_offset_commit_request req;
  req.transactional_id = "txn";
  req.group_id = "g";
  req.producer_id = 5;
  req.producer_epoch = 1;
  req.generation_id = 7;
  req.member_id = "m";
  txn_offset_commit_request::topic t;
  t.name = "t";
  t.topic_id = test_topic_id();
  t.partitions.push_back({0, 42, 3, std::string{}});
  req.topics.push_back(t);
  return req;
}

} // namespace

CAF_TEST(txn offset commit v2 request has no group metadata) {
  CAF_CHECK_EQUAL(to_hex(encode_request(txn_offset_commit_example(), 2, 11, "c")),
                  to_hex(from_hex("00 00 00 3a  00 1c 00 02 00 00 00 0b 00 01 63" // size 58, key 28, v2, corr 11
                                  "00 03 74 78 6e  00 01 67"                      // TransactionalId, GroupId "g"
                                  "00 00 00 00 00 00 00 05  00 01"                // ProducerId 5, ProducerEpoch 1
                                  "00 00 00 01  00 01 74"                         // one topic: Name "t"
                                  "00 00 00 01  00 00 00 00"                      // one partition: index 0
                                  "00 00 00 00 00 00 00 2a"                       // CommittedOffset 42
                                  "00 00 00 03"                                   // CommittedLeaderEpoch 3 (v2+)
                                  "00 00")));                                     // CommittedMetadata ""
}

CAF_TEST(txn offset commit v3 request carries the group metadata) {
  CAF_CHECK_EQUAL(to_hex(encode_request(txn_offset_commit_example(), 3, 11, "c")),
                  to_hex(from_hex("00 00 00 3b  00 1c 00 03 00 00 00 0b 00 01 63 00" // size 59, header v2
                                  "04 74 78 6e  02 67"                               // TransactionalId, GroupId
                                  "00 00 00 00 00 00 00 05  00 01"                   // ProducerId, ProducerEpoch
                                  "00 00 00 07  02 6d  00"                           // generation 7, "m", null
                                  "02  02 74"                                        // one topic: Name "t"
                                  "02  00 00 00 00  00 00 00 00 00 00 00 2a"         // partition 0, offset 42
                                  "00 00 00 03  01  00"                              // leader epoch 3, "", tags
                                  "00  00")));                                       // topic tags, tagged fields
}

CAF_TEST(txn offset commit v6 request names the topic by id) {
  auto req = txn_offset_commit_example();
  req.group_instance_id = "i";
  CAF_CHECK_EQUAL(to_hex(encode_request(req, 6, 11, "c")),
                  to_hex(from_hex("00 00 00 4a  00 1c 00 06 00 00 00 0b 00 01 63 00" // size 74, header v2
                                  "04 74 78 6e  02 67"                               // TransactionalId, GroupId
                                  "00 00 00 00 00 00 00 05  00 01"                   // ProducerId, ProducerEpoch
                                  "00 00 00 07  02 6d  02 69"                        // generation 7, "m", "i"
                                  "02  10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f" // one topic, by id
                                  "02  00 00 00 00  00 00 00 00 00 00 00 2a"         // partition 0, offset 42
                                  "00 00 00 03  01  00"                              // leader epoch 3, "", tags
                                  "00  00")));                                       // topic tags, tagged fields
}

CAF_TEST(txn offset commit v3 response has an error per partition) {
  auto frame = from_hex("00 00 00 0b  00"            // correlation id, header v1 tags
                        "00 00 00 00"                // ThrottleTimeMs
                        "02  02 74"                  // one topic "t"
                        "03  00 00 00 00  00 00  00" // partition 0: NONE
                        "00 00 00 01  00 19  00"     // partition 1: UNKNOWN_MEMBER_ID (25)
                        "00  00");                   // topic tags, tagged fields
  auto r = decode_response<txn_offset_commit_request>(frame, 3);
  if (!r)
    CAF_FAIL(r.error());
  CAF_REQUIRE_EQUAL(r->topics.size(), 1u);
  CAF_CHECK_EQUAL(r->topics[0].name, "t");
  CAF_REQUIRE_EQUAL(r->topics[0].partitions.size(), 2u);
  CAF_CHECK_EQUAL(r->topics[0].partitions[1].partition_index, 1);
  CAF_CHECK_EQUAL(r->topics[0].partitions[1].error_code, errc::unknown_member_id);
}

CAF_TEST(txn offset commit responses round trip through the same description) {
  txn_offset_commit_response tc;
  tc.throttle_time_ms = 3;
  tc.topics.push_back({"t", test_topic_id(), {{2, errc::illegal_generation}}});
  for (int16_t v = txn_offset_commit_request::min_version; v <= txn_offset_commit_request::max_version; ++v) {
    auto back = round_trip<txn_offset_commit_request>(tc, v);
    if (!back)
      CAF_FAIL("TxnOffsetCommit v" << v << ": " << back.error());
    CAF_CHECK_EQUAL(back->throttle_time_ms, 3);
    CAF_REQUIRE_EQUAL(back->topics.size(), 1u);
    CAF_CHECK_EQUAL(back->topics[0].name, v >= 6 ? "" : "t");
    CAF_CHECK(back->topics[0].topic_id == (v >= 6 ? test_topic_id() : uuid{}));
    CAF_REQUIRE_EQUAL(back->topics[0].partitions.size(), 1u);
    CAF_CHECK_EQUAL(back->topics[0].partitions[0].error_code, errc::illegal_generation);
  }
}

// ---- Negotiation --------------------------------------------------------------------------------

CAF_TEST(transaction apis negotiate within what a client may send) {
  api_versions_response broker; // what Kafka 4.4.0 lists
  broker.api_keys.push_back({10, 0, 6}); // FindCoordinator
  broker.api_keys.push_back({22, 0, 5}); // InitProducerId (v6 only with unstable versions on)
  broker.api_keys.push_back({24, 0, 5}); // AddPartitionsToTxn: v4+ for brokers
  broker.api_keys.push_back({25, 0, 4}); // AddOffsetsToTxn
  broker.api_keys.push_back({26, 0, 5}); // EndTxn
  broker.api_keys.push_back({28, 0, 6}); // TxnOffsetCommit
  CAF_CHECK_EQUAL(negotiate_version<find_coordinator_request>(broker), std::optional<int16_t>{6});
  CAF_CHECK_EQUAL(negotiate_version<init_producer_id_request>(broker), std::optional<int16_t>{5});
  CAF_CHECK_EQUAL(negotiate_version<add_partitions_to_txn_request>(broker), std::optional<int16_t>{3});
  CAF_CHECK_EQUAL(negotiate_version<add_offsets_to_txn_request>(broker), std::optional<int16_t>{4});
  CAF_CHECK_EQUAL(negotiate_version<end_txn_request>(broker), std::optional<int16_t>{5});
  CAF_CHECK_EQUAL(negotiate_version<txn_offset_commit_request>(broker), std::optional<int16_t>{6});
  // Transactions v1 keeps EndTxn and TxnOffsetCommit below their transactions v2 versions.
  CAF_CHECK_EQUAL(negotiate_version<end_txn_request>(broker, end_txn_request::txn_v2_min_version - 1),
                  std::optional<int16_t>{4});
  CAF_CHECK_EQUAL(negotiate_version<txn_offset_commit_request>(
                    broker, txn_offset_commit_request::txn_v2_min_version - 1),
                  std::optional<int16_t>{4});
  // A cap below cafka's min finds nothing.
  CAF_CHECK(!negotiate_version<find_coordinator_request>(broker, 0));
  // FindCoordinator v0 cannot name a transaction coordinator: a broker with v0 only is too old.
  api_versions_response old;
  old.api_keys.push_back({10, 0, 0});
  CAF_CHECK(!negotiate_version<find_coordinator_request>(old));
}
