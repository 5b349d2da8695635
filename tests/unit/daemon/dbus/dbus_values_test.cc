// The D-Bus front end's translations (dbus_values.h), without a bus.
#include "daemon/dbus/dbus_values.h"

#include <gtest/gtest.h>

namespace sloth {
namespace {

const std::string kReplacement = "\xEF\xBF\xBD";  // U+FFFD

TEST(ValidUtf8, KeepsValidTextWhole) {
  EXPECT_EQ(ValidUtf8("deploy"), "deploy");
  EXPECT_EQ(ValidUtf8("café 🦥"), "café 🦥");
}

TEST(ValidUtf8, ReplacesEachBadByteAndNul) {
  EXPECT_EQ(ValidUtf8("a\xFF"
                      "b"),
            "a" + kReplacement + "b");
  EXPECT_EQ(ValidUtf8(std::string("a\0b", 3)), "a" + kReplacement + "b");
  EXPECT_EQ(ValidUtf8("\xC0\xAF"), kReplacement + kReplacement) << "overlong '/'";
  EXPECT_EQ(ValidUtf8("\xED\xA0\x80"), kReplacement + kReplacement + kReplacement) << "a surrogate";
  EXPECT_EQ(ValidUtf8("\xE2\x82"), kReplacement + kReplacement) << "cut short";
}

TEST(ToDbus, TaskHasEveryDocumentedKeyAndOutputAsBytes) {
  TaskResult r;
  r.id = "t-000001-0001";
  r.status = TaskStatus::kSuccess;
  r.exit_code = 0;
  r.kept_output = "hi\xFF";
  const auto d = ToDbus(r);
  for (const char* key :
       {"id", "name", "group", "command", "status", "exit_code", "signal", "timed_out", "cancelled", "reason",
        "duration_seconds", "start_time_unix_ms", "end_time_unix_ms", "output_truncated", "output_bytes", "output"}) {
    EXPECT_EQ(d.count(key), 1u) << key;
  }
  EXPECT_EQ(d.at("status").get<std::string>(), "success");
  const auto output = d.at("output").get<std::vector<uint8_t>>();
  EXPECT_EQ(std::string(output.begin(), output.end()), "hi\xFF") << "output stays bytes";
}

TEST(ToRow, ListEntryInTheInterfaceOrder) {
  TaskResult r;
  r.id = "t-000002-0002";
  r.name = "n";
  r.group = "g";
  r.status = TaskStatus::kFailed;
  r.reason = "exit code 3";
  r.exit_code = 3;
  const TaskRow row = ToRow(r);
  EXPECT_EQ(row.get<0>(), "t-000002-0002");
  EXPECT_EQ(row.get<3>(), "failed");
  EXPECT_EQ(row.get<4>(), "exit code 3");
  EXPECT_EQ(row.get<5>(), 3);
}

}  // namespace
}  // namespace sloth
