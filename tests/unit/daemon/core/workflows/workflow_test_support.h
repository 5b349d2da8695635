#pragma once
// Shared by the workflow unit tests: load a workflow from text, and expect an error at a place.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon/core/workflows/workflow.h"

namespace sloth::test {

inline Result<Workflow, WorkflowError> Load(std::string text, std::vector<NamedText> values_files = {},
                                            std::vector<std::string> sets = {}, std::vector<std::string> groups = {}) {
  WorkflowSource source;
  source.file = {"deploy.toml", std::move(text)};
  source.values_files = std::move(values_files);
  source.sets = std::move(sets);
  source.groups = std::move(groups);
  return LoadWorkflow(source);
}

inline Workflow MustLoad(std::string text, std::vector<std::string> sets = {}) {
  auto loaded = Load(std::move(text), {}, std::move(sets));
  if (!loaded) {
    ADD_FAILURE() << loaded.error().ToString();
    return {};
  }
  return std::move(*loaded);
}

// The error's "source:line:column: message", for one EXPECT that shows all of it when it fails.
inline std::string MustFail(std::string text, std::vector<NamedText> values_files = {},
                            std::vector<std::string> sets = {}, std::vector<std::string> groups = {}) {
  auto loaded = Load(std::move(text), std::move(values_files), std::move(sets), std::move(groups));
  if (loaded) {
    ADD_FAILURE() << "accepted";
    return {};
  }
  return loaded.error().ToString();
}

}  // namespace sloth::test
