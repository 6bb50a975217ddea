#include "actors/config.hpp"

#include "actors/jaas.hpp"
#include "protocol/pem.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <filesystem>
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
    {"transactional.id",
     [](producer_config& c, const std::string& v) -> std::expected<void, std::string> {
       if (v.empty()) // Java's NonEmptyString validator
         return std::unexpected("String must be non-empty");
       c.transactional_id = v;
       return {};
     }},
    // The broker refuses more than its transaction.max.timeout.ms (15 minutes by default) at
    // init_transactions with INVALID_TRANSACTION_TIMEOUT.
    {"transaction.timeout.ms",
     [](producer_config& c, const std::string& v) -> std::expected<void, std::string> {
       auto ms = parse_int<int32_t>(v, 1, INT32_MAX); // InitProducerId carries an int32
       if (!ms)
         return std::unexpected(ms.error());
       c.transaction_timeout = std::chrono::milliseconds{*ms};
       return {};
     }},
    // Java-only: they name Java classes. Accepted so that a Java properties file works unchanged;
    // cafka serializes with C++ types (actors/serializer.hpp).
    {"key.serializer", ignored()},
    {"value.serializer", ignored()},
  };
  return table;
}

// ---- Security ------------------------------------------------------------------------------------

// The properties parse_security_config reads; parse_config leaves them to it.
const std::set<std::string>& security_properties() {
  static const std::set<std::string> names = {
    "security.protocol",
    "ssl.truststore.type",
    "ssl.truststore.location",
    "ssl.truststore.certificates",
    "ssl.truststore.password",
    "ssl.keystore.type",
    "ssl.keystore.location",
    "ssl.keystore.certificate.chain",
    "ssl.keystore.key",
    "ssl.keystore.password",
    "ssl.key.password",
    "ssl.endpoint.identification.algorithm",
    "sasl.mechanism",
    "sasl.jaas.config",
    "sasl.oauthbearer.token.file", // cafka's own
    // librdkafka's names, as kcat users type them
    "ssl.ca.location",
    "ssl.certificate.location",
    "ssl.key.location",
    "sasl.mechanisms",
    "sasl.username",
    "sasl.password",
  };
  return names;
}

constexpr std::string_view plain_login_module = "org.apache.kafka.common.security.plain.PlainLoginModule";
constexpr std::string_view scram_login_module = "org.apache.kafka.common.security.scram.ScramLoginModule";
constexpr std::string_view oauthbearer_login_module =
  "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule";

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
  return s;
}

std::unexpected<std::string> refuse(std::string_view property, std::string why) {
  return std::unexpected(std::string(property) + ": " + std::move(why));
}

// A PEM file's text; the error is about the file, never its content.
std::expected<std::string, std::string> read_pem_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    return std::unexpected(path + " is a directory, not a PEM file");
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return std::unexpected("cannot read " + path);
  std::string text{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
  if (in.bad())
    return std::unexpected("cannot read " + path);
  return text;
}

// Reads the security properties; an empty value counts as not given (as `ssl.key.password=` in a
// properties file), except for ssl.endpoint.identification.algorithm, where empty means off.
class security_reader {
public:
  explicit security_reader(const properties& props) : props_(props) {}

  std::optional<std::string> get(const std::string& name) const {
    auto i = props_.find(name);
    if (i == props_.end())
      return std::nullopt;
    auto v = trim(i->second);
    if (v.empty())
      return std::nullopt;
    return v;
  }
  bool given(const std::string& name) const { return get(name).has_value(); }

  struct named_value {
    std::string name; // the property it came from
    std::string value;
  };
  // A Java property or librdkafka's name for it: either, or both with the same value.
  std::expected<std::optional<named_value>, std::string> either(const std::string& java, const std::string& alias) const {
    auto a = get(java);
    auto b = get(alias);
    if (a && b && *a != *b)
      return refuse(alias, "conflicts with " + java + " (give one of them)");
    if (a)
      return named_value{java, *a};
    if (b)
      return named_value{alias, *b};
    return std::nullopt;
  }

private:
  const properties& props_;
};

std::expected<void, std::string> check_store_type(const security_reader& in, const std::string& name, const char* hint) {
  auto type = in.get(name);
  if (!type || upper(*type) == "PEM")
    return {};
  if (upper(*type) == "JKS" || upper(*type) == "PKCS12")
    return refuse(name, upper(*type) + " is not supported, only PEM (" + hint + ")");
  return refuse(name, "'" + *type + "' is not supported, only PEM");
}

