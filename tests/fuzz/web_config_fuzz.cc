// libFuzzer target: ParseWebConfig on arbitrary bytes. Besides the sanitizers, it checks what a
// caller relies on: a refusal says why, and accepted settings are consistent.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "daemon/http/web_config.h"

namespace {

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = sloth::ParseWebConfig(text);
  if (!parsed) {
    Check(!parsed.error().message.empty());
    return 0;
  }
  const sloth::WebConfig& c = *parsed;
  if (c.tls) {
    Check(!c.tls_server.cert_file.empty() && !c.tls_server.key_file.empty());
    Check(c.tls_server.min_version <= c.tls_server.max_version);
    Check(c.tls_server.gnutls_priorities.starts_with("NORMAL:"));
  }
  for (const auto& user : c.users) {
    Check(!user.name.empty() && user.name.find(':') == std::string::npos);
    Check(sloth::IsBcryptHash(user.bcrypt_hash));
  }
  for (const auto& [name, value] : c.headers) Check(value.find_first_of("\r\n") == std::string::npos && !name.empty());
  return 0;
}
