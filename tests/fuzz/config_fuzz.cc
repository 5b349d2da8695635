// libFuzzer target: ParseConfig on arbitrary bytes, as slothd reads /etc/sloth/slothd.toml and
// reloads it. Besides the sanitizers it checks what the daemon relies on: a refusal names the file
// and says why; an accepted configuration prints (FormatConfig, what --check-config shows) as a
// document that parses back to the same configuration; no path it accepts can be cut short by a
// NUL when it reaches the system calls.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "daemon/core/config.h"

namespace {

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

bool HasNul(const std::string& s) { return s.find('\0') != std::string::npos; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const sloth::ConfigResult parsed = sloth::ParseConfig(text, "fuzz.toml");
  if (const auto* error = std::get_if<sloth::ConfigError>(&parsed)) {
    Check(error->source == "fuzz.toml");
    Check(!error->message.empty());
    Check(error->ToString().starts_with("fuzz.toml"));
    return 0;
  }
  const sloth::Config& config = std::get<sloth::Config>(parsed);
  for (const std::string* path : {&config.agent.state_dir, &config.agent.control_socket, &config.tasks.workdir}) {
    Check(!path->empty() && path->front() == '/' && !HasNul(*path));
  }
  for (const auto& [name, value] : config.tasks.environment) Check(!HasNul(name) && !HasNul(value));
  const std::string printed = sloth::FormatConfig(config);
  const sloth::ConfigResult again = sloth::ParseConfig(printed, "printed.toml");
  Check(std::holds_alternative<sloth::Config>(again));
  Check(sloth::FormatConfig(std::get<sloth::Config>(again)) == printed);
  return 0;
}
