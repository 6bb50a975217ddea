// cafka-produce: a console producer with kcat -P habits.
//
//   cafka-produce -b 127.0.0.1:9092 -t orders [-p 2] [-K :] [-H name=value]... [-X prop=value]...
//                 [-z zstd] [-F producer.properties] [-v] [FILE...]
//   cafka-produce --node HOST:PORT -t orders ...   (send through a producer a cafka-node publishes)
//
// Each line of the files (or of stdin) is one record; with -K the line splits at the first
// delimiter into key and value. -v prints one delivery report per record. A summary goes to stderr
// at the end; the exit status is 0 when every record was acknowledged, 1 when any failed, 2 on
// bad usage.
//
// With -X transactional.id=ID the input goes in transactions: --txn-records N commits after every
// N records (default: all input in one), the remainder at the end of input; --txn-abort aborts each
// transaction instead. Exit 0 when every transaction ended as asked, 1 naming the error otherwise.
#include "apps/cli.hpp"
#include "cafka/producer.hpp"

#include "caf/io/all.hpp"
#include "caf/openssl/all.hpp"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>

namespace {

using namespace cafka;

struct options {
  properties props;
  std::string topic;
  int32_t partition = -1;
  std::string key_delimiter;
  std::vector<record_header> headers;
  bool verbose = false;
  std::vector<std::string> files;
  std::optional<std::pair<std::string, uint16_t>> node; // --node: a remote producer instead of a local one
  cli::tls_flags tls;
  uint64_t txn_records = 0; // --txn-records: records per transaction; 0: all input in one
  bool txn_abort = false;   // --txn-abort: abort each transaction instead of committing it
};

constexpr cli::program program{
  "cafka-produce",
  "usage: cafka-produce -b BROKERS -t TOPIC [-p PARTITION] [-K DELIM] [-H NAME=VALUE]...\n"
  "                     [-X PROP=VALUE]... [-z CODEC] [-F CONFIG_FILE] [-v]\n"
  "                     [--txn-records N] [--txn-abort] [FILE...]\n"
  "       cafka-produce --node HOST:PORT [--tls-cert PEM --tls-key PEM --tls-ca PEM] -t TOPIC ...\n"
  "Each input line (FILE or stdin) is one record; -K DELIM splits it into key and value. -X takes any\n"
  "producer property (Java's names), -F a properties file; -v prints a report per record.\n"
  "With -X transactional.id=ID the input goes in transactions: --txn-records N commits every N records\n"
  "(default: all input in one), --txn-abort aborts each transaction instead.\n"
  "Exit status: 0 every record acknowledged (every transaction ended as asked), 1 some failed, 2 bad usage.\n"};

options parse(int argc, char** argv) {
  options o;
  cli::arguments args{argc, argv, program};
  cli::producer_flags producer;
  while (args.next()) {
    auto& a = args.flag();
    if (producer.take(args) || o.tls.take(args))
      continue;
    if (a == "-t")
      o.topic = args.value();
    else if (a == "-p") {
      auto v = args.value();
      if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos || v.size() > 9)
        args.fail("-p: '" + v + "' is not a partition number");
      o.partition = std::stoi(v);
    } else if (a == "-K")
      o.key_delimiter = args.value();
    else if (a == "-H") {
      auto v = args.value();
      auto eq = v.find('=');
      if (eq == std::string::npos)
        args.fail("-H: '" + v + "' is not NAME=VALUE");
      o.headers.push_back({v.substr(0, eq), nullable_bytes::of(v.substr(eq + 1))});
    } else if (a == "-z")
      producer.given["compression.type"] = args.value();
    else if (a == "-v")
      o.verbose = true;
    else if (a == "--txn-records") {
      auto v = args.value();
      if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos || v.size() > 18 || std::stoull(v) == 0)
        args.fail("--txn-records: '" + v + "' is not a positive number");
      o.txn_records = std::stoull(v);
    } else if (a == "--txn-abort")
      o.txn_abort = true;
    else if (a == "--node") {
      auto v = args.value();
      o.node = cli::parse_host_port(v);
      if (!o.node)
        args.fail("--node: '" + v + "' is not HOST:PORT");
    } else if (!a.empty() && a[0] == '-' && a != "-")
      args.fail("unknown option " + a);
    else
      o.files.push_back(a);
  }
  o.props = producer.merged();
  if (!o.props.count("bootstrap.servers") && !o.node)
    args.fail("-b BROKERS is required");
  if (o.topic.empty())
    args.fail("-t TOPIC is required");
  o.tls.check(args);
  if ((o.txn_records || o.txn_abort) && !o.props.count("transactional.id"))
    args.fail("--txn-records and --txn-abort need -X transactional.id=ID");
  return o;
}

producer_record to_record(const options& o, const std::string& line) {
  producer_record r;
  r.topic = o.topic;
  r.partition = o.partition;
  r.headers = o.headers;
  if (!o.key_delimiter.empty()) {
    auto at = line.find(o.key_delimiter);
    if (at != std::string::npos) {
      r.key = nullable_bytes::of(line.substr(0, at));
      r.value = nullable_bytes::of(line.substr(at + o.key_delimiter.size()));
      return r;
    }
  }
  r.value = nullable_bytes::of(line);
  return r;
}

