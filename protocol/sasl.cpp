#include "protocol/sasl.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <set>

namespace cafka::protocol {

namespace {

void cleanse(std::string& s) {
  if (!s.empty())
    OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

void cleanse(byte_buffer& b) {
  if (!b.empty())
    OPENSSL_cleanse(b.data(), b.size());
  b.clear();
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Text the server sent, fit for an error message: printable ASCII, at most 200 characters.
std::string printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 200))
    out += (c >= 0x20 && c <= 0x7e) ? c : '?';
  if (s.size() > 200)
    out += "...";
  return out;
}

std::vector<std::string_view> split(std::string_view s, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t end = s.find(separator, start);
    if (end == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, end - start));
    start = end + 1;
  }
}

byte_buffer to_bytes(std::string_view s) {
  auto b = as_bytes(s);
  return {b.begin(), b.end()};
}

// ---- OpenSSL 3 (EVP) ----------------------------------------------------------------------------

const EVP_MD* digest_of(sasl_mechanism m) {
  return m == sasl_mechanism::scram_sha_512 ? EVP_sha512() : EVP_sha256();
}

const char* digest_name(sasl_mechanism m) {
  return m == sasl_mechanism::scram_sha_512 ? "SHA512" : "SHA256";
}

std::optional<byte_buffer> hmac(sasl_mechanism m, byte_span key, byte_span data) {
  byte_buffer out(EVP_MAX_MD_SIZE);
  size_t n = 0;
  if (!EVP_Q_mac(nullptr, "HMAC", nullptr, digest_name(m), nullptr, key.data(), key.size(), data.data(),
                 data.size(), out.data(), out.size(), &n))
    return std::nullopt;
  out.resize(n);
  return out;
}

std::optional<byte_buffer> hash(sasl_mechanism m, byte_span data) {
  byte_buffer out(EVP_MAX_MD_SIZE);
  unsigned int n = 0;
  if (!EVP_Digest(data.data(), data.size(), out.data(), &n, digest_of(m), nullptr))
    return std::nullopt;
  out.resize(n);
  return out;
}

// RFC 5802's Hi(): PBKDF2 with HMAC and one block of the hash's size.
std::optional<byte_buffer> hi(sasl_mechanism m, std::string_view password, byte_span salt, int32_t iterations) {
  byte_buffer out(static_cast<size_t>(EVP_MD_get_size(digest_of(m))));
  if (!PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt.data(), static_cast<int>(salt.size()),
                         iterations, digest_of(m), static_cast<int>(out.size()), out.data()))
    return std::nullopt;
  return out;
}

// ---- JSON, as little as the OAUTHBEARER error and the unsecured JWT need ------------------------

std::string json_string(std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = "\"";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (u < 0x20) {
          out += "\\u00";
          out += hex[u >> 4];
          out += hex[u & 15];
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

// RFC 8259's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
bool json_number(std::string_view s) {
  size_t i = 0;
  auto digits = [&] {
    size_t from = i;
    while (i < s.size() && is_digit(s[i]))
      ++i;
    return i > from;
  };
  if (i < s.size() && s[i] == '-')
    ++i;
  if (i < s.size() && s[i] == '0')
    ++i;
  else if (!digits())
    return false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits())
      return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-'))
      ++i;
    if (!digits())
      return false;
  }
  return i == s.size();
}

class json_reader {
public:
  explicit json_reader(std::string_view in) : in_(in) {}

