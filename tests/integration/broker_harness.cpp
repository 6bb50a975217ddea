#include "integration/broker_harness.hpp"

#include "caf/test/unit_test.hpp"

#include "protocol/framing.hpp"

#include <utility>
#include <boost/asio.hpp>

#include <algorithm>
#include <fstream>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <csignal>
#include <spawn.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

extern char** environ;

namespace cafka::test {

namespace {

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

std::string broker_script() { return std::string(CAFKA_SOURCE_DIR) + "/scripts/broker"; }

std::string run(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe{popen(command.c_str(), "r"), pclose};
  CAF_REQUIRE(pipe != nullptr);
  std::string out;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe.get())) > 0)
    out.append(buf, n);
  int status = pclose(pipe.release());
  if (status != 0)
    CAF_FAIL("command failed (" << status << "): " << command);
  return out;
}

// A minimal JSON reader for kcat's one-object-per-line output: objects, arrays, strings, numbers, null.
class json_line {
public:
  explicit json_line(std::string_view text) : s_(text) {}

  consumed_record record() {
    consumed_record r;
    expect('{');
    while (!consume('}')) {
      auto name = string();
      expect(':');
      if (name == "partition")
        r.partition = static_cast<int32_t>(number());
      else if (name == "offset")
        r.offset = number();
      else if (name == "ts")
        r.timestamp = number();
      else if (name == "tstype")
        r.timestamp_type = string();
      else if (name == "key")
        r.key = nullable();
      else if (name == "payload")
        r.value = nullable();
      else if (name == "headers")
        r.headers = headers();
      else
        skip_value();
      consume(',');
    }
    return r;
  }

private:
  void ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\r' || s_[pos_] == '\t'))
      ++pos_;
  }
  bool consume(char c) {
    ws();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!consume(c))
      CAF_FAIL("bad JSON from kcat at " << pos_ << ": " << std::string(s_));
  }
  int64_t number() {
    ws();
    size_t start = pos_;
    while (pos_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '-'))
      ++pos_;
    return std::stoll(std::string(s_.substr(start, pos_ - start)));
  }
  std::string string() {
    expect('"');
    std::string out;
    while (pos_ < s_.size() && s_[pos_] != '"') {
      char c = s_[pos_++];
      if (c != '\\') {
        out += c;
        continue;
      }
      char e = s_[pos_++];
      switch (e) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'u': {
          auto code = std::stoul(std::string(s_.substr(pos_, 4)), nullptr, 16);
          pos_ += 4;
          if (code < 0x80) {
            out += static_cast<char>(code);
          } else if (code < 0x800) {
            out += static_cast<char>(0xc0 | (code >> 6));
            out += static_cast<char>(0x80 | (code & 0x3f));
          } else {
            out += static_cast<char>(0xe0 | (code >> 12));
            out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
            out += static_cast<char>(0x80 | (code & 0x3f));
          }
          break;
        }
        default: out += e;
      }
    }
    expect('"');
    return out;
  }
  protocol::nullable_bytes nullable() {
    ws();
    if (s_.substr(pos_, 4) == "null") {
      pos_ += 4;
      return protocol::nullable_bytes::null();
    }
    return protocol::nullable_bytes::of(string());
  }
  std::vector<protocol::record_header> headers() {
    std::vector<protocol::record_header> out;
    expect('[');
    while (!consume(']')) {
      protocol::record_header h;
      h.key = string();
      expect(',');
      h.value = nullable();
      out.push_back(std::move(h));
      consume(',');
    }
    return out;
  }
  void skip_value() {
    ws();
    if (s_[pos_] == '"')
      string();
    else if (s_[pos_] == '[' || s_[pos_] == '{') {
      int depth = 0;
      do {
        if (s_[pos_] == '"') {
          string();
          continue;
        }
        if (s_[pos_] == '[' || s_[pos_] == '{')
          ++depth;
        if (s_[pos_] == ']' || s_[pos_] == '}')
          --depth;
        ++pos_;
      } while (depth > 0 && pos_ < s_.size());
    } else
      while (pos_ < s_.size() && s_[pos_] != ',' && s_[pos_] != '}')
        ++pos_;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

} // namespace

std::string run_command(const std::string& command) {
  return run(command);
}

run_result run_app(const std::string& command_line, const std::string& input) {
  auto in_path = "/tmp/cafka-app-input-" + std::to_string(getpid()) + ".in";
  {
    std::ofstream in{in_path};
    in << input;
  }
  std::string cmd = std::string(CAFKA_BINARY_DIR) + "/" + command_line + " < " + in_path + " 2>&1";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe{popen(cmd.c_str(), "r"), pclose};
  CAF_REQUIRE(pipe != nullptr);
  run_result r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe.get())) > 0)
    r.output.append(buf, n);
  int status = pclose(pipe.release());
  std::remove(in_path.c_str());
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string bootstrap() {
  const char* b = std::getenv("CAFKA_BOOTSTRAP");
  if (b == nullptr || *b == '\0')
    CAF_FAIL("CAFKA_BOOTSTRAP is not set: run the integration tests through scripts/test, which starts the broker");
  return b;
}