// The input, one line at a time: the files in order, or stdin.
class line_source {
public:
  explicit line_source(const options& o) : files_(o.files) {
    if (files_.empty() || (files_.size() == 1 && files_[0] == "-"))
      files_.clear();
  }

  // The next line; false at the end of the input.
  bool next(std::string& line) {
    for (;;) {
      if (files_.empty())
        return static_cast<bool>(std::getline(std::cin, line));
      if (!file_.is_open()) {
        if (next_file_ == files_.size())
          return false;
        auto& name = files_[next_file_++];
        file_.open(name);
        if (!file_) {
          std::cerr << "cafka-produce: cannot open " << name << "\n";
          std::exit(2);
        }
      }
      if (std::getline(file_, line))
        return true;
      file_.close();
    }
  }

private:
  std::vector<std::string> files_;
  size_t next_file_ = 0;
  std::ifstream file_;
};

// Streams the input to the producer within the credit it grants (cafka/producer_actor.hpp: attach,
// push): input is read only while the producer can take it, so a stalled cluster stops the reading
// rather than filling memory. Reports are printed as they come.
class streamer {
public:
  streamer(caf::scoped_actor& self, producer_actor producer, const options& o)
    : self_(self), producer_(std::move(producer)), o_(o) {}

  // Opens the credit session as a delivery sink; false when the producer could not be attached to
  // (`refused` says why).
  bool attach() {
    self_->monitor(producer_);
    // Sent one way, so that the producer's end (a node that dies) is seen while the answer is
    // awaited, as it is later.
    self_->send(producer_, attach_atom::value, caf::actor_cast<delivery_sink>(self_));
    bool attached = false;
    self_->receive(
      [&](int64_t largest) { largest_ = largest, attached = true; },
      [&](caf::error& err) { refused = self_->system().render(err); },
      [&](caf::down_msg& dm) { refused = "the producer went away (" + self_->system().render(dm.reason) + ")"; },
      caf::after(std::chrono::seconds{30}) >> [&] { refused = "the producer did not answer attach within 30 s"; });
    return attached;
  }

  // Whether input is left (reads ahead one line).
  bool more_input() {
    if (!next_ && more_) {
      std::string line;
      if (input_.next(line))
        next_ = to_record(o_, line);
      else
        more_ = false;
    }
    return next_.has_value();
  }

  bool producer_gone() const { return gone_; }
  std::pair<uint64_t, uint64_t> counts() const { return {pushed_, failed_}; }

  // Sends up to `limit` more records of the input (all of it by default) and returns once each
  // outcome is known: the number of records so far and of failures.
  std::pair<uint64_t, uint64_t> run(uint64_t limit = UINT64_MAX) {
    uint64_t taken = 0;
    while ((taken < limit && more_input()) || pushed_ > resolved_) {
      if (gone_)
        break;
      // Fill a push with what the credit allows; wait for more credit or outcomes otherwise.
      std::vector<producer_record> chunk;
      int64_t bytes = 0;
      while (taken + chunk.size() < limit && chunk.size() < max_chunk && more_input()) {
        auto& next = next_;
        auto size = credit_cost(*next);
        // Larger than any credit: pushed at once, the producer fails it (RECORD_TOO_LARGE) uncharged.
        if (size > largest_)
          size = 0;
        if (size > credit_ - bytes)
          break;
        bytes += size;
        chunk.push_back(std::move(*next));
        next.reset();
      }
      if (!chunk.empty()) {
        taken += chunk.size();
        credit_ -= bytes;
        auto first = pushed_;
        pushed_ += chunk.size();
        self_->send(producer_, push_atom::value, first, std::move(chunk));
        handle_pending(); // whatever already came, without waiting
        continue;
      }
      handle_one(); // blocks: credit, outcomes, or the producer's end
    }
    return {pushed_, failed_};
  }

  void detach() { self_->send(producer_, detach_atom::value); }

  // Why the producer could not be attached to (empty when it was).
  std::string refused;

private:
  void on_acks(std::vector<record_ack>& acks) {
    for (auto& a : acks) {
      ++resolved_;
      if (a.error) {
        auto why = self_->system().render(a.error);
        std::cout << "failed record " << a.id << ": " << why << "\n";
        ++failed_;
        ++reasons_[why];
      } else if (o_.verbose) {
        auto& md = a.metadata;
        std::cout << "delivered record " << a.id << " to " << md.topic << " partition " << md.partition
                  << " offset " << md.offset << " timestamp " << md.timestamp << "\n";
      }
    }
  }

