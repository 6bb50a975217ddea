#define CAF_SUITE protocol.messages
#include "caf/test/unit_test.hpp"

#include "protocol/framing.hpp"
#include "protocol/messages.hpp"
#include "protocol/version_negotiation.hpp"
#include "test_support.hpp"

using namespace cafka::protocol;
using cafka::test::from_hex;
using cafka::test::to_hex;

// Golden bytes written out by hand from Kafka's message schemas and the protocol guide's rules
// (request header v1/v2, compact strings as length+1, tagged-field sections).

CAF_TEST(api versions v0 request) {
  auto frame = encode_request(api_versions_request{}, 0, 1, "c");
  CAF_CHECK_EQUAL(to_hex(frame), to_hex(from_hex("00 00 00 0b  00 12 00 00 00 00 00 01 00 01 63")));
}

CAF_TEST(api versions v3 request is flexible with software name and version) {
  auto frame = encode_request(api_versions_request{}, 3, 1, "c");
  CAF_CHECK_EQUAL(to_hex(frame), to_hex(from_hex("00 00 00 19  00 12 00 03 00 00 00 01 00 01 63 00"
                                                 "06 63 61 66 6b 61  06 30 2e 31 2e 30  00")));
}

CAF_TEST(metadata v12 request) {
  metadata_request req;
  req.topics = std::vector<metadata_request::topic>{{{}, "t"}};
  auto frame = encode_request(req, 12, 2, "c");
  CAF_CHECK_EQUAL(to_hex(frame), to_hex(from_hex("00 00 00 23  00 03 00 0c 00 00 00 02 00 01 63 00"
                                                 "02  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  02 74  00"
                                                 "00  00  00")));
}

CAF_TEST(metadata v1 request with null topics asks for all) {
  metadata_request req;
  auto frame = encode_request(req, 1, 3, "c");
  CAF_CHECK_EQUAL(to_hex(frame), to_hex(from_hex("00 00 00 0f  00 03 00 01 00 00 00 03 00 01 63  ff ff ff ff")));
}

CAF_TEST(produce v9 and v3 requests) {
  auto records = from_hex("aa bb");
  produce_request req;
  req.acks = -1;
  req.timeout_ms = 30000;
  req.topic_data.push_back({"t", {}, {{0, byte_span{records}}}});
  CAF_CHECK_EQUAL(to_hex(encode_request(req, 9, 4, "c")),
                  to_hex(from_hex("00 00 00 21  00 00 00 09 00 00 00 04 00 01 63 00"
                                  "00  ff ff  00 00 75 30  02  02 74  02  00 00 00 00  03 aa bb  00  00  00")));
  CAF_CHECK_EQUAL(to_hex(encode_request(req, 3, 4, "c")),
                  to_hex(from_hex("00 00 00 28  00 00 00 03 00 00 00 04 00 01 63"
                                  "ff ff  ff ff  00 00 75 30  00 00 00 01  00 01 74  00 00 00 01  00 00 00 00"
                                  "00 00 00 02 aa bb")));
}

CAF_TEST(produce v13 request names the topic by id) {
  auto records = from_hex("aa bb");
  produce_request req;
  req.acks = -1;
  req.timeout_ms = 30000;
  produce_request::topic t;
  t.name = "ignored in v13";
  for (uint8_t i = 0; i < 16; ++i)
    t.topic_id.bytes[i] = static_cast<uint8_t>(0x10 + i);
  t.partition_data.push_back({0, byte_span{records}});
  req.topic_data.push_back(t);
  CAF_CHECK_EQUAL(to_hex(encode_request(req, 13, 4, "c")),
                  to_hex(from_hex("00 00 00 2f  00 00 00 0d 00 00 00 04 00 01 63 00"
                                  "00  ff ff  00 00 75 30  02"
                                  "10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f"
                                  "02  00 00 00 00  03 aa bb  00  00  00")));
}

