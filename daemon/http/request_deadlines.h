#pragma once
// The absolute deadline for reading an HTTP request. libmicrohttpd's connection timeout is an
// inactivity timeout: a client that sends one header byte every few seconds keeps its connection
// (and its slot) for as long as it likes. This cuts any connection that has not delivered a whole
// request head within `timeout` of connecting or of its previous response, with shutdown(2): MHD
// then reads EOF and closes the connection itself, so the descriptor is never closed under it.
// Thread-safe: MHD's threads report connection events; the cuts happen on a thread of its own.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "common/duration.h"

namespace sloth {

class RequestDeadlines {
 public:
  explicit RequestDeadlines(Duration timeout);
  ~RequestDeadlines();  // stops the thread; cuts nothing more
  RequestDeadlines(const RequestDeadlines&) = delete;
  RequestDeadlines& operator=(const RequestDeadlines&) = delete;

  // A connection was accepted on socket `fd`: its first request must arrive within the timeout.
  void Opened(const void* connection, int fd);
  // Its request head arrived: no deadline while it is answered.
  void RequestArrived(const void* connection);
  // Its response was sent: the next request must arrive within the timeout.
  void ResponseDone(const void* connection);
  // It is being closed. Must come before its socket is closed (MHD's NOTIFY_CLOSED does).
  void Closed(const void* connection);

  // Connections cut so far.
  uint64_t cut() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Tracked {
    int fd;
    uint64_t generation;  // which queued deadline is current; bumped on every event
  };
  struct Pending {
    Clock::time_point at;
    const void* connection;
    uint64_t generation;
  };
  void StartDeadlineLocked(const void* connection, Tracked& tracked);
  void CutExpired();

  const Clock::duration timeout_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  bool stopping_ = false;
  std::unordered_map<const void*, Tracked> connections_;
  // Every deadline is "now + timeout", so they are queued in time order; an entry whose
  // generation is no longer its connection's is stale and skipped.
  std::deque<Pending> queue_;
  uint64_t next_generation_ = 1;
  uint64_t cut_ = 0;
  std::thread thread_;
};

}  // namespace sloth
