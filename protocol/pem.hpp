// PEM certificates and private keys checked with OpenSSL, so that a TLS setting that cannot work
// fails when the producer is spawned (as Java's producer fails in its constructor), not at the
// first connection. Errors never contain PEM text or a password.
#pragma once

#include "protocol/result.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace cafka::protocol {

// How many X.509 certificates the PEM text holds (at least one, else an error); text outside the
// PEM blocks is ignored, as OpenSSL does.
result<size_t> count_pem_certificates(std::string_view pem);

enum class pem_key_problem { none, unreadable, needs_password, wrong_password, not_matching };

// Opens the PEM private key with password (empty: none) and, when certificate_pem is not empty,
// checks that the key belongs to its first certificate.
pem_key_problem check_pem_private_key(std::string_view key_pem, const std::string& password,
                                      std::string_view certificate_pem);

} // namespace cafka::protocol
