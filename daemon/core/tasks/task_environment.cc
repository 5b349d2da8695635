#include "daemon/core/tasks/task_environment.h"

#include <pwd.h>
#include <unistd.h>

namespace sloth {

std::vector<std::string> UserEnvironment(uid_t uid) {
  std::vector<std::string> env = {std::string("PATH=") + kTaskPath};
  std::vector<char> buffer(16384);
  passwd entry{};
  passwd* found = nullptr;
  if (::getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found) != 0) found = nullptr;
  env.push_back(std::string("HOME=") + (found && found->pw_dir && *found->pw_dir ? found->pw_dir : "/"));
  env.push_back(std::string("LANG=") + kTaskLang);
  if (found && found->pw_name && *found->pw_name) {
    env.push_back(std::string("USER=") + found->pw_name);
    env.push_back(std::string("LOGNAME=") + found->pw_name);
  }
  return env;
}

char* const* DaemonUserEnvironment() {
  struct Built {
    std::vector<std::string> entries = UserEnvironment(::geteuid());
    std::vector<char*> envp;
    Built() {
      for (std::string& e : entries) envp.push_back(e.data());
      envp.push_back(nullptr);
    }
  };
  static Built built;  // thread-safe initialisation; never changes after
  return built.envp.data();
}

}  // namespace sloth
