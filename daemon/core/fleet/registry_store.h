#pragma once
// Where the master's registry persists its records, so a restarted master still knows which
// agents went missing. Narrow on purpose: the embedded default is SQLite in the master's state
// directory (daemon/master/sqlite_registry_store.h); a store shared by several masters (etcd)
// would implement the same four calls. Live state (who is connected now) is never stored: it
// belongs to the master that holds the connection.
// Implementations are called under the registry's lock, one call at a time.
#include <utility>
#include <vector>

#include "common/result.h"
#include "daemon/core/fleet/agent_record.h"

namespace sloth {

class RegistryStore {
 public:
  virtual ~RegistryStore() = default;

  // Every record, in any order.
  virtual Result<std::vector<AgentRecord>> Load() = 0;
  // Inserts or replaces the record with this name.
  virtual Result<void> Save(const AgentRecord& record) = 0;
  // Only the heartbeat fields of agents already saved (the frequent write, batched).
  virtual Result<void> SaveHeartbeats(const std::vector<std::pair<std::string, WallTime>>& heartbeats) = 0;
  // Forgets the record; no record is not a failure.
  virtual Result<void> Remove(const std::string& name) = 0;
};

}  // namespace sloth
