// cafka-perf: the producer benchmark, with the flags of Kafka's kafka-producer-perf-test.
//
//   cafka-perf --topic T --num-records N (--record-size S | --payload-file F) --throughput R
//              [--producer-props k=v ...] [--producer.config FILE] [--mode batch|request|credit]
//
// --throughput is records/s, -1 for unthrottled. --mode says how records reach the producer:
// `request` sends one `send` request per record, `batch` (the default) one `send_batch` per group
// of records, `credit` pushes groups within the credit the producer grants (attach/push: no reply
// handler per group, memory bounded by buffer.memory), `async` sends one one-way `send` (with an
// id) per record and takes the outcomes as messages (no reply handler per record). Latency is per
// record, from its request (or push, or send) to its report.
// Progress every 5 s, then the final line in Kafka's shape (as tests/peers/librdkafka_perf.c
// prints it) and a line with the client's CPU time and peak RSS.
#include "apps/cli.hpp"
#include "cafka/producer.hpp"

#include "caf/io/all.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <iostream>
#include <random>
#include <thread>

namespace {

using namespace cafka;
using namespace std::chrono;
using clock_type = steady_clock;

struct options {
  std::string topic;
  int64_t num_records = -1;
  int32_t record_size = -1;
  std::string payload_file;
  double throughput = 0;
  bool throughput_set = false;
  properties props;
  enum class mode { batch, request, async, credit } how = mode::batch;
  std::optional<std::pair<std::string, uint16_t>> node; // --node: a producer published by cafka-node
  cli::tls_flags tls;
  size_t group_size = 1000;
  // --mode request: replies awaited at once. Fewer than a batch.size of records leave every batch to
  // wait out linger.ms (500 x 100 B: 88 k records/s); thousands make CAF 0.17's linear search over
  // open requests cost more than a record (BENCHMARKS.md, the one-request-per-record path).
  size_t request_window = 1000;
  // Java's ProducerPerformance: with a transactional.id, records go in transactions, each committed
  // once this long passed since it began (checked as each group goes).
  std::optional<milliseconds> transaction_duration;
};

constexpr cli::program program{
  "cafka-perf",
  "usage: cafka-perf --topic TOPIC --num-records N (--record-size BYTES | --payload-file FILE)\n"
  "                  --throughput RECORDS_PER_SEC (-1: unthrottled)\n"
  "                  [--producer-props PROP=VALUE ...] [--producer.config FILE]\n"
  "                  [--mode batch|request|async|credit] [--group-size N] [--request-window N]\n"
  "                  [--node HOST:PORT [--tls-cert PEM --tls-key PEM --tls-ca PEM]]\n"
  "                  [--transactional-id ID] [--transaction-duration-ms MS (default 3000)]\n"
  "Kafka's kafka-producer-perf-test flags; progress every 5 s, then the final line in its shape and\n"
  "client_cpu_s=... cpu_us_per_record=... failed=... max_rss_kb=...\n"};

int64_t to_int(const cli::arguments& args, const std::string& v) {
  bool digits = !v.empty() && v.find_first_not_of("0123456789", v[0] == '-' ? 1 : 0) == std::string::npos
                && v.size() < 19 && v != "-";
  if (!digits)
    args.fail(args.flag() + ": '" + v + "' is not an integer");
  return std::stoll(v);
}

options parse(int argc, char** argv) {
  options o;
  cli::arguments args{argc, argv, program};
  properties from_file;
  while (args.next()) {
    auto& a = args.flag();
    if (a == "--topic")
      o.topic = args.value();
    else if (a == "--num-records")
      o.num_records = to_int(args, args.value());
    else if (a == "--record-size")
      o.record_size = static_cast<int32_t>(to_int(args, args.value()));
    else if (a == "--payload-file")
      o.payload_file = args.value();
    else if (a == "--throughput") {
      auto v = args.value();
      char* end = nullptr;
      o.throughput = std::strtod(v.c_str(), &end);
      if (v.empty() || *end != '\0')
        args.fail("--throughput: '" + v + "' is not a number");
      o.throughput_set = true;
    } else if (a == "--producer-props") {
      while (args.peek_is_value()) {
        auto kv = args.value();
        if (!cli::add_property(o.props, kv))
          args.fail("--producer-props: '" + kv + "' is not PROP=VALUE");
      }
    } else if (a == "--producer.config") {
      auto loaded = load_properties_file(args.value());
      if (!loaded)
        args.fail("--producer.config: " + loaded.error());
      from_file = std::move(*loaded);
    } else if (o.tls.take(args)) {
      continue;
    } else if (a == "--node") {
      auto v = args.value();
      o.node = cli::parse_host_port(v);
      if (!o.node)
        args.fail("--node: '" + v + "' is not HOST:PORT");
    } else if (a == "--bootstrap-server")
      o.props["bootstrap.servers"] = args.value();
    else if (a == "--mode") {
      auto m = args.value();
      if (m == "batch")
        o.how = options::mode::batch;
      else if (m == "request")
        o.how = options::mode::request;
      else if (m == "async")
        o.how = options::mode::async;
      else if (m == "credit")
        o.how = options::mode::credit;
      else
        args.fail("--mode: '" + m + "' is not batch, request, async or credit");
    } else if (a == "--request-window")
      o.request_window = static_cast<size_t>(std::max<int64_t>(1, to_int(args, args.value())));
    else if (a == "--group-size")
      o.group_size = static_cast<size_t>(std::max<int64_t>(1, to_int(args, args.value())));
    else if (a == "--transactional-id")
      o.props["transactional.id"] = args.value();
    else if (a == "--transaction-duration-ms") {
      auto ms = to_int(args, args.value());
      if (ms <= 0)
        args.fail("--transaction-duration-ms must be greater than 0");
      o.transaction_duration = milliseconds{ms};
    } else
      args.fail("unknown option " + a);
  }
  for (auto& [k, v] : from_file)
    o.props.emplace(k, v);
  if (o.topic.empty())
    args.fail("--topic is required");
  if (o.num_records < 0)
    args.fail("--num-records is required");
  if (o.record_size < 0 && o.payload_file.empty())
    args.fail("--record-size or --payload-file is required");
  if (!o.throughput_set)
    args.fail("--throughput is required");
  o.tls.check(args);
  if (o.props.count("transactional.id")) {
    if (!o.transaction_duration)
      o.transaction_duration = milliseconds{3000};
    if (o.how != options::mode::batch)
      args.fail("transactions (--transactional-id, -X transactional.id) go with --mode batch");
  } else if (o.transaction_duration) {
    args.fail("--transaction-duration-ms needs --transactional-id");
  }
  if (!o.props.count("bootstrap.servers") && !o.node)
    args.fail("bootstrap.servers is required (--producer-props bootstrap.servers=HOST:PORT)");
  return o;
}

// Where record values come from. With --record-size, every record takes the next stretch of a pool
// of random capital letters made before the run, with the generator and seed of the librdkafka peer
// (tests/peers/librdkafka_perf.c), so both send the same bytes and compression sees what it sees
// with Java's tool (fresh random letters per record). With --payload-file, a random line per record.
class payload_source {
public:
  static constexpr size_t pool_bytes = size_t{1} << 20;

