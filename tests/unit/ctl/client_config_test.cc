#include "ctl/client_config.h"

#include <gtest/gtest.h>

#include "ctl/errors.h"

namespace sloth::ctl {
namespace {

std::string Refusal(std::string_view text) {
  GlobalFlags flags;
  try {
    ApplyClientConfig(text, "slothctl.toml", "/home/op", &flags);
  } catch (const CtlError& e) {
    EXPECT_EQ(e.exit_code(), kExitUsage);
    return e.what();
  }
  ADD_FAILURE() << "accepted: " << text;
  return {};
}

TEST(ApplyClientConfig, FillsTheFlagsNotGivenAndExpandsHome) {
  GlobalFlags flags;
  flags.user = "from-the-command-line";
  ApplyClientConfig(
      "endpoint = \"https://agent:9090\"\ncacert = \"~/ca.crt\"\ncert = \"/c.crt\"\nkey = \"/c.key\"\n"
      "user = \"prometheus\"\npassword_file = \"~/.config/sloth/password\"\n",
      "slothctl.toml", "/home/op", &flags);
  EXPECT_EQ(flags.endpoint, "https://agent:9090");
  EXPECT_EQ(flags.cacert, "/home/op/ca.crt");
  EXPECT_EQ(flags.cert, "/c.crt");
  EXPECT_EQ(flags.key, "/c.key");
  EXPECT_EQ(flags.user, "from-the-command-line");
  EXPECT_EQ(flags.password_file, "/home/op/.config/sloth/password");
}

TEST(ApplyClientConfig, RefusesUnknownKeysWrongTypesAndPasswords) {
  EXPECT_EQ(Refusal("endpiont = \"x\"\n").rfind("slothctl.toml:1:1: endpiont: unknown key", 0), 0u);
  EXPECT_NE(Refusal("user = 3\n").find("slothctl.toml:1:8: user: expected a string"), std::string::npos);
  EXPECT_NE(Refusal("password = \"hunter2\"\n").find("password: not kept in slothctl.toml"), std::string::npos);
  EXPECT_NE(Refusal("user = \n").find("TOML syntax error"), std::string::npos);
}

}  // namespace
}  // namespace sloth::ctl
