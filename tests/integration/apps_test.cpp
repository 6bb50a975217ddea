#define CAF_SUITE integration.apps
#include "caf/test/unit_test.hpp"

#include "cafka/partitioner.hpp"
#include "integration/broker_harness.hpp"

#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <chrono>
#include <csignal>
#include <sys/wait.h>
#include <unistd.h>


using namespace cafka;
using namespace cafka::test;

namespace {

// Starts cafka-node against the test broker and returns it with the port it published on.
std::pair<std::unique_ptr<background_process>, std::string> start_node(std::vector<std::string> extra = {}) {
  std::vector<std::string> args{std::string(CAFKA_BINARY_DIR) + "/cafka-node", "-b", bootstrap()};
  args.insert(args.end(), extra.begin(), extra.end());
  auto node = std::make_unique<background_process>(args);
  auto line = node->read_line(); // printed once published
  auto at = line.find("published on ");
  CAF_REQUIRE(at != std::string::npos);
  auto address = line.substr(at + 13);
  address = address.substr(0, address.find_first_of(" \n"));
  return {std::move(node), address};
}

} // namespace

CAF_TEST(cafka-produce keys headers and partitions read back in every codec) {
  for (auto codec : {"none", "gzip", "snappy", "lz4", "zstd"}) {
    auto topic = unique_topic(std::string("cli-") + codec);
    create_topic(topic, 3);
    std::string input;
    for (int i = 0; i < 200; ++i)
      input += "key" + std::to_string(i) + "\tvalue " + std::to_string(i) + "\n";
    auto r = run_app("cafka-produce -b " + bootstrap() + " -t " + topic + " -K '\t' -H app=cli -H app=twice -z "
                       + codec + " -v",
                     input);
    CAF_CHECK_EQUAL(r.status, 0);
    CAF_CHECK(r.output.find("200 of 200 record(s) delivered") != std::string::npos);
    auto got = consume_at_least(topic, 200);
    CAF_REQUIRE_EQUAL(got.size(), 200u);
    std::vector<record_header> headers{{"app", nullable_bytes::of("cli")}, {"app", nullable_bytes::of("twice")}};
    std::map<std::string, const consumed_record*> by_key;
    for (auto& c : got)
      by_key[std::string(as_chars(c.key.data))] = &c;
    for (int i = 0; i < 200; ++i) {
      auto key = "key" + std::to_string(i);
      auto c = by_key.find(key);
      CAF_REQUIRE(c != by_key.end());
      CAF_CHECK(c->second->value == nullable_bytes::of("value " + std::to_string(i)));
      CAF_CHECK(c->second->headers == headers);
      CAF_CHECK_EQUAL(c->second->partition, partition_for_key(as_bytes(key), 3));
    }
  }
}

CAF_TEST(cafka-produce to an explicit partition) {
  auto topic = unique_topic("cli-partition");
  create_topic(topic, 3);
  auto r = run_app("cafka-produce -b " + bootstrap() + " -t " + topic + " -p 2", "one\ntwo\n");
  CAF_CHECK_EQUAL(r.status, 0);
  auto got = consume_at_least(topic, 2);
  CAF_REQUIRE_EQUAL(got.size(), 2u);
  for (auto& c : got) {
    CAF_CHECK_EQUAL(c.partition, 2);
    CAF_CHECK(c.key.is_null);
  }
  CAF_CHECK(got[0].value == nullable_bytes::of("one"));
  CAF_CHECK(got[1].value == nullable_bytes::of("two"));
}