std::string bootstrap_host() {
  auto b = bootstrap();
  return b.substr(0, b.rfind(':'));
}

uint16_t bootstrap_port() {
  auto b = bootstrap();
  return static_cast<uint16_t>(std::stoi(b.substr(b.rfind(':') + 1)));
}

std::string secured_listener(const std::string& name) {
  auto out = run(broker_script() + " bootstrap " + shell_quote(name));
  return out.substr(0, out.find('\n'));
}

std::string tls_dir() {
  auto out = run(broker_script() + " tls-dir");
  return out.substr(0, out.find('\n'));
}

std::string unique_topic(const std::string& prefix) {
  static std::atomic<int> counter{0};
  return prefix + "-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
}

std::pair<int, int> broker_version() {
  auto text = run(broker_script() + " version");
  int major = 0, minor = 0;
  if (std::sscanf(text.c_str(), "%d.%d", &major, &minor) != 2)
    CAF_FAIL("scripts/broker version printed '" << text << "'");
  return {major, minor};
}

namespace {

// The scoped brokers' pids, for the SIGABRT handler (a failed CAF_REQUIRE aborts: no destructors).
constexpr int max_scoped_brokers = 8;
std::atomic<pid_t> scoped_broker_pids[max_scoped_brokers];

extern "C" void kill_scoped_brokers(int sig) {
  for (auto& p : scoped_broker_pids)
    if (pid_t pid = p.load(); pid > 0)
      kill(pid, SIGKILL); // async-signal-safe
  signal(sig, SIG_DFL);
  raise(sig);
}

} // namespace

scoped_broker::scoped_broker(const std::string& name, const std::string& features) {
  env_ = "CAFKA_BROKER_DIR=" + shell_quote(std::string(CAFKA_BINARY_DIR) + "/broker-" + name + "-"
                                             + std::to_string(getpid())) + " ";
  if (!features.empty())
    env_ += "CAFKA_BROKER_FEATURES=" + shell_quote(features) + " ";
  dir_ = std::string(CAFKA_BINARY_DIR) + "/broker-" + name + "-" + std::to_string(getpid());
  auto out = run(env_ + broker_script() + " start 2>/dev/null | tail -1");
  bootstrap_ = out.substr(0, out.find('\n'));
  track_pid();
  signal(SIGABRT, kill_scoped_brokers);
  CAF_REQUIRE(bootstrap_.rfind("127.0.0.1:", 0) == 0);
}

void scoped_broker::track_pid() {
  pid_t pid = static_cast<pid_t>(std::stol(run("cat " + shell_quote(dir_ + "/pid"))));
  if (slot_ >= 0) {
    scoped_broker_pids[slot_] = pid;
    return;
  }
  for (int i = 0; i < max_scoped_brokers && slot_ < 0; ++i) {
    pid_t none = 0;
    if (scoped_broker_pids[i].compare_exchange_strong(none, pid))
      slot_ = i;
  }
}

void scoped_broker::kill() {
  run(env_ + broker_script() + " kill 2>&1");
}

void scoped_broker::restart() {
  auto out = run(env_ + broker_script() + " restart 2>/dev/null | tail -1");
  CAF_REQUIRE_EQUAL(out.substr(0, out.find('\n')), bootstrap_); // the same port
  track_pid();
}

std::string scoped_broker::transaction_state(const std::string& transactional_id) {
  auto out = run(env_ + broker_script() + " transaction-state " + shell_quote(transactional_id));
  return out.substr(0, out.find('\n'));
}

std::string transaction_state(const std::string& transactional_id) {
  auto out = run(broker_script() + " transaction-state " + shell_quote(transactional_id));
  return out.substr(0, out.find('\n'));
}

scoped_broker::~scoped_broker() {
  if (slot_ >= 0)
    scoped_broker_pids[slot_] = 0; // stopped below: a later abort must not kill what reuses the pid
  std::string cmd = env_ + broker_script() + " stop";
  if (std::system(cmd.c_str()) != 0)
    CAF_MESSAGE("scripts/broker stop failed for " << bootstrap_);
}

void scoped_broker::create_topic(const std::string& topic, int partitions, const std::vector<std::string>& configs) {
  std::string cmd = env_ + broker_script() + " create-topic " + shell_quote(topic) + " " + std::to_string(partitions);
  for (auto& c : configs)
    cmd += " " + shell_quote(c);
  run(cmd + " 2>&1");
}

std::map<std::pair<std::string, int32_t>, int64_t> group_offsets(const std::string& group) {
  auto out = run(broker_script() + " group-offsets " + shell_quote(group));
  std::map<std::pair<std::string, int32_t>, int64_t> offsets;
  char topic[256];
  int32_t partition = 0;
  long long offset = 0;
  size_t start = 0;
  while (start < out.size()) {
    auto end = out.find('\n', start);
    if (end == std::string::npos)
      end = out.size();
    auto line = out.substr(start, end - start);
    if (std::sscanf(line.c_str(), "%255s %d %lld", topic, &partition, &offset) == 3)
      offsets[{topic, partition}] = offset;
    start = end + 1;
  }
  return offsets;
}