  // A flat object; string members are kept, members of other types skipped.
  std::optional<std::vector<std::pair<std::string, std::string>>> object() {
    std::vector<std::pair<std::string, std::string>> members;
    if (!eat('{'))
      return std::nullopt;
    if (eat('}'))
      return end() ? std::optional{members} : std::nullopt;
    do {
      auto key = string();
      if (!key || !eat(':'))
        return std::nullopt;
      space();
      if (pos_ < in_.size() && in_[pos_] == '"') {
        auto value = string();
        if (!value)
          return std::nullopt;
        members.emplace_back(std::move(*key), std::move(*value));
      } else if (!scalar()) {
        return std::nullopt;
      }
    } while (eat(','));
    if (!eat('}') || !end())
      return std::nullopt;
    return members;
  }

private:
  void space() {
    while (pos_ < in_.size() && (in_[pos_] == ' ' || in_[pos_] == '\t' || in_[pos_] == '\r' || in_[pos_] == '\n'))
      ++pos_;
  }
  bool eat(char c) {
    space();
    if (pos_ < in_.size() && in_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool end() {
    space();
    return pos_ == in_.size();
  }
  // A number, true, false or null: skipped up to the next ',' or '}'.
  bool scalar() {
    size_t from = pos_;
    while (pos_ < in_.size() && in_[pos_] != ',' && in_[pos_] != '}')
      ++pos_;
    auto token = in_.substr(from, pos_ - from);
    while (!token.empty() && (token.back() == ' ' || token.back() == '\t' || token.back() == '\r' || token.back() == '\n'))
      token.remove_suffix(1);
    return token == "true" || token == "false" || token == "null" || json_number(token);
  }
  std::optional<std::string> string() {
    if (!eat('"'))
      return std::nullopt;
    std::string out;
    while (pos_ < in_.size()) {
      char c = in_[pos_++];
      if (c == '"')
        return out;
      if (static_cast<unsigned char>(c) < 0x20)
        return std::nullopt;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= in_.size())
        return std::nullopt;
      switch (char e = in_[pos_++]) {
        case '"': case '\\': case '/': out += e; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          if (pos_ + 4 > in_.size())
            return std::nullopt;
          unsigned code = 0;
          for (int k = 0; k < 4; ++k) {
            char h = in_[pos_++];
            code <<= 4;
            if (is_digit(h))
              code |= static_cast<unsigned>(h - '0');
            else if (h >= 'a' && h <= 'f')
              code |= static_cast<unsigned>(h - 'a' + 10);
            else if (h >= 'A' && h <= 'F')
              code |= static_cast<unsigned>(h - 'A' + 10);
            else
              return std::nullopt;
          }
          // UTF-8 of the code unit; a surrogate half stays as it is (this is for error texts only).
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
        default: return std::nullopt;
      }
    }
    return std::nullopt;
  }

  std::string_view in_;
  size_t pos_ = 0;
};

} // namespace

// ---- Primitives ---------------------------------------------------------------------------------

namespace {

std::string base64_with(byte_span bytes, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = uint32_t{bytes[i]} << 16 | uint32_t{bytes[i + 1]} << 8 | bytes[i + 2];
    out += alphabet[v >> 18];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t v = uint32_t{bytes[i]} << 16 | (rest == 2 ? uint32_t{bytes[i + 1]} << 8 : 0);
    out += alphabet[v >> 18];
    out += alphabet[(v >> 12) & 63];
    if (rest == 2)
      out += alphabet[(v >> 6) & 63];
    if (pad)
      out += rest == 2 ? "=" : "==";
  }
  return out;
}

} // namespace

std::string base64_encode(byte_span bytes) {
  return base64_with(bytes, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", true);
}

std::string base64url_encode(byte_span bytes) {
  return base64_with(bytes, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", false);
}

std::optional<byte_buffer> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0)
    return std::nullopt;
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z')
      return c - 'A';
    if (c >= 'a' && c <= 'z')
      return c - 'a' + 26;
    if (is_digit(c))
      return c - '0' + 52;
    if (c == '+')
      return 62;
    if (c == '/')
      return 63;
    return -1;
  };
  byte_buffer out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    bool last = i + 4 == text.size();
    int pads = 0;
    if (last && text[i + 3] == '=')
      pads = text[i + 2] == '=' ? 2 : 1;
    uint32_t v = 0;
    for (size_t k = 0; k < 4; ++k) {
      int d = k >= 4 - static_cast<size_t>(pads) ? 0 : value(text[i + k]);
      if (d < 0)
        return std::nullopt;
      v = v << 6 | static_cast<uint32_t>(d);
    }
    // Bits the padding drops must be zero (one encoding per byte string).
    if ((pads == 1 && (v & 0xff) != 0) || (pads == 2 && (v & 0xffff) != 0))
      return std::nullopt;
    out.push_back(static_cast<uint8_t>(v >> 16));
    if (pads < 2)
      out.push_back(static_cast<uint8_t>(v >> 8));
    if (pads < 1)
      out.push_back(static_cast<uint8_t>(v));
  }
  return out;
}