  explicit payload_source(const options& o) {
    if (o.payload_file.empty()) {
      size_ = static_cast<size_t>(o.record_size);
      uint64_t seed = 42;
      pool_.resize(pool_bytes + size_);
      for (auto& c : pool_)
        c = static_cast<char>('A' + static_cast<int>(((splitmix64(seed) >> 32) * 26) >> 32));
      return;
    }
    std::ifstream in{o.payload_file};
    if (!in)
      cli::bad_usage(program, "--payload-file: cannot open " + o.payload_file);
    std::string line;
    while (std::getline(in, line))
      if (!line.empty())
        lines_.push_back(line);
    if (lines_.empty())
      cli::bad_usage(program, "--payload-file: no payloads in " + o.payload_file);
    size_ = lines_.front().size();
  }

  std::string_view next() {
    if (!lines_.empty())
      return lines_[random_() % lines_.size()];
    std::string_view out{pool_.data() + offset_, size_};
    offset_ = (offset_ + size_) % pool_bytes;
    return out;
  }

  // The record size the statistics count (the first line's with --payload-file, as Kafka's tool).
  size_t record_size() const { return size_; }

private:
  static uint64_t splitmix64(uint64_t& state) {
    uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

  std::string pool_;
  size_t size_ = 0;
  size_t offset_ = 0;
  std::vector<std::string> lines_;
  std::mt19937 random_{42};
};

// Per-window and overall statistics, printed in kafka-producer-perf-test's shapes.
struct stats {
  clock_type::time_point start = clock_type::now();
  clock_type::time_point window_start = start;
  std::vector<int32_t> latencies_us;
  int64_t bytes = 0;
  int64_t failed = 0;
  std::string first_error;
  int64_t window_count = 0, window_bytes = 0;
  double window_latency_sum = 0, window_latency_max = 0;

