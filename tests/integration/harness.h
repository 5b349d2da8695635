#pragma once
// Integration-test harness: real slothd processes, a real HTTP client (libcurl), temp dirs.
// Readiness is the daemon's own "ready" log line (carrying SLOTH_METRICS_URL), never a sleep.
#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace sloth::test {

// A fresh directory under $TMPDIR, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string File(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

void WriteFile(const std::string& path, std::string_view content);

// A child process with its stderr (and stdout) captured line by line.
class ChildProcess {
 public:
  ChildProcess(const std::string& program, const std::vector<std::string>& args,
               const std::vector<std::string>& extra_env = {});
  ~ChildProcess();  // SIGKILLs and reaps if still running

  pid_t pid() const { return pid_; }
  // The first output line containing `needle`, waiting up to `timeout`; nullopt if the process
  // exited or the time ran out first.
  std::optional<std::string> WaitForLine(std::string_view needle,
                                         std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // The `count`th complete output line containing `needle` (1: the first), waiting as above.
  std::optional<std::string> WaitForNthLine(std::string_view needle, size_t count,
                                            std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // All output so far.
  std::string Output();
  void Signal(int sig);
  // The exit code (128+signal if killed), or nullopt if it did not exit within `timeout`.
  std::optional<int> WaitExit(std::chrono::milliseconds timeout = std::chrono::seconds(20));

 private:
  void ReadOutput(int fd);
  pid_t pid_ = -1;
  int pidfd_ = -1;
  std::optional<int> exit_code_;
  std::thread reader_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::string output_;
  bool eof_ = false;
};

// slothd from the build tree, started with `args` plus test-safe paths (state dir, control
// socket, unless `args` name them) in a private temp dir; waits until it is serving.
class Slothd {
 public:
  explicit Slothd(std::vector<std::string> args = {}, bool wait_ready = true, std::vector<std::string> extra_env = {});
  ChildProcess& process() { return *process_; }
  const std::string& metrics_url() const { return metrics_url_; }  // "" when telemetry is off
  std::string base_url() const;                                    // "http://127.0.0.1:PORT"
  const TempDir& dir() const { return dir_; }
  std::string state_dir() const { return dir_.File("state"); }
  const std::string& control_socket() const { return control_socket_; }

 private:
  TempDir dir_;
  std::unique_ptr<ChildProcess> process_;
  std::string metrics_url_;
  std::string control_socket_;
};

std::string SlothdPath();

struct CtlResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// slothctl (the build's, at `slothctl_path`) with `args` on `agent`'s control socket, to its exit.
CtlResult RunSlothctl(const std::string& slothctl_path, const Slothd& agent, std::vector<std::string> args);

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string error;  // curl's error when the transfer failed (status 0)
};

// One request with libcurl; `method` "GET", "HEAD", "POST", ...; no automatic decompression.
HttpResponse HttpRequest(const std::string& url, const std::string& method = "GET",
                         const std::vector<std::string>& headers = {}, const std::string& body = {},
                         std::chrono::milliseconds timeout = std::chrono::seconds(10));

// A port that was free a moment ago on 127.0.0.1.
uint16_t FreePort();

// The port of "http://host:PORT/..." (the last colon's number).
uint16_t PortOf(const std::string& url);

// A raw TCP connection to 127.0.0.1:`port` from a chosen loopback source address (127.0.0.0/8
// is all loopback), so tests can play other client hosts. -1 if refused.
int ConnectFrom(const std::string& source, uint16_t port);

// Waits for the peer to close `fd` (read returns 0 or an error) for up to `timeout`, reading and
// discarding whatever it sends before.
bool PeerClosesWithin(int fd, std::chrono::milliseconds timeout);

// The TCP ports `pid` listens on (from /proc/PID/fd and /proc/PID/net/tcp{,6}).
std::vector<uint16_t> ListeningPorts(pid_t pid);

// Runs a shell command; returns its exit code and fills `output` with stdout+stderr.
int RunCommand(const std::string& command, std::string* output = nullptr);

}  // namespace sloth::test
