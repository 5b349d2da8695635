#include "tests/integration/tls_files.h"

#include <filesystem>
#include <stdexcept>

namespace sloth::test {
namespace {

void Run(const std::string& command) {
  std::string out;
  if (RunCommand(command, &out) != 0) throw std::runtime_error("failed: " + command + "\n" + out);
}

// A CA (self-signed) named `name` in `dir`.
void MakeCa(const std::string& dir, const std::string& name) {
  Run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=" + name + " -keyout " +
      dir + "/" + name + ".key -out " + dir + "/" + name + ".crt 2>&1");
}

// A certificate `name` signed by CA `ca`, with extensions `ext` (an openssl -extfile line).
void MakeSigned(const std::string& dir, const std::string& name, const std::string& ca, const std::string& cn,
                const std::string& ext) {
  const std::string base = dir + "/" + name;
  Run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=" + cn + " -keyout " + base +
      ".key -out " + base + ".csr 2>&1");
  Run("printf '%s\\n' '" + ext + "' > " + base + ".ext");
  Run("openssl x509 -req -in " + base + ".csr -CA " + dir + "/" + ca + ".crt -CAkey " + dir + "/" + ca +
      ".key -CAcreateserial -days 2 -extfile " + base + ".ext -out " + base + ".crt 2>&1");
}

}  // namespace

TlsFiles::TlsFiles(const std::string& dir) : tls_(dir + "/tls") {
  std::filesystem::create_directories(tls_);
  MakeCa(tls_, "server-ca");
  MakeCa(tls_, "clients-ca");
  const std::string server_ext = "subjectAltName=IP:127.0.0.1,DNS:localhost";
  MakeSigned(tls_, "slothd", "server-ca", "slothd", server_ext);
  MakeSigned(tls_, "renewed", "server-ca", "slothd-renewed", server_ext);
  MakeSigned(tls_, "client", "clients-ca", "prometheus", "extendedKeyUsage=clientAuth");
}

std::string PresentedFingerprint(uint16_t port) {
  std::string out;
  RunCommand("openssl s_client -connect 127.0.0.1:" + std::to_string(port) +
                 " </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256",
             &out);
  return out;
}

std::string FileFingerprint(const std::string& cert) {
  std::string out;
  RunCommand("openssl x509 -noout -fingerprint -sha256 -in " + cert, &out);
  return out;
}

}  // namespace sloth::test
