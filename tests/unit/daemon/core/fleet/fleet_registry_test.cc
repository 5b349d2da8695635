#include "daemon/core/fleet/fleet_registry.h"

#include <gtest/gtest.h>

#include "daemon/master/sqlite_registry_store.h"

namespace sloth {
namespace {

using namespace std::chrono_literals;

const WallTime kT0 = WallTime(std::chrono::seconds(1'800'000'000));
const FleetTiming kTiming{5s, 3};

AgentRecord Hello(const std::string& name) {
  AgentRecord r;
  r.name = name;
  r.version = "0.1.0";
  r.os = "linux";
  r.arch = "amd64";
  r.metrics_url = "http://10.0.0.5:9090/metrics";
  r.labels = {{"env", "prod"}};
  return r;
}

// A registry on a real SQLite store in memory.
struct Registry {
  Logger log{std::make_unique<ConsoleLogSink>(stderr), LogLevel::kError};
  std::unique_ptr<SqliteRegistryStore> store = std::move(SqliteRegistryStore::Open(":memory:")).value();
  FleetRegistry registry{*store, kTiming, log};
};

TEST(StatusAt, GoneDownOrUpFromTheRecordTheStreamAndTheClock) {
  AgentRecord r = Hello("a");
  r.last_heartbeat = kT0;
  EXPECT_EQ(StatusAt(r, true, kT0 + 15s, kTiming), AgentStatus::kUp);  // three intervals: still up
  EXPECT_EQ(StatusAt(r, true, kT0 + 15s + 1ms, kTiming), AgentStatus::kDown);
  EXPECT_EQ(StatusAt(r, false, kT0, kTiming), AgentStatus::kDown);  // no stream
  r.unregistered = true;
  EXPECT_EQ(StatusAt(r, false, kT0, kTiming), AgentStatus::kGone);
}

TEST(FleetRegistry, ARegisteredAgentIsUpWithItsRecord) {
  Registry r;
  auto registered = r.registry.Register(Hello("a1"), kT0);
  ASSERT_TRUE(registered);
  EXPECT_EQ(registered->replaced_session, 0u);
  const auto view = r.registry.Find("a1", kT0 + 1s);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->status, AgentStatus::kUp);
  EXPECT_EQ(view->record.first_seen, kT0);
  EXPECT_EQ(view->record.connected_since, kT0);
  EXPECT_EQ(view->record.labels.at("env"), "prod");
}

TEST(FleetRegistry, HeartbeatsKeepItUpAndMissingThemMakeItDown) {
  Registry r;
  const uint64_t session = r.registry.Register(Hello("a1"), kT0)->session;
  EXPECT_TRUE(r.registry.Heartbeat("a1", session, 4, kT0 + 10s));
  EXPECT_EQ(r.registry.Find("a1", kT0 + 24s)->status, AgentStatus::kUp);
  EXPECT_EQ(r.registry.Find("a1", kT0 + 26s)->status, AgentStatus::kDown);
  EXPECT_EQ(r.registry.Find("a1", kT0 + 26s)->record.tasks_running, 4u);
}

TEST(FleetRegistry, ANewConnectionReplacesTheOldOneWhoseLateEventsAreIgnored) {
  Registry r;
  const uint64_t first = r.registry.Register(Hello("a1"), kT0)->session;
  auto second = r.registry.Register(Hello("a1"), kT0 + 5s);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->replaced_session, first);
  EXPECT_FALSE(r.registry.Heartbeat("a1", first, 0, kT0 + 6s));
  r.registry.Disconnected("a1", first, false, kT0 + 6s);
  const auto view = r.registry.Find("a1", kT0 + 7s);
  EXPECT_EQ(view->status, AgentStatus::kUp);
  EXPECT_EQ(view->record.first_seen, kT0);
  EXPECT_EQ(view->record.connected_since, kT0 + 5s);
}

TEST(FleetRegistry, DisconnectedIsDownAndUnregisteredIsGone) {
  Registry r;
  const uint64_t a = r.registry.Register(Hello("a"), kT0)->session;
  const uint64_t b = r.registry.Register(Hello("b"), kT0)->session;
  r.registry.Disconnected("a", a, false, kT0 + 1s);
  r.registry.Disconnected("b", b, true, kT0 + 1s);
  EXPECT_EQ(r.registry.Find("a", kT0 + 1s)->status, AgentStatus::kDown);
  EXPECT_EQ(r.registry.Find("b", kT0 + 1s)->status, AgentStatus::kGone);
  const auto counts = r.registry.CountByStatus(kT0 + 1s);
  EXPECT_EQ(counts.at(AgentStatus::kUp), 0u);
  EXPECT_EQ(counts.at(AgentStatus::kDown), 1u);
  EXPECT_EQ(counts.at(AgentStatus::kGone), 1u);
}

TEST(FleetRegistry, RefusesNamesAndSizesThatWouldNotFit) {
  Registry r;
  EXPECT_FALSE(r.registry.Register(Hello("bad name"), kT0));
  AgentRecord labels = Hello("a");
  for (int i = 0; i < 40; ++i) labels.labels["k" + std::to_string(i)] = "v";
  EXPECT_FALSE(r.registry.Register(labels, kT0));
  AgentRecord key = Hello("a");
  key.labels = {{"not-a-label", "v"}};
  EXPECT_FALSE(r.registry.Register(key, kT0));
  AgentRecord url = Hello("a");
  url.metrics_url = std::string(600, 'x');
  auto refused = r.registry.Register(url, kT0);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message, "metrics URL longer than 512 bytes");
  EXPECT_TRUE(r.registry.List(kT0).empty());
}

TEST(FleetRegistry, SweepReportsEachChangeOnce) {
  Registry r;
  const uint64_t session = r.registry.Register(Hello("a1"), kT0)->session;
  auto changes = r.registry.Sweep(kT0);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].to, AgentStatus::kUp);
  EXPECT_TRUE(r.registry.Sweep(kT0 + 1s).empty());
  changes = r.registry.Sweep(kT0 + 16s);  // heartbeats missed, the stream still open
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].from, AgentStatus::kUp);
  EXPECT_EQ(changes[0].to, AgentStatus::kDown);
  EXPECT_TRUE(changes[0].connected);
  r.registry.Heartbeat("a1", session, 0, kT0 + 17s);
  changes = r.registry.Sweep(kT0 + 17s);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].to, AgentStatus::kUp);
  r.registry.Disconnected("a1", session, false, kT0 + 18s);
  changes = r.registry.Sweep(kT0 + 18s);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_FALSE(changes[0].connected);
}

