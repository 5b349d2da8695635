// slothd's telemetry server against clients that trickle, hold or bend their requests: an
// absolute deadline for a whole request head, limits a handful of addresses cannot fill, and
// 400 for requests a proxy might read differently (missing Host, conflicting Content-Length).
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/integration/harness.h"

using namespace sloth::test;
using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::StartsWith;

namespace {

// Sends `request` on a fresh connection and returns everything the server sent until it closed
// the connection (or 5 s passed).
std::string Exchange(uint16_t port, const std::string& request) {
  const int fd = ConnectFrom("127.0.0.1", port);
  if (fd < 0) return "connect failed";
  [[maybe_unused]] ssize_t n = ::write(fd, request.data(), request.size());
  std::string answer;
  pollfd p{fd, POLLIN, 0};
  char buf[4096];
  while (::poll(&p, 1, 5000) > 0) {
    const ssize_t got = ::read(fd, buf, sizeof buf);
    if (got <= 0) break;
    answer.append(buf, static_cast<size_t>(got));
  }
  ::close(fd);
  return answer;
}

// Connections that send a request line, then one header line every `interval`, forever:
// never idle, never done.
class Tricklers {
 public:
  Tricklers(uint16_t port, const std::vector<std::string>& sources, int per_source, std::chrono::milliseconds interval)
      : interval_(interval) {
    for (const auto& source : sources) {
      for (int i = 0; i < per_source; ++i) {
        const int fd = ConnectFrom(source, port);
        if (fd < 0) continue;
        ::fcntl(fd, F_SETFL, O_NONBLOCK);
        const std::string line = "GET /metrics HTTP/1.1\r\nHost: x\r\n";
        [[maybe_unused]] ssize_t n = ::send(fd, line.data(), line.size(), MSG_NOSIGNAL);
        fds_.push_back(fd);
      }
    }
    closed_.assign(fds_.size(), false);
    thread_ = std::thread([this] { Trickle(); });
  }
  ~Tricklers() {
    stop_ = true;
    thread_.join();
    for (int fd : fds_) ::close(fd);
  }
  size_t opened() const { return fds_.size(); }
  // Connections the server has closed so far.
  size_t closed() const { return closed_count_.load(); }

 private:
  void Trickle() {
    int line = 0;
    while (!stop_) {
      const std::string header = fmt::format("X-Trickle-{}: 1\r\n", line++);
      for (size_t i = 0; i < fds_.size(); ++i) {
        if (closed_[i]) continue;
        char buf[512];
        const ssize_t got = ::recv(fds_[i], buf, sizeof buf, 0);  // the server's answer, or its close
        const ssize_t sent = ::send(fds_[i], header.data(), header.size(), MSG_NOSIGNAL);
        if (got == 0 || (got < 0 && errno != EAGAIN) || (sent < 0 && errno != EAGAIN)) {
          closed_[i] = true;
          ++closed_count_;
        }
      }
      std::this_thread::sleep_for(interval_);  // the attack's pace, not a synchronisation
    }
  }

