#include "actors/tls.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>

namespace cafka::tls {

namespace asio = boost::asio;

bool is_tls_error(const boost::system::error_code& ec) {
  return ec.category() == asio::error::get_ssl_category();
}

std::string reason(const boost::system::error_code& ec) {
  if (!is_tls_error(ec))
    return {};
  const char* text = ERR_reason_error_string(static_cast<unsigned long>(ec.value()));
  return text ? text : std::string{};
}

int received_alert(const boost::system::error_code& ec) {
  if (!is_tls_error(ec))
    return -1;
  int code = ERR_GET_REASON(static_cast<unsigned long>(ec.value()));
  return code > SSL_AD_REASON_OFFSET ? code - SSL_AD_REASON_OFFSET : -1;
}

std::optional<std::string> refusal_hint(int alert) {
  switch (alert) {
    case SSL_AD_BAD_CERTIFICATE:
    case SSL_AD_UNSUPPORTED_CERTIFICATE:
    case SSL_AD_CERTIFICATE_REVOKED:
    case SSL_AD_CERTIFICATE_EXPIRED:
    case SSL_AD_CERTIFICATE_UNKNOWN:
    case SSL_AD_UNKNOWN_CA:
    case SSL_AD_ACCESS_DENIED:
    case SSL_AD_CERTIFICATE_REQUIRED:
      return "the broker wants a client certificate that a CA it trusts signed (ssl.keystore.location)";
    case SSL_AD_HANDSHAKE_FAILURE:
    case SSL_AD_PROTOCOL_VERSION:
    case SSL_AD_INSUFFICIENT_SECURITY:
      return "no TLS version or cipher both sides accept";
    default:
      return std::nullopt;
  }
}

std::string name_text(const X509_NAME* name) {
  if (!name)
    return "?";
  std::unique_ptr<BIO, decltype(&BIO_free)> bio{BIO_new(BIO_s_mem()), BIO_free};
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  auto n = BIO_get_mem_data(bio.get(), &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string{};
}

std::vector<std::string> names_of(X509* cert) {
  std::vector<std::string> out;
  auto* sans = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (sans) {
    for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
      const GENERAL_NAME* n = sk_GENERAL_NAME_value(sans, i);
      if (n->type == GEN_DNS) {
        out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(n->d.dNSName)),
                         static_cast<size_t>(ASN1_STRING_length(n->d.dNSName)));
      } else if (n->type == GEN_IPADD) {
        char text[INET6_ADDRSTRLEN] = {};
        int len = ASN1_STRING_length(n->d.iPAddress);
        if ((len == 4 || len == 16)
            && inet_ntop(len == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(n->d.iPAddress), text, sizeof text))
          out.emplace_back(text);
      }
    }
    GENERAL_NAMES_free(sans);
  }
  if (out.empty()) {
    X509_NAME* subject = X509_get_subject_name(cert);
    int at = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
    if (at >= 0) {
      ASN1_STRING* cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, at));
      out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(cn)), static_cast<size_t>(ASN1_STRING_length(cn)));
    }
  }
  return out;
}

std::unique_ptr<asio::ssl::context> make_context(const tls_config& tls, std::string& error) {
  auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
  // Java's producer speaks TLSv1.2 and TLSv1.3 (ssl.enabled.protocols); so does cafka.
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_compression);
  boost::system::error_code ec;
  auto failed = [&](const std::string& what) {
    auto why = reason(ec);
    error = what + ": " + (why.empty() ? ec.message() : why);
    return nullptr;
  };
  if (!tls.ca_file.empty()) {
    if (ctx->load_verify_file(tls.ca_file, ec))
      return failed("cannot load the CA certificates of " + tls.ca_file);
  } else if (!tls.ca_pem.empty()) {
    if (ctx->add_certificate_authority(asio::buffer(tls.ca_pem), ec))
      return failed("cannot load the CA certificates of ssl.truststore.certificates");
  } else if (ctx->set_default_verify_paths(ec)) {
    return failed("cannot load the system's CA certificates");
  }
  if (!tls.key_password.empty())
    ctx->set_password_callback([password = tls.key_password](size_t, asio::ssl::context::password_purpose) {
      return password;
    });
  if (!tls.certificate_chain_file.empty()) {
    if (ctx->use_certificate_chain_file(tls.certificate_chain_file, ec))
      return failed("cannot load the client certificate of " + tls.certificate_chain_file);
    if (ctx->use_private_key_file(tls.private_key_file, asio::ssl::context::pem, ec))
      return failed("cannot load the private key of " + tls.private_key_file);
  } else if (!tls.certificate_chain_pem.empty()) {
    if (ctx->use_certificate_chain(asio::buffer(tls.certificate_chain_pem), ec))
      return failed("cannot load the client certificate of ssl.keystore.certificate.chain");
    if (ctx->use_private_key(asio::buffer(tls.private_key_pem), asio::ssl::context::pem, ec))
      return failed("cannot load the private key of ssl.keystore.key");
  }
  ctx->set_verify_mode(asio::ssl::verify_peer);
  return ctx;
}

} // namespace cafka::tls
