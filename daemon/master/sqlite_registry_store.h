#pragma once
// The registry's embedded store: one SQLite file in the master's state directory
// ([master] state_dir/registry.sqlite), so a restarted master still lists the agents it knew and
// when each was last heard from. WAL journal with synchronous=NORMAL: a write is a few tens of
// microseconds, and a crash loses at most the last transactions, never the file.
// Threads: the registry calls it under its own lock, one call at a time.
#include <memory>
#include <string>

#include "common/result.h"
#include "daemon/core/fleet/registry_store.h"

struct sqlite3;
struct sqlite3_stmt;

namespace sloth {

class SqliteRegistryStore final : public RegistryStore {
 public:
  // Opens (creating) the database at `path`; fails with the path and SQLite's words.
  static Result<std::unique_ptr<SqliteRegistryStore>> Open(const std::string& path);
  ~SqliteRegistryStore() override;
  SqliteRegistryStore(const SqliteRegistryStore&) = delete;
  SqliteRegistryStore& operator=(const SqliteRegistryStore&) = delete;

  Result<std::vector<AgentRecord>> Load() override;
  Result<void> Save(const AgentRecord& record) override;
  Result<void> SaveHeartbeats(const std::vector<std::pair<std::string, WallTime>>& heartbeats) override;
  Result<void> Remove(const std::string& name) override;

 private:
  SqliteRegistryStore(sqlite3* db, std::string path);
  Result<void> Exec(const char* sql);
  Failure Error(std::string_view what) const;
  Result<sqlite3_stmt*> Prepared(std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)>& slot, const char* sql);

  sqlite3* db_;
  std::string path_;
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> save_;
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> heartbeat_;
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> remove_;
};

}  // namespace sloth