  std::chrono::milliseconds interval_;
  std::vector<int> fds_;
  std::vector<bool> closed_;  // trickle thread only
  std::atomic<size_t> closed_count_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace

TEST(SlothdHttpRequests, TricklingClientsFromAFewAddressesCannotStarveHealth) {
  TempDir conf;
  WriteFile(conf.File("t.toml"), "[telemetry]\nrequest_timeout = \"1s\"\n");
  Slothd agent({"--config", conf.File("t.toml")});
  const uint16_t port = PortOf(agent.base_url());
  // What the probe found: 4 addresses x 64 connections filled the old 256, at the old
  // per-address limit of 64.
  Tricklers tricklers(port, {"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"}, 64, 200ms);
  for (int i = 0; i < 5; ++i) {
    auto r = HttpRequest(agent.base_url() + "/health", "GET", {}, {}, 3s);
    EXPECT_EQ(r.status, 200) << "probe " << i << ": " << r.error;
  }
  // Every trickling connection is cut though it never stops sending (the per-address limit
  // closes the excess at once, the request deadline the others).
  const auto give_up = std::chrono::steady_clock::now() + 10s;
  while (tricklers.closed() < tricklers.opened() && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(100ms);  // polling a count the trickle thread updates
  }
  EXPECT_EQ(tricklers.closed(), tricklers.opened()) << "trickling connections must not outlive the request deadline";
  EXPECT_EQ(HttpRequest(agent.base_url() + "/health").status, 200);
}

TEST(SlothdHttpRequests, SilentConnectionIsCutAtTheRequestDeadlineNotTheIdleTimeout) {
  TempDir conf;
  WriteFile(conf.File("t.toml"), "[telemetry]\nrequest_timeout = \"500ms\"\nconnection_timeout = \"1m\"\n");
  Slothd agent({"--config", conf.File("t.toml")});
  const int fd = ConnectFrom("127.0.0.2", PortOf(agent.base_url()));
  ASSERT_GE(fd, 0);
  EXPECT_TRUE(PeerClosesWithin(fd, 10s)) << "a connection that sends nothing must be cut at the request deadline";
  ::close(fd);
}

TEST(SlothdHttpRequests, KeepAliveConnectionGetsANewDeadlinePerRequest) {
  TempDir conf;
  WriteFile(conf.File("t.toml"), "[telemetry]\nrequest_timeout = \"1s\"\n");
  Slothd agent({"--config", conf.File("t.toml")});
  const int fd = ConnectFrom("127.0.0.1", PortOf(agent.base_url()));
  ASSERT_GE(fd, 0);
  // Three requests over ~1.5 s on one connection: each arrives whole within its own deadline.
  for (int i = 0; i < 3; ++i) {
    const std::string request = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
    ASSERT_EQ(::write(fd, request.data(), request.size()), static_cast<ssize_t>(request.size()));
    char buf[512] = {};
    ASSERT_GT(::read(fd, buf, sizeof buf - 1), 0) << "request " << i;
    EXPECT_THAT(std::string(buf), StartsWith("HTTP/1.1 200")) << "request " << i;
    std::this_thread::sleep_for(500ms);  // the client's think time between requests
  }
  ::close(fd);
}

TEST(SlothdHttpRequests, Http11WithoutHostIs400) {
  Slothd agent;
  const uint16_t port = PortOf(agent.base_url());
  EXPECT_THAT(Exchange(port, "GET /metrics HTTP/1.1\r\n\r\n"), StartsWith("HTTP/1.1 400"));
  EXPECT_THAT(Exchange(port, "GET /metrics HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), StartsWith("HTTP/1.1 400"));
  // HTTP/1.0 has no Host requirement.
  EXPECT_THAT(Exchange(port, "GET /health HTTP/1.0\r\n\r\n"), StartsWith("HTTP/1.1 200"));
  EXPECT_THAT(Exchange(port, "GET /health HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"),
              StartsWith("HTTP/1.1 200"));
}

TEST(SlothdHttpRequests, ConflictingOrInvalidContentLengthIs400AndCloses) {
  Slothd agent;
  const uint16_t port = PortOf(agent.base_url());
  // Read as "no body", the second request would hide in the first one's body (smuggling).
  const std::string smuggle =
      "GET /health HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nContent-Length: 28\r\n\r\n"
      "GET /metrics HTTP/1.1\r\nX: \r\n\r\n";
  const std::string answer = Exchange(port, smuggle);
  EXPECT_THAT(answer, StartsWith("HTTP/1.1 400"));
  EXPECT_THAT(answer, HasSubstr("conflicting Content-Length"));
  EXPECT_EQ(answer.find("HTTP/1.1", 1), std::string::npos) << "one answer, then the connection closes:\n" << answer;
  EXPECT_THAT(
      Exchange(port, "GET /health HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n"),
      StartsWith("HTTP/1.1 400"));
  // The same length twice is not a conflict.
  EXPECT_THAT(Exchange(port,
                       "GET /health HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nContent-Length: 0\r\n"
                       "Connection: close\r\n\r\n"),
              StartsWith("HTTP/1.1 200"));
}