  auto handlers() {
    return std::make_tuple(
      [this](credit_atom, int64_t bytes) { credit_ += bytes; },
      [this](delivered_atom, std::vector<record_ack>& acks) { on_acks(acks); },
      [this](caf::down_msg& dm) {
        // A remote producer vanished: what it did not report is lost to us.
        auto why = "the producer went away (" + self_->system().render(dm.reason) + ")";
        auto lost = pushed_ - resolved_;
        std::cout << "failed " << lost << " record(s): " << why << "\n";
        failed_ += lost;
        reasons_[why] += lost;
        resolved_ = pushed_;
        gone_ = true;
      });
  }

  void handle_one() {
    std::apply([this](auto... hs) { self_->receive(hs...); }, handlers());
  }

  void handle_pending() {
    for (bool idle = false; !idle;)
      std::apply([&](auto... hs) { self_->receive(hs..., caf::after(std::chrono::seconds{0}) >> [&] { idle = true; }); },
                 handlers());
  }

public:
  std::map<std::string, uint64_t> reasons_;

private:
  static constexpr size_t max_chunk = 1000;
  caf::scoped_actor& self_;
  producer_actor producer_;
  const options& o_;
  int64_t credit_ = 0;
  int64_t largest_ = 0; // the largest record cost the producer accepts (attach's answer)
  uint64_t pushed_ = 0;
  uint64_t resolved_ = 0;
  uint64_t failed_ = 0;
  bool gone_ = false;
  line_source input_{o_};
  std::optional<producer_record> next_; // read ahead
  bool more_ = true;                     // the input did not end yet
};

// Asks the producer for a transactional call; false (having said why) when it failed.
template <class Atom>
bool transaction_call(caf::scoped_actor& self, const producer_actor& producer, Atom call, const char* name) {
  bool ok = false;
  self->request(producer, caf::infinite, call)
    .receive([&](ok_atom) { ok = true; },
             [&](caf::error& err) {
               std::cerr << "cafka-produce: " << name << ": " << self->system().render(err) << " (category "
                         << to_string(transaction_error_category(err)) << ")\n";
             });
  return ok;
}

// The input in transactions of --txn-records records each, committed (or aborted, --txn-abort).
// Returns whether every transaction ended as asked.
bool run_transactions(caf::scoped_actor& self, const producer_actor& producer, streamer& s, const options& o) {
  if (!transaction_call(self, producer, init_txn_atom::value, "init_transactions") || !s.attach())
    return false;
  uint64_t transactions = 0, done = 0;
  bool ok = true;
  while (ok && s.more_input() && !s.producer_gone()) {
    if (!transaction_call(self, producer, begin_txn_atom::value, "begin_transaction"))
      return false;
    auto failed_before = s.counts().second;
    auto failed = s.run(o.txn_records ? o.txn_records : UINT64_MAX).second - failed_before;
    ++transactions;
    if (o.txn_abort)
      ok = transaction_call(self, producer, abort_txn_atom::value, "abort_transaction");
    else if ((ok = transaction_call(self, producer, commit_txn_atom::value, "commit_transaction")))
      ok = failed == 0; // a failed record fails the commit; this is belt and braces
    else
      transaction_call(self, producer, abort_txn_atom::value, "abort_transaction"); // what it can
    if (ok)
      ++done;
  }
  s.detach();
  std::cerr << "cafka-produce: " << done << " of " << transactions << " transaction(s) "
            << (o.txn_abort ? "aborted" : "committed") << "\n";
  return ok && !s.producer_gone();
}

} // namespace

int main(int argc, char** argv) {
  auto o = parse(argc, argv);
  bool remote = o.node.has_value();
  caf::actor_system_config cfg;
  register_types(cfg);
  recommended_scheduler(cfg);
  if (remote)
    cfg.load<caf::io::middleman>();
  o.tls.apply(cfg);
  caf::actor_system sys{cfg};
  auto obtained = cli::obtain_producer(sys, "cafka-produce", o.node, o.tls, o.props);
  if (obtained.exit_status != 0)
    return obtained.exit_status;
  uint64_t total = 0, failed = 0;
  bool transactions_failed = false;
  std::string refused;
  {
    caf::scoped_actor self{sys};
    streamer s{self, obtained.producer, o};
    if (o.props.count("transactional.id")) {
      transactions_failed = !run_transactions(self, obtained.producer, s, o);
      std::tie(total, failed) = s.counts();
    } else if (s.attach()) {
      std::tie(total, failed) = s.run();
      s.detach();
    }
    refused = s.refused;
    for (auto& [why, n] : s.reasons_)
      std::cerr << "cafka-produce: " << n << " record(s) failed: " << why << "\n";
    if (!remote) // a published producer belongs to its node
      self->request(obtained.producer, caf::infinite, close_atom::value, caf::timespan{std::chrono::seconds{30}})
        .receive([](ok_atom) {}, [](caf::error&) {});
  }
  if (!refused.empty()) {
    std::cerr << "cafka-produce: no record sent: " << refused << "\n";
    return 1;
  }
  std::cerr << "cafka-produce: " << (total - failed) << " of " << total << " record(s) delivered to " << o.topic;
  if (failed)
    std::cerr << ", " << failed << " failed";
  std::cerr << "\n";
  return failed || transactions_failed ? 1 : 0;
}