std::string_view name_of(sasl_mechanism m) {
  switch (m) {
    case sasl_mechanism::plain: return "PLAIN";
    case sasl_mechanism::scram_sha_256: return "SCRAM-SHA-256";
    case sasl_mechanism::scram_sha_512: return "SCRAM-SHA-512";
    case sasl_mechanism::oauthbearer: return "OAUTHBEARER";
  }
  return "?";
}

std::optional<sasl_mechanism> parse_sasl_mechanism(std::string_view name) {
  for (auto m : {sasl_mechanism::plain, sasl_mechanism::scram_sha_256, sasl_mechanism::scram_sha_512,
                 sasl_mechanism::oauthbearer})
    if (name == name_of(m))
      return m;
  return std::nullopt;
}

// ---- PLAIN --------------------------------------------------------------------------------------

plain_client::plain_client(std::string username, std::string password)
  : username_(std::move(username)), password_(std::move(password)) {
}

plain_client::~plain_client() {
  cleanse(password_);
}

result<byte_buffer> plain_client::initial_response() {
  if (state_ != state::send_initial) {
    state_ = state::failed;
    return unexpected("PLAIN: the initial response was asked for twice");
  }
  if (username_.find('\0') != std::string::npos || password_.find('\0') != std::string::npos) {
    state_ = state::failed;
    return unexpected("PLAIN: the username and the password must not contain NUL characters");
  }
  byte_buffer out;
  out.reserve(username_.size() + password_.size() + 2);
  out.push_back(0); // no authorization id
  auto user = as_bytes(username_);
  out.insert(out.end(), user.begin(), user.end());
  out.push_back(0);
  auto pass = as_bytes(password_);
  out.insert(out.end(), pass.begin(), pass.end());
  cleanse(password_);
  state_ = state::receive_outcome;
  return out;
}

result<std::optional<byte_buffer>> plain_client::evaluate(byte_span challenge) {
  if (state_ != state::receive_outcome) {
    state_ = state::failed;
    return unexpected("PLAIN: a server message after the exchange ended");
  }
  if (!challenge.empty()) {
    state_ = state::failed;
    return unexpected("PLAIN: the server answered with " + std::to_string(challenge.size())
                      + " bytes where RFC 4616 allows none");
  }
  state_ = state::complete;
  return std::optional<byte_buffer>{};
}

// ---- SCRAM --------------------------------------------------------------------------------------

std::string scram_saslname(std::string_view username) {
  std::string out;
  for (char c : username) {
    if (c == ',')
      out += "=2C";
    else if (c == '=')
      out += "=3D";
    else
      out += c;
  }
  return out;
}

scram_client::scram_client(sasl_mechanism mechanism, std::string username, std::string password,
                           std::vector<std::pair<std::string, std::string>> extensions, std::string nonce)
  : mechanism_(mechanism),
    username_(std::move(username)),
    password_(std::move(password)),
    extensions_(std::move(extensions)),
    client_nonce_(std::move(nonce)) {
}

scram_client::~scram_client() {
  cleanse(password_);
  cleanse(salted_password_);
}

unexpected scram_client::fail(std::string why) {
  state_ = state::failed;
  cleanse(password_);
  cleanse(salted_password_);
  return unexpected(std::string(name_of(mechanism_)) + ": " + std::move(why));
}