std::expected<tls_config, std::string> parse_tls(const security_reader& in) {
  tls_config tls;
  if (auto ok = check_store_type(in, "ssl.truststore.type",
                                 "export the CA certificates: keytool -exportcert -rfc -keystore truststore.jks -alias ca");
      !ok)
    return std::unexpected(ok.error());
  if (auto ok = check_store_type(in, "ssl.keystore.type",
                                 "convert the key store: openssl pkcs12 -in keystore.p12 -out client.pem, after "
                                 "keytool -importkeystore -deststoretype PKCS12 for JKS");
      !ok)
    return std::unexpected(ok.error());
  if (in.given("ssl.truststore.password"))
    return refuse("ssl.truststore.password", "cannot be given for a PEM trust store (Java refuses it too)");
  if (in.given("ssl.keystore.password"))
    return refuse("ssl.keystore.password",
                  "cannot be given for a PEM key store; an encrypted private key takes ssl.key.password");

  // Whom to trust.
  auto ca_location = in.either("ssl.truststore.location", "ssl.ca.location");
  if (!ca_location)
    return std::unexpected(ca_location.error());
  auto ca_certificates = in.get("ssl.truststore.certificates");
  if (*ca_location && ca_certificates)
    return refuse("ssl.truststore.certificates", "cannot be given with " + (*ca_location)->name);
  if (*ca_location) {
    auto& [name, path] = **ca_location;
    auto text = read_pem_file(path);
    if (!text)
      return refuse(name, text.error());
    if (auto n = protocol::count_pem_certificates(*text); !n)
      return refuse(name, path + " " + n.error());
    tls.ca_file = path;
  }
  if (ca_certificates) {
    if (auto n = protocol::count_pem_certificates(*ca_certificates); !n)
      return refuse("ssl.truststore.certificates", n.error());
    tls.ca_pem = *ca_certificates;
  }

  // Who we are (mutual TLS), in one of three forms.
  auto keystore = in.get("ssl.keystore.location");
  auto chain = in.get("ssl.keystore.certificate.chain");
  auto key = in.get("ssl.keystore.key");
  auto certificate_file = in.get("ssl.certificate.location");
  auto key_file = in.get("ssl.key.location");
  if (key && !chain)
    return refuse("ssl.keystore.certificate.chain", "required with ssl.keystore.key");
  if (chain && !key)
    return refuse("ssl.keystore.key", "required with ssl.keystore.certificate.chain");
  if (keystore && key)
    return refuse("ssl.keystore.key", "cannot be given with ssl.keystore.location");
  if (certificate_file && !key_file)
    return refuse("ssl.key.location", "required with ssl.certificate.location");
  if (key_file && !certificate_file)
    return refuse("ssl.certificate.location", "required with ssl.key.location");
  if (certificate_file && (keystore || key))
    return refuse("ssl.certificate.location",
                  std::string("cannot be given with ") + (keystore ? "ssl.keystore.location" : "ssl.keystore.key"));
  // Where the chain and the key come from: the property, the file (for errors), the PEM text.
  struct pem_source {
    std::string property, where, text;
  } chain_source, key_source;
  if (keystore) {
    auto text = read_pem_file(*keystore);
    if (!text)
      return refuse("ssl.keystore.location", text.error());
    chain_source = {"ssl.keystore.location", *keystore + " ", *text};
    key_source = {"ssl.keystore.location", *keystore, std::move(*text)};
    tls.certificate_chain_file = tls.private_key_file = *keystore;
  } else if (key) {
    chain_source = {"ssl.keystore.certificate.chain", "", *chain};
    key_source = {"ssl.keystore.key", "ssl.keystore.key", *key};
    tls.certificate_chain_pem = *chain;
    tls.private_key_pem = *key;
  } else if (certificate_file) {
    auto certificates = read_pem_file(*certificate_file);
    if (!certificates)
      return refuse("ssl.certificate.location", certificates.error());
    auto text = read_pem_file(*key_file);
    if (!text)
      return refuse("ssl.key.location", text.error());
    chain_source = {"ssl.certificate.location", *certificate_file + " ", std::move(*certificates)};
    key_source = {"ssl.key.location", *key_file, std::move(*text)};
    tls.certificate_chain_file = *certificate_file;
    tls.private_key_file = *key_file;
  }
  tls.key_password = in.get("ssl.key.password").value_or("");
  if (keystore || key || certificate_file) {
    if (auto n = protocol::count_pem_certificates(chain_source.text); !n)
      return refuse(chain_source.property, chain_source.where + n.error());
    auto problem = protocol::check_pem_private_key(key_source.text, tls.key_password, chain_source.text);
    std::fill(key_source.text.begin(), key_source.text.end(), '\0');
    switch (problem) {
      case protocol::pem_key_problem::none: break;
      case protocol::pem_key_problem::unreadable:
        return refuse(key_source.property, "no PEM private key OpenSSL can read in " + key_source.where);
      case protocol::pem_key_problem::needs_password:
        return refuse("ssl.key.password", "required: the private key in " + key_source.where + " is encrypted");
      case protocol::pem_key_problem::wrong_password:
        return refuse("ssl.key.password", "does not decrypt the private key in " + key_source.where);
      case protocol::pem_key_problem::not_matching:
        return refuse(key_source.property,
                      "the private key in " + key_source.where + " does not belong to the first certificate of the chain");
    }
  }
  return tls;
}