CAF_TEST(init producer id v4 request) {
  init_producer_id_request req;
  auto frame = encode_request(req, 4, 5, "c");
  CAF_CHECK_EQUAL(to_hex(frame), to_hex(from_hex("00 00 00 1c  00 16 00 04 00 00 00 05 00 01 63 00"
                                                 "00  ff ff ff ff  ff ff ff ff ff ff ff ff  ff ff  00")));
}

CAF_TEST(sasl handshake v1 and v0 requests name the mechanism) {
  sasl_handshake_request req;
  req.mechanism = "PLAIN";
  CAF_CHECK_EQUAL(to_hex(encode_request(req, 1, 7, "c")),
                  to_hex(from_hex("00 00 00 12  00 11 00 01 00 00 00 07 00 01 63  00 05 50 4c 41 49 4e")));
  CAF_CHECK_EQUAL(to_hex(encode_request(req, 0, 7, "c")),
                  to_hex(from_hex("00 00 00 12  00 11 00 00 00 00 00 07 00 01 63  00 05 50 4c 41 49 4e")));
}

CAF_TEST(sasl handshake response lists the broker mechanisms) {
  // UNSUPPORTED_SASL_MECHANISM (33), then PLAIN and SCRAM-SHA-512 as classic strings.
  auto frame = from_hex("00 00 00 07  00 21  00 00 00 02  00 05 50 4c 41 49 4e"
                        "00 0d 53 43 52 41 4d 2d 53 48 41 2d 35 31 32");
  auto r = decode_response<sasl_handshake_request>(frame, 1);
  if (!r)
    CAF_FAIL(r.error());
  CAF_CHECK_EQUAL(r->error_code, 33);
  CAF_REQUIRE_EQUAL(r->mechanisms.size(), 2u);
  CAF_CHECK_EQUAL(r->mechanisms[0], "PLAIN");
  CAF_CHECK_EQUAL(r->mechanisms[1], "SCRAM-SHA-512");
}

CAF_TEST(sasl authenticate requests carry the auth bytes) {
  sasl_authenticate_request req;
  req.auth_bytes = from_hex("00 75 00 70"); // PLAIN's "\0u\0p"
  CAF_CHECK_EQUAL(to_hex(encode_request(req, 0, 8, "c")),
                  to_hex(from_hex("00 00 00 13  00 24 00 00 00 00 00 08 00 01 63  00 00 00 04 00 75 00 70")));
  CAF_CHECK_EQUAL(to_hex(encode_request(req, 1, 8, "c")),
                  to_hex(from_hex("00 00 00 13  00 24 00 01 00 00 00 08 00 01 63  00 00 00 04 00 75 00 70")));
  // v2: header v2 (tag section after the client id), compact bytes (length + 1), empty tag section.
  CAF_CHECK_EQUAL(to_hex(encode_request(req, 2, 8, "c")),
                  to_hex(from_hex("00 00 00 12  00 24 00 02 00 00 00 08 00 01 63 00  05 00 75 00 70  00")));
}

CAF_TEST(sasl authenticate responses of every version) {
  // v0: no error, null message, the server's bytes "r=x".
  auto v0 = decode_response<sasl_authenticate_request>(from_hex("00 00 00 08  00 00  ff ff  00 00 00 03 72 3d 78"), 0);
  if (!v0)
    CAF_FAIL(v0.error());
  CAF_CHECK_EQUAL(v0->error_code, 0);
  CAF_CHECK(!v0->error_message);
  CAF_CHECK_EQUAL(to_hex(v0->auth_bytes), "72 3d 78");
  CAF_CHECK_EQUAL(v0->session_lifetime_ms, 0);
  // v1 adds the session lifetime: one hour.
  auto v1 = decode_response<sasl_authenticate_request>(
    from_hex("00 00 00 08  00 00  ff ff  00 00 00 00  00 00 00 00 00 36 ee 80"), 1);
  if (!v1)
    CAF_FAIL(v1.error());
  CAF_CHECK(v1->auth_bytes.empty());
  CAF_CHECK_EQUAL(v1->session_lifetime_ms, 3600000);
  // v2: header tags, SASL_AUTHENTICATION_FAILED (58) with "bad", empty compact bytes, lifetime, tags.
  auto v2 = decode_response<sasl_authenticate_request>(
    from_hex("00 00 00 09  00  00 3a  04 62 61 64  01  00 00 00 00 00 00 00 00  00"), 2);
  if (!v2)
    CAF_FAIL(v2.error());
  CAF_CHECK_EQUAL(v2->error_code, 58);
  CAF_CHECK_EQUAL(v2->error_message.value_or(""), "bad");
  CAF_CHECK(v2->auth_bytes.empty());
}