result<byte_buffer> scram_client::initial_response() {
  if (mechanism_ != sasl_mechanism::scram_sha_256 && mechanism_ != sasl_mechanism::scram_sha_512)
    return fail("not a SCRAM mechanism");
  if (state_ != state::send_client_first)
    return fail("the client-first message was asked for twice");
  if (client_nonce_.empty()) {
    std::array<uint8_t, 24> random{};
    if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1)
      return fail("OpenSSL's RAND_bytes gave no nonce");
    client_nonce_ = base64_encode(random);
  }
  for (char c : client_nonce_)
    if (c < 0x21 || c > 0x7e || c == ',')
      return fail("the client nonce must be printable ASCII without ','");
  if (username_.find('\0') != std::string::npos)
    return fail("the username must not contain NUL characters");
  client_first_bare_ = "n=" + scram_saslname(username_) + ",r=" + client_nonce_;
  for (auto& [key, value] : extensions_) {
    if (key.empty() || !std::all_of(key.begin(), key.end(), is_alpha))
      return fail("extension name '" + printable(key) + "' is not alphabetic");
    if (value.empty() || value.find_first_of(std::string_view{",\0", 2}) != std::string::npos)
      return fail("extension '" + key + "' has an empty value or one with ',' or NUL");
    client_first_bare_ += "," + key + "=" + value;
  }
  state_ = state::receive_server_first;
  return to_bytes("n,," + client_first_bare_);
}

result<std::optional<byte_buffer>> scram_client::evaluate(byte_span challenge) {
  auto message = as_chars(challenge);
  switch (state_) {
    case state::receive_server_first: return on_server_first(message);
    case state::receive_server_final: return on_server_final(message);
    case state::send_client_first: return fail("a server message before the client-first message");
    case state::complete: return fail("a server message after the exchange completed");
    case state::failed: return fail("a server message after the exchange failed");
  }
  return fail("unknown state");
}

result<std::optional<byte_buffer>> scram_client::on_server_first(std::string_view message) {
  // [m=...,]r=<nonce>,s=<salt>,i=<iterations>[,<extensions>]
  auto attributes = split(message, ',');
  if (!attributes.empty() && starts_with(attributes[0], "m="))
    return fail("the server-first message requires an extension (m=) cafka does not know");
  if (attributes.size() < 3 || !starts_with(attributes[0], "r=") || !starts_with(attributes[1], "s=")
      || !starts_with(attributes[2], "i="))
    return fail("the server-first message is not r=...,s=...,i=...");
  // Extensions as Kafka's grammar has them: [A-Za-z]+=value (RFC 5802: one letter).
  for (size_t k = 3; k < attributes.size(); ++k) {
    auto key_end = attributes[k].find('=');
    auto key = attributes[k].substr(0, key_end);
    if (key_end == std::string_view::npos || key.empty() || !std::all_of(key.begin(), key.end(), is_alpha)
        || key_end + 1 == attributes[k].size())
      return fail("the server-first message has a malformed extension");
  }
  auto nonce = attributes[0].substr(2);
  for (char c : nonce)
    if (c < 0x21 || c > 0x7e)
      return fail("the server nonce is not printable ASCII");
  if (!starts_with(nonce, client_nonce_) || nonce.size() <= client_nonce_.size())
    return fail("the server nonce does not extend the client nonce (a reply to another exchange?)");
  auto salt = base64_decode(attributes[1].substr(2));
  if (!salt || salt->empty())
    return fail("the salt is not base64");
  auto count = attributes[2].substr(2);
  if (count.empty() || count.size() > 9 || !std::all_of(count.begin(), count.end(), is_digit))
    return fail("the iteration count is not a number");
  int32_t iterations = std::stoi(std::string(count));
  if (iterations < min_iterations)
    return fail("the server asks for " + std::to_string(iterations) + " iterations, fewer than the minimum "
                + std::to_string(min_iterations));
  if (iterations > max_iterations)
    return fail("the server asks for " + std::to_string(iterations) + " iterations, more than Kafka's maximum "
                + std::to_string(max_iterations));

  auto salted = hi(mechanism_, password_, *salt, iterations);
  cleanse(password_);
  if (!salted)
    return fail("OpenSSL's PBKDF2 failed");
  salted_password_ = std::move(*salted);
  auto client_key = hmac(mechanism_, salted_password_, as_bytes("Client Key"));
  if (!client_key)
    return fail("OpenSSL's HMAC failed");
  auto stored_key = hash(mechanism_, *client_key);
  // c=biws: base64 of the GS2 header "n,," (no channel binding, no authorization id).
  std::string final_without_proof = "c=biws,r=" + std::string(nonce);
  auth_message_ = client_first_bare_ + "," + std::string(message) + "," + final_without_proof;
  auto signature = stored_key ? hmac(mechanism_, *stored_key, as_bytes(auth_message_)) : std::nullopt;
  if (!signature) {
    cleanse(*client_key);
    return fail("OpenSSL's HMAC failed");
  }
  byte_buffer proof(client_key->size());
  for (size_t k = 0; k < proof.size(); ++k)
    proof[k] = (*client_key)[k] ^ (*signature)[k];
  cleanse(*client_key);
  cleanse(*stored_key);
  state_ = state::receive_server_final;
  return std::optional{to_bytes(final_without_proof + ",p=" + base64_encode(proof))};
}

