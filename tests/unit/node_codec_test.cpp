#define CAF_SUITE actors.node_codec
#include "caf/test/dsl.hpp"

#include "cafka/error.hpp"
#include "cafka/producer.hpp"
#include "test_support.hpp"

using namespace cafka;
using cafka::test::from_hex;
using cafka::test::to_hex;

namespace {

// The types registered as a node registers them: a report's error context is a caf::message.
struct node_config : caf::actor_system_config {
  node_config() { register_types(*this); }
};

struct fixture : test_coordinator_fixture<node_config> {
  template <class T>
  std::vector<uint8_t> save(T xs) {
    std::vector<char> out;
    caf::binary_serializer sink{sys, out};
    auto err = sink(xs);
    CAF_REQUIRE(!err);
    return {out.begin(), out.end()};
  }

  template <class T>
  caf::error load(const std::vector<uint8_t>& in, T& xs) {
    caf::binary_deserializer source{sys, reinterpret_cast<const char*>(in.data()), in.size()};
    return source(xs);
  }

  // Saves xs, checks that the bytes start with `block` (an outcome's error follows the block in
  // CAF's own form) and loads them back.
  template <class T>
  std::vector<T> round_trip(const std::vector<T>& xs, const std::vector<uint8_t>& block) {
    auto bytes = save(xs);
    CAF_REQUIRE_GREATER(bytes.size(), block.size());
    CAF_CHECK_EQUAL(to_hex({bytes.data(), block.size()}), to_hex(block));
    std::vector<T> back;
    CAF_REQUIRE(!load(bytes, back));
    CAF_REQUIRE_EQUAL(back.size(), xs.size());
    return back;
  }

  template <class T>
  void check_outcome(const T& got, const T& sent) {
    auto &m = got.metadata, &s = sent.metadata;
    CAF_CHECK_EQUAL(m.topic, s.topic);
    CAF_CHECK_EQUAL(m.partition, s.partition);
    CAF_CHECK_EQUAL(m.offset, s.offset);
    CAF_CHECK_EQUAL(m.timestamp, s.timestamp);
    CAF_CHECK_EQUAL(m.serialized_key_size, s.serialized_key_size);
    CAF_CHECK_EQUAL(m.serialized_value_size, s.serialized_value_size);
    CAF_CHECK_EQUAL(static_cast<bool>(got.error), static_cast<bool>(sent.error));
    CAF_CHECK_EQUAL(sys.render(got.error), sys.render(sent.error));
  }

  // A records block as another node could send it: CAF's framing of a byte sequence around `block`.
  std::vector<uint8_t> framed(std::vector<uint8_t> block) { return save(std::move(block)); }

  std::vector<producer_record> three_records() {
    return {
      {"t", -1, nullable_bytes::null(), nullable_bytes::of("v"), {}, -1},
      {"t", 2, nullable_bytes::of("k"), nullable_bytes::null(), {{"h", nullable_bytes::of("x")}}, 5},
      {"u", 0, nullable_bytes::of(""), nullable_bytes::of(""), {}, 0},
    };
  }
};

// The records block: format 1, count + 1, and per record topic (0: the previous one), partition,
// key, value, headers, timestamp (see actors/node_codec.cpp), inside CAF's length prefix.
const char* three_records_hex = "1c  01 04"
                                "  02 74  01  00  02 76  01  01"
                                "  00  04  02 6b  00  02 02 68 02 78  0a"
                                "  02 75  00  01  01  01  00";

} // namespace

CAF_TEST_FIXTURE_SCOPE(node_codec_tests, fixture)

CAF_TEST(records cross nodes as one block with golden bytes) {
  CAF_CHECK_EQUAL(to_hex(save(three_records())), to_hex(from_hex(three_records_hex)));
}

CAF_TEST(records come back as they were sent) {
  std::vector<producer_record> back;
  CAF_REQUIRE(!load(from_hex(three_records_hex), back));
  auto sent = three_records();
  CAF_REQUIRE_EQUAL(back.size(), sent.size());
  for (size_t i = 0; i < sent.size(); ++i) {
    CAF_CHECK_EQUAL(back[i].topic, sent[i].topic);
    CAF_CHECK_EQUAL(back[i].partition, sent[i].partition);
    CAF_CHECK(back[i].key == sent[i].key);
    CAF_CHECK(back[i].value == sent[i].value);
    CAF_CHECK(back[i].headers == sent[i].headers);
    CAF_CHECK_EQUAL(back[i].timestamp, sent[i].timestamp);
  }
  std::vector<producer_record> none;
  CAF_REQUIRE(!load(save(std::vector<producer_record>{}), none));
  CAF_CHECK(none.empty());
}

