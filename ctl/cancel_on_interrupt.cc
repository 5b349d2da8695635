#include "ctl/cancel_on_interrupt.h"

#include <fmt/format.h>

#include "ctl/errors.h"

namespace sloth::ctl {

void CancelOnInterrupt::OnSignal(int signal) {
  std::string id;
  AgentConnection* client = nullptr;
  {
    std::unique_lock lock(mutex_);
    if (signals_++ == 0) first_signal_ = signal;
    client = client_;
    if (signals_ == 1 && client != nullptr) {
      // Before its id: IdKnown cancels when it comes (signals_ > 0 by then).
      if (id_.empty() && id_or_end_.wait_for(lock, kIdWait, [&] { return !id_.empty() || ended_; })) return;
      if (!ended_) id = id_;
    }
  }
  // Cancelled, it ends; its result then ends the stream.
  if (!id.empty()) {
    if (auto cancelled = client->CancelTask(id); cancelled && cancelled->cancelled()) return;
  }
  handle_.Abandon();  // not connected yet, no id in time, the cancel refused, or a second signal
}

void CancelOnInterrupt::Connected(AgentConnection* client, const std::string& what) {
  std::lock_guard lock(mutex_);
  client_ = client;
  if (signals_ > 0) throw CtlError(kExitSignalBase + first_signal_, fmt::format("interrupted before {} started", what));
}

void CancelOnInterrupt::IdKnown(const std::string& id) {
  bool cancel_now = false;
  AgentConnection* client = nullptr;
  {
    std::lock_guard lock(mutex_);
    cancel_now = id_.empty() && signals_ > 0 && !ended_;
    id_ = id;
    client = client_;
  }
  id_or_end_.notify_all();
  // Whether it was cancelled or had ended, its result ends the stream.
  if (cancel_now && client != nullptr) (void)client->CancelTask(id);
}

void CancelOnInterrupt::Ended(const std::string& id) {
  {
    std::lock_guard lock(mutex_);
    ended_ = true;
    if (!id.empty()) id_ = id;
  }
  id_or_end_.notify_all();
}

int CancelOnInterrupt::first_signal() const {
  std::lock_guard lock(mutex_);
  return first_signal_;
}

std::string CancelOnInterrupt::id() const {
  std::lock_guard lock(mutex_);
  return id_;
}

}  // namespace sloth::ctl
