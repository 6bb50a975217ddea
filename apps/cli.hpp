// What the programs under apps/ share on their command lines: walking argv, the producer
// property flags (-b, -X, -F), TLS between nodes, HOST:PORT. Header-only: each program is one
// translation unit.
#pragma once

#include "cafka/producer.hpp"

#include "caf/all.hpp"
#include "caf/io/all.hpp"
#include "caf/openssl/all.hpp"

#include <iostream>

#include <optional>
#include <string>
#include <utility>

namespace cafka::cli {

// A program's name and its usage text (ending in a newline), for --help and for bad usage.
struct program {
  const char* name;
  const char* usage;
};

// Says what is wrong and how to call the program, on stderr; exits 2.
[[noreturn]] inline void bad_usage(const program& p, const std::string& why) {
  std::cerr << p.name << ": " << why << "\n" << p.usage;
  std::exit(2);
}

// Walks argv: flag() is the current argument, value() takes the next one as its value. -h and
// --help print the usage on stdout and exit 0, wherever they stand.
class arguments {
public:
  arguments(int argc, char** argv, program p) : argc_(argc), argv_(argv), program_(p) {}

  bool next() {
    if (++i_ >= argc_)
      return false;
    flag_ = argv_[i_];
    if (flag_ == "-h" || flag_ == "--help") {
      std::cout << program_.usage;
      std::exit(0);
    }
    return true;
  }
  const std::string& flag() const { return flag_; }
  bool peek_is_value() const { return i_ + 1 < argc_ && std::string(argv_[i_ + 1]).rfind("--", 0) != 0; }
  std::string value() {
    if (i_ + 1 >= argc_)
      fail(flag_ + " needs a value");
    return argv_[++i_];
  }
  [[noreturn]] void fail(const std::string& why) const { bad_usage(program_, why); }

private:
  int argc_;
  char** argv_;
  program program_;
  int i_ = 0;
  std::string flag_;
};

// "prop=value" into props; false when there is no '='.
inline bool add_property(properties& props, const std::string& kv) {
  auto eq = kv.find('=');
  if (eq == std::string::npos)
    return false;
  props[kv.substr(0, eq)] = kv.substr(eq + 1);
  return true;
}

// -b BROKERS, -X PROP=VALUE (repeatable), -F FILE; the command line wins over the file.
struct producer_flags {
  properties given;
  properties from_file;

  bool take(arguments& args) {
    if (args.flag() == "-b")
      given["bootstrap.servers"] = args.value();
    else if (args.flag() == "-X") {
      auto v = args.value();
      if (!add_property(given, v))
        args.fail("-X: '" + v + "' is not PROP=VALUE");
    } else if (args.flag() == "-F") {
      auto loaded = load_properties_file(args.value());
      if (!loaded)
        args.fail("-F: " + loaded.error());
      from_file = std::move(*loaded);
    } else
      return false;
    return true;
  }

  properties merged() const {
    auto out = given;
    for (auto& [k, v] : from_file)
      out.emplace(k, v);
    return out;
  }
};

// --tls-cert PEM --tls-key PEM --tls-ca PEM: TLS between CAF nodes (caf_openssl).
struct tls_flags {
  std::string cert, key, ca;

  bool take(arguments& args) {
    if (args.flag() == "--tls-cert")
      cert = args.value();
    else if (args.flag() == "--tls-key")
      key = args.value();
    else if (args.flag() == "--tls-ca")
      ca = args.value();
    else
      return false;
    return true;
  }
  bool enabled() const { return !cert.empty() || !key.empty() || !ca.empty(); }
  void check(const arguments& args) const {
    if (enabled() && (cert.empty() || key.empty() || ca.empty()))
      args.fail("TLS needs --tls-cert, --tls-key and --tls-ca together");
  }
  void apply(caf::actor_system_config& cfg) const {
    if (!enabled())
      return;
    cfg.load<caf::openssl::manager>();
    cfg.openssl_certificate = cert;
    cfg.openssl_key = key;
    cfg.openssl_cafile = ca;
  }
};

// "host:port" with a port in 1..65535.
inline std::optional<std::pair<std::string, uint16_t>> parse_host_port(const std::string& s) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == s.size())
    return std::nullopt;
  auto digits = s.substr(colon + 1);
  if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 5)
    return std::nullopt;
  auto port = std::stoul(digits);
  if (port == 0 || port > 65535)
    return std::nullopt;
  return std::make_pair(s.substr(0, colon), static_cast<uint16_t>(port));
}

// The producer a program sends through: the one a cafka-node publishes at `node` (the actor system
// must have loaded the middleman, and the openssl manager with TLS), or a new local one. On failure
// it says why on stderr and `exit_status` is what the program should return (1: unreachable node,
// 2: bad configuration).
struct obtained_producer {
  producer_actor producer;
  int exit_status = 0;
};

inline obtained_producer obtain_producer(caf::actor_system& sys, const std::string& program,
                                         const std::optional<std::pair<std::string, uint16_t>>& node,
                                         const tls_flags& tls, const properties& props) {
  if (node) {
    auto& [host, port] = *node;
    auto remote = tls.enabled() ? caf::openssl::remote_actor<producer_actor>(sys, host, port)
                                : sys.middleman().remote_actor<producer_actor>(host, port);
    if (!remote) {
      std::cerr << program << ": cannot reach the producer at " << host << ":" << port << ": "
                << sys.render(remote.error()) << "\n";
      return {{}, 1};
    }
    return {*remote, 0};
  }
  auto local = spawn_producer(sys, props);
  if (!local) {
    std::cerr << program << ": " << sys.render(local.error()) << "\n";
    return {{}, 2};
  }
  return {*local, 0};
}

} // namespace cafka::cli