CAF_TEST(reports cross nodes as one block and their errors after it) {
  std::vector<delivery_report> sent(3);
  sent[0].metadata = {"t", 1, 10, 100, -1, 3};
  sent[1].metadata = {"t", 1, -1, -1, 1, 3};
  sent[1].error = kafka_error(6, "t-1 moved");
  sent[2].metadata = {"a-topic", 0, 7, 8, 0, 0};
  // CAF's length prefix, format 1, count + 1, the reports.
  auto back = round_trip(sent, from_hex("20  01 04"
                                        "  02 74  02  14  c8 01  01  06  00"
                                        "  00  02  01  01  02  06  01"
                                        "  08 61 2d 74 6f 70 69 63  00  0e  10  00  00  00"));
  for (size_t i = 0; i < sent.size(); ++i)
    check_outcome(back[i], sent[i]);
  CAF_CHECK(back[1].error == sent[1].error);
  CAF_CHECK_NOT_EQUAL(sys.render(back[1].error).find("t-1 moved"), std::string::npos);
}

CAF_TEST(credit acks cross nodes with their ids) {
  std::vector<record_ack> sent(2);
  sent[0] = {300, {"t", 2, 9, 1, 1, 1}, {}};
  sent[1] = {301, {"t", 2, -1, 1, 1, 1}, kafka_error(10, "too large")};
  auto back = round_trip(sent, from_hex("15  01 03"
                                        "  ac 02  02 74  04  12  02  02  02  00"
                                        "  ad 02  00  04  01  02  02  02  01"));
  for (size_t i = 0; i < sent.size(); ++i) {
    CAF_CHECK_EQUAL(back[i].id, sent[i].id);
    check_outcome(back[i], sent[i]);
  }
}

CAF_TEST(every truncated records block is refused with the reason) {
  auto whole = from_hex(three_records_hex);
  std::vector<uint8_t> block(whole.begin() + 1, whole.end());
  for (size_t n = 0; n < block.size(); ++n) {
    std::vector<producer_record> back;
    auto err = load(framed({block.begin(), block.begin() + n}), back);
    CAF_CHECK(err == caf::sec::malformed_basp_message);
    CAF_CHECK(back.empty());
  }
  std::vector<producer_record> back;
  auto trailing = block;
  trailing.push_back(0);
  CAF_CHECK_NOT_EQUAL(sys.render(load(framed(trailing), back)).find("1 bytes after the last record"),
                      std::string::npos);
}

CAF_TEST(hostile records blocks are refused without a large allocation) {
  auto reason = [this](const char* hex) {
    std::vector<producer_record> back;
    auto err = load(framed(from_hex(hex)), back);
    CAF_CHECK(back.empty());
    return sys.render(err);
  };
  CAF_CHECK_NOT_EQUAL(reason("01  ff ff ff ff 0f").find("cannot fit"), std::string::npos);
  CAF_CHECK_NOT_EQUAL(reason("02  01").find("block format 2, this node reads 1"), std::string::npos);
  CAF_CHECK_NOT_EQUAL(reason("01 02  00 00 00 00 01 00").find("refers to a previous topic"), std::string::npos);
  CAF_CHECK_NOT_EQUAL(reason("01 00").find("null where a count is required"), std::string::npos);
  CAF_CHECK_NOT_EQUAL(reason("01 02  02 74 00 00 00  ff ff ff ff 0f").find("cannot fit"), std::string::npos);
}

CAF_TEST(a failed report without its error is refused) {
  std::vector<delivery_report> back;
  auto err = load(framed(from_hex("01 02  02 74 00 00 00 00 00 01")), back);
  CAF_CHECK(err);
  CAF_CHECK(back.empty());
}

CAF_TEST(logs still show records one by one) {
  auto text = caf::deep_to_string(three_records());
  CAF_CHECK_NOT_EQUAL(text.find("cafka::producer_record"), std::string::npos);
  CAF_CHECK_NOT_EQUAL(text.find("\"u\""), std::string::npos);
}

CAF_TEST_FIXTURE_SCOPE_END()