CAF_TEST(cafka-produce bad flags exit 2 with a clear message) {
  auto bad_value = run_app("cafka-produce -b " + bootstrap() + " -t x -X linger.ms=soon", "a\n");
  CAF_CHECK_EQUAL(bad_value.status, 2);
  CAF_CHECK(bad_value.output.find("linger.ms") != std::string::npos);
  auto unknown = run_app("cafka-produce -b " + bootstrap() + " -t x -X no.such.property=1", "a\n");
  CAF_CHECK_EQUAL(unknown.status, 2);
  CAF_CHECK(unknown.output.find("no.such.property: unknown property") != std::string::npos);
  auto missing = run_app("cafka-produce -t x", "a\n");
  CAF_CHECK_EQUAL(missing.status, 2);
  CAF_CHECK(missing.output.find("-b BROKERS is required") != std::string::npos);
  auto flag = run_app("cafka-produce -b " + bootstrap() + " -t x --frobnicate", "a\n");
  CAF_CHECK_EQUAL(flag.status, 2);
}

CAF_TEST(cafka-produce exits 1 and says why when a record fails) {
  auto r = run_app("cafka-produce -b " + bootstrap() + " -t " + unique_topic("cli-absent") + " -X max.block.ms=1000",
                   "lost\n");
  CAF_CHECK_EQUAL(r.status, 1);
  CAF_CHECK(r.output.find("1 record(s) failed: METADATA_TIMEOUT") != std::string::npos);
  if (r.output.find("1 record(s) failed: METADATA_TIMEOUT") == std::string::npos)
    CAF_MESSAGE("output: " << r.output);
}

CAF_TEST(cafka-perf sends 100000 records and prints the final line of kafka perf test) {
  auto topic = unique_topic("perf");
  create_topic(topic, 3);
  for (auto mode : {"batch", "request"}) {
    auto r = run_app("cafka-perf --topic " + topic + " --num-records 100000 --record-size 100 --throughput -1"
                     + " --producer-props bootstrap.servers=" + bootstrap() + " --mode " + mode);
    CAF_CHECK_EQUAL(r.status, 0);
    // The final line and the CPU line, in exactly the shape the peer benchmark prints.
    auto at = r.output.find("100000 records sent, ");
    CAF_REQUIRE(at != std::string::npos);
    long sent = 0, rss = 0, failed = -1;
    double rate, mb, avg, max, cpu, per_record;
    int p50, p95, p99, p999, consumed = 0;
    int fields = std::sscanf(r.output.c_str() + at,
                             "%ld records sent, %lf records/sec (%lf MB/sec), %lf ms avg latency, %lf ms max "
                             "latency, %d ms 50th, %d ms 95th, %d ms 99th, %d ms 99.9th.\n%n",
                             &sent, &rate, &mb, &avg, &max, &p50, &p95, &p99, &p999, &consumed);
    CAF_REQUIRE_EQUAL(fields, 9);
    CAF_CHECK_EQUAL(sent, 100000);
    CAF_CHECK(p50 <= p95 && p95 <= p99 && p99 <= p999);
    fields = std::sscanf(r.output.c_str() + at + consumed, "client_cpu_s=%lf cpu_us_per_record=%lf failed=%ld max_rss_kb=%ld",
                         &cpu, &per_record, &failed, &rss);
    CAF_REQUIRE_EQUAL(fields, 4);
    CAF_CHECK_EQUAL(failed, 0);
    CAF_CHECK_GREATER(rss, 0);
  }
  CAF_CHECK_EQUAL(consume_at_least(topic, 200000).size(), 200000u);
}

// As Java's ProducerPerformance: a transaction commits once --transaction-duration-ms passed since
// it began; records sent while a commit flushes are part of it (they reach partitions new to the
// transaction during the flush), and every record is read back once by a read_committed consumer.
CAF_TEST(cafka-perf in transactions commits every record) {
  auto topic = unique_topic("perf-txn");
  create_topic(topic, 6);
  auto r = run_app("cafka-perf --topic " + topic + " --num-records 50000 --record-size 100 --throughput -1"
                   + " --transactional-id " + topic + " --transaction-duration-ms 5"
                   + " --producer-props bootstrap.servers=" + bootstrap());
  CAF_CHECK_EQUAL(r.status, 0);
  long transactions = 0;
  auto at = r.output.find(" transactions committed");
  CAF_REQUIRE(at != std::string::npos);
  auto line = r.output.rfind('\n', at);
  transactions = std::stol(r.output.substr(line == std::string::npos ? 0 : line + 1));
  CAF_CHECK_GREATER_OR_EQUAL(transactions, 2);
  CAF_CHECK(r.output.find("50000 records sent, ") != std::string::npos);
  CAF_CHECK_EQUAL(consume_all(topic).size(), 50000u);
  auto bad = run_app("cafka-perf --topic " + topic + " --num-records 1 --record-size 1 --throughput -1 --mode async"
                     + " --transactional-id x --producer-props bootstrap.servers=" + bootstrap());
  CAF_CHECK_EQUAL(bad.status, 2);
  CAF_CHECK(bad.output.find("go with --mode batch") != std::string::npos);
}

