// libFuzzer target: what a broker answers the SASL clients. The first byte picks the mechanism (SCRAM-SHA-256,
// SCRAM-SHA-512, OAUTHBEARER, PLAIN); the rest is the server's messages, separated by '\n'. The SCRAM
// client's nonce is RFC 7677's, so that the seed's server-first message gets through to the proof.
#include "protocol/sasl.hpp"

#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cafka::protocol;
  if (size == 0)
    return 0;
  std::unique_ptr<sasl_client> client;
  switch (data[0] % 4) {
    case 0: client = std::make_unique<scram_client>(sasl_mechanism::scram_sha_256, "user", "pencil",
                                                    std::vector<std::pair<std::string, std::string>>{}, "rOprNGfwEbeRWgbNEkqO"); break;
    case 1: client = std::make_unique<scram_client>(sasl_mechanism::scram_sha_512, "user", "pencil",
                                                    std::vector<std::pair<std::string, std::string>>{}, "rOprNGfwEbeRWgbNEkqO"); break;
    case 2: client = std::make_unique<oauthbearer_client>("token"); break;
    default: client = std::make_unique<plain_client>("user", "pencil");
  }
  if (!client->initial_response().has_value())
    return 0;
  std::string_view rest{reinterpret_cast<const char*>(data + 1), size - 1};
  while (!client->complete()) {
    auto end = rest.find('\n');
    auto message = rest.substr(0, end);
    auto next = client->evaluate(as_bytes(message));
    if (!next.has_value() || !next->has_value() || end == std::string_view::npos)
      break;
    rest.remove_prefix(end + 1);
  }
  (void)client->server_error();
  return 0;
}
