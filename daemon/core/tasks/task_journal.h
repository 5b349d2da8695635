#pragma once
// The runner's record in the state directory, so that a restart forgets nothing
// (doc/RELIABILITY.md, defect 5): one file, `tasks.journal`, of JSON lines appended as tasks start
// ({"started": ...}: the id, where it runs: pid and start time, or unit) and end ({"finished": the
// result without its output}). At start the journal is read: the finished tasks come back as the
// history, and a task that started without finishing was running when slothd died (a crash,
// kill -9). When the file holds twice what it must, it is rewritten (a temporary file renamed over
// it) with the last `history` finished tasks and the running ones.
//
// A line is one write(2) on a descriptor opened O_APPEND for it (none is held open, so the state
// directory's file system can be remounted read-only), not fsync'ed: a crash of slothd leaves what it
// wrote in the page cache, which the next slothd reads; a crash of the machine also ends the tasks.
// (An fsync per task would cost a disk flush per start and per end.) A torn last line is skipped.
// Failures to write are logged once and never stop a task (/health reports the state directory).
// Thread-safe.
#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "common/log.h"
#include "common/unique_fd.h"
#include "daemon/core/tasks/task.h"
#include "daemon/core/tasks/task_starter.h"

namespace sloth {

// A task the journal saw start and not finish.
struct UnfinishedTask {
  TaskResult task;  // its identity, user, unit and start time
  RunningTaskRecord record;
};

class TaskJournal {
 public:
  // Opens (creating) `<state_dir>/tasks.journal` and reads what it holds; keeps `history` finished
  // tasks. A journal that cannot be opened is logged and the runner goes on without one.
  TaskJournal(const std::string& state_dir, size_t history, Logger& logger);
  TaskJournal(const TaskJournal&) = delete;
  TaskJournal& operator=(const TaskJournal&) = delete;

  // What the journal held when opened: finished tasks, oldest first, at most `history`; and the
  // tasks that had started and not finished.
  const std::vector<TaskResult>& finished() const { return finished_; }
  const std::vector<UnfinishedTask>& unfinished() const { return unfinished_; }
  // The highest sequence number of the ids it held (ids go on from there).
  uint64_t last_sequence() const { return last_sequence_; }

  void Started(const TaskResult& task, const RunningTaskRecord& record);
  void Finished(const TaskResult& result);

  const std::string& path() const { return path_; }

 private:
  void Read();
  void Append(const std::string& line);
  void CompactLocked();
  void FailedLocked(const std::string& what);

  const std::string path_;
  const size_t history_;
  Logger& logger_;
  std::vector<TaskResult> finished_;
  std::vector<UnfinishedTask> unfinished_;
  uint64_t last_sequence_ = 0;

  std::mutex mutex_;  // guards what follows
  bool warned_ = false;
  size_t lines_ = 0;
  std::deque<std::string> finished_lines_;            // the last `history`, for a compaction
  std::map<std::string, std::string> running_lines_;  // by task id
};

}  // namespace sloth
