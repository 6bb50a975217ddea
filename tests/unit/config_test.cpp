#define CAF_SUITE actors.config
#include "caf/test/unit_test.hpp"

#include "actors/config.hpp"

#include <cstdio>
#include <fstream>
#include <unistd.h>

using namespace cafka;

namespace {

std::string error_of(properties p) {
  p.emplace("bootstrap.servers", "127.0.0.1:9092");
  auto c = parse_config(p);
  return c ? std::string{} : c.error();
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

} // namespace

CAF_TEST(java defaults) {
  auto c = parse_config({{"bootstrap.servers", "a:1,b:2"}});
  CAF_REQUIRE(c.has_value());
  CAF_CHECK_EQUAL(c->bootstrap_servers.size(), 2u);
  CAF_CHECK_EQUAL(c->bootstrap_servers[1].host, "b");
  CAF_CHECK_EQUAL(c->bootstrap_servers[1].port, 2);
  CAF_CHECK_EQUAL(c->acks, -1);
  CAF_CHECK(c->enable_idempotence);
  CAF_CHECK_EQUAL(c->linger.count(), 5);
  CAF_CHECK_EQUAL(c->batch_size, 16384);
  CAF_CHECK_EQUAL(c->buffer_memory, 33554432);
  CAF_CHECK_EQUAL(c->max_block.count(), 60000);
  CAF_CHECK_EQUAL(c->delivery_timeout.count(), 120000);
  CAF_CHECK_EQUAL(c->request_timeout.count(), 30000);
  CAF_CHECK_EQUAL(c->retry_backoff.count(), 100);
  CAF_CHECK_EQUAL(c->retry_backoff_max.count(), 1000);
  CAF_CHECK_EQUAL(c->max_in_flight, 5);
  CAF_CHECK_EQUAL(c->max_request_size, 1048576);
  CAF_CHECK(c->compression == protocol::compression_codec::none);
  CAF_CHECK_EQUAL(c->zstd_level, 3);
  CAF_CHECK_EQUAL(c->lz4_level, 9);
  CAF_CHECK_EQUAL(c->gzip_level, -1);
  CAF_CHECK(!c->client_id.empty());
}

CAF_TEST(errors name the property) {
  CAF_CHECK(starts_with(error_of({{"linger.ms", "soon"}}), "linger.ms:"));
  CAF_CHECK(starts_with(error_of({{"lingerms", "5"}}), "lingerms: unknown property"));
  CAF_CHECK(starts_with(error_of({{"acks", "2"}}), "acks:"));
  CAF_CHECK(starts_with(error_of({{"compression.type", "brotli"}}), "compression.type:"));
  CAF_CHECK(starts_with(error_of({{"compression.zstd.level", "99"}}), "compression.zstd.level:"));
  CAF_CHECK(starts_with(error_of({{"batch.size", "-1"}}), "batch.size:"));
  CAF_CHECK(starts_with(error_of({{"max.in.flight.requests.per.connection", "0"}}), "max.in.flight"));
  CAF_CHECK(starts_with(error_of({{"enable.idempotence", "yes"}}), "enable.idempotence:"));
  CAF_CHECK(starts_with(error_of({{"transactional.id", "t"}}), "transactional.id:"));
  CAF_CHECK(starts_with(parse_config({}).error(), "bootstrap.servers:"));
  CAF_CHECK(starts_with(parse_config({{"bootstrap.servers", "nohost"}}).error(), "bootstrap.servers:"));
  CAF_CHECK(starts_with(parse_config({{"bootstrap.servers", "h:99999"}}).error(), "bootstrap.servers:"));
}

CAF_TEST(idempotence yields quietly only when not set explicitly) {
  auto quiet = parse_config({{"bootstrap.servers", "h:1"}, {"acks", "1"}});
  CAF_REQUIRE(quiet.has_value());
  CAF_CHECK(!quiet->enable_idempotence);
  auto quiet_inflight = parse_config({{"bootstrap.servers", "h:1"}, {"max.in.flight.requests.per.connection", "6"}});
  CAF_REQUIRE(quiet_inflight.has_value());
  CAF_CHECK(!quiet_inflight->enable_idempotence);
  CAF_CHECK(starts_with(error_of({{"acks", "1"}, {"enable.idempotence", "true"}}), "acks:"));
  CAF_CHECK(starts_with(error_of({{"retries", "0"}, {"enable.idempotence", "true"}}), "retries:"));
  CAF_CHECK(starts_with(error_of({{"max.in.flight.requests.per.connection", "6"}, {"enable.idempotence", "true"}}),
                        "max.in.flight.requests.per.connection:"));
}

CAF_TEST(delivery timeout must cover linger and request timeout) {
  CAF_CHECK(starts_with(error_of({{"delivery.timeout.ms", "1000"}, {"request.timeout.ms", "2000"}}),
                        "delivery.timeout.ms:"));
  CAF_CHECK(error_of({{"delivery.timeout.ms", "3000"}, {"request.timeout.ms", "2000"}, {"linger.ms", "0"}}).empty());
}

CAF_TEST(the chosen codec takes its level) {
  auto c = parse_config({{"bootstrap.servers", "h:1"}, {"compression.type", "zstd"}, {"compression.zstd.level", "7"}});
  CAF_REQUIRE(c.has_value());
  CAF_CHECK_EQUAL(c->compression_level, 7);
}

CAF_TEST(properties files) {
  auto path = std::string("/tmp/cafka-config-test-") + std::to_string(getpid()) + ".properties";
  {
    std::ofstream out{path};
    out << "# a comment\n! another\n\nbootstrap.servers = 127.0.0.1:9092\nlinger.ms:20\n  acks=1  \n";
  }
  auto props = load_properties_file(path);
  std::remove(path.c_str());
  CAF_REQUIRE(props.has_value());
  CAF_CHECK_EQUAL(props->at("bootstrap.servers"), "127.0.0.1:9092");
  CAF_CHECK_EQUAL(props->at("linger.ms"), "20");
  CAF_CHECK_EQUAL(props->at("acks"), "1");
  CAF_CHECK(!load_properties_file("/nonexistent/file").has_value());
}
