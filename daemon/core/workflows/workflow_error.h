#pragma once
// Why a workflow cannot run, and where: every refusal of a workflow file, a values file, a --set
// or a --group names its source and, when it has one, the line and column, so the user can go
// straight to it. Plain values.
#include <cstdint>
#include <string>

namespace sloth {

// 1-based, as editors count; columns are counted in characters (UTF-8 code points). 0: none.
struct SourcePosition {
  uint32_t line = 0;
  uint32_t column = 0;
  bool operator==(const SourcePosition&) const = default;
};

struct WorkflowError {
  std::string source;  // "deploy.toml", "dev.toml", "--set", "--group"
  SourcePosition at;
  std::string message;  // what is wrong and what is allowed

  // "deploy.toml:12:5: groups.deploy.tasks.build.command: unknown placeholder {{ srcdir }} ..."
  std::string ToString() const;
};

}  // namespace sloth
