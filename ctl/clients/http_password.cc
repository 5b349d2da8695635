#include "ctl/clients/http_password.h"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <fstream>

#include <fmt/format.h>

#include "common/unique_fd.h"
#include "ctl/errors.h"

namespace sloth::ctl {
namespace {

// Restores the terminal's echo on every path out.
class EchoOff {
 public:
  explicit EchoOff(int fd) : fd_(fd) {
    if (::tcgetattr(fd_, &saved_) != 0) return;
    termios quiet = saved_;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    active_ = ::tcsetattr(fd_, TCSAFLUSH, &quiet) == 0;
  }
  ~EchoOff() {
    if (active_) ::tcsetattr(fd_, TCSAFLUSH, &saved_);
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

 private:
  int fd_;
  termios saved_{};
  bool active_ = false;
};

}  // namespace

std::optional<std::string> PromptOnTerminal(const std::string& question) {
  UniqueFd tty(::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!tty) return std::nullopt;
  if (::write(tty.get(), question.data(), question.size()) < 0) return std::nullopt;
  std::string answer;
  {
    EchoOff quiet(tty.get());
    char c;
    while (::read(tty.get(), &c, 1) == 1 && c != '\n') answer.push_back(c);
  }
  // The newline the unechoed Enter did not print; without it the next output starts on the prompt's line.
  if (::write(tty.get(), "\n", 1) < 0) return answer;
  return answer;
}

HttpCredentials CredentialsFor(const Context::Http& http, const PasswordPrompt& prompt) {
  HttpCredentials out{http.cacert, http.cert, http.key, http.user, {}};
  if (http.user.empty()) return out;
  if (http.password_from_env && !http.password_from_env->empty()) {
    out.password = *http.password_from_env;
    return out;
  }
  if (!http.password_file.empty()) {
    std::ifstream file(http.password_file);
    if (!file || !std::getline(file, out.password)) {
      throw UsageError(fmt::format("--password-file: cannot read a password from {}", http.password_file));
    }
    if (!out.password.empty() && out.password.back() == '\r') out.password.pop_back();
    return out;
  }
  auto typed = prompt(fmt::format("Password for {}: ", http.user));
  if (!typed) {
    throw UsageError(fmt::format(
        "--user {}: no password: set SLOTH_PASSWORD, pass --password-file FILE, or run on a terminal to be asked",
        http.user));
  }
  out.password = std::move(*typed);
  return out;
}

}  // namespace sloth::ctl
