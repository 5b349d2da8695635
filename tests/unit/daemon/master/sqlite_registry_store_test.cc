#include "daemon/master/sqlite_registry_store.h"

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

namespace sloth {
namespace {

const WallTime kT0 = WallTime(std::chrono::milliseconds(1'800'000'000'123));

struct TempFile {
  std::string dir;
  TempFile() {
    char pattern[] = "/tmp/sloth-registry-XXXXXX";
    dir = ::mkdtemp(pattern);
  }
  ~TempFile() { std::filesystem::remove_all(dir); }
  std::string path() const { return dir + "/registry.sqlite"; }
};

AgentRecord Record(const std::string& name) {
  AgentRecord r;
  r.name = name;
  r.version = "0.1.0";
  r.os = "linux";
  r.arch = "arm64";
  r.labels = {{"env", "prod"}, {"rack", "r1"}};
  r.metrics_url = "http://10.0.0.7:9090/metrics";
  r.address = "ipv4:10.0.0.7:51234";
  r.first_seen = kT0;
  r.connected_since = kT0 + std::chrono::seconds(5);
  r.last_heartbeat = kT0 + std::chrono::seconds(9);
  r.tasks_running = 2;
  return r;
}

TEST(SqliteRegistryStore, RecordsSurviveReopening) {
  TempFile file;
  {
    auto store = SqliteRegistryStore::Open(file.path());
    ASSERT_TRUE(store) << store.error().message;
    ASSERT_TRUE((*store)->Save(Record("a1")));
    ASSERT_TRUE((*store)->Save(Record("a2")));
    AgentRecord replaced = Record("a2");
    replaced.unregistered = true;
    ASSERT_TRUE((*store)->Save(replaced));
    ASSERT_TRUE((*store)->SaveHeartbeats({{"a1", kT0 + std::chrono::seconds(60)}, {"unknown", kT0}}));
  }
  auto store = SqliteRegistryStore::Open(file.path());
  ASSERT_TRUE(store);
  auto loaded = (*store)->Load();
  ASSERT_TRUE(loaded) << loaded.error().message;
  ASSERT_EQ(loaded->size(), 2u);
  AgentRecord a1 = Record("a1");
  a1.last_heartbeat = kT0 + std::chrono::seconds(60);
  const auto& first = (*loaded)[0].name == "a1" ? (*loaded)[0] : (*loaded)[1];
  const auto& second = (*loaded)[0].name == "a1" ? (*loaded)[1] : (*loaded)[0];
  EXPECT_EQ(first, a1);
  EXPECT_TRUE(second.unregistered);
  ASSERT_TRUE((*store)->Remove("a1"));
  ASSERT_TRUE((*store)->Remove("a1"));  // no record is not a failure
  EXPECT_EQ((*store)->Load()->size(), 1u);
}

TEST(SqliteRegistryStore, AnUnusablePathIsRefusedWithIt) {
  auto store = SqliteRegistryStore::Open("/proc/no-such-dir/registry.sqlite");
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().message.rfind("cannot open the registry /proc/no-such-dir/registry.sqlite: ", 0), 0u)
      << store.error().message;
}

}  // namespace
}  // namespace sloth
