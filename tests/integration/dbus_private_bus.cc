#include "tests/integration/dbus_private_bus.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace sloth::test {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Reads one line from `fd` within `timeout`; empty if none came.
std::string ReadLine(int fd, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string line;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return {};
    pollfd p{fd, POLLIN, 0};
    const int rc = ::poll(&p, 1, static_cast<int>(left.count()));
    if (rc < 0 && errno == EINTR) continue;
    if (rc <= 0) return {};
    char c;
    const ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return {};
    if (c == '\n') return line;
    line += c;
  }
}

}  // namespace

std::string PrivateBusConfig(const std::string& system_conf, const std::string& socket_path,
                             const std::string& policy_dir) {
  std::string conf = system_conf;
  // Daemon-only settings, and every include: the host's own policies must not apply.
  for (const char* pattern :
       {R"(<user>[\s\S]*?</user>)", R"(<fork\s*/>)", R"(<pidfile>[\s\S]*?</pidfile>)", R"(<syslog\s*/>)",
        R"(<servicehelper>[\s\S]*?</servicehelper>)", R"(<standard_system_servicedirs\s*/>)",
        R"(<includedir>[\s\S]*?</includedir>)", R"(<include\b[^>]*>[\s\S]*?</include>)"}) {
    conf = std::regex_replace(conf, std::regex(pattern), "");
  }
  conf = std::regex_replace(conf, std::regex(R"(<listen>[\s\S]*?</listen>)"),
                            "<listen>unix:path=" + socket_path + "</listen>");
  const auto end = conf.rfind("</busconfig>");
  if (end == std::string::npos) throw std::runtime_error("system.conf has no </busconfig>");
  conf.insert(end, "  <includedir>" + policy_dir + "</includedir>\n");
  return conf;
}

PrivateSystemBus::PrivateSystemBus(const std::vector<std::string>& policy_files) {
  // Other uids (the denied-call tests) must reach the socket: mkdtemp made the dir 0700.
  ::chmod(dir_.path().c_str(), 0755);
  const std::string policy_dir = dir_.File("system.d");
  std::filesystem::create_directories(policy_dir);
  for (const auto& file : policy_files) {
    std::filesystem::copy_file(file, policy_dir + "/" + std::filesystem::path(file).filename().string());
  }
  const std::string conf_path = dir_.File("system.conf");
  WriteFile(conf_path,
            PrivateBusConfig(ReadAll("/usr/share/dbus-1/system.conf"), dir_.File("system_bus_socket"), policy_dir));

  int address_pipe[2];
  if (::pipe2(address_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, dir_.File("dbus-daemon.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_adddup2(&actions, address_pipe[1], 3);
  std::vector<std::string> args = {"dbus-daemon", "--config-file=" + conf_path, "--nofork", "--print-address=3"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int rc = ::posix_spawnp(&pid_, "dbus-daemon", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(address_pipe[1]);
  if (rc != 0) {
    ::close(address_pipe[0]);
    throw std::runtime_error(std::string("cannot start dbus-daemon: ") + std::strerror(rc));
  }
  address_ = ReadLine(address_pipe[0], std::chrono::seconds(20));
  ::close(address_pipe[0]);
  if (address_.empty()) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
    throw std::runtime_error("dbus-daemon did not print its address; its output:\n" + Log());
  }
}

PrivateSystemBus::~PrivateSystemBus() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

std::string PrivateSystemBus::Log() const { return ReadAll(dir_.File("dbus-daemon.log")); }

}  // namespace sloth::test
