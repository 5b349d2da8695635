// A caller without permission, many times over, on both control paths: the socket (slothd's
// SO_PEERCRED check, with the socket's mode opened up as if by hand) and the system bus (the
// shipped policy, on a private dbus-daemon: tests/integration/dbus_private_bus.h). Uid 65534
// via setpriv. Refused every time, told why, nothing run, and the agent keeps serving root.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/integration/dbus_private_bus.h"
#include "tests/integration/harness.h"

using namespace sloth::test;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

namespace {

constexpr int kAttempts = 200;
const std::string kNobody = "setpriv --reuid=65534 --regid=65534 --clear-groups ";

class PermissionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (setpriv, owning the bus name under the shipped policy)";
    bus_ = std::make_unique<PrivateSystemBus>(std::vector<std::string>{SLOTH_DBUS_POLICY});
    ::setenv("DBUS_SYSTEM_BUS_ADDRESS", bus_->address().c_str(), 1);  // inherited by slothd
    WriteFile(conf_.File("c.toml"), "[agent]\ncontrol_group = \"\"\n");
    slothd_ = std::make_unique<Slothd>(std::vector<std::string>{"--config", conf_.File("c.toml")});
    ASSERT_TRUE(slothd_->process().WaitForLine("D-Bus: org.slothrunner.Agent1", 10s)) << slothd_->process().Output();
    ::chmod(slothd_->dir().path().c_str(), 0755);
    ::chmod(slothd_->control_socket().c_str(), 0666);  // the mode no longer protects it
  }
  void TearDown() override { ::unsetenv("DBUS_SYSTEM_BUS_ADDRESS"); }

  std::string Busctl(const std::string& args, bool as_nobody, int* rc) {
    std::string out;
    *rc =
        RunCommand((as_nobody ? kNobody : std::string()) + "busctl --address='" + bus_->address() + "' " + args, &out);
    return out;
  }
  std::string Slothctl(const std::string& args, bool as_nobody, int* rc) {
    std::string out;
    *rc = RunCommand(
        fmt::format("{}{} --socket {} {}", as_nobody ? kNobody : "", SLOTHCTL_PATH, slothd_->control_socket(), args),
        &out);
    return out;
  }

  TempDir conf_;
  std::unique_ptr<PrivateSystemBus> bus_;
  std::unique_ptr<Slothd> slothd_;
};

}  // namespace

TEST_F(PermissionTest, CallerWithoutPermissionIsRefusedOnTheSocketEveryTime) {
  const auto start = std::chrono::steady_clock::now();
  int refused = 0, rc = 0;
  std::string example, not_refused;
  for (int i = 0; i < kAttempts / 10; ++i) {  // slothctl reads the refusal line: a process each
    const std::string out = Slothctl("agent run local 'touch /tmp/slothd-permission-test-ran'", true, &rc);
    if (rc == 69 && out.find("permission denied") != std::string::npos) {
      ++refused;
    } else if (not_refused.empty()) {
      not_refused = fmt::format("attempt {}: exit {}: {}", i + 1, rc, out);
    }
    if (example.empty()) example = out;
  }
  EXPECT_EQ(refused, kAttempts / 10) << not_refused;
  EXPECT_THAT(example, HasSubstr("uid 65534 is neither root nor slothd's user"));
  // The raw socket, many more times: told why and closed each time.
  std::string out;
  const int raw =
      RunCommand(kNobody + "/usr/bin/python3 -c \"import socket,sys\nn=0\nfor _ in range(" + std::to_string(kAttempts) +
                     "):\n s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(5)\n"
                     " n+=s.recv(100).startswith(b'slothd: refused')\n s.close()\nprint(n)\" " +
                     slothd_->control_socket(),
                 &out);
  EXPECT_EQ(raw, 0) << out;
  EXPECT_EQ(std::atoi(out.c_str()), kAttempts) << out;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(::access("/tmp/slothd-permission-test-ran", F_OK), -1) << "a refused task ran";
  EXPECT_EQ(Slothctl("agent info local", false, &rc).find("permission"), std::string::npos);
  EXPECT_EQ(rc, 0) << "root must still be served";
  std::cout << fmt::format(
      "figure: socket, uid 65534: {} slothctl runs and {} raw connections refused in {:.1f} s, "
      "each told why; root served after\n",
      refused, kAttempts, seconds);
}

TEST_F(PermissionTest, CallerWithoutPermissionIsRefusedOnTheBusEveryTime) {
  const auto start = std::chrono::steady_clock::now();
  int denied = 0, rc = 0;
  std::string example;
  for (int i = 0; i < kAttempts / 4; ++i) {
    for (const char* call :
         {"RunTask sssa{ss}t 'touch /tmp/slothd-permission-test-ran' x x 0 0", "CancelTask s t-1", "Reload"}) {
      const std::string out = Busctl(
          std::string("call org.slothrunner.Agent1 /org/slothrunner/Agent1 org.slothrunner.Agent1 ") + call, true, &rc);
      if (rc != 0 && out.find("Access denied") != std::string::npos) ++denied;
      if (example.empty()) example = out;
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(denied, 3 * (kAttempts / 4)) << example;
  EXPECT_EQ(::access("/tmp/slothd-permission-test-ran", F_OK), -1) << "a denied task ran";
  // Reading stays open to everyone (the policy), and root may act.
  Busctl("call org.slothrunner.Agent1 /org/slothrunner/Agent1 org.slothrunner.Agent1 GetInfo", true, &rc);
  EXPECT_EQ(rc, 0) << "GetInfo is open to everyone";
  Busctl("call org.slothrunner.Agent1 /org/slothrunner/Agent1 org.slothrunner.Agent1 RunTask sssa{ss}t true x x 0 0",
         false, &rc);
  EXPECT_EQ(rc, 0) << "root may run a task";
  std::cout << fmt::format(
      "figure: D-Bus, uid 65534: {} RunTask/CancelTask/Reload calls denied by the policy in {:.1f} "
      "s; GetInfo answered; root's RunTask accepted\n",
      denied, seconds);
}
