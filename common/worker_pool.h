#pragma once
// Threads for blocking jobs (a task followed to its end, a gRPC stream fed by it). Submit never
// blocks: a job with no idle thread gets a new one; up to `idle_kept` threads wait for the next
// job instead of exiting, so a steady load creates no thread per job.
#include <pthread.h>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "common/result.h"

namespace sloth {

class WorkerPool {
 public:
  // `thread_name` (at most 15 characters) names the threads in ps and /proc.
  WorkerPool(std::string thread_name, size_t idle_kept) : thread_name_(std::move(thread_name)), idle_kept_(idle_kept) {}
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  ~WorkerPool() { Drain(); }

  // Fails, saying why, if no thread could be started for it (it was not run).
  Result<void> Submit(std::function<void()> job) {
    std::unique_lock lock(mutex_);
    JoinExitedLocked();
    jobs_.push_back(std::move(job));
    if (idle_ >= jobs_.size()) {
      // Notified after unlocking: a worker woken on this CPU runs at once, and would only block
      // on the mutex we still held (two more context switches per job).
      lock.unlock();
      wake_.notify_one();
      return {};
    }
    try {
      std::thread thread([this] { Loop(); });
      threads_.emplace(thread.get_id(), std::move(thread));
    } catch (const std::system_error& e) {
      jobs_.pop_back();
      return Failure{e.what()};
    }
    return {};
  }

  // Waits for every job to finish, then stops and joins the threads.
  void Drain() {
    std::unique_lock lock(mutex_);
    done_.wait(lock, [this] { return jobs_.empty() && busy_ == 0; });
    stopping_ = true;
    wake_.notify_all();
    std::map<std::thread::id, std::thread> threads = std::move(threads_);
    threads_.clear();
    exited_.clear();
    lock.unlock();
    for (auto& [id, thread] : threads) thread.join();
  }

 private:
  void Loop() {
    pthread_setname_np(pthread_self(), thread_name_.c_str());
    std::unique_lock lock(mutex_);
    for (;;) {
      ++idle_;
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      --idle_;
      if (jobs_.empty()) return;  // stopping; Drain joins us
      std::function<void()> job = std::move(jobs_.front());
      jobs_.pop_front();
      ++busy_;
      lock.unlock();
      job();
      job = nullptr;
      lock.lock();
      --busy_;
      done_.notify_all();
      if (idle_ >= idle_kept_ && !stopping_) break;
    }
    exited_.push_back(std::this_thread::get_id());  // the next Submit joins us
  }

  void JoinExitedLocked() {
    for (const std::thread::id& id : exited_) {
      auto it = threads_.find(id);
      if (it == threads_.end()) continue;
      it->second.join();  // it is past its last use of the lock
      threads_.erase(it);
    }
    exited_.clear();
  }

  const std::string thread_name_;
  const size_t idle_kept_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  std::deque<std::function<void()>> jobs_;
  size_t idle_ = 0;
  size_t busy_ = 0;
  bool stopping_ = false;
  std::map<std::thread::id, std::thread> threads_;
  std::vector<std::thread::id> exited_;
};

}  // namespace sloth
