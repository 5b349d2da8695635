#include "daemon/units/launcher_protocol.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "daemon/units/cgroup_support.h"
#include "daemon/units/unit_watcher.h"

namespace sloth {
namespace {

using namespace std::chrono_literals;

UnitStart Sample() {
  UnitStart s;
  s.unit = "sloth-task-t-000001-9f3c.service";
  s.agent = "web1";
  s.task_id = "t-000001-9f3c";
  s.task_name = "deploy";
  s.group = "adhoc";
  s.command = "make install && echo \"done\"";
  s.user = "root";
  s.workdir = "/srv";
  s.env = {{"A", "1"}, {"SECRET", "x=y"}};
  s.limits.memory_max = uint64_t{512} << 20;
  s.limits.cpu_quota = 50;
  s.kill_grace = 5s;
  s.runtime_max = 3665s;
  return s;
}

TEST(LauncherProtocol, AStartRequestReadsBackAsSent) {
  auto text = EncodeStartRequest(Sample());
  ASSERT_TRUE(text) << text.error().message;
  auto request = DecodeRequest(*text);
  ASSERT_TRUE(request) << request.error().message;
  ASSERT_EQ(request->op, LauncherOp::kStart);
  const UnitStart& s = request->start;
  EXPECT_EQ(s.unit, "sloth-task-t-000001-9f3c.service");
  EXPECT_EQ(s.agent, "web1");
  EXPECT_EQ(s.task_name, "deploy");
  EXPECT_EQ(s.command, "make install && echo \"done\"");
  EXPECT_EQ(s.workdir, "/srv");
  EXPECT_EQ(s.env, Sample().env);
  EXPECT_EQ(s.limits, Sample().limits);
  EXPECT_EQ(s.kill_grace, 5s);
  EXPECT_EQ(s.runtime_max, 3665s);
}

TEST(LauncherProtocol, OnlyTaskUnitsCanBeStartedOrStopped) {
  for (const char* name : {"ssh.service", "sloth-task-.service", "sloth-task-x.socket", "sloth-task-../x.service",
                           "sloth-task-a b.service", "sloth-task-x.service.d"}) {
    EXPECT_FALSE(IsTaskUnitName(name)) << name;
    EXPECT_FALSE(DecodeRequest(EncodeStopRequest(name))) << name;
    UnitStart s = Sample();
    s.unit = name;
    EXPECT_FALSE(DecodeRequest(*EncodeStartRequest(s))) << name;
  }
  EXPECT_TRUE(DecodeRequest(EncodeStopRequest("sloth-task-t-000001-9f3c.service")));
}

TEST(LauncherProtocol, MalformedRequestsAreRefusedWithAReason) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "not a JSON object"},
      {"[]", "not a JSON object"},
      {R"({"op":"reboot"})", "unknown operation \"reboot\""},
      {R"({"op":"start","unit":"sloth-task-a.service","command":"x","user":"root"})", "\"workdir\" is missing"},
      {R"({"op":"start","unit":"sloth-task-a.service","command":"x","user":"root","workdir":"srv"})", "absolute path"},
      {R"({"op":"start","unit":"sloth-task-a.service","command":"","user":"root","workdir":"/"})", "command is empty"},
      {R"({"op":"start","unit":"sloth-task-a.service","command":"x\u0000","user":"root","workdir":"/"})", "NUL"},
      {R"({"op":"start","unit":"sloth-task-a.service","command":"x","user":"root","workdir":"/","env":[["A=B","v"]]})",
       "not a valid environment variable name"},
      {R"({"op":"start","unit":"sloth-task-a.service","command":"x","user":"root","workdir":"/","memory_max":-1})",
       "non-negative integer"},
      {R"({"op":"start","unit":"sloth-task-a.service","command":"x","user":"root","workdir":"/","kill_grace_usec":9000000000})",
       "above one hour"},
  };
  for (const auto& [text, reason] : cases) {
    auto r = DecodeRequest(text);
    ASSERT_FALSE(r) << text;
    EXPECT_NE(r.error().message.find(reason), std::string::npos) << text << " -> " << r.error().message;
  }
}

TEST(LauncherProtocol, WhatCannotTravelIsRefusedBeforeSending) {
  UnitStart s = Sample();
  s.command = "echo \xff";
  auto r = EncodeStartRequest(s);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("valid UTF-8"), std::string::npos);
  s.command = std::string(kLauncherMaxMessage, 'x');
  r = EncodeStartRequest(s);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("too large for unit mode"), std::string::npos);
}

TEST(LauncherProtocol, Replies) {
  EXPECT_TRUE(DecodeReply(EncodeReply({})));
  auto refused = DecodeReply(EncodeReply(Failure{"refused: no"}));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message, "refused: no");
  EXPECT_FALSE(DecodeReply("garbage"));
}

TEST(UnitObjectPath, DecodesTheManagersPathEscaping) {
  EXPECT_EQ(UnitNameFromObjectPath("/org/freedesktop/systemd1/unit/sloth_2dtask_2dt_2d000001_2d9f3c_2eservice"),
            "sloth-task-t-000001-9f3c.service");
  EXPECT_EQ(UnitNameFromObjectPath("/org/freedesktop/systemd1/unit/_2d_2eslice"), "-.slice");
  EXPECT_EQ(UnitNameFromObjectPath("/org/freedesktop/systemd1/job/12"), "");
}

TEST(CgroupSupport, UnifiedHierarchyControllersDecide) {
  char tmpl[] = "/tmp/sloth-cgroup-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string root = tmpl;
  { std::ofstream(root + "/cgroup.controllers") << "cpuset cpu io memory pids\n"; }
  EXPECT_EQ(CgroupLimitSupport(root, "0::/system.slice/slothd.service\n"), LimitSupport{});
  { std::ofstream(root + "/cgroup.controllers") << "\n"; }
  const LimitSupport none = CgroupLimitSupport(root, "0::/system.slice/slothd.service\n");
  EXPECT_EQ(none.memory, "no memory controller for task units (cgroup v2 without it: " + root + "/cgroup.controllers)");
  EXPECT_FALSE(none.cpu.empty());
  EXPECT_FALSE(none.tasks.empty());
  std::filesystem::remove_all(root);
}

TEST(CgroupSupport, V1HierarchiesCountWhereSystemdGaveUsACgroup) {
  const std::string self =
      "9:name=systemd:/system.slice/slothd.service\n8:pids:/system.slice/slothd.service\n4:memory:/\n"
      "1:cpu,cpuacct:/system.slice/slothd.service\n0::/system.slice/slothd.service\n";
  const LimitSupport support = CgroupLimitSupport("/nonexistent-cgroup-root", self);
  EXPECT_EQ(support.memory,
            "no memory controller for task units (cgroup v1 memory hierarchy not available to systemd)");
  EXPECT_EQ(support.cpu, "");
  EXPECT_EQ(support.tasks, "");
}

}  // namespace
}  // namespace sloth
