#include "actors/config.hpp"

#include <atomic>
#include <charconv>
#include <fstream>
#include <functional>
#include <set>

namespace cafka {

namespace {

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos)
    return {};
  size_t e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

using setter = std::function<std::expected<void, std::string>(producer_config&, const std::string&)>;

template <class Int>
std::expected<Int, std::string> parse_int(const std::string& v, int64_t min, int64_t max) {
  int64_t x = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
  if (ec != std::errc{} || end != v.data() + v.size() || v.empty())
    return std::unexpected("'" + v + "' is not an integer");
  if (x < min || x > max)
    return std::unexpected("'" + v + "' is out of range [" + std::to_string(min) + ", " + std::to_string(max) + "]");
  return static_cast<Int>(x);
}

std::expected<bool, std::string> parse_bool(const std::string& v) {
  if (v == "true")
    return true;
  if (v == "false")
    return false;
  return std::unexpected("'" + v + "' is not true or false");
}

template <class Int>
setter int_field(Int producer_config::*field, int64_t min, int64_t max) {
  return [=](producer_config& c, const std::string& v) -> std::expected<void, std::string> {
    auto x = parse_int<Int>(v, min, max);
    if (!x)
      return std::unexpected(x.error());
    c.*field = *x;
    return {};
  };
}

setter ms_field(std::chrono::milliseconds producer_config::*field, int64_t min = 0) {
  return [=](producer_config& c, const std::string& v) -> std::expected<void, std::string> {
    auto x = parse_int<int64_t>(v, min, INT64_MAX / 1000000);
    if (!x)
      return std::unexpected(x.error());
    c.*field = std::chrono::milliseconds{*x};
    return {};
  };
}

setter bool_field(bool producer_config::*field) {
  return [=](producer_config& c, const std::string& v) -> std::expected<void, std::string> {
    auto x = parse_bool(v);
    if (!x)
      return std::unexpected(x.error());
    c.*field = *x;
    return {};
  };
}

setter ignored() {
  return [](producer_config&, const std::string&) -> std::expected<void, std::string> { return {}; };
}

const std::map<std::string, setter>& setters() {
  static const std::map<std::string, setter> table = {
    {"bootstrap.servers",
     [](producer_config& c, const std::string& v) -> std::expected<void, std::string> {
       auto list = parse_bootstrap_servers(v);
       if (!list)
         return std::unexpected(list.error());
       c.bootstrap_servers = std::move(*list);
       return {};
     }},
    {"client.id",
     [](producer_config& c, const std::string& v) -> std::expected<void, std::string> {
       c.client_id = v;
       return {};
     }},
    {"acks",
     [](producer_config& c, const std::string& v) -> std::expected<void, std::string> {
       if (v == "all" || v == "-1")
         c.acks = -1;
       else if (v == "0" || v == "1")
         c.acks = static_cast<int16_t>(v[0] - '0');
       else
         return std::unexpected("'" + v + "' is not one of all, -1, 0, 1");
       return {};
     }},
    {"enable.idempotence", bool_field(&producer_config::enable_idempotence)},
    {"linger.ms", ms_field(&producer_config::linger)},
    {"batch.size", int_field(&producer_config::batch_size, 0, INT32_MAX)},
    {"buffer.memory", int_field(&producer_config::buffer_memory, 0, INT64_MAX)},
    {"max.block.ms", ms_field(&producer_config::max_block)},
    {"max.blocked.bytes", int_field(&producer_config::max_blocked_bytes, 0, INT64_MAX)},
    {"delivery.timeout.ms", ms_field(&producer_config::delivery_timeout)},
    {"request.timeout.ms", ms_field(&producer_config::request_timeout)},
    {"retries", int_field(&producer_config::retries, 0, INT32_MAX)},
    {"retry.backoff.ms", ms_field(&producer_config::retry_backoff)},
    {"retry.backoff.max.ms", ms_field(&producer_config::retry_backoff_max)},
    {"max.in.flight.requests.per.connection", int_field(&producer_config::max_in_flight, 1, INT32_MAX)},
    {"max.request.size", int_field(&producer_config::max_request_size, 0, INT32_MAX)},
    {"compression.type",
     [](producer_config& c, const std::string& v) -> std::expected<void, std::string> {
       auto codec = protocol::parse_compression_codec(v);
       if (!codec)
         return std::unexpected("'" + v + "' is not one of none, gzip, snappy, lz4, zstd");
       c.compression = *codec;
       return {};
     }},
    {"compression.gzip.level", int_field(&producer_config::gzip_level, INT32_MIN, INT32_MAX)},
    {"compression.lz4.level", int_field(&producer_config::lz4_level, INT32_MIN, INT32_MAX)},
    {"compression.zstd.level", int_field(&producer_config::zstd_level, INT32_MIN, INT32_MAX)},
    {"metadata.max.age.ms", ms_field(&producer_config::metadata_max_age)},
    {"metadata.max.idle.ms", ms_field(&producer_config::metadata_max_idle, 5000)},
    {"partitioner.ignore.keys", bool_field(&producer_config::partitioner_ignore_keys)},
    {"partitioner.adaptive.partitioning.enable", bool_field(&producer_config::partitioner_adaptive)},
    {"partitioner.availability.timeout.ms", ms_field(&producer_config::partitioner_availability_timeout)},
    {"reconnect.backoff.ms", ms_field(&producer_config::reconnect_backoff)},
    {"reconnect.backoff.max.ms", ms_field(&producer_config::reconnect_backoff_max)},
    {"socket.connection.setup.timeout.ms", ms_field(&producer_config::socket_connection_setup_timeout)},
    // Java-only: they name Java classes. Accepted so that a Java properties file works unchanged;
    // cafka serializes with C++ types (actors/serializer.hpp).
    {"key.serializer", ignored()},
    {"value.serializer", ignored()},
  };
  return table;
}

} // namespace

