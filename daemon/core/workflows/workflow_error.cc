#include "daemon/core/workflows/workflow_error.h"

#include <fmt/format.h>

namespace sloth {

std::string WorkflowError::ToString() const {
  if (at.line == 0) return fmt::format("{}: {}", source, message);
  return fmt::format("{}:{}:{}: {}", source, at.line, at.column, message);
}

}  // namespace sloth
