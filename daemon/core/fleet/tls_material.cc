#include "daemon/core/fleet/tls_material.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>

#include <fmt/format.h>

namespace sloth {
namespace {

using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;
using Certificate = std::unique_ptr<X509, decltype(&X509_free)>;
using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

Bio Read(std::string_view pem) { return Bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free); }

std::string OpensslError() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "no PEM block found";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

}  // namespace

Result<void> CheckCertificates(std::string_view pem, std::string_view what) {
  Bio bio = Read(pem);
  Certificate first(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
  if (!first) return Failure{fmt::format("{}: not a PEM certificate ({})", what, OpensslError())};
  return {};
}

Result<void> CheckKeyPair(std::string_view cert_pem, std::string_view key_pem, std::string_view what) {
  Bio cert_bio = Read(cert_pem);
  Certificate certificate(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr), X509_free);
  if (!certificate) return Failure{fmt::format("{}: the certificate is not PEM ({})", what, OpensslError())};
  Bio key_bio = Read(key_pem);
  Key key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
  if (!key) {
    return Failure{fmt::format("{}: the key is not an unencrypted PEM private key ({})", what, OpensslError())};
  }
  if (X509_check_private_key(certificate.get(), key.get()) != 1) {
    ERR_clear_error();
    return Failure{fmt::format("{}: the key does not belong to the certificate", what)};
  }
  return {};
}

}  // namespace sloth
