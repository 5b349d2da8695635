#pragma once
// Ctrl-C (or SIGTERM) during a streamed call whose task or run is named by an id that comes in
// the stream (`agent run`, `run`): the first signal cancels it on the agent by that id, waiting a
// moment for the id if it has not come yet, and the stream then ends with its result; a second
// signal, no id in time, or a refused cancel make the call stop waiting (RunHandle::Abandon).
// Thread-safe: OnSignal comes from the InterruptWatcher's thread, the rest from the command's.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>

#include "ctl/clients/agent_connection.h"

namespace sloth::ctl {

class CancelOnInterrupt {
 public:
  // How long a signal waits for the id: the agent sends it within moments of the start (a
  // task's started event after 20 ms, a run's first), or with the result of what ended sooner.
  static constexpr auto kIdWait = std::chrono::seconds(2);

  explicit CancelOnInterrupt(RunHandle& handle) : handle_(handle) {}

  // The InterruptWatcher's callback.
  void OnSignal(int signal);
  // The client is connected; throws CtlError (128+N) when a signal came before, naming `what`
  // ("the task", "the run") that did not start.
  void Connected(AgentConnection* client, const std::string& what);
  // The id came in the stream; cancels at once when a signal came first.
  void IdKnown(const std::string& id);
  // The stream is over: its result came (naming the task or run: `id`), or it failed ("").
  void Ended(const std::string& id = "");

  int first_signal() const;  // 0: none came
  std::string id() const;    // "" until it came

 private:
  mutable std::mutex mutex_;
  std::condition_variable id_or_end_;
  RunHandle& handle_;
  std::string id_;
  bool ended_ = false;
  AgentConnection* client_ = nullptr;  // outlives the watcher
  int first_signal_ = 0;
  int signals_ = 0;
};

}  // namespace sloth::ctl