CAF_TEST(ten thousand records through a published producer on another node) {
  auto topic = unique_topic("node");
  create_topic(topic, 3);
  auto [node, address] = start_node();
  std::string input;
  for (int i = 0; i < 10000; ++i)
    input += "key-" + std::to_string(i) + ":value-" + std::to_string(i) + "\n";
  auto r = run_app("cafka-produce --node " + address + " -t " + topic + " -K : -H via=node", input);
  CAF_CHECK_EQUAL(r.status, 0);
  CAF_CHECK(r.output.find("10000 of 10000 record(s) delivered") != std::string::npos);
  auto got = consume_at_least(topic, 10000);
  CAF_REQUIRE_EQUAL(got.size(), 10000u);
  std::map<std::string, const consumed_record*> by_key;
  for (auto& c : got)
    by_key[std::string(as_chars(c.key.data))] = &c;
  for (int i = 0; i < 10000; ++i) {
    auto key = "key-" + std::to_string(i);
    auto c = by_key.find(key);
    CAF_REQUIRE(c != by_key.end());
    CAF_CHECK(c->second->value == nullable_bytes::of("value-" + std::to_string(i)));
    CAF_CHECK_EQUAL(c->second->partition, partition_for_key(as_bytes(key), 3));
    CAF_CHECK_EQUAL(c->second->headers.size(), 1u);
  }
  auto perf = run_app("cafka-perf --node " + address + " --topic " + topic
                      + " --num-records 20000 --record-size 100 --throughput -1");
  CAF_CHECK_EQUAL(perf.status, 0);
  CAF_CHECK(perf.output.find("20000 records sent, ") != std::string::npos);
  CAF_CHECK(perf.output.find(" failed=0 ") != std::string::npos);
  CAF_CHECK_EQUAL(consume_at_least(topic, 30000).size(), 30000u);
  // SIGTERM: the node closes its producer and exits 0.
  auto status = node->signal_and_wait(SIGTERM);
  CAF_CHECK(WIFEXITED(status));
  CAF_CHECK_EQUAL(WEXITSTATUS(status), 0);
}

CAF_TEST(a node killed mid stream fails the pending sends and the sender exits 1) {
  auto topic = unique_topic("node-killed");
  create_topic(topic, 1);
  // Batches that never close on their own keep every record pending until the node dies.
  auto [node, address] = start_node({"-X", "linger.ms=60000", "-X", "batch.size=10000000"});
  auto in_path = "/tmp/cafka-node-killed-" + std::to_string(getpid()) + ".in";
  {
    std::ofstream in{in_path};
    for (int i = 0; i < 1000; ++i)
      in << "record " << i << ' ' << std::string(100, 'x') << "\n";
  }
  background_process sender{{std::string(CAFKA_BINARY_DIR) + "/cafka-produce", "--node", address, "-t", topic, in_path}};
  // The sender's output starts only when replies arrive; none can before the node dies. Wait
  // until the records stream to the node (its socket received more than the nodes' handshake and
  // the attach: the 1000 records are about 120 KB), then kill the node.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{20};
  auto port = address.substr(address.rfind(':') + 1);
  bool streaming = false;
  while (!streaming && std::chrono::steady_clock::now() < deadline) {
    auto info = run_command("ss -Htni state established '( sport = :" + port + " )'");
    auto at = info.find("bytes_received:");
    streaming = at != std::string::npos && std::stol(info.substr(at + 15)) > 20000;
  }
  CAF_REQUIRE(streaming);
  auto started = std::chrono::steady_clock::now();
  node->signal_and_wait(SIGKILL);
  std::string output, line;
  while (!(line = sender.read_line()).empty())
    output += line;
  int status = 0;
  waitpid(sender.pid, &status, 0);
  sender.pid = -1;
  std::remove(in_path.c_str());
  auto took = std::chrono::steady_clock::now() - started;
  CAF_CHECK(WIFEXITED(status));
  CAF_CHECK_EQUAL(WEXITSTATUS(status), 1);
  CAF_CHECK(output.find("the producer went away") != std::string::npos);
  CAF_CHECK_LESS(took, std::chrono::seconds{30});
}

