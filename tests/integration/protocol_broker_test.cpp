#define CAF_SUITE integration.protocol
#include "caf/test/unit_test.hpp"

#include "integration/broker_harness.hpp"
#include "protocol/error_codes.hpp"
#include "protocol/framing.hpp"
#include "protocol/record_batch.hpp"
#include "protocol/version_negotiation.hpp"

using namespace cafka::protocol;
using namespace cafka::test;

namespace {

template <class Request>
typename Request::response_type roundtrip(const Request& request, int16_t version) {
  auto frame = exchange(encode_request(request, version, 7, "cafka-test"));
  auto id = correlation_id_of(frame);
  CAF_REQUIRE(id.has_value());
  CAF_CHECK_EQUAL(*id, 7);
  auto response = decode_response<Request>(frame, version);
  if (!response)
    CAF_FAIL("decoding failed: " << response.error());
  return std::move(*response);
}

bool lists_produce(const api_versions_response& r) {
  return std::any_of(r.api_keys.begin(), r.api_keys.end(),
                     [](auto& k) { return k.api_key == static_cast<int16_t>(api_key::produce); });
}

} // namespace

CAF_TEST(api versions v0 lists produce) {
  auto r = roundtrip(api_versions_request{}, 0);
  CAF_CHECK_EQUAL(r.error_code, 0);
  CAF_CHECK(lists_produce(r));
}

CAF_TEST(api versions v3 and v4 with client software name) {
  // What each release offers of what cafka speaks: Produce v13 (topic ids) from 4.1, v12 from 4.0,
  // Metadata v13 from 4.0.
  auto release = broker_version();
  int16_t produce = release >= std::pair{4, 1} ? 13 : (release >= std::pair{4, 0} ? 12 : 11);
  int16_t metadata = release >= std::pair{4, 0} ? 13 : 12;
  for (int16_t v : {3, 4}) {
    auto r = roundtrip(api_versions_request{}, v);
    CAF_CHECK_EQUAL(r.error_code, 0);
    CAF_CHECK(lists_produce(r));
    CAF_CHECK_EQUAL(negotiate_version<produce_request>(r), std::optional<int16_t>{produce});
    CAF_CHECK_EQUAL(negotiate_version<metadata_request>(r), std::optional<int16_t>{metadata});
    CAF_CHECK_EQUAL(negotiate_version<init_producer_id_request>(r), std::optional<int16_t>{5});
  }
}

CAF_TEST(metadata for a topic in every version both sides speak) {
  auto topic = unique_topic("meta");
  create_topic(topic, 3);
  auto newest = negotiate_version<metadata_request>(roundtrip(api_versions_request{}, 3));
  CAF_REQUIRE(newest.has_value());
  for (int16_t v = metadata_request::min_version; v <= *newest; ++v) {
    metadata_request req;
    req.topics = std::vector<metadata_request::topic>{{{}, topic}};
    auto r = roundtrip(req, v);
    CAF_REQUIRE_EQUAL(r.brokers.size(), 1u);
    CAF_CHECK_EQUAL(r.brokers[0].host + ":" + std::to_string(r.brokers[0].port), bootstrap());
    CAF_REQUIRE_EQUAL(r.topics.size(), 1u);
    CAF_CHECK_EQUAL(r.topics[0].error_code, 0);
    CAF_CHECK_EQUAL(r.topics[0].name.value_or(""), topic);
    CAF_REQUIRE_EQUAL(r.topics[0].partitions.size(), 3u);
    for (auto& p : r.topics[0].partitions)
      CAF_CHECK_EQUAL(p.leader_id, r.brokers[0].node_id);
  }
}

CAF_TEST(zstd below produce v7 is refused by the broker) {
  auto topic = unique_topic("zstd-old");
  create_topic(topic, 1);
  record_batch_builder b;
  b.append(1, as_bytes("k"), as_bytes("v"));
  auto batch = std::move(b).finish(compression_codec::zstd, 3);
  CAF_REQUIRE(batch.has_value());
  produce_request req;
  req.topic_data.push_back({topic, {}, {{0, byte_span{*batch}}}});
  auto r = roundtrip(req, produce_request::zstd_min_version - 1);
  CAF_CHECK_EQUAL(error_info(r.responses.at(0).partition_responses.at(0).error_code).name,
                  "UNSUPPORTED_COMPRESSION_TYPE");
}

