#pragma once
// A workflow resolved against its values: what runs, in what order, under which limits. Built
// from a WorkflowSource (the file's and the values files' texts, --set, --group), so slothctl
// (for --dry-run and early errors) and the agent (which runs it) resolve the same way. Every
// refusal names its file, line and column: an unknown placeholder, an unknown dependency, a
// dependency cycle (the cycle is named), a bad `when`. Pure; a Workflow is a plain value.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/duration.h"
#include "common/result.h"
#include "daemon/core/tasks/task.h"
#include "daemon/core/workflows/workflow_error.h"
#include "daemon/core/workflows/workflow_file.h"

namespace sloth {

struct WorkflowTask {
  TaskSpec spec;                   // name and group set; command, workdir and env substituted
  std::vector<size_t> depends_on;  // indices into Workflow::tasks
  std::string when;                // as written; empty: none
  bool condition_holds = true;     // false: skipped without running
  uint32_t retries = 0;            // attempts after the first failure
  Duration retry_delay{};
  SourcePosition at;  // the task's key in the file
};

struct WorkflowGroup {
  std::string name;
  std::optional<uint32_t> parallel;  // the file's limit for the group
  std::vector<size_t> depends_on;    // indices into Workflow::groups
  std::vector<size_t> tasks;         // indices into Workflow::tasks, in file order
};

struct Workflow {
  std::string name;                   // the file's `name`, else its file name without .toml
  std::string source;                 // the file as named in messages
  std::vector<WorkflowGroup> groups;  // in file order
  std::vector<WorkflowTask> tasks;    // in file order, group by group
  std::vector<size_t> group_of;       // task index -> group index

  // "deploy.build", as depends_on writes it.
  std::string QualifiedName(size_t task) const;
};

// What a run is asked with. Texts, not paths: the caller reads the files where they are.
struct NamedText {
  std::string name;  // as shown in messages: the path the user typed
  std::string text;
};

struct WorkflowSource {
  NamedText file;
  std::vector<NamedText> values_files;  // applied in order after the file's [values]
  std::vector<std::string> sets;        // NAME=VALUE, applied last
  std::vector<std::string> groups;      // run these and the groups they need; empty: all
};

// Resolves `file` against `values`; only the groups named in `selected` (and those they depend
// on, through their depends_on or their tasks') are kept; empty: all.
Result<Workflow, WorkflowError> ResolveWorkflow(const WorkflowFile& file, const Values& values,
                                                const std::vector<std::string>& selected);

// Parses everything in `source` and resolves it.
Result<Workflow, WorkflowError> LoadWorkflow(const WorkflowSource& source);

}  // namespace sloth
