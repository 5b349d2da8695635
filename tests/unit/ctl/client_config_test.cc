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

TEST(ApplyClientConfig, TheMasterSectionFillsTheMasterFlagsNotGiven) {
  GlobalFlags flags;
  flags.master_cert = "/flag.crt";
  ApplyClientConfig(
      "[master]\naddress = \"m.example:50053\"\ncacert = \"/ca.crt\"\ncert = \"~/a.crt\"\nkey = \"~/a.key\"\n"
      "token_file = \"~/ci.token\"\ninsecure = false\n",
      "slothctl.toml", "/home/op", &flags);
  EXPECT_EQ(flags.master, "");  // the file's address comes after $SLOTH_MASTER: ChooseMaster decides
  EXPECT_EQ(flags.master_in_file, "m.example:50053");
  EXPECT_EQ(flags.master_in_file_source, "slothctl.toml:2:1");
  EXPECT_EQ(flags.master_cacert, "/ca.crt");
  EXPECT_EQ(flags.master_cert, "/flag.crt");
  EXPECT_EQ(flags.master_key, "/home/op/a.key");
  EXPECT_EQ(flags.master_token_file, "/home/op/ci.token");
  EXPECT_FALSE(flags.master_insecure);

  Environment env;
  EXPECT_EQ(ChooseMaster(flags, env)->address, "m.example:50053");
  env.sloth_master = "env.example:1";
  EXPECT_EQ(ChooseMaster(flags, env)->address, "env.example:1");
  flags.master_in_file = "no-port";
  env.sloth_master.reset();
  try {
    ChooseMaster(flags, env);
    ADD_FAILURE() << "accepted no-port";
  } catch (const CtlError& e) {
    EXPECT_EQ(std::string(e.what()),
              "slothctl.toml:2:1: master.address: expected HOST:PORT (e.g. master.example:50053), got 'no-port'");
  }
}

TEST(ApplyClientConfig, TheMasterSectionRefusesUnknownKeysWrongTypesAndTokens) {
  EXPECT_EQ(
      Refusal("[master]\nadress = \"x:1\"\n"),
      "slothctl.toml:2:1: master.adress: unknown key (allowed: address, cacert, cert, key, token_file, insecure)");
  EXPECT_EQ(Refusal("[master]\ncert = 1\n"), "slothctl.toml:2:1: master.cert: expected a string");
  EXPECT_EQ(Refusal("[master]\ninsecure = \"yes\"\n"), "slothctl.toml:2:1: master.insecure: expected true or false");
  EXPECT_NE(Refusal("[master]\ntoken = \"abc\"\n").find("master.token: not kept in slothctl.toml"), std::string::npos);
}

}  // namespace
}  // namespace sloth::ctl
