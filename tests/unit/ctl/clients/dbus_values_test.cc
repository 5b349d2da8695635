// The D-Bus client's dictionary translations (ctl/clients/dbus_values.h), without a bus.
#include "ctl/clients/dbus_values.h"

#include <gtest/gtest.h>

namespace sloth::ctl {
namespace {

TEST(DbusValues, MissingOrMistypedKeysGiveTheDefault) {
  const DbusDict d = {{"count", sdbus::Variant(uint32_t{3})}, {"name", sdbus::Variant(std::string("x"))}};
  EXPECT_EQ(DbusGet<uint32_t>(d, "count"), 3u);
  EXPECT_EQ(DbusGet<std::string>(d, "count", "fallback"), "fallback");
  EXPECT_EQ(DbusGet<int32_t>(d, "absent", -1), -1);
}

TEST(DbusValues, AWorkflowRunAsGetWorkflowRunGivesIt) {
  DbusDict last = {{"id", sdbus::Variant(std::string("t-000002-abcd"))},
                   {"status", sdbus::Variant(std::string("failed"))},
                   {"exit_code", sdbus::Variant(int32_t{3})},
                   {"output", sdbus::Variant(std::vector<uint8_t>{'b', 'o', 'o', 'm'})}};
  DbusDict task = {{"group", sdbus::Variant(std::string("app"))},
                   {"name", sdbus::Variant(std::string("test"))},
                   {"depends_on", sdbus::Variant(std::vector<std::string>{"app.build"})},
                   {"status", sdbus::Variant(std::string("failed"))},
                   {"attempts", sdbus::Variant(uint32_t{2})},
                   {"reason", sdbus::Variant(std::string("exit code 3"))},
                   {"task", sdbus::Variant(last)}};
  DbusDict skipped = {{"group", sdbus::Variant(std::string("app"))},
                      {"name", sdbus::Variant(std::string("ship"))},
                      {"status", sdbus::Variant(std::string("skipped"))}};
  DbusDict group = {{"name", sdbus::Variant(std::string("app"))},
                    {"status", sdbus::Variant(std::string("failed"))},
                    {"duration_seconds", sdbus::Variant(1.5)}};
  DbusDict run = {{"id", sdbus::Variant(std::string("w-000001-abcd"))},
                  {"workflow", sdbus::Variant(std::string("deploy"))},
                  {"status", sdbus::Variant(std::string("failed"))},
                  {"cancelled", sdbus::Variant(true)},
                  {"tasks_failed", sdbus::Variant(uint32_t{1})},
                  {"groups", sdbus::Variant(std::vector<DbusDict>{group})},
                  {"tasks", sdbus::Variant(std::vector<DbusDict>{task, skipped})}};
  v1::WorkflowRun out;
  FillWorkflowRun(run, &out);
  EXPECT_EQ(out.id(), "w-000001-abcd");
  EXPECT_EQ(out.status(), v1::TASK_STATUS_FAILED);
  EXPECT_TRUE(out.cancelled());
  EXPECT_EQ(out.tasks_failed(), 1u);
  ASSERT_EQ(out.groups_size(), 1);
  EXPECT_EQ(out.groups(0).duration_seconds(), 1.5);
  ASSERT_EQ(out.tasks_size(), 2);
  EXPECT_EQ(out.tasks(0).index(), 0u);
  EXPECT_EQ(out.tasks(0).depends_on(0), "app.build");
  EXPECT_EQ(out.tasks(0).attempts(), 2u);
  EXPECT_EQ(out.tasks(0).last().exit_code(), 3);
  EXPECT_EQ(out.tasks(0).last().kept_output(), "boom");
  EXPECT_EQ(out.tasks(1).index(), 1u);
  EXPECT_EQ(out.tasks(1).status(), v1::TASK_STATUS_SKIPPED);
  EXPECT_TRUE(out.tasks(1).last().id().empty());
}

}  // namespace
}  // namespace sloth::ctl
