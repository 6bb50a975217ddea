// What integration tests need from the real broker that the test command started: its address,
// topics of their own, a blocking request/response exchange, and a real consumer's view of a topic.
#pragma once

#include "protocol/bytes.hpp"

#include <chrono>
#include <cstdio>
#include <sys/types.h>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cafka::test {

// CAFKA_BOOTSTRAP as exported by the test command ("127.0.0.1:PORT"); fails the test when unset.
std::string bootstrap();
std::string bootstrap_host();
uint16_t bootstrap_port();

// The broker's address on one of its secured listeners (ssl, mtls, sasl_plaintext, sasl_ssl,
// reauth: scripts/broker bootstrap LISTENER), "localhost:PORT", as its certificate names it. Fails
// the test when the broker has none (started without CAFKA_BROKER_SECURITY=1).
std::string secured_listener(const std::string& name);

// The folder of the secured listeners' CA (ca.pem) and a client's certificate and key
// (scripts/broker tls-dir).
std::string tls_dir();

// The running broker's Kafka release as {major, minor} (scripts/broker version).
std::pair<int, int> broker_version();

// A shell command's standard output; the test fails when the command cannot be started.
std::string run_command(const std::string& command);

// A program of this build (COMMAND_LINE starts with its name, e.g. "cafka-produce -b ..."), run with
// `input` on stdin; waits for it and returns its exit status and its stdout and stderr together.
struct run_result {
  int status = -1;
  std::string output; // stdout and stderr
};
run_result run_app(const std::string& command_line, const std::string& input = {});

// A topic name unique to this process and call, with the given prefix.
std::string unique_topic(const std::string& prefix);

// Creates a topic through scripts/broker; configs are topic-level "key=value" strings.
void create_topic(const std::string& name, int partitions, const std::vector<std::string>& configs = {});

// A consumer group's committed offsets as Kafka's tool reports them: (topic, partition) -> offset.
std::map<std::pair<std::string, int32_t>, int64_t> group_offsets(const std::string& group);

// The transaction coordinator's state of a transactional id and its producer epoch, as Kafka's tool
// describes it (scripts/broker transaction-state): e.g. "Ongoing 0", "CompleteAbort 1"; "" when the
// coordinator knows no such id.
std::string transaction_state(const std::string& transactional_id);

// A broker of the test's own besides the test command's (scripts/broker with its own state
// directory in the build tree), e.g. formatted with other feature levels ("transaction.version=1").
// Stopped by the destructor, or killed (SIGKILL by its recorded pid) if the test aborts.
class scoped_broker {
public:
  explicit scoped_broker(const std::string& name, const std::string& features = {});
  ~scoped_broker();
  scoped_broker(const scoped_broker&) = delete;
  scoped_broker& operator=(const scoped_broker&) = delete;

  const std::string& bootstrap() const { return bootstrap_; }
  void create_topic(const std::string& topic, int partitions, const std::vector<std::string>& configs = {});
  // A crash: SIGKILL (scripts/broker kill), the state kept.
  void kill();
  // After kill(): the same broker again on its state and port (scripts/broker restart); returns
  // once it serves.
  void restart();
  std::string transaction_state(const std::string& transactional_id);

private:
  void track_pid(); // the broker's pid into the SIGABRT handler's table

  std::string env_; // "CAFKA_BROKER_DIR=... " for scripts/broker
  std::string dir_; // its state directory
  std::string bootstrap_;
  int slot_ = -1; // in the SIGABRT handler's table
};

// One request frame out, one response frame (size prefix removed) back, over a fresh connection.
protocol::byte_buffer exchange(const protocol::byte_buffer& request_frame);

// A record as kcat (librdkafka's consumer, CRC checks on) read it back from the broker.
struct consumed_record {
  int32_t partition = -1;
  int64_t offset = -1;
  std::string timestamp_type; // "create" or "logappend"
  int64_t timestamp = -1;
  protocol::nullable_bytes key;
  protocol::nullable_bytes value;
  std::vector<protocol::record_header> headers;
};

// What a consumer of a topic with transactions sees: committed records only (Kafka's and
// librdkafka's read_committed), or those of aborted and open transactions too.
enum class isolation { read_committed, read_uncommitted };

// Every record of the topic, in partition then offset order; from another cluster when `from`
// names its bootstrap servers.
std::vector<consumed_record> consume_all(const std::string& topic, const std::string& from = {},
                                         isolation level = isolation::read_committed);

// Reads the topic again until it holds at least n records or the deadline passed, then returns
// what it read: for acks=0, where no reply says the broker appended, and because kcat -e now and
// then stops at an end of partition it saw before the acknowledged records (seen once in about a
// dozen runs). A test still compares the exact count it expects with what this returns.
std::vector<consumed_record> consume_at_least(const std::string& topic, size_t n,
                                              std::chrono::seconds deadline = std::chrono::seconds{20},
                                              isolation level = isolation::read_committed);

// A program started in the background (args[0] is its path), its stdin and stdout on pipes;
// killed on destruction if still running.
struct background_process {
  pid_t pid = -1;
  FILE* out = nullptr;
  FILE* in = nullptr;

  explicit background_process(std::vector<std::string> args);
  ~background_process();
  background_process(const background_process&) = delete;
  background_process& operator=(const background_process&) = delete;

  // The next line of its stdout ("" at its end).
  std::string read_line();
  // A line to its stdin.
  void write_line(const std::string& line);
  // Sends the signal and reaps it; returns the wait status.
  int signal_and_wait(int sig);
};

} // namespace cafka::test
