#include "ctl/clients/http_password.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>

#include "ctl/errors.h"

namespace sloth::ctl {
namespace {

// A file with the given contents in $TMPDIR, removed on destruction.
class TempFile {
 public:
  explicit TempFile(const std::string& contents) {
    const char* base = std::getenv("TMPDIR");
    path_ = std::string(base && *base ? base : "/tmp") + "/slothctl-test-XXXXXX";
    const int fd = ::mkstemp(path_.data());
    if (fd >= 0) ::close(fd);
    std::ofstream(path_) << contents;
  }
  ~TempFile() { ::unlink(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

PasswordPrompt NoTerminal() {
  return [](const std::string&) { return std::optional<std::string>(); };
}

TEST(CredentialsFor, WithoutUserNoPasswordIsAsked) {
  Context::Http http;
  http.cacert = "/ca.crt";
  bool asked = false;
  auto c = CredentialsFor(http, [&](const std::string&) {
    asked = true;
    return std::optional<std::string>("x");
  });
  EXPECT_FALSE(asked);
  EXPECT_EQ(c.cacert, "/ca.crt");
  EXPECT_TRUE(c.password.empty());
}

TEST(CredentialsFor, EnvironmentThenFileThenPrompt) {
  TempFile file("from-the-file\nsecond line\n");
  Context::Http http;
  http.user = "prometheus";
  http.password_file = file.path();
  http.password_from_env = "from-env";
  EXPECT_EQ(CredentialsFor(http, NoTerminal()).password, "from-env");
  http.password_from_env.reset();
  EXPECT_EQ(CredentialsFor(http, NoTerminal()).password, "from-the-file");
  http.password_file.clear();
  std::string question;
  auto c = CredentialsFor(http, [&](const std::string& q) {
    question = q;
    return std::optional<std::string>("typed");
  });
  EXPECT_EQ(c.password, "typed");
  EXPECT_EQ(c.user, "prometheus");
  EXPECT_EQ(question, "Password for prometheus: ");
}

TEST(CredentialsFor, NoPasswordAnywhereIsAUsageErrorThatSaysWhere) {
  Context::Http http;
  http.user = "prometheus";
  try {
    CredentialsFor(http, NoTerminal());
    FAIL() << "no error";
  } catch (const CtlError& e) {
    EXPECT_EQ(e.exit_code(), kExitUsage);
    EXPECT_NE(std::string(e.what()).find("SLOTH_PASSWORD"), std::string::npos);
  }
  http.password_file = "/nonexistent/password";
  EXPECT_THROW(CredentialsFor(http, NoTerminal()), CtlError);
}

}  // namespace
}  // namespace sloth::ctl
