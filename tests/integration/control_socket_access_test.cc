// Who may use the control socket, and how many at once: slothd checks every connection's
// credentials (SO_PEERCRED) besides the file's mode, refuses with a line slothctl shows, limits
// open connections, closes idle ones, and leaves no file behind after a clean stop.
// Drops to uid 65534 with setpriv, as the D-Bus denied-call tests do; needs root.
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/integration/agent_rpc.h"
#include "tests/integration/harness.h"

using namespace sloth::test;
using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

constexpr uid_t kNobody = 65534;

int ConnectUnix(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// What the daemon says on a connection before closing it ("" if it says nothing in `wait`).
std::string FirstLine(int fd, std::chrono::milliseconds wait) {
  timeval tv{static_cast<time_t>(wait.count() / 1000), static_cast<suseconds_t>((wait.count() % 1000) * 1000)};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[512];
  const ssize_t n = ::read(fd, buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

// slothctl as uid/gid 65534 without supplementary groups; its exit code, stdout+stderr in *out.
int SlothctlAsNobody(const Slothd& agent, const std::string& args, std::string* out) {
  return RunCommand(fmt::format("setpriv --reuid={0} --regid={0} --clear-groups {1} --socket {2} {3}", kNobody,
                                SLOTHCTL_PATH, agent.control_socket(), args),
                    out);
}

// Lets uid 65534 reach the socket file: its directory traversable, the socket's mode as given.
void OpenUpTo(const Slothd& agent, mode_t socket_mode) {
  ASSERT_EQ(::chmod(agent.dir().path().c_str(), 0755), 0);
  ASSERT_EQ(::chmod(agent.control_socket().c_str(), socket_mode), 0);
}

class ControlSocketAccess : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to run callers as uid 65534";
  }
};

}  // namespace

TEST_F(ControlSocketAccess, CallerOutsideRootDaemonUserAndGroupIsRefusedEvenWhenTheModeLetsItIn) {
  TempDir conf;
  WriteFile(conf.File("c.toml"), "[agent]\ncontrol_group = \"\"\n");
  Slothd agent({"--config", conf.File("c.toml")});
  OpenUpTo(agent, 0666);  // as if the mode had been opened by hand: the credentials still decide
  std::string out;
  EXPECT_EQ(SlothctlAsNobody(agent, "agent info local", &out), 69) << out;
  EXPECT_THAT(out, HasSubstr("permission denied"));
  EXPECT_THAT(out, HasSubstr("uid 65534 is neither root nor slothd's user"));
  EXPECT_THAT(out, Not(HasSubstr("is slothd running?")));
  EXPECT_TRUE(agent.process().WaitForLine("control socket: refused uid 65534", 5s)) << agent.process().Output();
  EXPECT_THAT(HttpRequest(agent.metrics_url()).body, HasSubstr("sloth_errors_total{type=\"control_refused\"}"));
  // Root still gets in.
  std::string root_out;
  EXPECT_EQ(
      RunCommand(fmt::format("{} --socket {} agent info local", SLOTHCTL_PATH, agent.control_socket()), &root_out), 0)
      << root_out;
}

TEST_F(ControlSocketAccess, MemberOfTheControlGroupIsAdmitted) {
  TempDir conf;
  WriteFile(conf.File("c.toml"), "[agent]\ncontrol_group = \"nogroup\"\n");  // gid 65534 on Debian
  Slothd agent({"--config", conf.File("c.toml")});
  OpenUpTo(agent, 0666);
  std::string out;
  EXPECT_EQ(SlothctlAsNobody(agent, "agent run local 'id -u'", &out), 0) << out;
}

TEST_F(ControlSocketAccess, SocketModeRefusalIsReportedAsPermissionNotAsDaemonDown) {
  Slothd agent;
  OpenUpTo(agent, 0660);  // the directory is open, the socket is not: connect(2) says EACCES
  std::string out;
  EXPECT_EQ(SlothctlAsNobody(agent, "agent info local", &out), 69) << out;
  EXPECT_THAT(out, HasSubstr("permission denied: agent 'local'"));
  EXPECT_THAT(out, HasSubstr("slothd is running"));
  EXPECT_THAT(out, Not(HasSubstr("is slothd running?")));
}

TEST_F(ControlSocketAccess, OpenConnectionsAreLimitedAndTheExcessIsToldWhy) {
  Slothd agent;
  std::vector<int> held;
  std::string refusal;
  for (int i = 0; i < 300 && refusal.empty(); ++i) {
    const int fd = ConnectUnix(agent.control_socket());
    ASSERT_GE(fd, 0);
    held.push_back(fd);
    if (i >= 256) refusal = FirstLine(fd, 2s);  // the ones past the limit are told, then closed
  }
  EXPECT_THAT(refusal, HasSubstr("slothd: refused: too many control connections (256 open)"));
  for (int fd : held) ::close(fd);
  // Once they are gone, calls get through again.
  std::string out;
  const auto give_up = std::chrono::steady_clock::now() + 10s;
  int rc = -1;
  while ((rc = RunCommand(fmt::format("{} --socket {} agent info local", SLOTHCTL_PATH, agent.control_socket()),
                          &out)) != 0 &&
         std::chrono::steady_clock::now() < give_up) {
  }
  EXPECT_EQ(rc, 0) << out;
}

TEST_F(ControlSocketAccess, IdleConnectionIsClosed) {
  Slothd agent;
  const int fd = ConnectUnix(agent.control_socket());
  ASSERT_GE(fd, 0);
  // The front end closes a connection with no call for 20 s; one that never speaks included.
  EXPECT_TRUE(PeerClosesWithin(fd, 60s)) << "an idle control connection must not stay open";
  ::close(fd);
}

TEST_F(ControlSocketAccess, CleanStopLeavesNoSocketOrLockFile) {
  TempDir dir;
  const std::string socket = dir.File("run/slothd.sock");
  {
    Slothd agent({"--control-socket", socket});
    EXPECT_TRUE(std::filesystem::exists(socket + ".lock"));
    agent.process().Signal(SIGTERM);
    ASSERT_EQ(agent.process().WaitExit(10s), 0);
  }
  EXPECT_FALSE(std::filesystem::exists(socket));
  EXPECT_FALSE(std::filesystem::exists(socket + ".lock")) << "the lock file must go with a clean stop";
}