result<std::optional<byte_buffer>> scram_client::on_server_final(std::string_view message) {
  // e=<error> | v=<signature>, then extensions.
  auto first = message.substr(0, message.find(','));
  if (starts_with(first, "e="))
    return fail("the server refused the authentication: " + printable(first.substr(2)));
  if (!starts_with(first, "v="))
    return fail("the server-final message is neither v=... nor e=...");
  auto claimed = base64_decode(first.substr(2));
  if (!claimed)
    return fail("the server signature is not base64");
  auto server_key = hmac(mechanism_, salted_password_, as_bytes("Server Key"));
  auto expected = server_key ? hmac(mechanism_, *server_key, as_bytes(auth_message_)) : std::nullopt;
  if (!expected)
    return fail("OpenSSL's HMAC failed");
  cleanse(*server_key);
  if (claimed->size() != expected->size() || CRYPTO_memcmp(claimed->data(), expected->data(), expected->size()) != 0)
    return fail("the server signature is wrong: the server does not know this user's credentials");
  cleanse(salted_password_);
  state_ = state::complete;
  return std::optional<byte_buffer>{};
}

// ---- OAUTHBEARER --------------------------------------------------------------------------------

std::string oauthbearer_server_error::text() const {
  std::string out = status;
  std::string details;
  if (!scope.empty())
    details += "scope: " + scope;
  if (!openid_configuration.empty())
    details += (details.empty() ? "" : ", ") + std::string("openid-configuration: ") + openid_configuration;
  if (!details.empty())
    out += " (" + details + ")";
  return out;
}

result<oauthbearer_server_error> parse_oauthbearer_error(std::string_view json) {
  auto members = json_reader{json}.object();
  if (!members)
    return unexpected("the OAUTHBEARER error is not a JSON object");
  oauthbearer_server_error e;
  for (auto& [key, value] : *members) {
    if (key == "status")
      e.status = printable(value);
    else if (key == "scope")
      e.scope = printable(value);
    else if (key == "openid-configuration")
      e.openid_configuration = printable(value);
  }
  if (e.status.empty())
    return unexpected("the OAUTHBEARER error has no status");
  return e;
}

bool valid_bearer_token(std::string_view token) {
  size_t i = 0;
  auto token_char = [](char c) {
    return is_alpha(c) || is_digit(c) || c == '-' || c == '_' || c == '~' || c == '+' || c == '/' || c == '.';
  };
  while (i < token.size() && token_char(token[i]))
    ++i;
  if (i == 0)
    return false;
  while (i < token.size() && token[i] == '=')
    ++i;
  return i == token.size();
}

