#include "daemon/core/fleet/reconnect_backoff.h"

#include <algorithm>

namespace sloth {

Duration ReconnectDelay(const ReconnectBackoff& backoff, uint32_t attempt, double random01) {
  Duration step = backoff.first;
  for (uint32_t i = 0; i < attempt && step < backoff.max; ++i) step *= 2;
  step = std::min(step, backoff.max);
  const double draw = std::clamp(random01, 0.0, 1.0);
  const auto half = step / 2;
  return half + std::chrono::duration_cast<Duration>(
                    std::chrono::duration<double, std::nano>(static_cast<double>((step - half).count()) * draw));
}

}  // namespace sloth
