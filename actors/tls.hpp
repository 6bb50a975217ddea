// TLS for broker connections, apart from the session that uses it (actors/network.cpp): the
// client's OpenSSL context from tls_config, and OpenSSL's errors and certificates put into words
// for error messages. Never a key or a password in any of these texts.
#pragma once

#include "actors/config.hpp"

#include <utility> // Boost.Asio 1.74 under C++20+ needs <utility> before it
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace cafka::tls {

// The client's context: TLS 1.2 or 1.3, the CAs to trust (a file, PEM text, or the system's), the
// client certificate and key for mutual TLS, peer verification on. Null with `error` naming the
// setting and the file when one does not load.
std::unique_ptr<boost::asio::ssl::context> make_context(const tls_config& tls, std::string& error);

bool is_tls_error(const boost::system::error_code& ec);

// OpenSSL's reason for a TLS error ("certificate verify failed", "sslv3 alert bad certificate");
// empty for other errors.
std::string reason(const boost::system::error_code& ec);

// The TLS alert the broker sent (its number), or -1 when the error is no received alert.
int received_alert(const boost::system::error_code& ec);

// Why a broker's alert came and what to check, for the alerts that refuse our certificate or our
// TLS versions.
std::optional<std::string> refusal_hint(int alert);

// A distinguished name as RFC 2253 text ("CN=localhost").
std::string name_text(const X509_NAME* name);

// What a certificate is for: its DNS and IP subject alternative names, else its common name.
std::vector<std::string> names_of(X509* cert);

} // namespace cafka::tls
