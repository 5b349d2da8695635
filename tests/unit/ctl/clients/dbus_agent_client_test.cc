#include "ctl/clients/dbus_agent_client.h"

#include <gtest/gtest.h>

namespace sloth::ctl {
namespace {

TEST(CallErrorFromDbus, NoOwnerOrNoBusIsUnavailable) {
  for (const char* name : {"org.freedesktop.DBus.Error.ServiceUnknown", "org.freedesktop.DBus.Error.NameHasNoOwner",
                           "org.freedesktop.DBus.Error.NoReply", "org.freedesktop.DBus.Error.Disconnected"}) {
    EXPECT_EQ(CallErrorFromDbus(name, "gone").code, CallCode::kUnavailable) << name;
  }
  EXPECT_EQ(CallErrorFromDbus("org.freedesktop.DBus.Error.Timeout", "slow").code, CallCode::kDeadline);
  EXPECT_EQ(CallErrorFromDbus("org.freedesktop.DBus.Error.TimedOut", "slow").code, CallCode::kDeadline);
}

TEST(CallErrorFromDbus, PolicyArgumentsAndOldAgentsHaveTheirCodes) {
  EXPECT_EQ(CallErrorFromDbus("org.freedesktop.DBus.Error.AccessDenied", "x").code, CallCode::kPermissionDenied);
  EXPECT_EQ(CallErrorFromDbus("org.freedesktop.DBus.Error.InvalidArgs", "x").code, CallCode::kInvalidArgument);
  EXPECT_EQ(CallErrorFromDbus("org.freedesktop.DBus.Error.UnknownMethod", "x").code, CallCode::kUnimplemented);
  const CallError full = CallErrorFromDbus("org.slothrunner.Agent1.Error.QueueFull", "task refused: queue full");
  EXPECT_EQ(full.code, CallCode::kResourceExhausted);
  EXPECT_EQ(full.message, "org.slothrunner.Agent1.Error.QueueFull: task refused: queue full");
  EXPECT_EQ(CallErrorFromDbus("org.slothrunner.Agent1.Error.UserNotAllowed", "x").code, CallCode::kPermissionDenied);
  EXPECT_EQ(CallErrorFromDbus("org.slothrunner.Agent1.Error.Refused", "task refused: shutting down").code,
            CallCode::kUnavailable);
}

}  // namespace
}  // namespace sloth::ctl