std::expected<std::vector<broker_address>, std::string> parse_bootstrap_servers(const std::string& list) {
  std::vector<broker_address> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(',', start);
    if (end == std::string::npos)
      end = list.size();
    auto item = trim(std::string_view{list}.substr(start, end - start));
    if (!item.empty()) {
      auto colon = item.rfind(':');
      if (colon == std::string::npos || colon == 0)
        return std::unexpected("'" + item + "' is not host:port");
      auto port = parse_int<uint16_t>(item.substr(colon + 1), 1, 65535);
      if (!port)
        return std::unexpected("'" + item + "': port " + port.error());
      auto host = item.substr(0, colon);
      if (host.size() > 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
      out.push_back({host, *port});
    }
    start = end + 1;
  }
  if (out.empty())
    return std::unexpected("no broker address given");
  return out;
}

std::expected<producer_config, std::string> parse_config(const properties& props) {
  producer_config c;
  for (auto& [name, value] : props) {
    if (name == "transactional.id")
      return std::unexpected(name + ": transactions are not supported yet");
    auto i = setters().find(name);
    if (i == setters().end())
      return std::unexpected(name + ": unknown property");
    if (auto ok = i->second(c, trim(value)); !ok)
      return std::unexpected(name + ": " + ok.error());
  }
  if (c.bootstrap_servers.empty())
    return std::unexpected("bootstrap.servers: required, e.g. 127.0.0.1:9092");
  if (c.client_id.empty()) {
    static std::atomic<int> next{1};
    c.client_id = "cafka-producer-" + std::to_string(next++);
  }
  // Java's rules: idempotence set explicitly conflicts loudly; left at its default it yields quietly.
  bool idempotence_explicit = props.count("enable.idempotence") > 0;
  if (c.enable_idempotence) {
    const char* conflict = nullptr;
    std::string why;
    if (c.acks != -1) {
      conflict = "acks";
      why = "must be all (-1) when enable.idempotence is true";
    } else if (c.max_in_flight > 5) {
      conflict = "max.in.flight.requests.per.connection";
      why = "must be at most 5 when enable.idempotence is true";
    } else if (c.retries == 0) {
      conflict = "retries";
      why = "must be greater than 0 when enable.idempotence is true";
    }
    if (conflict) {
      if (idempotence_explicit)
        return std::unexpected(std::string(conflict) + ": " + why);
      c.enable_idempotence = false;
    }
  }
  if (c.delivery_timeout < c.linger + c.request_timeout)
    return std::unexpected("delivery.timeout.ms: should be equal to or larger than linger.ms + request.timeout.ms");
  for (auto [codec, level, name] :
       {std::tuple{protocol::compression_codec::gzip, c.gzip_level, "compression.gzip.level"},
        std::tuple{protocol::compression_codec::lz4, c.lz4_level, "compression.lz4.level"},
        std::tuple{protocol::compression_codec::zstd, c.zstd_level, "compression.zstd.level"}})
    if (!protocol::valid_compression_level(codec, level))
      return std::unexpected(std::string(name) + ": " + std::to_string(level) + " is out of the codec's range");
  switch (c.compression) {
    case protocol::compression_codec::gzip: c.compression_level = c.gzip_level; break;
    case protocol::compression_codec::lz4: c.compression_level = c.lz4_level; break;
    case protocol::compression_codec::zstd: c.compression_level = c.zstd_level; break;
    default: c.compression_level = 0;
  }
  if (c.max_blocked_bytes < 0)
    c.max_blocked_bytes = c.buffer_memory;
  if (c.retry_backoff_max < c.retry_backoff)
    c.retry_backoff_max = c.retry_backoff; // Java: the max never undercuts the base
  return c;
}

std::expected<properties, std::string> load_properties_file(const std::string& path) {
  std::ifstream in{path};
  if (!in)
    return std::unexpected(path + ": cannot open");
  properties props;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    auto t = trim(line);
    if (t.empty() || t[0] == '#' || t[0] == '!')
      continue;
    auto sep = t.find_first_of("=:");
    if (sep == std::string::npos)
      return std::unexpected(path + ":" + std::to_string(number) + ": expected key=value");
    props[trim(std::string_view{t}.substr(0, sep))] = trim(std::string_view{t}.substr(sep + 1));
  }
  return props;
}

} // namespace cafka