  void record(int64_t latency_us, int64_t size) {
    latencies_us.push_back(static_cast<int32_t>(latency_us));
    bytes += size;
    ++window_count;
    window_bytes += size;
    window_latency_sum += static_cast<double>(latency_us) / 1000.0;
    window_latency_max = std::max(window_latency_max, static_cast<double>(latency_us) / 1000.0);
  }

  void maybe_progress() {
    auto now = clock_type::now();
    if (now - window_start < seconds{5})
      return;
    double secs = duration<double>(now - window_start).count();
    std::printf("%ld records sent, %.1f records/sec (%.2f MB/sec), %.1f ms avg latency, %.1f ms max latency.\n",
                static_cast<long>(window_count), window_count / secs, window_bytes / secs / (1024.0 * 1024.0),
                window_count ? window_latency_sum / window_count : 0.0, window_latency_max);
    std::fflush(stdout);
    window_start = now;
    window_count = window_bytes = 0;
    window_latency_sum = window_latency_max = 0;
  }
};

using done_atom = caf::atom_constant<caf::atom("done")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;

struct runner_state {
  options opts;
  std::shared_ptr<payload_source> payloads;
  producer_actor producer;
  stats s;
  int64_t sent = 0;      // handed to the producer
  int64_t resolved = 0;  // replied to
  size_t window = 0;     // most records awaiting a reply at once (Java's send() blocks likewise)
  caf::actor done_to;
  // --mode credit: what the producer granted, the largest record it takes, and when each pushed
  // group went (first id -> time, records not reported yet).
  int64_t credit = 0;
  int64_t largest = 0;
  std::map<uint64_t, std::pair<clock_type::time_point, int64_t>> pushes;
  std::optional<producer_record> next_up; // the record the last push had no credit for
  // --mode async: when each record went, by id modulo the window (never more are outstanding).
  std::vector<clock_type::time_point> sent_at;
  // Transactions: one at a time, as Java's ProducerPerformance (its commit blocks the send loop).
  enum class txn { off, opening, open, committing, between } phase = txn::off;
  clock_type::time_point txn_began;
  int64_t transactions = 0; // committed
};

using runner_ptr = caf::stateful_actor<runner_state>*;

producer_record next_record(runner_ptr self) {
  auto& s = self->state;
  producer_record r;
  r.topic = s.opts.topic;
  r.value = nullable_bytes::of(s.payloads->next());
  return r;
}

// answered: when the message with the outcome came (read once per message, not per record).
void on_result(runner_ptr self, clock_type::time_point sent_at, clock_type::time_point answered, int64_t size,
               const caf::error& err) {
  auto& s = self->state;
  ++s.resolved;
  if (err) {
    if (s.s.first_error.empty())
      s.s.first_error = self->system().render(err);
    ++s.s.failed;
  } else {
    s.s.record(duration_cast<microseconds>(answered - sent_at).count(), size);
  }
}

// How many more records may go now: the window, the total, and the throttle allow.
int64_t allowance(runner_ptr self) {
  auto& s = self->state;
  int64_t n = std::min<int64_t>(s.opts.num_records - s.sent,
                                static_cast<int64_t>(s.window) - (s.sent - s.resolved));
  if (s.opts.throughput > 0) {
    double elapsed = duration<double>(clock_type::now() - s.s.start).count();
    n = std::min<int64_t>(n, static_cast<int64_t>(elapsed * s.opts.throughput) + 1 - s.sent);
  }
  return n;
}

void pump(runner_ptr self);

// A request to the producer: bounded when it lives on another node (a lost reply must not hang
// the run), unbounded locally where the producer's own timeouts answer every request.
template <class... Ts>
auto ask(runner_ptr self, Ts&&... xs) {
  auto& s = self->state;
  if (s.opts.node)
    return self->request(s.producer, std::chrono::seconds{130}, std::forward<Ts>(xs)...);
  return self->request(s.producer, caf::infinite, std::forward<Ts>(xs)...);
}

// Sending may go on: outside transactions, or inside an open one.
bool may_send(runner_ptr self) {
  auto phase = self->state.phase;
  return phase == runner_state::txn::off || phase == runner_state::txn::open;
}

// Hands the run's figures (and when its clock started) to main, and stops.
void finish(runner_ptr self) {
  auto& s = self->state;
  self->send(s.done_to, done_atom::value, std::move(s.s.latencies_us), s.s.bytes, s.s.failed, s.s.first_error,
             static_cast<int64_t>(duration_cast<nanoseconds>(s.s.start.time_since_epoch()).count()));
  self->quit();
}

void after_reply(runner_ptr self) {
  auto& s = self->state;
  s.s.maybe_progress();
  bool ended = s.phase == runner_state::txn::off || s.phase == runner_state::txn::between;
  if (s.resolved == s.opts.num_records && ended) {
    if (s.phase == runner_state::txn::between)
      std::printf("%lld transactions committed\n", static_cast<long long>(s.transactions));
    return finish(self);
  }
  pump(self);
}

// --mode credit: pushes groups as far as the credit goes.
void push_within_credit(runner_ptr self, int64_t n) {
  auto& s = self->state;
  if (s.largest == 0)
    return; // attach not answered yet
  auto count = std::min<int64_t>(n, static_cast<int64_t>(s.opts.group_size));
  std::vector<producer_record> group;
  group.reserve(static_cast<size_t>(count));
  int64_t bytes = 0;
  while (static_cast<int64_t>(group.size()) < count) {
    auto r = s.next_up ? *std::exchange(s.next_up, std::nullopt) : next_record(self);
    auto cost = credit_cost(r);
    // Larger than any credit: pushed anyway, the producer fails it (RECORD_TOO_LARGE) uncharged.
    if (cost > s.credit - bytes && cost <= s.largest) {
      s.next_up = std::move(r);
      break;
    }
    bytes += cost;
    group.push_back(std::move(r));
  }
  if (group.empty())
    return;
  s.credit -= bytes;
  auto first = static_cast<uint64_t>(s.sent);
  s.pushes.emplace(first, std::make_pair(clock_type::now(), static_cast<int64_t>(group.size())));
  s.sent += static_cast<int64_t>(group.size());
  self->send(s.producer, push_atom::value, first, std::move(group));
}

void on_acks(runner_ptr self, std::vector<record_ack>& acks) {
  auto& s = self->state;
  auto answered = clock_type::now();
  if (s.opts.how == options::mode::async) {
    for (auto& a : acks)
      on_result(self, s.sent_at[a.id % s.sent_at.size()], answered, static_cast<int64_t>(s.payloads->record_size()),
                a.error);
    return;
  }
  for (auto& a : acks) {
    auto push = std::prev(s.pushes.upper_bound(a.id));
    on_result(self, push->second.first, answered, static_cast<int64_t>(s.payloads->record_size()), a.error);
    if (--push->second.second == 0)
      s.pushes.erase(push);
  }
}

// ---- Transactions ------------------------------------------------------------------------------

// A transaction call failed: the run ends, every record not yet answered counted as failed.
void end_run_on(runner_ptr self, const char* call, const caf::error& err) {
  auto& s = self->state;
  if (s.s.first_error.empty())
    s.s.first_error = std::string{call} + ": " + self->system().render(err);
  s.s.failed += s.opts.num_records - s.resolved;
  s.resolved = s.opts.num_records;
  s.phase = runner_state::txn::between;
  after_reply(self);
}

void open_transaction(runner_ptr self) {
  self->state.phase = runner_state::txn::opening;
  ask(self, begin_txn_atom::value)
    .then(
      [=](ok_atom) {
        auto& st = self->state;
        st.phase = runner_state::txn::open;
        st.txn_began = clock_type::now();
        if (st.transactions == 0) // the clock and the throttle start now, as Java's after initTransactions
          st.s.start = st.s.window_start = st.txn_began;
        pump(self);
      },
      [=](caf::error& err) { end_run_on(self, "begin_transaction", err); });
}

// Commits the open transaction once its duration passed, or once every record went.
void commit_when_due(runner_ptr self) {
  auto& s = self->state;
  if (s.phase != runner_state::txn::open)
    return;
  if (s.sent < s.opts.num_records && clock_type::now() - s.txn_began < *s.opts.transaction_duration)
    return;
  s.phase = runner_state::txn::committing;
  ask(self, commit_txn_atom::value)
    .then(
      [=](ok_atom) {
        auto& st = self->state;
        ++st.transactions;
        st.phase = runner_state::txn::between;
        if (st.sent < st.opts.num_records)
          open_transaction(self);
        after_reply(self);
      },
      [=](caf::error& err) { end_run_on(self, "commit_transaction", err); });
}

void pump(runner_ptr self) {
  auto& s = self->state;
  commit_when_due(self);
  for (int64_t n = allowance(self); n > 0 && may_send(self); n = allowance(self)) {
    auto sent_at = clock_type::now();
    if (s.opts.how == options::mode::credit) {
      auto before = s.sent;
      push_within_credit(self, n);
      if (s.sent == before)
        break; // no credit: the producer's next grant pumps again
      continue;
    }
    if (s.opts.how == options::mode::async) {
      for (int64_t i = 0; i < n; ++i) {
        auto id = static_cast<uint64_t>(s.sent++);
        s.sent_at[id % s.sent_at.size()] = clock_type::now();
        self->send(s.producer, send_atom::value, id, next_record(self));
      }
      continue;
    }
    if (s.opts.how == options::mode::request) {
      auto r = next_record(self);
      int64_t size = static_cast<int64_t>(r.value.size());
      ++s.sent;
      ask(self, send_atom::value, std::move(r))
        .then(
          [=](record_metadata&) {
            on_result(self, sent_at, clock_type::now(), size, {});
            after_reply(self);
          },
          [=](caf::error& err) {
            on_result(self, sent_at, clock_type::now(), size, err);
            after_reply(self);
          });
      continue;
    }
    auto count = std::min<int64_t>(n, static_cast<int64_t>(s.opts.group_size));
    std::vector<producer_record> group;
    group.reserve(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i)
      group.push_back(next_record(self));
    s.sent += count;
    auto sent = ask(self, send_batch_atom::value, std::move(group));
    commit_when_due(self);
    std::move(sent)
      .then(
        [=](std::vector<delivery_report>& reports) {
          auto answered = clock_type::now();
          for (auto& r : reports)
            on_result(self, sent_at, answered, static_cast<int64_t>(self->state.payloads->record_size()), r.error);
          after_reply(self);
        },
        [=](caf::error& err) {
          auto answered = clock_type::now();
          for (int64_t i = 0; i < count; ++i)
            on_result(self, sent_at, answered, 0, err);
          after_reply(self);
        });
  }
}

// With --throughput, a plain thread wakes the runner every millisecond, as librdkafka_perf's loop
// sleeps between its bursts. A CAF delayed_send per tick costs twice that: CAF 0.17's clock thread
// wakes once to take the timeout and once to fire it.
class pacer {
public:
  pacer(caf::actor runner, double throughput) {
    if (throughput <= 0)
      return;
    thread_ = std::thread([this, runner] {
      auto due = clock_type::now();
      std::unique_lock<std::mutex> guard{mx_};
      while (!stopping_) {
        due = std::max(due + milliseconds{1}, clock_type::now() - milliseconds{1}); // no catch-up storm
        if (!stop_.wait_until(guard, due, [this] { return stopping_; }))
          caf::anon_send(runner, tick_atom::value);
      }
    });
  }
  ~pacer() {
    if (!thread_.joinable())
      return;
    {
      std::lock_guard<std::mutex> guard{mx_};
      stopping_ = true;
    }
    stop_.notify_one();
    thread_.join();
  }

private:
  std::mutex mx_;
  std::condition_variable stop_;
  bool stopping_ = false;
  std::thread thread_;
};

caf::behavior runner(runner_ptr self, options opts, std::shared_ptr<payload_source> payloads, producer_actor producer,
                     caf::actor done_to) {
  auto& st = self->state;
  st.opts = std::move(opts);
  st.payloads = std::move(payloads);
  st.producer = producer;
  st.done_to = done_to;
  // About what buffer.memory holds, so the producer, not this loop, sets the pace.
  int64_t buffer = 33554432;
  if (auto b = st.opts.props.find("buffer.memory"); b != st.opts.props.end())
    buffer = std::stoll(b->second);
  int64_t record_bytes = static_cast<int64_t>(st.payloads->record_size()) + 80;
  st.window = static_cast<size_t>(std::clamp<int64_t>(buffer / record_bytes, 1000, 1000000));
  // CAF 0.17 finds a reply's handler by a linear search over the requester's pending requests:
  // one request per record must keep few of them open (see request_window).
  if (st.opts.how == options::mode::request)
    st.window = std::min(st.window, st.opts.request_window);
  if (st.opts.how == options::mode::credit) // the credit is the window
    st.window = static_cast<size_t>(st.opts.num_records);
  if (st.opts.how == options::mode::async)
    st.sent_at.resize(st.window);
  st.s.start = st.s.window_start = clock_type::now();
  // A remote producer may vanish: fail what is outstanding at once and finish.
  self->monitor(producer);
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& s = self->state;
    auto why = "the producer went away (" + self->system().render(dm.reason) + ")";
    if (s.s.first_error.empty())
      s.s.first_error = why;
    s.s.failed += s.opts.num_records - s.resolved;
    s.resolved = s.opts.num_records;
    after_reply(self);
  });
  if (st.opts.num_records == 0) {
    finish(self);
    return {};
  }
  if (st.opts.how == options::mode::credit) {
    self->request(producer, seconds{30}, attach_atom::value, caf::actor_cast<delivery_sink>(self))
      .then(
        [=](int64_t largest) {
          self->state.largest = largest;
          pump(self);
        },
            [=](caf::error& err) {
              auto& s = self->state;
              s.s.first_error = "attach: " + self->system().render(err);
              s.s.failed = s.opts.num_records;
              s.resolved = s.opts.num_records;
              after_reply(self);
            });
  } else if (st.opts.transaction_duration) {
    st.phase = runner_state::txn::opening; // nothing goes before the first transaction began
    ask(self, init_txn_atom::value)
      .then([=](ok_atom) { open_transaction(self); },
            [=](caf::error& err) { end_run_on(self, "init_transactions", err); });
  } else {
    pump(self);
  }
  return {
    [=](tick_atom) { pump(self); },
    [=](credit_atom, int64_t bytes) {
      self->state.credit += bytes;
      pump(self);
    },
    [=](delivered_atom, std::vector<record_ack>& acks) {
      on_acks(self, acks);
      after_reply(self);
    },
  };
}

} // namespace