CAF_TEST(the example application sends handles an error flushes and closes) {
  auto topic = unique_topic("example");
  create_topic(topic, 3);
  auto r = run_app("cafka-example " + bootstrap() + " " + topic);
  CAF_CHECK_EQUAL(r.status, 0);
  size_t acknowledged = 0;
  for (size_t at = r.output.find("acknowledged: "); at != std::string::npos; at = r.output.find("acknowledged: ", at + 1))
    ++acknowledged;
  CAF_CHECK_EQUAL(acknowledged, 3u);
  CAF_CHECK(r.output.find("refused as expected: RECORD_TOO_LARGE") != std::string::npos);
  CAF_CHECK(r.output.find("flushed\nclosed\n") != std::string::npos);
  CAF_CHECK_EQUAL(consume_at_least(topic, 3).size(), 3u);
}

CAF_TEST(tls between nodes) {
  // A throwaway self-signed certificate serves as both sides' certificate and CA.
  auto dir = "/tmp/cafka-tls-" + std::to_string(getpid());
  auto made = std::system(("mkdir -p " + dir + " && openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=cafka-test"
                           " -keyout " + dir + "/key.pem -out " + dir + "/cert.pem >/dev/null 2>&1").c_str());
  CAF_REQUIRE_EQUAL(made, 0);
  std::string tls = " --tls-cert " + dir + "/cert.pem --tls-key " + dir + "/key.pem --tls-ca " + dir + "/cert.pem";
  auto topic = unique_topic("tls");
  create_topic(topic, 1);
  auto [node, address] = start_node({"--tls-cert", dir + "/cert.pem", "--tls-key", dir + "/key.pem", "--tls-ca",
                                     dir + "/cert.pem"});
  auto r = run_app("cafka-produce --node " + address + tls + " -t " + topic, "over tls\n");
  CAF_CHECK_EQUAL(r.status, 0);
  auto got = consume_at_least(topic, 1);
  CAF_REQUIRE_EQUAL(got.size(), 1u);
  CAF_CHECK(got[0].value == nullable_bytes::of("over tls"));
  // Without TLS the same node does not talk.
  auto plain = run_app("cafka-produce --node " + address + " -t " + topic, "in the clear\n");
  CAF_CHECK_NOT_EQUAL(plain.status, 0);
  // TLS is mutual: a client whose certificate the node's CA did not sign is refused, though it
  // trusts the node.
  made = std::system(("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=stranger -keyout " + dir
                      + "/stranger-key.pem -out " + dir + "/stranger.pem >/dev/null 2>&1").c_str());
  CAF_REQUIRE_EQUAL(made, 0);
  auto stranger = run_app("cafka-produce --node " + address + " --tls-cert " + dir + "/stranger.pem --tls-key " + dir
                            + "/stranger-key.pem --tls-ca " + dir + "/cert.pem -t " + topic,
                          "from a stranger\n");
  CAF_CHECK_NOT_EQUAL(stranger.status, 0);
  CAF_CHECK(stranger.output.find("cannot reach the producer") != std::string::npos);
  CAF_CHECK_EQUAL(consume_all(topic).size(), 1u);
  std::system(("rm -rf " + dir).c_str());
}
