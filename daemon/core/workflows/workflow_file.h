#pragma once
// A workflow file as written (DESIGN §3 "Workflows"): TOML, task groups keyed by name, each
// task keyed by name within its group, so a name defined twice is a TOML error at its position.
//
//   name = "deploy"                    # optional: the file's name without .toml
//   [values]                           # optional defaults for {{ NAME }} and `when`
//   src = "/srv/app"
//   [groups.build]
//   parallel = 4                       # optional: at most this many of its tasks at once
//   depends_on = ["prepare"]           # optional: groups that must succeed first
//   [groups.build.tasks.compile]
//   command = "make -C {{ src }}"      # run as /bin/sh -c
//   depends_on = ["fetch", "prepare.check"]  # same group, or GROUP.TASK
//   timeout = "10m"   workdir = "/srv"   env = { CC = "gcc" }
//   when = "env != 'dev'"   retries = 2   retry_delay = "5s"
//
// Placeholders are substituted in command, workdir and env values. An unknown key or a value of
// the wrong type is an error at its position, never ignored. This file is the text as parsed;
// workflow.h resolves it against values into what runs. Pure.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/duration.h"
#include "common/result.h"
#include "daemon/core/tasks/task_limits.h"
#include "daemon/core/workflows/located_string.h"
#include "daemon/core/workflows/values.h"

namespace sloth {

inline constexpr size_t kMaxWorkflowFileBytes = 4 << 20;
inline constexpr size_t kMaxWorkflowTasks = 10000;
inline constexpr uint32_t kMaxTaskRetries = 100;

struct FileTask {
  LocatedString name;  // the key
  LocatedString command;
  std::optional<LocatedString> workdir;
  std::vector<std::pair<std::string, LocatedString>> env;  // in file order
  std::optional<Duration> timeout;
  std::optional<LocatedString> user;  // empty: the agent's [tasks] user
  TaskLimits limits;                  // unset: the agent's defaults; kNoLimit: "max"
  std::optional<LocatedString> when;
  uint32_t retries = 0;
  Duration retry_delay{};
  std::vector<LocatedString> depends_on;  // "task" or "group.task"
};

struct FileGroup {
  LocatedString name;  // the key
  std::optional<uint32_t> parallel;
  std::vector<LocatedString> depends_on;  // group names
  std::vector<FileTask> tasks;            // in file order
};

struct WorkflowFile {
  std::string source;             // as named in errors: "deploy.toml"
  std::string name;               // `name`, else the source's file name without its extension
  Values defaults;                // [values]
  std::vector<FileGroup> groups;  // in file order
};

// Group and task names: 1-64 of A-Z a-z 0-9 _ - (so "group.task" is never ambiguous).
bool IsWorkflowName(std::string_view name);

Result<WorkflowFile, WorkflowError> ParseWorkflowFile(std::string_view text, std::string_view source);

}  // namespace sloth
