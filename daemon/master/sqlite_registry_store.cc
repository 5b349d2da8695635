#include "daemon/master/sqlite_registry_store.h"

#include <sqlite3.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/duration.h"

namespace sloth {
namespace {

constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS agents ("
    " name TEXT PRIMARY KEY NOT NULL,"
    " version TEXT NOT NULL, os TEXT NOT NULL, arch TEXT NOT NULL,"
    " labels TEXT NOT NULL,"  // a JSON object
    " metrics_url TEXT NOT NULL, address TEXT NOT NULL,"
    " first_seen_ms INTEGER NOT NULL, connected_since_ms INTEGER NOT NULL, last_heartbeat_ms INTEGER NOT NULL,"
    " tasks_running INTEGER NOT NULL, unregistered INTEGER NOT NULL);";

WallTime FromMillis(int64_t ms) { return WallTime(std::chrono::milliseconds(ms)); }

std::string Text(sqlite3_stmt* statement, int column) {
  const auto* text = sqlite3_column_text(statement, column);
  return text == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(text));
}

void BindText(sqlite3_stmt* statement, int index, const std::string& value) {
  sqlite3_bind_text(statement, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
}

// Resets the statement whatever happens, so the next use starts clean.
struct ResetOnExit {
  sqlite3_stmt* statement;
  ~ResetOnExit() {
    sqlite3_reset(statement);
    sqlite3_clear_bindings(statement);
  }
};

}  // namespace

Result<std::unique_ptr<SqliteRegistryStore>> SqliteRegistryStore::Open(const std::string& path) {
  sqlite3* db = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string why = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return Failure{
        fmt::format("cannot open the registry {}: {}; check [master] state_dir and its permissions", path, why)};
  }
  std::unique_ptr<SqliteRegistryStore> store(new SqliteRegistryStore(db, path));
  sqlite3_busy_timeout(db, 2000);
  for (const char* sql : {"PRAGMA journal_mode=WAL;", "PRAGMA synchronous=NORMAL;", kSchema}) {
    if (auto done = store->Exec(sql); !done) return done.error();
  }
  return store;
}

SqliteRegistryStore::SqliteRegistryStore(sqlite3* db, std::string path)
    : db_(db),
      path_(std::move(path)),
      save_(nullptr, sqlite3_finalize),
      heartbeat_(nullptr, sqlite3_finalize),
      remove_(nullptr, sqlite3_finalize) {}

SqliteRegistryStore::~SqliteRegistryStore() {
  save_.reset();
  heartbeat_.reset();
  remove_.reset();
  sqlite3_close(db_);
}

Failure SqliteRegistryStore::Error(std::string_view what) const {
  return Failure{fmt::format("registry {}: {}: {}", path_, what, sqlite3_errmsg(db_))};
}

Result<void> SqliteRegistryStore::Exec(const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    Failure failure{fmt::format("registry {}: {}", path_, message != nullptr ? message : "error")};
    sqlite3_free(message);
    return failure;
  }
  return {};
}

Result<sqlite3_stmt*> SqliteRegistryStore::Prepared(std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)>& slot,
                                                    const char* sql) {
  if (!slot) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db_, sql, -1, &statement, nullptr) != SQLITE_OK) return Error("prepare");
    slot.reset(statement);
  }
  return slot.get();
}

Result<std::vector<AgentRecord>> SqliteRegistryStore::Load() {
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> query(nullptr, sqlite3_finalize);
  auto statement = Prepared(query,
                            "SELECT name, version, os, arch, labels, metrics_url, address, first_seen_ms, "
                            "connected_since_ms, last_heartbeat_ms, tasks_running, unregistered FROM agents;");
  if (!statement) return statement.error();
  std::vector<AgentRecord> records;
  int rc;
  while ((rc = sqlite3_step(*statement)) == SQLITE_ROW) {
    AgentRecord r;
    r.name = Text(*statement, 0);
    r.version = Text(*statement, 1);
    r.os = Text(*statement, 2);
    r.arch = Text(*statement, 3);
    const auto labels = nlohmann::json::parse(Text(*statement, 4), nullptr, false);
    if (labels.is_object()) {
      for (const auto& [key, value] : labels.items()) {
        if (value.is_string()) r.labels[key] = value.get<std::string>();
      }
    }
    r.metrics_url = Text(*statement, 5);
    r.address = Text(*statement, 6);
    r.first_seen = FromMillis(sqlite3_column_int64(*statement, 7));
    r.connected_since = FromMillis(sqlite3_column_int64(*statement, 8));
    r.last_heartbeat = FromMillis(sqlite3_column_int64(*statement, 9));
    r.tasks_running = static_cast<uint32_t>(sqlite3_column_int64(*statement, 10));
    r.unregistered = sqlite3_column_int64(*statement, 11) != 0;
    records.push_back(std::move(r));
  }
  if (rc != SQLITE_DONE) return Error("load");
  return records;
}

Result<void> SqliteRegistryStore::Save(const AgentRecord& r) {
  auto statement = Prepared(save_,
                            "INSERT OR REPLACE INTO agents (name, version, os, arch, labels, metrics_url, address, "
                            "first_seen_ms, connected_since_ms, last_heartbeat_ms, tasks_running, unregistered) "
                            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12);");
  if (!statement) return statement.error();
  ResetOnExit reset{*statement};
  BindText(*statement, 1, r.name);
  BindText(*statement, 2, r.version);
  BindText(*statement, 3, r.os);
  BindText(*statement, 4, r.arch);
  BindText(*statement, 5, nlohmann::json(r.labels).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  BindText(*statement, 6, r.metrics_url);
  BindText(*statement, 7, r.address);
  sqlite3_bind_int64(*statement, 8, UnixMillis(r.first_seen));
  sqlite3_bind_int64(*statement, 9, UnixMillis(r.connected_since));
  sqlite3_bind_int64(*statement, 10, UnixMillis(r.last_heartbeat));
  sqlite3_bind_int64(*statement, 11, r.tasks_running);
  sqlite3_bind_int64(*statement, 12, r.unregistered ? 1 : 0);
  if (sqlite3_step(*statement) != SQLITE_DONE) return Error(fmt::format("save agent {}", r.name));
  return {};
}

Result<void> SqliteRegistryStore::SaveHeartbeats(const std::vector<std::pair<std::string, WallTime>>& heartbeats) {
  auto statement = Prepared(heartbeat_, "UPDATE agents SET last_heartbeat_ms = ?2 WHERE name = ?1;");
  if (!statement) return statement.error();
  if (auto begun = Exec("BEGIN;"); !begun) return begun.error();
  for (const auto& [name, when] : heartbeats) {
    ResetOnExit reset{*statement};
    BindText(*statement, 1, name);
    sqlite3_bind_int64(*statement, 2, UnixMillis(when));
    if (sqlite3_step(*statement) != SQLITE_DONE) {
      Failure failure = Error("save heartbeats");
      (void)Exec("ROLLBACK;");  // the failure above is what the caller needs to hear
      return failure;
    }
  }
  return Exec("COMMIT;");
}

Result<void> SqliteRegistryStore::Remove(const std::string& name) {
  auto statement = Prepared(remove_, "DELETE FROM agents WHERE name = ?1;");
  if (!statement) return statement.error();
  ResetOnExit reset{*statement};
  BindText(*statement, 1, name);
  if (sqlite3_step(*statement) != SQLITE_DONE) return Error(fmt::format("remove agent {}", name));
  return {};
}

}  // namespace sloth