result<void> check_oauthbearer_extensions(const std::vector<std::pair<std::string, std::string>>& extensions) {
  std::set<std::string> seen;
  for (auto& [key, value] : extensions) {
    if (key.empty() || !std::all_of(key.begin(), key.end(), is_alpha))
      return unexpected("extension name '" + printable(key) + "' is not alphabetic");
    if (key == "auth")
      return unexpected("extension name 'auth' is reserved");
    if (!seen.insert(key).second)
      return unexpected("extension '" + key + "' is given twice");
    auto ok = [](char c) { return (c >= 0x21 && c <= 0x7e) || c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    if (value.empty() || !std::all_of(value.begin(), value.end(), ok))
      return unexpected("extension '" + key + "' needs a value of printable ASCII");
  }
  return {};
}

oauthbearer_client::oauthbearer_client(std::string token, std::vector<std::pair<std::string, std::string>> extensions)
  : token_(std::move(token)), extensions_(std::move(extensions)) {
}

oauthbearer_client::~oauthbearer_client() {
  cleanse(token_);
}

result<byte_buffer> oauthbearer_client::initial_response() {
  auto failed = [this](std::string why) {
    state_ = state::failed;
    cleanse(token_);
    return unexpected("OAUTHBEARER: " + std::move(why));
  };
  if (state_ != state::send_initial)
    return failed("the initial response was asked for twice");
  if (!valid_bearer_token(token_))
    return failed("the token is not a bearer token (RFC 6750: [-_~+/.A-Za-z0-9]+ then '='s)");
  if (auto ok = check_oauthbearer_extensions(extensions_); !ok)
    return failed(ok.error());
  std::string message = "n,,\x01" "auth=Bearer " + token_;
  for (auto& [key, value] : extensions_)
    message += "\x01" + key + "=" + value;
  message += "\x01\x01";
  cleanse(token_);
  state_ = state::receive_outcome;
  auto bytes = to_bytes(message);
  cleanse(message);
  return bytes;
}

result<std::optional<byte_buffer>> oauthbearer_client::evaluate(byte_span challenge) {
  switch (state_) {
    case state::receive_outcome:
      if (challenge.empty()) {
        state_ = state::complete;
        return std::optional<byte_buffer>{};
      }
      // RFC 7628 3.2.2: the server's error; the client answers with a lone %x01 and the server
      // then fails the exchange (Kafka: SASL_AUTHENTICATION_FAILED with the JSON as its message).
      raw_server_error_ = printable(as_chars(challenge));
      if (auto parsed = parse_oauthbearer_error(as_chars(challenge)))
        server_error_ = std::move(*parsed);
      state_ = state::receive_failure;
      return std::optional{byte_buffer{0x01}};
    case state::receive_failure:
      state_ = state::failed;
      return unexpected("OAUTHBEARER: the server refused the token: " + server_error());
    case state::send_initial:
      state_ = state::failed;
      return unexpected("OAUTHBEARER: a server message before the initial response");
    case state::complete:
    case state::failed:
      state_ = state::failed;
      return unexpected("OAUTHBEARER: a server message after the exchange ended");
  }
  return unexpected("OAUTHBEARER: unknown state");
}

std::string oauthbearer_client::server_error() const {
  return server_error_ ? server_error_->text() : raw_server_error_;
}

// ---- Unsecured JWT ------------------------------------------------------------------------------

result<void> check_unsecured_jwt(const unsecured_jwt& jwt) {
  std::set<std::string> names;
  bool principal = false;
  for (auto& c : jwt.claims) {
    if (c.name.empty())
      return unexpected("a claim without a name");
    if (c.name == "iat" || c.name == "exp")
      return unexpected("the '" + c.name + "' claim cannot be set, it is computed");
    if (!names.insert(c.name).second)
      return unexpected("the '" + c.name + "' claim is given twice");
    if (c.kind == unsecured_jwt::claim_kind::number && !json_number(c.value))
      return unexpected("the '" + c.name + "' claim is not a number");
    if (c.name == jwt.principal_claim) {
      if (c.kind != unsecured_jwt::claim_kind::string || c.value.empty())
        return unexpected("the principal claim '" + c.name + "' must be a non-empty string");
      principal = true;
    }
  }
  if (!principal)
    return unexpected("the principal claim '" + jwt.principal_claim + "' is missing");
  if (jwt.lifetime_seconds <= 0)
    return unexpected("the token lifetime must be positive");
  return {};
}

std::string make_unsecured_jwt(const unsecured_jwt& jwt, std::chrono::system_clock::time_point now) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  auto seconds = [](int64_t millis) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%lld.%03lld", static_cast<long long>(millis / 1000),
                  static_cast<long long>(millis % 1000));
    return std::string(buf);
  };
  std::string claims = "{\"exp\":" + seconds(ms + jwt.lifetime_seconds * 1000) + ",\"iat\":" + seconds(ms);
  for (auto& c : jwt.claims) {
    claims += "," + json_string(c.name) + ":";
    switch (c.kind) {
      case unsecured_jwt::claim_kind::string: claims += json_string(c.value); break;
      case unsecured_jwt::claim_kind::number: claims += c.value; break;
      case unsecured_jwt::claim_kind::list: {
        claims += "[";
        if (c.value.size() > 1) {
          auto elements = split(std::string_view{c.value}.substr(1), c.value[0]);
          for (size_t k = 0; k < elements.size(); ++k)
            claims += (k ? "," : "") + json_string(elements[k]);
        }
        claims += "]";
        break;
      }
    }
  }
  claims += "}";
  return base64url_encode(as_bytes("{\"alg\":\"none\"}")) + "." + base64url_encode(as_bytes(claims)) + ".";
}