int main(int argc, char** argv) {
  auto o = parse(argc, argv);
  auto payloads = std::make_shared<payload_source>(o);
  caf::actor_system_config cfg;
  register_types(cfg);
  recommended_scheduler(cfg);
  if (o.node)
    cfg.load<caf::io::middleman>();
  o.tls.apply(cfg);
  caf::actor_system sys{cfg};
  auto obtained = cli::obtain_producer(sys, "cafka-perf", o.node, o.tls, o.props);
  if (obtained.exit_status != 0)
    return obtained.exit_status;
  auto producer = &obtained.producer;
  std::vector<int32_t> lat;
  int64_t bytes = 0, failed = 0;
  std::string first_error;
  clock_type::time_point t0, t1;
  {
    caf::scoped_actor self{sys};
    auto run = self->spawn(runner, o, std::move(payloads), *producer, caf::actor{self});
    pacer ticks{run, o.throughput};
    // The runner's clock starts with the first record (after init_transactions, as Java's).
    self->receive([&](done_atom, std::vector<int32_t>& l, int64_t b, int64_t f, std::string& e, int64_t started_ns) {
      t0 = clock_type::time_point{duration_cast<clock_type::duration>(nanoseconds{started_ns})};
      lat = std::move(l);
      bytes = b;
      failed = f;
      first_error = std::move(e);
    });
    t1 = clock_type::now();
    if (!o.node) // a published producer belongs to its node
      self->request(*producer, caf::infinite, close_atom::value, caf::timespan{seconds{30}})
        .receive([](ok_atom) {}, [](caf::error&) {});
  }
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  double cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec)
               + static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  auto ok = static_cast<long>(lat.size());
  double sum = 0;
  int32_t max = 0;
  for (auto l : lat) {
    sum += l;
    max = std::max(max, l);
  }
  std::sort(lat.begin(), lat.end());
  double secs = duration<double>(t1 - t0).count();
  auto pct = [&](double q) { return ok ? lat[static_cast<size_t>(static_cast<double>(ok - 1) * q)] / 1000 : 0; };
  std::printf("%ld records sent, %.1f records/sec (%.2f MB/sec), %.2f ms avg latency, %.2f ms max latency, "
              "%d ms 50th, %d ms 95th, %d ms 99th, %d ms 99.9th.\n",
              ok, ok / secs, static_cast<double>(bytes) / secs / (1024.0 * 1024.0), ok ? sum / ok / 1000.0 : 0.0,
              max / 1000.0, pct(0.5), pct(0.95), pct(0.99), pct(0.999));
  std::printf("client_cpu_s=%.3f cpu_us_per_record=%.3f failed=%ld max_rss_kb=%ld%s%s\n", cpu,
              ok ? cpu * 1e6 / static_cast<double>(ok) : 0.0, static_cast<long>(failed), ru.ru_maxrss,
              failed ? " first_error=" : "", failed ? first_error.c_str() : "");
  return failed ? 1 : 0;
}