CAF_TEST(sasl authenticate response with null auth bytes is refused) {
  auto classic = decode_response<sasl_authenticate_request>(from_hex("00 00 00 08  00 00  ff ff  ff ff ff ff"), 0);
  CAF_REQUIRE(!classic);
  CAF_CHECK_EQUAL(classic.error(), "null where bytes are required at byte 12");
  auto compact = decode_response<sasl_authenticate_request>(
    from_hex("00 00 00 09  00  00 00  00  00  00 00 00 00 00 00 00 00  00"), 2);
  CAF_CHECK(!compact);
}

CAF_TEST(sasl authenticate response round trips and fails at every cut) {
  sasl_authenticate_response m;
  m.error_message = "why";
  m.auth_bytes = from_hex("01 02 03");
  m.session_lifetime_ms = 42;
  for (int16_t v = sasl_authenticate_request::min_version; v <= sasl_authenticate_request::max_version; ++v) {
    byte_buffer body;
    writer w{body};
    w.i32(9);
    bool flexible = is_flexible<sasl_authenticate_request>(v);
    if (flexible)
      w.uvarint(0);
    field_encoder enc{w, v, flexible};
    enc(m);
    auto back = decode_response<sasl_authenticate_request>(body, v);
    CAF_REQUIRE(back.has_value());
    CAF_CHECK_EQUAL(back->error_message.value_or(""), "why");
    CAF_CHECK_EQUAL(to_hex(back->auth_bytes), "01 02 03");
    CAF_CHECK_EQUAL(back->session_lifetime_ms, v >= 1 ? 42 : 0);
    for (size_t cut = 0; cut < body.size(); ++cut)
      CAF_CHECK(!decode_response<sasl_authenticate_request>(byte_span{body.data(), cut}, v).has_value());
  }
}

CAF_TEST(negotiation picks sasl handshake v1 and the newest sasl authenticate) {
  api_versions_response r;
  r.api_keys.push_back({17, 0, 1});
  r.api_keys.push_back({36, 0, 2});
  CAF_CHECK_EQUAL(negotiate_version<sasl_handshake_request>(r), std::optional<int16_t>{1});
  CAF_CHECK_EQUAL(negotiate_version<sasl_authenticate_request>(r), std::optional<int16_t>{2});
  CAF_CHECK(!is_flexible<sasl_handshake_request>(1));
}

CAF_TEST(api versions v3 response with an unknown tagged field is read) {
  // correlation id, error 0, two api keys, throttle 0, a tagged field no version knows (9) skipped.
  auto frame = from_hex("00 00 00 07  00 00  03  00 00 00 00 00 0b 00  00 12 00 00 00 04 00"
                        "00 00 00 00  01  09 03  aa bb cc");
  auto r = decode_response<api_versions_request>(frame, 3);
  CAF_REQUIRE(r.has_value());
  CAF_CHECK_EQUAL(r->api_keys.size(), 2u);
  CAF_CHECK_EQUAL(r->api_keys[0].max_version, 11);
  CAF_CHECK_EQUAL(r->api_keys[1].api_key, 18);
  CAF_CHECK_EQUAL(negotiate_version<produce_request>(*r), std::optional<int16_t>{11});
  CAF_CHECK_EQUAL(negotiate_version<api_versions_request>(*r), std::optional<int16_t>{4});
  CAF_CHECK(!negotiate_version<metadata_request>(*r));
}

