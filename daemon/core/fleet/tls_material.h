#pragma once
// PEM files checked before gRPC is given them, so a wrong file fails at start naming its
// configuration key, rather than as a TLS handshake error on the other side later. Pure: the
// files' text is passed in.
#include <string_view>

#include "common/result.h"

namespace sloth {

// `pem` holds at least one certificate (a CA bundle, a certificate chain).
Result<void> CheckCertificates(std::string_view pem, std::string_view what);

// `key_pem` is the private key of the first certificate in `cert_pem`.
Result<void> CheckKeyPair(std::string_view cert_pem, std::string_view key_pem, std::string_view what);

}  // namespace sloth
