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