CAF_TEST(negotiation uses the broker max and never goes below our min) {
  api_versions_response r;
  r.api_keys.push_back({0, 0, 2});  // Produce only up to v2: too old for cafka (v3+)
  r.api_keys.push_back({3, 0, 2});  // Metadata v0-v2, as librdkafka 2.0.2's mock cluster
  r.api_keys.push_back({22, 0, 4}); // InitProducerId v0-v4
  CAF_CHECK(!negotiate_version<produce_request>(r));
  CAF_CHECK_EQUAL(negotiate_version<metadata_request>(r), std::optional<int16_t>{2});
  CAF_CHECK_EQUAL(negotiate_version<init_producer_id_request>(r), std::optional<int16_t>{4});
}

CAF_TEST(produce v10 response with kip 951 leader hints) {
  auto frame = from_hex("00 00 00 09  00"            // correlation id, header v1 tags
                        "02  02 74"                   // one topic "t"
                        "02  00 00 00 01  00 06"      // partition 1, NOT_LEADER_OR_FOLLOWER
                        "ff ff ff ff ff ff ff ff  ff ff ff ff ff ff ff ff  ff ff ff ff ff ff ff ff"
                        "01  00"                      // no record errors, null error message
                        "01  00 09  00 00 00 02 00 00 00 05 00" // tag 0: leader 2, epoch 5
                        "00  00 00 00 00"             // topic tags, throttle
                        "01  00 15  02  00 00 00 02  0a 31 32 37 2e 30 2e 30 2e 31  00 00 23 84  00 00"
                        );
  auto r = decode_response<produce_request>(frame, 10);
  if (!r)
    CAF_FAIL(r.error());
  CAF_REQUIRE_EQUAL(r->responses.size(), 1u);
  auto& p = r->responses[0].partition_responses.at(0);
  CAF_CHECK_EQUAL(p.index, 1);
  CAF_CHECK_EQUAL(p.error_code, 6);
  CAF_REQUIRE(p.current_leader.has_value());
  CAF_CHECK_EQUAL(p.current_leader->leader_id, 2);
  CAF_CHECK_EQUAL(p.current_leader->leader_epoch, 5);
  CAF_REQUIRE(r->node_endpoints.has_value());
  CAF_REQUIRE_EQUAL(r->node_endpoints->size(), 1u);
  CAF_CHECK_EQUAL(r->node_endpoints->at(0).host, "127.0.0.1");
  CAF_CHECK_EQUAL(r->node_endpoints->at(0).port, 9092);
}

CAF_TEST(produce v13 response names the topic by id) {
  auto frame = from_hex("00 00 00 0b  00"                                   // correlation id, header tags
                        "02  10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f" // one topic, by id
                        "02  00 00 00 02  00 64"                            // partition 2, UNKNOWN_TOPIC_ID
                        "ff ff ff ff ff ff ff ff  ff ff ff ff ff ff ff ff  ff ff ff ff ff ff ff ff"
                        "01  00  00"                                        // no record errors, null message
                        "00  00 00 00 00  00");                             // topic tags, throttle, tags
  auto r = decode_response<produce_request>(frame, 13);
  if (!r)
    CAF_FAIL(r.error());
  CAF_REQUIRE_EQUAL(r->responses.size(), 1u);
  CAF_CHECK_EQUAL(r->responses[0].topic_id.bytes[0], 0x10);
  CAF_CHECK_EQUAL(r->responses[0].topic_id.bytes[15], 0x1f);
  CAF_CHECK(r->responses[0].name.empty());
  CAF_CHECK_EQUAL(r->responses[0].partition_responses.at(0).index, 2);
  CAF_CHECK_EQUAL(r->responses[0].partition_responses.at(0).error_code, 100);
}

