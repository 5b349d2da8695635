#pragma once
// The master's registry: every agent it knows, whether it is connected, and its status decided
// from its heartbeats and a clock passed in (so the decisions are pure and tested without
// waiting). Records are written through to a RegistryStore; what a restarted master loads from
// it is `down` (or `gone`) until the agent dials again.
// Thread-safe: the master's completion-queue thread, its sweeper and its HTTP threads share it.
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/duration.h"
#include "common/log.h"
#include "common/result.h"
#include "daemon/core/fleet/agent_record.h"
#include "daemon/core/fleet/registry_store.h"

namespace sloth {

struct FleetTiming {
  Duration heartbeat_interval = std::chrono::seconds(5);
  uint32_t missed_heartbeats = 3;  // this many intervals without one: down
};

// An agent's status at `now`: gone once it unregistered; down when no stream is connected or
// its last heartbeat is more than missed_heartbeats intervals old; up otherwise.
AgentStatus StatusAt(const AgentRecord& record, bool connected, WallTime now, const FleetTiming& timing);

// A registration refused: what to tell the agent.
struct RegistrationRefused {
  std::string message;
};

class FleetRegistry {
 public:
  FleetRegistry(RegistryStore& store, FleetTiming timing, Logger& log);

  // Reads the store; a store that cannot be read is a start-up failure.
  Result<void> Load();

  struct Registration {
    uint64_t session = 0;           // names this connection in later calls
    uint64_t replaced_session = 0;  // the agent's previous connection, still open (0: none)
  };
  // An agent's stream said who it is: connected and up from `now`. The name and sizes are
  // checked (labels, URL) so that one agent cannot fill the master's memory.
  Result<Registration, RegistrationRefused> Register(AgentRecord hello, WallTime now);
  // False when `session` is no longer the agent's connection (replaced or removed).
  bool Heartbeat(std::string_view name, uint64_t session, uint32_t tasks_running, WallTime now);
  // The stream of `session` ended; `unregistered`: the agent said goodbye (gone, not down).
  void Disconnected(std::string_view name, uint64_t session, bool unregistered, WallTime now);

  struct Removed {
    bool known = false;
    uint64_t session = 0;  // its live connection, to close (0: none)
  };
  // Forgets the agent (the store too).
  Removed Remove(std::string_view name);

  struct View {
    AgentRecord record;
    AgentStatus status = AgentStatus::kDown;
    uint64_t session = 0;  // 0: not connected
  };
  std::vector<View> List(WallTime now) const;  // by name
  std::optional<View> Find(std::string_view name, WallTime now) const;
  std::map<AgentStatus, size_t> CountByStatus(WallTime now) const;

  struct Transition {
    std::string name;
    AgentStatus from = AgentStatus::kDown;
    AgentStatus to = AgentStatus::kDown;
    WallTime last_heartbeat{};
    bool connected = false;  // down with its stream still open: heartbeats missed
  };
  // The status changes since the previous sweep (registrations and disconnections included), to
  // log; call it every second or so. A registration is an edge, never lost: an agent that
  // registered and went silent since the last sweep gives two changes, to up and then to down.
  std::vector<Transition> Sweep(WallTime now);
  // Writes the heartbeats received since the last call to the store in one batch: they are the
  // frequent change, so they are persisted every few seconds rather than one write each.
  void PersistHeartbeats();

  const FleetTiming& timing() const { return timing_; }

 private:
  struct Entry {
    AgentRecord record;
    uint64_t session = 0;                       // 0: not connected
    AgentStatus reported = AgentStatus::kDown;  // as of the last Sweep
    // Registered since the last Sweep: the sweep reports it up even when it went silent since,
    // so that an agent that registers and stops answering within one sweep is logged up, then down.
    bool registered_since_sweep = false;
    WallTime persisted_heartbeat{};
  };
  void SaveLocked(const Entry& entry);

  RegistryStore& store_;
  const FleetTiming timing_;
  Logger& log_;
  mutable std::mutex mutex_;
  std::map<std::string, Entry, std::less<>> agents_;
  uint64_t next_session_ = 1;
};

}  // namespace sloth
