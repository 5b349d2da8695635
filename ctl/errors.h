#pragma once
// slothctl's exit codes and the one error type that carries one to main().
#include <stdexcept>
#include <string>

namespace sloth::ctl {

// Exit codes, shared by every command so scripts can rely on them.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;       // the agent answered "no" (unhealthy, not cancelled, ...)
inline constexpr int kExitUsage = 2;         // bad flags or arguments
inline constexpr int kExitUnavailable = 69;  // agent not found, unreachable or stopping (sysexits EX_UNAVAILABLE)
// `agent run`: the agent refused the task, which never ran (sysexits codes, which tasks rarely use).
inline constexpr int kExitRefusedInvalid = 65;     // the request as given cannot run (EX_DATAERR)
inline constexpr int kExitRefusedQueueFull = 75;   // the agent's queue is full: try again later (EX_TEMPFAIL)
inline constexpr int kExitRefusedNotAllowed = 77;  // a user tasks may not run as, or not permitted (EX_NOPERM)
inline constexpr int kExitTimeout = 124;           // the task hit its timeout (as timeout(1))
inline constexpr int kExitSignalBase = 128;        // task killed by signal N: 128+N (as a shell)
inline constexpr int kExitInterrupted = 130;       // Ctrl-C: 128+SIGINT

// A failure the command cannot recover from: main() prints "slothctl: <what()>" on stderr as
// one line and exits with exit_code().
class CtlError : public std::runtime_error {
 public:
  CtlError(int exit_code, const std::string& message) : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

inline CtlError UsageError(const std::string& message) { return CtlError(kExitUsage, message); }

}  // namespace sloth::ctl