// ---- Settings to client -------------------------------------------------------------------------

result<std::string> read_oauthbearer_token_file(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return unexpected("cannot read the token file " + path);
  std::string token;
  char buf[4096];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    token.append(buf, static_cast<size_t>(in.gcount()));
    if (token.size() > 1024 * 1024) {
      cleanse(token);
      return unexpected("the token file " + path + " is larger than 1 MiB");
    }
  }
  auto first = token.find_first_not_of(" \t\r\n");
  auto last = token.find_last_not_of(" \t\r\n");
  std::string trimmed = first == std::string::npos ? std::string{} : token.substr(first, last - first + 1);
  cleanse(token);
  if (trimmed.empty())
    return unexpected("the token file " + path + " is empty");
  if (!valid_bearer_token(trimmed)) {
    cleanse(trimmed);
    return unexpected("the token file " + path + " does not hold a bearer token ([-_~+/.A-Za-z0-9]+ then '='s)");
  }
  return trimmed;
}

result<std::unique_ptr<sasl_client>> make_sasl_client(const sasl_settings& s, std::chrono::system_clock::time_point now) {
  switch (s.mechanism) {
    case sasl_mechanism::plain:
      return std::unique_ptr<sasl_client>{std::make_unique<plain_client>(s.username, s.password)};
    case sasl_mechanism::scram_sha_256:
    case sasl_mechanism::scram_sha_512: {
      std::vector<std::pair<std::string, std::string>> extensions;
      if (s.scram_token_auth)
        extensions.emplace_back("tokenauth", "true");
      return std::unique_ptr<sasl_client>{
        std::make_unique<scram_client>(s.mechanism, s.username, s.password, std::move(extensions))};
    }
    case sasl_mechanism::oauthbearer: {
      std::string token;
      if (s.oauthbearer_token_provider) {
        auto provided = s.oauthbearer_token_provider();
        if (!provided)
          return unexpected("OAUTHBEARER: the token provider failed: " + provided.error());
        if (!valid_bearer_token(*provided)) {
          cleanse(*provided);
          return unexpected("OAUTHBEARER: the token provider's token is no bearer token ([-_~+/.A-Za-z0-9]+ then '='s)");
        }
        token = std::move(*provided);
      } else if (!s.oauthbearer_token_file.empty()) {
        auto from_file = read_oauthbearer_token_file(s.oauthbearer_token_file);
        if (!from_file)
          return unexpected("OAUTHBEARER: " + from_file.error());
        token = std::move(*from_file);
      } else if (s.oauthbearer_unsecured) {
        if (auto ok = check_unsecured_jwt(*s.oauthbearer_unsecured); !ok)
          return unexpected("OAUTHBEARER: " + ok.error());
        token = make_unsecured_jwt(*s.oauthbearer_unsecured, now);
      } else {
        return unexpected("OAUTHBEARER: no token (neither a token file nor unsecured JWT claims)");
      }
      return std::unique_ptr<sasl_client>{std::make_unique<oauthbearer_client>(std::move(token), s.oauthbearer_extensions)};
    }
  }
  return unexpected("unknown SASL mechanism");
}

} // namespace cafka::protocol