void create_topic(const std::string& name, int partitions, const std::vector<std::string>& configs) {
  std::string cmd = broker_script() + " create-topic " + shell_quote(name) + " " + std::to_string(partitions);
  for (auto& c : configs)
    cmd += " " + shell_quote(c);
  run(cmd + " 2>&1");
  // The tool returns once the controller took the topic; the broker's metadata may lag behind.
  // Wait (bounded) until the broker answers for it with a leader on every partition.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{30};
  protocol::metadata_request req;
  req.topics = std::vector<protocol::metadata_request::topic>{{{}, name}};
  for (int32_t id = 1;; ++id) {
    auto frame = exchange(protocol::encode_request(req, 12, id, "cafka-test"));
    auto md = protocol::decode_response<protocol::metadata_request>(frame, 12);
    CAF_REQUIRE(md.has_value());
    if (md->topics.size() == 1 && md->topics[0].error_code == 0
        && md->topics[0].partitions.size() == static_cast<size_t>(partitions)
        && std::all_of(md->topics[0].partitions.begin(), md->topics[0].partitions.end(),
                       [](auto& p) { return p.leader_id >= 0; }))
      return;
    if (std::chrono::steady_clock::now() > deadline)
      CAF_FAIL("topic " << name << " has no leaders 30 s after its creation");
  }
}

protocol::byte_buffer exchange(const protocol::byte_buffer& request_frame) {
  namespace asio = boost::asio;
  asio::io_context io;
  asio::ip::tcp::socket socket{io};
  socket.connect({asio::ip::make_address(bootstrap_host()), bootstrap_port()});
  asio::write(socket, asio::buffer(request_frame));
  uint8_t size_bytes[4];
  asio::read(socket, asio::buffer(size_bytes));
  uint32_t size = (uint32_t{size_bytes[0]} << 24) | (uint32_t{size_bytes[1]} << 16)
                  | (uint32_t{size_bytes[2]} << 8) | size_bytes[3];
  CAF_REQUIRE_LESS(size, 64u << 20);
  protocol::byte_buffer frame(size);
  asio::read(socket, asio::buffer(frame));
  return frame;
}

std::vector<consumed_record> consume_all(const std::string& topic, const std::string& from, isolation level) {
  std::string env = level == isolation::read_uncommitted ? "CAFKA_ISOLATION=read_uncommitted " : "";
  auto out = run(env + broker_script() + " consume " + shell_quote(topic) + (from.empty() ? "" : " " + shell_quote(from)));
  std::vector<consumed_record> records;
  size_t start = 0;
  while (start < out.size()) {
    size_t end = out.find('\n', start);
    if (end == std::string::npos)
      end = out.size();
    std::string_view line{out.data() + start, end - start};
    if (!line.empty() && line.front() == '{')
      records.push_back(json_line{line}.record());
    start = end + 1;
  }
  std::stable_sort(records.begin(), records.end(), [](auto& a, auto& b) {
    return std::pair{a.partition, a.offset} < std::pair{b.partition, b.offset};
  });
  return records;
}

std::vector<consumed_record> consume_at_least(const std::string& topic, size_t n, std::chrono::seconds deadline,
                                              isolation level) {
  auto until = std::chrono::steady_clock::now() + deadline;
  auto records = consume_all(topic, {}, level);
  while (records.size() < n && std::chrono::steady_clock::now() < until)
    records = consume_all(topic, {}, level);
  return records;
}

background_process::background_process(std::vector<std::string> args) {
  // Close-on-exec pipes: only this child gets their ends (as its stdin and stdout), so its stdin
  // ends when this object closes it, not when some later child does.
  int fds[2], in_fds[2];
  CAF_REQUIRE_EQUAL(pipe2(fds, O_CLOEXEC), 0);
  CAF_REQUIRE_EQUAL(pipe2(in_fds, O_CLOEXEC), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, in_fds[0], 0);
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  CAF_REQUIRE_EQUAL(posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  close(in_fds[0]);
  out = fdopen(fds[0], "r");
  in = fdopen(in_fds[1], "w");
}

void background_process::write_line(const std::string& line) {
  CAF_REQUIRE(in != nullptr);
  std::fputs((line + "\n").c_str(), in);
  std::fflush(in);
}

std::string background_process::read_line() {
  char buf[1024];
  return fgets(buf, sizeof buf, out) ? std::string(buf) : std::string{};
}

int background_process::signal_and_wait(int sig) {
  kill(pid, sig);
  int status = 0;
  waitpid(pid, &status, 0);
  pid = -1;
  return status;
}

background_process::~background_process() {
  if (in)
    fclose(in);
  if (pid > 0)
    signal_and_wait(SIGKILL);
  if (out)
    fclose(out);
}

} // namespace cafka::test
