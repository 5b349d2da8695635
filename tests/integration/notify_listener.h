#pragma once
// A NOTIFY_SOCKET for tests: an AF_UNIX datagram socket that collects sd_notify messages.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sloth::test {

class NotifyListener {
 public:
  explicit NotifyListener(std::string path);
  ~NotifyListener();

  const std::string& path() const { return path_; }
  std::string env() const { return "NOTIFY_SOCKET=" + path_; }
  // Waits until some message satisfies `match`; returns it, or "" at the deadline.
  std::string WaitFor(const std::function<bool(const std::string&)>& match,
                      std::chrono::milliseconds timeout = std::chrono::seconds(20));
  std::string WaitForContaining(const std::string& needle,
                                std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // How many messages contain `needle` so far.
  size_t Count(const std::string& needle);
  // Waits until at least `n` messages contain `needle`.
  bool WaitForCount(const std::string& needle, size_t n, std::chrono::milliseconds timeout);
  std::vector<std::string> Messages();

 private:
  void Receive();
  std::string path_;
  int fd_ = -1;
  int stop_ = -1;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> messages_;
};

}  // namespace sloth::test
