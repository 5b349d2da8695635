#pragma once
// The environment a task starts from: never the daemon's own (which may hold its unit's
// settings, credentials handed to it, or systemd's plumbing), but what a login would give the
// user the task runs as. The configuration's [tasks] environment and the request's variables
// are added on top (BuildTaskEnvironment in task_process.h).
#include <sys/types.h>
#include <string>
#include <vector>

namespace sloth {

// systemd's default for services, so a task finds the same commands in process mode as in a
// transient unit.
inline constexpr const char* kTaskPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
inline constexpr const char* kTaskLang = "C.UTF-8";

// "NAME=value" entries for `uid`: PATH, HOME (its passwd entry's, "/" without one), LANG, and
// USER and LOGNAME when it has a name.
std::vector<std::string> UserEnvironment(uid_t uid);

// UserEnvironment(geteuid()) as execve wants it (NULL-terminated), built once: the user tasks
// run as in process mode, the daemon's own, does not change while it runs.
char* const* DaemonUserEnvironment();

}  // namespace sloth
