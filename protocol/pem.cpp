#include "protocol/pem.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>

namespace cafka::protocol {

namespace {

struct bio_deleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct x509_deleter {
  void operator()(X509* x) const { X509_free(x); }
};
struct pkey_deleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using bio_ptr = std::unique_ptr<BIO, bio_deleter>;
using x509_ptr = std::unique_ptr<X509, x509_deleter>;
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_deleter>;

bio_ptr memory(std::string_view text) {
  return bio_ptr{BIO_new_mem_buf(text.data(), static_cast<int>(text.size()))};
}

// OpenSSL asks for the pass phrase through this (never through the terminal, its default).
struct password_request {
  const std::string* password;
  bool asked = false;
};

int give_password(char* buf, int size, int, void* user) {
  auto* request = static_cast<password_request*>(user);
  request->asked = true;
  if (request->password->empty() || request->password->size() > static_cast<size_t>(size))
    return 0;
  request->password->copy(buf, request->password->size());
  return static_cast<int>(request->password->size());
}

} // namespace

result<size_t> count_pem_certificates(std::string_view pem) {
  auto in = memory(pem);
  size_t count = 0;
  while (true) {
    x509_ptr cert{PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr)};
    if (!cert)
      break;
    ++count;
  }
  // The loop ends with "no start line" at the end of the text; anything else is a broken block.
  auto last = ERR_peek_last_error();
  bool clean_end = ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE;
  ERR_clear_error();
  if (count == 0)
    return unexpected("holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
  if (!clean_end)
    return unexpected("holds a certificate OpenSSL cannot read");
  return count;
}

pem_key_problem check_pem_private_key(std::string_view key_pem, const std::string& password,
                                      std::string_view certificate_pem) {
  auto in = memory(key_pem);
  password_request request{&password};
  pkey_ptr key{PEM_read_bio_PrivateKey(in.get(), nullptr, give_password, &request)};
  ERR_clear_error();
  if (!key) {
    if (request.asked)
      return password.empty() ? pem_key_problem::needs_password : pem_key_problem::wrong_password;
    return pem_key_problem::unreadable;
  }
  if (certificate_pem.empty())
    return pem_key_problem::none;
  auto certs = memory(certificate_pem);
  x509_ptr first{PEM_read_bio_X509(certs.get(), nullptr, nullptr, nullptr)};
  bool matches = first && X509_check_private_key(first.get(), key.get()) == 1;
  ERR_clear_error();
  return matches ? pem_key_problem::none : pem_key_problem::not_matching;
}

} // namespace cafka::protocol
