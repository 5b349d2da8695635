#pragma once
// Process-wide settings for the gRPC runtime, shared by slothd's front end and slothctl.
#include <absl/synchronization/mutex.h>

namespace sloth {

// Debian builds abseil with its mutex deadlock detection on (kAbort): every lock and unlock
// inside gRPC updates a global lock graph (GraphCycles), ~5 µs of CPU per task on each side of
// the control socket. It only diagnoses abseil's own mutexes, which are gRPC's, not ours.
inline void TurnOffMutexDebugging() {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::EnableMutexInvariantDebugging(false);
}

}  // namespace sloth
