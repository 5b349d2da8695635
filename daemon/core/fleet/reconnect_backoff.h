#pragma once
// How long an agent waits before it dials its master again. Pure: the random draw is passed in.
#include <cstdint>

#include "common/duration.h"

namespace sloth {

struct ReconnectBackoff {
  Duration first = std::chrono::milliseconds(500);
  Duration max = std::chrono::seconds(30);
};

// The wait before retry `attempt` (0: the first retry after a loss): doubling from `first`, capped
// at `max`, with "equal jitter": half the step fixed, half drawn from `random01` in [0, 1). A
// fleet that lost its master at once does not come back at once (the restarted master would
// take every handshake in the same second), yet no agent retries sooner than half its step.
Duration ReconnectDelay(const ReconnectBackoff& backoff, uint32_t attempt, double random01);

}  // namespace sloth
