#include <gtest/gtest.h>

#include "ctl/errors.h"
#include "ctl/global_options.h"

namespace sloth::ctl {
namespace {

TEST(ChooseSocketPath, FlagThenEnvironmentThenDefault) {
  Environment env;
  EXPECT_EQ(ChooseSocketPath("", env), "/run/slothd/slothd.sock");
  env.sloth_socket = "";
  EXPECT_EQ(ChooseSocketPath("", env), "/run/slothd/slothd.sock");
  env.sloth_socket = "/tmp/s.sock";
  EXPECT_EQ(ChooseSocketPath("", env), "/tmp/s.sock");
  EXPECT_EQ(ChooseSocketPath("/x.sock", env), "/x.sock");
}

TEST(EmojiAllowed, OnlyWithUtf8LocaleAndNoNoColor) {
  Environment env;
  EXPECT_FALSE(EmojiAllowed(false, env));  // C locale
  env.lang = "en_US.UTF-8";
  EXPECT_TRUE(EmojiAllowed(false, env));
  EXPECT_FALSE(EmojiAllowed(true, env));
  env.no_color = "";
  EXPECT_TRUE(EmojiAllowed(false, env));  // NO_COLOR counts only when non-empty
  env.no_color = "1";
  EXPECT_FALSE(EmojiAllowed(false, env));
}

TEST(EmojiAllowed, LcAllOverridesLang) {
  Environment env;
  env.lang = "en_US.UTF-8";
  env.lc_all = "C";
  EXPECT_FALSE(EmojiAllowed(false, env));
  env.lc_all = "de_DE.utf8";
  env.lang = "C";
  EXPECT_TRUE(EmojiAllowed(false, env));
}

TEST(MakeContext, ParsesTheGlobalFlags) {
  GlobalFlags flags;
  flags.output = "json";
  flags.timeout = "1500ms";
  flags.endpoint = "http://h:1";
  const Context context = MakeContext(flags, Environment());
  EXPECT_EQ(context.output, OutputFormat::kJson);
  EXPECT_EQ(context.call_timeout, std::chrono::milliseconds(1500));
  EXPECT_EQ(context.endpoint, "http://h:1");
  EXPECT_EQ(context.socket_path, "/run/slothd/slothd.sock");
}

TEST(MakeContext, BadTimeoutIsAUsageErrorNamingTheFlag) {
  GlobalFlags flags;
  flags.timeout = "soon";
  try {
    MakeContext(flags, Environment());
    FAIL();
  } catch (const CtlError& e) {
    EXPECT_EQ(e.exit_code(), kExitUsage);
    EXPECT_EQ(std::string(e.what()).rfind("--timeout:", 0), 0u) << e.what();
  }
}

TEST(MakeContext, UserTakesANameOnlyAndKeyNeedsCert) {
  GlobalFlags flags;
  flags.user = "prometheus:hunter2";
  try {
    MakeContext(flags, Environment{});
    FAIL() << "accepted a password in argv";
  } catch (const CtlError& e) {
    EXPECT_EQ(e.exit_code(), kExitUsage);
    EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos) << "the error must not echo it";
  }
  flags.user = "prometheus";
  flags.key = "/c.key";
  EXPECT_THROW(MakeContext(flags, Environment{}), CtlError);
  flags.cert = "/c.crt";
  Environment env;
  env.sloth_password = "pw";
  const Context c = MakeContext(flags, env);
  EXPECT_EQ(c.http.user, "prometheus");
  EXPECT_EQ(c.http.cert, "/c.crt");
  EXPECT_EQ(c.http.password_from_env, "pw");
}

}  // namespace
}  // namespace sloth::ctl

namespace sloth::ctl {
namespace {

TEST(ChooseMaster, FlagThenEnvironmentWithTheCredentialFlags) {
  GlobalFlags flags;
  Environment env;
  EXPECT_FALSE(ChooseMaster(flags, env));
  env.sloth_master = "m.example:50053";
  env.sloth_token = "from-env";
  auto master = ChooseMaster(flags, env);
  ASSERT_TRUE(master);
  EXPECT_EQ(master->address, "m.example:50053");
  EXPECT_EQ(master->token, "from-env");
  flags.master = "10.0.0.1:6000";
  flags.master_cacert = "/ca.crt";
  flags.master_cert = "/me.crt";
  flags.master_key = "/me.key";
  flags.master_token_file = "/token";
  master = ChooseMaster(flags, env);
  EXPECT_EQ(master->address, "10.0.0.1:6000");
  EXPECT_EQ(master->cacert, "/ca.crt");
  EXPECT_EQ(master->cert, "/me.crt");
  EXPECT_EQ(master->token_file, "/token");
  EXPECT_EQ(MakeContext(flags, env).master->address, "10.0.0.1:6000");
}

TEST(ChooseMaster, AnAddressThatIsNotHostPortIsAUsageErrorNamingWhereItCameFrom) {
  GlobalFlags flags;
  Environment env;
  env.sloth_master = "m.example";
  try {
    ChooseMaster(flags, env);
    FAIL();
  } catch (const CtlError& e) {
    EXPECT_EQ(e.exit_code(), kExitUsage);
    EXPECT_EQ(std::string(e.what()), "SLOTH_MASTER: expected HOST:PORT (e.g. master.example:50053), got 'm.example'");
  }
}

}  // namespace
}  // namespace sloth::ctl
