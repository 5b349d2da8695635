#pragma once
// Certificates for TLS tests, made with the openssl command in a temp dir: a server CA and a
// server certificate for 127.0.0.1/localhost, a client CA and a client certificate, and a
// second server certificate from the same CA (for reload tests).
#include <string>

#include "tests/integration/harness.h"

namespace sloth::test {

class TlsFiles {
 public:
  // Writes the files under `dir`/tls (the layout etc/web-config.yml names).
  explicit TlsFiles(const std::string& dir);

  std::string server_ca() const { return tls_ + "/server-ca.crt"; }
  std::string server_cert() const { return tls_ + "/slothd.crt"; }
  std::string server_key() const { return tls_ + "/slothd.key"; }
  std::string clients_ca() const { return tls_ + "/clients-ca.crt"; }
  std::string client_cert() const { return tls_ + "/client.crt"; }
  std::string client_key() const { return tls_ + "/client.key"; }
  // Another certificate for the same key usage, with a different serial and subject.
  std::string renewed_cert() const { return tls_ + "/renewed.crt"; }
  std::string renewed_key() const { return tls_ + "/renewed.key"; }

 private:
  std::string tls_;
};

// The hex SHA-256 fingerprint of the certificate a TLS server at 127.0.0.1:`port` presents.
std::string PresentedFingerprint(uint16_t port);
// The fingerprint of a PEM certificate file.
std::string FileFingerprint(const std::string& cert);

}  // namespace sloth::test
