#include "daemon/launcher/task_unit_properties.h"

#include <gtest/gtest.h>

#include "daemon/launcher/launch_policy.h"

namespace sloth {
namespace {

using namespace std::chrono_literals;

const UnitProperty* Find(const std::vector<UnitProperty>& properties, std::string_view name) {
  for (const UnitProperty& p : properties) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

UnitStart Sample() {
  UnitStart s;
  s.unit = "sloth-task-t-000001-9f3c.service";
  s.agent = "web1";
  s.task_id = "t-000001-9f3c";
  s.task_name = "deploy\nx";
  s.group = "adhoc";
  s.command = "echo $HOME";
  s.user = "root";
  s.workdir = "/";
  s.kill_grace = 5s;
  return s;
}

TEST(TaskUnitProperties, AsSystemdRunWouldWithTheShellExpandingItsOwnCommand) {
  const auto p = TaskUnitProperties(Sample(), "/usr/libexec/slothd/slothd-task-exec");
  EXPECT_EQ(std::get<std::string>(Find(p, "Slice")->value), "sloth.slice");
  EXPECT_EQ(std::get<std::string>(Find(p, "CollectMode")->value), "inactive-or-failed");
  EXPECT_EQ(std::get<std::string>(Find(p, "User")->value), "root");
  const ExecLine& exec = std::get<ExecLine>(Find(p, "ExecStartEx")->value);
  EXPECT_EQ(exec.path, "/usr/libexec/slothd/slothd-task-exec");
  EXPECT_EQ(exec.argv, (std::vector<std::string>{"/usr/libexec/slothd/slothd-task-exec", "--report-fd=0", "--",
                                                 "/bin/sh", "-c", "echo $HOME"}));
  EXPECT_EQ(exec.flags, std::vector<std::string>{"no-env-expand"});
  EXPECT_EQ(std::get<FdSlot>(Find(p, "StandardInputFileDescriptor")->value).index, 0);
  EXPECT_EQ(std::get<FdSlot>(Find(p, "StandardOutputFileDescriptor")->value).index, 1);
  EXPECT_EQ(std::get<FdSlot>(Find(p, "StandardErrorFileDescriptor")->value).index, 2);
  EXPECT_EQ(std::get<uint64_t>(Find(p, "TimeoutStopUSec")->value), 5000000u);
  EXPECT_EQ(std::get<JournalFields>(Find(p, "LogExtraFields")->value).entries,
            (std::vector<std::string>{"SLOTH_AGENT=web1", "SLOTH_TASK=deploy x", "SLOTH_GROUP=adhoc",
                                      "SLOTH_TASK_ID=t-000001-9f3c"}));
  EXPECT_EQ(Find(p, "MemoryMax"), nullptr);
  EXPECT_EQ(Find(p, "RuntimeMaxUSec"), nullptr);
  EXPECT_EQ(Find(p, "Environment"), nullptr);
}

TEST(TaskUnitProperties, LimitsBecomeTheUnitsOwn) {
  UnitStart s = Sample();
  s.limits = {uint64_t{64} << 20, 50, 32};
  s.runtime_max = 70s;
  s.env = {{"A", "b c"}};
  const auto p = TaskUnitProperties(s, "/x");
  EXPECT_EQ(std::get<uint64_t>(Find(p, "MemoryMax")->value), uint64_t{64} << 20);
  EXPECT_EQ(std::get<uint64_t>(Find(p, "CPUQuotaPerSecUSec")->value), 500000u);  // 50% of a second
  EXPECT_EQ(std::get<uint64_t>(Find(p, "TasksMax")->value), 32u);
  EXPECT_EQ(std::get<uint64_t>(Find(p, "RuntimeMaxUSec")->value), 70000000u);
  EXPECT_EQ(std::get<std::vector<std::string>>(Find(p, "Environment")->value), std::vector<std::string>{"A=b c"});
}

TEST(LaunchPolicy, OnlyTheConfiguredUserAndAllowedUsers) {
  TaskConfig tasks;
  tasks.user = "deploy";
  tasks.allowed_users = {"nobody"};
  UnitStart s = Sample();
  s.user = "deploy";
  EXPECT_TRUE(AuthorizeStart(s, tasks));
  s.user = "nobody";
  EXPECT_TRUE(AuthorizeStart(s, tasks));
  s.user = "root";
  auto refused = AuthorizeStart(s, tasks);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message,
            "refused: user \"root\" is neither [tasks] user nor in [tasks] allowed_users of the launcher's "
            "configuration");
}

}  // namespace
}  // namespace sloth
