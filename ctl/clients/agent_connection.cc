#include "ctl/clients/agent_connection.h"

namespace sloth::ctl {

void RunHandle::Abandon() {
  std::lock_guard lock(mutex_);
  abandoned_ = true;
  if (abandon_) abandon_();
}

bool RunHandle::abandoned() const {
  std::lock_guard lock(mutex_);
  return abandoned_;
}

void RunHandle::Attach(std::function<void()> abandon) {
  std::lock_guard lock(mutex_);
  abandon_ = std::move(abandon);
  if (abandoned_) abandon_();
}

void RunHandle::Detach() {
  std::lock_guard lock(mutex_);
  abandon_ = nullptr;
}

}  // namespace sloth::ctl