CAF_TEST(responses round trip through the same description) {
  metadata_response m;
  m.brokers.push_back({1, "127.0.0.1", 9092, std::nullopt});
  metadata_response::topic t;
  t.name = "orders";
  t.partitions.push_back({0, 0, 1, 4, {1}, {1}, {}});
  m.topics.push_back(t);
  m.cluster_id = "abc";
  for (int16_t v = metadata_request::min_version; v <= metadata_request::max_version; ++v) {
    byte_buffer body;
    writer w{body};
    w.i32(9); // correlation id
    bool flexible = is_flexible<metadata_request>(v);
    if (flexible)
      w.uvarint(0);
    field_encoder enc{w, v, flexible};
    enc(m);
    auto back = decode_response<metadata_request>(body, v);
    CAF_REQUIRE(back.has_value());
    CAF_CHECK_EQUAL(back->brokers.at(0).port, 9092);
    CAF_CHECK_EQUAL(back->topics.at(0).name.value_or(""), "orders");
    CAF_CHECK_EQUAL(back->topics.at(0).partitions.at(0).leader_epoch, v >= 7 ? 4 : -1);
  }
}

CAF_TEST(truncated responses are errors at every cut) {
  auto frame = from_hex("00 00 00 09  00  02  02 74  02  00 00 00 01  00 00"
                        "00 00 00 00 00 00 00 05  ff ff ff ff ff ff ff ff  ff ff ff ff ff ff ff ff"
                        "01  00  00  00  00 00 00 00  00");
  CAF_REQUIRE(decode_response<produce_request>(frame, 10).has_value());
  for (size_t cut = 0; cut < frame.size(); ++cut)
    CAF_CHECK(!decode_response<produce_request>(byte_span{frame.data(), cut}, 10).has_value());
}

CAF_TEST(frames are cut from a byte stream) {
  frame_assembler a;
  auto stream = from_hex("00 00 00 04 00 00 00 01  00 00 00 05 00 00 00 02 ff");
  byte_buffer frame;
  a.feed(byte_span{stream}.subspan(0, 6));
  CAF_CHECK(!a.next(frame));
  a.feed(byte_span{stream}.subspan(6));
  CAF_REQUIRE(a.next(frame));
  CAF_CHECK_EQUAL(to_hex(frame), "00 00 00 01");
  CAF_REQUIRE(a.next(frame));
  CAF_CHECK_EQUAL(to_hex(frame), "00 00 00 02 ff");
  CAF_CHECK(!a.next(frame));
  frame_assembler bad;
  bad.feed(from_hex("ff ff ff ff"));
  CAF_CHECK(!bad.next(frame));
  CAF_CHECK_EQUAL(bad.error(), "a frame of -1 bytes (\"\\xff\\xff\\xff\\xff\"), too short for a correlation id");
}

// A peer that is no Kafka broker: its first four bytes, read as a size, show what it is.
CAF_TEST(an impossible frame size names the bytes it was read from) {
  frame_assembler a{size_t{256} << 20};
  std::string http = "HTTP/1.1 400 Bad Request\r\n\r\n";
  a.feed(as_bytes(http));
  byte_buffer frame;
  CAF_CHECK(!a.next(frame));
  CAF_CHECK_EQUAL(a.error(), "a frame of 1213486160 bytes (\"HTTP\"), more than the 268435456 a response may have");
  CAF_CHECK(!a.tls_record());
}

// A TLS port answers a plaintext request with an alert (Kafka's TLS listeners do): that is told
// apart, so the connection can say that the port speaks TLS.
CAF_TEST(a TLS record where a frame was due is recognised) {
  frame_assembler a{size_t{256} << 20};
  const uint8_t alert[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x0a}; // TLS 1.2 alert: unexpected_message
  a.feed(byte_span{alert, sizeof alert});
  byte_buffer frame;
  CAF_CHECK(!a.next(frame));
  CAF_CHECK(a.tls_record());
  CAF_CHECK_EQUAL(a.error(), "a frame of 352518912 bytes (\"\\x15\\x03\\x03\\x00\"), more than the 268435456 a response may have");
  const uint8_t hello[] = {0x16, 0x03, 0x01, 0x02};
  CAF_CHECK(looks_like_tls_record(byte_span{hello, 4}));
  const uint8_t big_frame[] = {0x15, 0x00, 0x00, 0x00};
  CAF_CHECK(!looks_like_tls_record(byte_span{big_frame, 4}));
}