// token_provider: the application gave OAUTHBEARER tokens through producer_options.
std::expected<protocol::sasl_settings, std::string> parse_sasl(const security_reader& in, security_protocol sp,
                                                                bool token_provider) {
  protocol::sasl_settings s;
  auto mechanism = in.either("sasl.mechanism", "sasl.mechanisms");
  if (!mechanism)
    return std::unexpected(mechanism.error());
  const char* known = "PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER";
  if (!*mechanism)
    return refuse("sasl.mechanism", "required with " + std::string(name_of(sp)) + ": " + known
                                      + " (Java's default, GSSAPI, is not supported)");
  auto& [mechanism_property, mechanism_name] = **mechanism;
  auto m = protocol::parse_sasl_mechanism(mechanism_name);
  if (!m && mechanism_name == "GSSAPI")
    return refuse(mechanism_property, std::string("GSSAPI (Kerberos) is not supported: ") + known);
  if (!m)
    return refuse(mechanism_property, "'" + mechanism_name + "' is not one of " + known);
  s.mechanism = *m;
  if (token_provider && s.mechanism != protocol::sasl_mechanism::oauthbearer)
    return refuse(mechanism_property, "the OAUTHBEARER token provider (producer_options::oauthbearer_token) needs "
                                      "sasl.mechanism=OAUTHBEARER, not "
                                        + std::string(protocol::name_of(s.mechanism)));

  auto jaas = in.get("sasl.jaas.config");
  auto username = in.get("sasl.username");
  auto password = in.get("sasl.password");
  auto token_file = in.get("sasl.oauthbearer.token.file");
  if (jaas && (username || password))
    return refuse(username ? "sasl.username" : "sasl.password",
                  "cannot be given with sasl.jaas.config (give the credentials in one of them)");
  if (token_file && s.mechanism != protocol::sasl_mechanism::oauthbearer)
    return refuse("sasl.oauthbearer.token.file", "only for sasl.mechanism=OAUTHBEARER");
  std::optional<jaas_entry> entry;
  if (jaas) {
    auto parsed = parse_jaas_config(*jaas);
    if (!parsed)
      return refuse("sasl.jaas.config", parsed.error());
    if (parsed->size() != 1)
      return refuse("sasl.jaas.config", "one login module expected, " + std::to_string(parsed->size()) + " given");
    entry = std::move(parsed->front());
    std::set<std::string> seen;
    for (auto& option : entry->options)
      if (!seen.insert(option.first).second)
        return refuse("sasl.jaas.config", "option '" + option.first + "' is given twice");
  }
  auto short_name = [](std::string_view module) { return std::string(module.substr(module.rfind('.') + 1)); };
  std::string name{protocol::name_of(s.mechanism)};

  if (s.mechanism != protocol::sasl_mechanism::oauthbearer) {
    // PLAIN and SCRAM take a username and a password. Java's PlainLoginModule and ScramLoginModule
    // both hand them to whichever of the two mechanisms is chosen, so both are accepted for both.
    if (entry) {
      if (entry->login_module != plain_login_module && entry->login_module != scram_login_module)
        return refuse("sasl.jaas.config", "login module '" + entry->login_module + "' does not work with " + name
                                            + "; use " + std::string(s.mechanism == protocol::sasl_mechanism::plain
                                                                       ? plain_login_module
                                                                       : scram_login_module));
      bool scram_module = entry->login_module == scram_login_module;
      bool username_given = false, password_given = false;
      for (auto& [key, value] : entry->options) {
        if (key == "username") {
          s.username = value;
          username_given = true;
        } else if (key == "password") {
          s.password = value;
          password_given = true;
        } else if (key == "tokenauth" && scram_module) {
          if (upper(value) != "TRUE" && upper(value) != "FALSE")
            return refuse("sasl.jaas.config", "tokenauth must be true or false");
          s.scram_token_auth = upper(value) == "TRUE";
        } else {
          return refuse("sasl.jaas.config", short_name(entry->login_module) + " has no option '" + key + "'");
        }
      }
      if (!username_given || s.username.empty())
        return refuse("sasl.jaas.config", short_name(entry->login_module) + " needs username=\"...\"");
      if (!password_given || s.password.empty())
        return refuse("sasl.jaas.config", short_name(entry->login_module) + " needs password=\"...\"");
      if (s.scram_token_auth && s.mechanism == protocol::sasl_mechanism::plain)
        return refuse("sasl.jaas.config", "tokenauth (delegation tokens) works with SCRAM only");
    } else if (username || password) {
      if (!username)
        return refuse("sasl.username", "required with sasl.password");
      if (!password)
        return refuse("sasl.password", "required with sasl.username");
      s.username = *username;
      s.password = *password;
    } else {
      return refuse("sasl.jaas.config", "required with sasl.mechanism=" + name + ", e.g. "
                                          + std::string(s.mechanism == protocol::sasl_mechanism::plain ? plain_login_module
                                                                                                      : scram_login_module)
                                          + " required username=\"...\" password=\"...\"; (or sasl.username and sasl.password)");
    }
    if (s.username.find('\0') != std::string::npos || s.password.find('\0') != std::string::npos)
      return refuse(entry ? "sasl.jaas.config" : "sasl.username", "the username and the password must not contain NUL");
    return s;
  }

  // OAUTHBEARER: a token file, or an unsecured JWT as Kafka's default login callback handler makes
  // it from unsecuredLogin* options (for tests and development).
  if (username || password)
    return refuse(username ? "sasl.username" : "sasl.password",
                  "not used with OAUTHBEARER (its token comes from sasl.jaas.config or sasl.oauthbearer.token.file)");
  protocol::unsecured_jwt jwt;
  bool claims = false;
  if (entry) {
    if (entry->login_module != oauthbearer_login_module)
      return refuse("sasl.jaas.config", "login module '" + entry->login_module + "' does not work with OAUTHBEARER; use "
                                          + std::string(oauthbearer_login_module));
    using kind = protocol::unsecured_jwt::claim_kind;
    const std::pair<std::string_view, kind> claim_prefixes[] = {{"unsecuredLoginStringClaim_", kind::string},
                                                               {"unsecuredLoginNumberClaim_", kind::number},
                                                               {"unsecuredLoginListClaim_", kind::list}};
    constexpr std::string_view extension_prefix = "unsecuredLoginExtension_";
    for (auto& [key, value] : entry->options) {
      bool claim = false;
      for (auto& [prefix, k] : claim_prefixes)
        if (key.size() > prefix.size() && key.starts_with(prefix)) {
          jwt.claims.push_back({key.substr(prefix.size()), k, value});
          claims = claim = true;
        }
      if (claim)
        continue;
      if (key.size() > extension_prefix.size() && key.starts_with(extension_prefix)) {
        s.oauthbearer_extensions.emplace_back(key.substr(extension_prefix.size()), value);
      } else if (key == "unsecuredLoginPrincipalClaimName") {
        if (!trim(value).empty())
          jwt.principal_claim = trim(value);
      } else if (key == "unsecuredLoginLifetimeSeconds") {
        auto seconds = parse_int<int64_t>(trim(value), 1, INT64_MAX / 1000);
        if (!seconds)
          return refuse("sasl.jaas.config", "unsecuredLoginLifetimeSeconds must be a positive integer");
        jwt.lifetime_seconds = *seconds;
      } else if (key == "unsecuredLoginScopeClaimName") {
        // Names the claim a broker reads the scope from; the client has nothing to do with it.
      } else {
        return refuse("sasl.jaas.config", "OAuthBearerLoginModule option '" + key
                                            + "' is not supported: cafka takes unsecuredLogin* options or "
                                              "sasl.oauthbearer.token.file (no OAuth client credentials flow)");
      }
    }
  }
  if (token_file && claims)
    return refuse("sasl.oauthbearer.token.file", "cannot be given with unsecured JWT claims in sasl.jaas.config");
  if (token_provider && (token_file || claims))
    return refuse(token_file ? "sasl.oauthbearer.token.file" : "sasl.jaas.config",
                  "cannot give a token with the token provider (producer_options::oauthbearer_token) given");
  if (!token_file && !claims && !token_provider)
    return refuse(entry ? "sasl.jaas.config" : "sasl.oauthbearer.token.file",
                  "OAUTHBEARER needs a token: a file (sasl.oauthbearer.token.file) or an unsecured JWT "
                  "(sasl.jaas.config with unsecuredLoginStringClaim_sub=\"...\")");
  if (auto ok = protocol::check_oauthbearer_extensions(s.oauthbearer_extensions); !ok)
    return refuse("sasl.jaas.config", ok.error());
  if (claims) {
    if (auto ok = protocol::check_unsecured_jwt(jwt); !ok)
      return refuse("sasl.jaas.config", ok.error());
    s.oauthbearer_unsecured = std::move(jwt);
  }
  if (token_file) {
    // Read now to fail at spawn; read again at every authentication.
    auto token = protocol::read_oauthbearer_token_file(*token_file);
    if (!token)
      return refuse("sasl.oauthbearer.token.file", token.error());
    std::fill(token->begin(), token->end(), '\0');
    s.oauthbearer_token_file = *token_file;
  }
  return s;
}

} // namespace

