#include "ctl/ctl_config.h"

#include <gtest/gtest.h>

#include "ctl/errors.h"
#include "ctl/global_options.h"

namespace sloth::ctl {
namespace {

TEST(ParseCtlConfig, ReadsTheMasterSection) {
  auto config = ParseCtlConfig(
      "[master]\naddress = \"m.example:50053\"\ncacert = \"/ca.crt\"\ncert = \"/a.crt\"\nkey = \"/a.key\"\n"
      "token_file = \"/t\"\ninsecure = false\n",
      "/etc/sloth/slothctl.toml");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->path, "/etc/sloth/slothctl.toml");
  EXPECT_EQ(config->master, "m.example:50053");
  EXPECT_EQ(config->master_cacert, "/ca.crt");
  EXPECT_EQ(config->master_cert, "/a.crt");
  EXPECT_EQ(config->master_key, "/a.key");
  EXPECT_EQ(config->master_token_file, "/t");
  EXPECT_FALSE(config->master_insecure);
}

TEST(ParseCtlConfig, RefusalsNameTheFileLineAndKey) {
  EXPECT_EQ(ParseCtlConfig("[master]\nadress = \"x:1\"\n", "c.toml").error().message,
            "c.toml:2:1: master.adress: unknown key (allowed: address, cacert, cert, key, token_file, insecure)");
  EXPECT_EQ(ParseCtlConfig("[agent]\n", "c.toml").error().message,
            "c.toml:1:2: agent: unknown section (allowed: [master])");
  EXPECT_EQ(ParseCtlConfig("[master]\ncert = 1\n", "c.toml").error().message,
            "c.toml:2:1: master.cert: expected a string");
  EXPECT_EQ(ParseCtlConfig("[master\n", "c.toml").error().message.rfind("c.toml:1:", 0), 0u);
}

TEST(ChooseMaster, TheFileComesAfterFlagsAndEnvironmentKeyByKey) {
  CtlConfig file;
  file.path = "/etc/sloth/slothctl.toml";
  file.master = "file.example:50053";
  file.master_cacert = "/file-ca.crt";
  file.master_cert = "/file.crt";
  file.master_key = "/file.key";
  GlobalFlags flags;
  Environment env;
  auto master = ChooseMaster(flags, env, file);
  ASSERT_TRUE(master);
  EXPECT_EQ(master->address, "file.example:50053");
  EXPECT_EQ(master->cert, "/file.crt");
  env.sloth_master = "env.example:1";
  flags.master_cert = "/flag.crt";
  master = ChooseMaster(flags, env, file);
  EXPECT_EQ(master->address, "env.example:1");
  EXPECT_EQ(master->cert, "/flag.crt");
  EXPECT_EQ(master->key, "/file.key");
  EXPECT_EQ(master->cacert, "/file-ca.crt");

  file.master = "no-port";
  try {
    ChooseMaster(GlobalFlags{}, Environment{}, file);
    FAIL();
  } catch (const CtlError& e) {
    EXPECT_EQ(std::string(e.what()),
              "/etc/sloth/slothctl.toml: master.address: expected HOST:PORT (e.g. master.example:50053), got "
              "'no-port'");
  }
}

}  // namespace
}  // namespace sloth::ctl
