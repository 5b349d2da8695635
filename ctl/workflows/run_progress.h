#pragma once
// What `slothctl run` shows of a workflow run: the run as its events build it up, drawn as a live
// frame (a line per task, redrawn in place on a terminal), as plain lines (one per change, for
// pipes and NO_COLOR), as the summary at the end, and as JSON. Pure: the time is passed in.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sloth/v1/agent.pb.h"

namespace sloth::ctl {

struct ProgressStyle {
  bool colour = false;  // SGR colours
  bool emoji = false;   // ✅ ❌ ⏩ ⏳ instead of words alone
};

class RunProgress {
 public:
  // Takes in one event of the run's stream.
  void Apply(const v1::WorkflowEvent& event);

  bool started() const { return started_; }
  bool finished() const { return finished_; }
  // The run as it stands: the started event, each change applied; the result once it came.
  const v1::WorkflowRun& run() const { return run_; }

  // The live frame at `now_unix_ms`: a header, then a line per task with its state and elapsed
  // time. Past `rows` lines, the tasks still queued or done well are left out, counted on the
  // last line. Lines fit `cols` characters.
  std::vector<std::string> LiveFrame(int64_t now_unix_ms, int cols, int rows, const ProgressStyle& style) const;

  // The summary once the run ended: a table of the tasks and one of the groups, the output kept
  // for each failed task (its last lines), and one closing line.
  std::string Summary(const ProgressStyle& style) const;

  // The whole run for scripts.
  nlohmann::json Json() const;

 private:
  bool started_ = false;
  bool finished_ = false;
  v1::WorkflowRun run_;
};

// The line to print for one event when nothing is redrawn (a pipe, NO_COLOR); "" for none.
std::string PlainProgressLine(const v1::WorkflowEvent& event);

// "success", "failed", "skipped", "running", "queued", and "retrying" for a running task waiting
// for its next attempt.
std::string WorkflowTaskState(const v1::WorkflowTask& task);

}  // namespace sloth::ctl