// KIP-516: from Produce v13 (Kafka 4.1) a topic is named by the id Metadata gives it; an id the
// broker does not host is UNKNOWN_TOPIC_ID, which cafka treats as stale metadata.
CAF_TEST(produce v13 names the topic by its id) {
  auto offered = negotiate_version<produce_request>(roundtrip(api_versions_request{}, 3));
  CAF_REQUIRE(offered.has_value());
  bool speaks_ids = *offered >= produce_request::topic_id_min_version;
  CAF_CHECK_EQUAL(speaks_ids, (broker_version() >= std::pair{4, 1}));
  if (!speaks_ids)
    return; // an older broker: cafka speaks v12 at most to it (checked above)
  auto topic = unique_topic("by-id");
  create_topic(topic, 2);
  metadata_request meta;
  meta.topics = std::vector<metadata_request::topic>{{{}, topic}};
  auto id = roundtrip(meta, 12).topics.at(0).topic_id;
  CAF_REQUIRE(!(id == uuid{}));
  record_batch_builder b;
  b.append(1700000000000, as_bytes("key"), as_bytes("by id"));
  auto batch = std::move(b).finish(compression_codec::none, 0);
  CAF_REQUIRE(batch.has_value());
  produce_request req;
  req.acks = -1;
  req.topic_data.push_back({{}, id, {{1, byte_span{*batch}}}});
  auto r = roundtrip(req, produce_request::topic_id_min_version);
  CAF_REQUIRE_EQUAL(r.responses.size(), 1u);
  CAF_CHECK(r.responses[0].topic_id == id);
  auto& p = r.responses[0].partition_responses.at(0);
  CAF_CHECK_EQUAL(p.index, 1);
  CAF_CHECK_EQUAL(error_info(p.error_code).name, "NONE");
  auto got = consume_at_least(topic, 1);
  CAF_REQUIRE_EQUAL(got.size(), 1u);
  CAF_CHECK_EQUAL(got[0].partition, 1);
  CAF_CHECK(got[0].value == nullable_bytes::of("by id"));

  uuid unknown;
  unknown.bytes.fill(0x5a);
  req.topic_data[0].topic_id = unknown;
  auto missing = roundtrip(req, produce_request::topic_id_min_version);
  CAF_CHECK_EQUAL(error_info(missing.responses.at(0).partition_responses.at(0).error_code).name, "UNKNOWN_TOPIC_ID");
}

CAF_TEST(metadata for a missing topic names the error) {
  metadata_request req;
  req.topics = std::vector<metadata_request::topic>{{{}, unique_topic("missing")}};
  auto r = roundtrip(req, 12);
  CAF_REQUIRE_EQUAL(r.topics.size(), 1u);
  CAF_CHECK_EQUAL(error_info(r.topics[0].error_code).name, "UNKNOWN_TOPIC_OR_PARTITION");
}

CAF_TEST(produce a hand built batch in each codec and read it back) {
  // The oldest, the first with error messages, and the newest that names topics (v13 uses ids).
  auto offered = negotiate_version<produce_request>(roundtrip(api_versions_request{}, 3));
  CAF_REQUIRE(offered.has_value());
  auto newest_by_name = std::min<int16_t>(*offered, produce_request::topic_id_min_version - 1);
  for (auto codec : {compression_codec::none, compression_codec::gzip, compression_codec::snappy,
                     compression_codec::lz4, compression_codec::zstd}) {
    for (int16_t version : {int16_t{3}, int16_t{8}, newest_by_name}) {
      if (codec == compression_codec::zstd && version < produce_request::zstd_min_version)
        continue;
      auto topic = unique_topic(std::string("produce-") + std::string(compression_codec_name(codec)));
      create_topic(topic, 1);
      std::vector<record_header> headers{{"h", nullable_bytes::of("1")}, {"h", nullable_bytes::of("2")}};
      record_batch_builder b;
      b.append(1700000000000, as_bytes("key-0"), as_bytes("value-0"), headers);
      b.append(1700000000001, std::nullopt, as_bytes("value-1"));
      b.append(1700000000002, as_bytes(""), std::nullopt);
      auto batch = std::move(b).finish(codec, default_compression_level(codec));
      CAF_REQUIRE(batch.has_value());
      produce_request req;
      req.acks = -1;
      req.topic_data.push_back({topic, {}, {{0, byte_span{*batch}}}});
      auto r = roundtrip(req, version);
      CAF_REQUIRE_EQUAL(r.responses.size(), 1u);
      CAF_REQUIRE_EQUAL(r.responses[0].partition_responses.size(), 1u);
      auto& p = r.responses[0].partition_responses[0];
      CAF_CHECK_EQUAL(error_info(p.error_code).name, "NONE");
      CAF_CHECK_EQUAL(p.base_offset, 0);

      auto got = consume_at_least(topic, 3);
      CAF_REQUIRE_EQUAL(got.size(), 3u);
      CAF_CHECK_EQUAL(got[0].offset, 0);
      CAF_CHECK_EQUAL(got[0].timestamp, 1700000000000);
      CAF_CHECK_EQUAL(got[0].timestamp_type, "create");
      CAF_CHECK(got[0].key == nullable_bytes::of("key-0"));
      CAF_CHECK(got[0].value == nullable_bytes::of("value-0"));
      CAF_CHECK(got[0].headers == headers);
      CAF_CHECK(got[1].key.is_null);
      CAF_CHECK_EQUAL(got[1].timestamp, 1700000000001);
      CAF_CHECK(!got[2].key.is_null);
      CAF_CHECK(got[2].key.data.empty());
      CAF_CHECK(got[2].value.is_null);
      CAF_CHECK_EQUAL(got[2].offset, 2);
    }
  }
}