// The fleet test's race, without the clock: an agent that registers and stops answering before the
// next sweep is reported up and then down, not left silently down (the sweep's status at start).
TEST(FleetRegistry, AnAgentSilentBeforeTheFirstSweepIsReportedUpThenDown) {
  Registry r;
  ASSERT_TRUE(r.registry.Register(Hello("a1"), kT0));
  const auto changes = r.registry.Sweep(kT0 + 16s);
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].from, AgentStatus::kDown);
  EXPECT_EQ(changes[0].to, AgentStatus::kUp);
  EXPECT_EQ(changes[1].from, AgentStatus::kUp);
  EXPECT_EQ(changes[1].to, AgentStatus::kDown);
  EXPECT_TRUE(changes[1].connected);
  EXPECT_TRUE(r.registry.Sweep(kT0 + 17s).empty());
}

// A reconnection between two sweeps of an agent that was down is reported up, even when the new
// connection went silent too.
TEST(FleetRegistry, AReconnectionBetweenSweepsIsReportedUp) {
  Registry r;
  const uint64_t first = r.registry.Register(Hello("a1"), kT0)->session;
  r.registry.Disconnected("a1", first, false, kT0 + 1s);
  ASSERT_EQ(r.registry.Sweep(kT0 + 2s).size(), 2u);  // up, then down: the stream ended
  EXPECT_EQ(r.registry.Find("a1", kT0 + 2s)->status, AgentStatus::kDown);
  ASSERT_TRUE(r.registry.Register(Hello("a1"), kT0 + 3s));
  const auto changes = r.registry.Sweep(kT0 + 4s);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].to, AgentStatus::kUp);
}

TEST(FleetRegistry, ARestartedMasterKnowsWhoWentMissingFromItsStore) {
  Registry r;
  const uint64_t a = r.registry.Register(Hello("a"), kT0)->session;
  ASSERT_TRUE(r.registry.Register(Hello("b"), kT0));
  const uint64_t c = r.registry.Register(Hello("c"), kT0)->session;
  r.registry.Heartbeat("a", a, 0, kT0 + 30s);
  r.registry.PersistHeartbeats();
  r.registry.Disconnected("c", c, true, kT0 + 31s);

  FleetRegistry restarted(*r.store, kTiming, r.log);
  ASSERT_TRUE(restarted.Load());
  const auto views = restarted.List(kT0 + 40s);
  ASSERT_EQ(views.size(), 3u);
  EXPECT_EQ(views[0].status, AgentStatus::kDown);
  EXPECT_EQ(views[0].record.last_heartbeat, kT0 + 30s);
  EXPECT_EQ(views[1].status, AgentStatus::kDown);
  EXPECT_EQ(views[2].status, AgentStatus::kGone);
  // Loaded as they were: the first sweep reports nothing new.
  EXPECT_TRUE(restarted.Sweep(kT0 + 40s).empty());
}

TEST(FleetRegistry, RemoveForgetsTheAgentAndNamesItsConnection) {
  Registry r;
  const uint64_t session = r.registry.Register(Hello("a1"), kT0)->session;
  const auto removed = r.registry.Remove("a1");
  EXPECT_TRUE(removed.known);
  EXPECT_EQ(removed.session, session);
  EXPECT_FALSE(r.registry.Find("a1", kT0));
  EXPECT_FALSE(r.registry.Remove("a1").known);
  FleetRegistry restarted(*r.store, kTiming, r.log);
  ASSERT_TRUE(restarted.Load());
  EXPECT_TRUE(restarted.List(kT0).empty());
}

}  // namespace
}  // namespace sloth
