#include "daemon/http/request_deadlines.h"

#include <pthread.h>
#include <sys/socket.h>

namespace sloth {

RequestDeadlines::RequestDeadlines(Duration timeout)
    : timeout_(std::chrono::duration_cast<Clock::duration>(timeout)), thread_([this] { CutExpired(); }) {}

RequestDeadlines::~RequestDeadlines() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void RequestDeadlines::StartDeadlineLocked(const void* connection, Tracked& tracked) {
  tracked.generation = next_generation_++;
  const bool was_idle = queue_.empty();
  queue_.push_back({Clock::now() + timeout_, connection, tracked.generation});
  // Later deadlines queue behind earlier ones: only an idle thread needs waking.
  if (was_idle) changed_.notify_all();
}

void RequestDeadlines::Opened(const void* connection, int fd) {
  std::lock_guard lock(mutex_);
  Tracked& tracked = connections_[connection];
  tracked.fd = fd;
  StartDeadlineLocked(connection, tracked);
}

void RequestDeadlines::RequestArrived(const void* connection) {
  std::lock_guard lock(mutex_);
  auto it = connections_.find(connection);
  if (it != connections_.end()) it->second.generation = next_generation_++;
}

void RequestDeadlines::ResponseDone(const void* connection) {
  std::lock_guard lock(mutex_);
  auto it = connections_.find(connection);
  if (it != connections_.end()) StartDeadlineLocked(connection, it->second);
}

void RequestDeadlines::Closed(const void* connection) {
  std::lock_guard lock(mutex_);
  connections_.erase(connection);
}

uint64_t RequestDeadlines::cut() const {
  std::lock_guard lock(mutex_);
  return cut_;
}

void RequestDeadlines::CutExpired() {
  pthread_setname_np(pthread_self(), "slothd-http-dl");
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (queue_.empty()) {
      changed_.wait(lock);
      continue;
    }
    const Pending next = queue_.front();
    if (Clock::now() < next.at) {
      changed_.wait_until(lock, next.at);
      continue;
    }
    queue_.pop_front();
    auto it = connections_.find(next.connection);
    if (it == connections_.end() || it->second.generation != next.generation) continue;  // stale
    // Under the lock, so the connection cannot be closed (Closed() comes first) in between.
    ::shutdown(it->second.fd, SHUT_RDWR);
    it->second.generation = next_generation_++;  // cut once
    ++cut_;
  }
}

}  // namespace sloth
