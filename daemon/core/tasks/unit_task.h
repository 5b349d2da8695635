#pragma once
// A task running as a transient unit (unit mode): follows its output pipes, the report of its
// main process (slothd-task-exec) and its end as the manager reports it; a timeout or a cancel
// stops the unit, so every process of the task dies with its cgroup. Owned by the one thread that
// follows the task; not thread-safe.
#include <memory>
#include <optional>
#include <string>

#include "common/unique_fd.h"
#include "daemon/core/tasks/exec_report.h"
#include "daemon/core/tasks/task_starter.h"
#include "daemon/core/tasks/transient_units.h"

namespace sloth {

class UnitTask final : public RunningTask {
 public:
  // `out`, `err`: the read ends of the unit's standard output and error; `report`: slothd's end
  // of its standard input. All three non-blocking. `expected`: the limit support predicted for
  // the unit, used when its main process could not report what held.
  UnitTask(TransientUnits& units, std::string unit, std::unique_ptr<UnitWatch> watch, UniqueFd out, UniqueFd err,
           UniqueFd report, LimitSupport expected, std::string memory_max_text);
  UnitTask(const UnitTask&) = delete;
  UnitTask& operator=(const UnitTask&) = delete;
  // Stops the unit if Supervise did not see it end (e.g. the sink threw).
  ~UnitTask() override;

  ProcessExit Supervise(const SupervisionLimits& limits, const ChunkSink& on_chunk,
                        const TaskNotice& notice = {}) override;

 private:
  // Reads one chunk of `fd` into the sink; false at EOF or on an error other than EAGAIN.
  bool ReadChunk(int fd, OutputStream stream, const ChunkSink& on_chunk, bool* drained);
  void ReadReport();
  // Asks the manager to stop the unit, once; a failure is kept for the result.
  void StopUnit();
  ProcessExit Outcome(const std::optional<UnitEnd>& end, bool gave_up) const;

  TransientUnits& units_;
  const std::string unit_;
  std::unique_ptr<UnitWatch> watch_;
  UniqueFd out_, err_, report_;
  const LimitSupport expected_;
  const std::string memory_max_text_;  // "" when the task has no memory_max
  std::optional<ExecReport> exec_report_;
  bool stop_requested_ = false;
  std::string stop_error_;
  bool ended_ = false;
};

// "200/CHDIR: cannot change to the working directory" for systemd's own exit statuses of a
// service whose process could not be set up (200-243), nullopt for any other status.
std::optional<std::string> SystemdSetupFailure(int exit_status);

}  // namespace sloth
