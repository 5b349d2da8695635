#pragma once
// {{ NAME }} placeholders in a workflow's strings. Only `{{`, optional blanks, a value name
// (letters, digits, '_', '-', dotted: db.host), optional blanks and `}}` is a placeholder; any
// other `{{` is text, so a command such as `docker inspect -f '{{.State.Status}}'` passes through.
// A substituted value is not scanned again. Pure.
#include <string>
#include <string_view>

#include "common/result.h"
#include "daemon/core/workflows/located_string.h"
#include "daemon/core/workflows/values.h"

namespace sloth {

// A substituted string longer than this is refused (a value repeated many times).
inline constexpr size_t kMaxSubstitutedBytes = 1 << 20;

// `text` with every placeholder replaced by its value. An unknown name is an error at the
// placeholder's position; `key` ("groups.deploy.tasks.build.command") starts the message.
Result<std::string, WorkflowError> SubstitutePlaceholders(const LocatedString& text, const Values& values,
                                                          std::string_view source, std::string_view key);

}  // namespace sloth