std::string_view name_of(security_protocol p) {
  switch (p) {
    case security_protocol::plaintext: return "PLAINTEXT";
    case security_protocol::ssl: return "SSL";
    case security_protocol::sasl_plaintext: return "SASL_PLAINTEXT";
    case security_protocol::sasl_ssl: return "SASL_SSL";
  }
  return "?";
}

std::expected<security_config, std::string> parse_security_config(const properties& props, bool oauthbearer_token_provider) {
  security_reader in{props};
  security_config sc;
  if (auto p = in.get("security.protocol")) {
    // Java and librdkafka take any case (kcat users write sasl_ssl).
    bool known = false;
    for (auto candidate : {security_protocol::plaintext, security_protocol::ssl, security_protocol::sasl_plaintext,
                           security_protocol::sasl_ssl})
      if (upper(*p) == name_of(candidate)) {
        sc.protocol = candidate;
        known = true;
      }
    if (!known)
      return refuse("security.protocol", "'" + *p + "' is not one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL");
  }
  if (sc.protocol == security_protocol::ssl || sc.protocol == security_protocol::sasl_ssl) {
    auto tls = parse_tls(in);
    if (!tls)
      return std::unexpected(tls.error());
    // https (the default) or empty, which turns the check off: read from props, since the reader
    // takes an empty value for "not given".
    if (auto i = props.find("ssl.endpoint.identification.algorithm"); i != props.end()) {
      auto algorithm = trim(i->second);
      if (algorithm.empty())
        tls->verify_hostname = false;
      else if (upper(algorithm) != "HTTPS")
        return refuse("ssl.endpoint.identification.algorithm", "'" + algorithm + "' is not https or empty (no host name check)");
    }
    sc.tls = std::move(*tls);
  }
  if (sc.protocol == security_protocol::sasl_plaintext || sc.protocol == security_protocol::sasl_ssl) {
    auto sasl = parse_sasl(in, sc.protocol, oauthbearer_token_provider);
    if (!sasl)
      return std::unexpected(sasl.error());
    sc.sasl = std::move(*sasl);
  }
  return sc;
}

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

std::expected<producer_config, std::string> parse_config(const properties& props, bool oauthbearer_token_provider) {
  producer_config c;
  for (auto& [name, value] : props) {
    if (security_properties().count(name))
      continue; // parse_security_config's
    auto i = setters().find(name);
    if (i == setters().end())
      return std::unexpected(name + ": unknown property");
    if (auto ok = i->second(c, trim(value)); !ok)
      return std::unexpected(name + ": " + ok.error());
  }
  if (c.bootstrap_servers.empty())
    return std::unexpected("bootstrap.servers: required, e.g. 127.0.0.1:9092");
  auto security = parse_security_config(props, oauthbearer_token_provider);
  if (!security)
    return std::unexpected(security.error());
  c.security = std::move(*security);
  if (c.client_id.empty()) {
    static std::atomic<int> next{1};
    c.client_id = "cafka-producer-" + std::to_string(next++);
  }
  // Java's rules: idempotence set explicitly conflicts loudly; left at its default it yields quietly,
  // unless a transactional.id needs it (ProducerConfig.postProcessAndValidateIdempotenceConfigs).
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
  if (c.transactional() && !c.enable_idempotence)
    return std::unexpected("transactional.id: Cannot set a transactional.id without also enabling idempotence.");
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
