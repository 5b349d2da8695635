#include "daemon/core/fleet/fleet_registry.h"

#include <fmt/format.h>

#include <utility>

#include "daemon/core/config.h"

namespace sloth {
namespace {

// Bounds on what one agent may make the master keep.
constexpr size_t kMaxLabels = 32;
constexpr size_t kMaxLabelValueBytes = 256;
constexpr size_t kMaxUrlBytes = 512;
constexpr size_t kMaxShortFieldBytes = 64;  // version, os, arch

std::optional<std::string> CheckHello(const AgentRecord& hello) {
  if (auto why = CheckAgentName(hello.name)) return fmt::format("agent name: {}", *why);
  if (hello.labels.size() > kMaxLabels) {
    return fmt::format("{} labels: at most {} are kept", hello.labels.size(), kMaxLabels);
  }
  for (const auto& [key, value] : hello.labels) {
    if (auto why = CheckLabelKey(key)) return why;
    if (value.size() > kMaxLabelValueBytes) {
      return fmt::format("label \"{}\": value longer than {} bytes", key, kMaxLabelValueBytes);
    }
  }
  if (hello.metrics_url.size() > kMaxUrlBytes) return fmt::format("metrics URL longer than {} bytes", kMaxUrlBytes);
  for (const std::string* field : {&hello.version, &hello.os, &hello.arch}) {
    if (field->size() > kMaxShortFieldBytes) {
      return fmt::format("version, os or arch longer than {} bytes", kMaxShortFieldBytes);
    }
  }
  return std::nullopt;
}

}  // namespace

std::string_view AgentStatusName(AgentStatus status) {
  switch (status) {
    case AgentStatus::kUp: return "up";
    case AgentStatus::kDown: return "down";
    case AgentStatus::kGone: return "gone";
  }
  return "down";
}

AgentStatus StatusAt(const AgentRecord& record, bool connected, WallTime now, const FleetTiming& timing) {
  if (record.unregistered) return AgentStatus::kGone;
  if (!connected) return AgentStatus::kDown;
  const Duration silent = now - record.last_heartbeat;
  if (silent > timing.heartbeat_interval * timing.missed_heartbeats) return AgentStatus::kDown;
  return AgentStatus::kUp;
}

FleetRegistry::FleetRegistry(RegistryStore& store, FleetTiming timing, Logger& log)
    : store_(store), timing_(timing), log_(log) {}

Result<void> FleetRegistry::Load() {
  auto loaded = store_.Load();
  if (!loaded) return loaded.error();
  std::lock_guard lock(mutex_);
  for (AgentRecord& record : *loaded) {
    Entry entry;
    entry.reported = record.unregistered ? AgentStatus::kGone : AgentStatus::kDown;
    entry.persisted_heartbeat = record.last_heartbeat;
    std::string name = record.name;
    entry.record = std::move(record);
    agents_.insert_or_assign(std::move(name), std::move(entry));
  }
  return {};
}

void FleetRegistry::SaveLocked(const Entry& entry) {
  if (auto saved = store_.Save(entry.record); !saved) {
    log_.Error(fmt::format("registry: cannot save agent {}: {}; the master goes on from memory", entry.record.name,
                           saved.error().message));
  }
}

Result<FleetRegistry::Registration, RegistrationRefused> FleetRegistry::Register(AgentRecord hello, WallTime now) {
  if (auto why = CheckHello(hello)) return RegistrationRefused{*why};
  std::lock_guard lock(mutex_);
  auto it = agents_.find(hello.name);
  if (it == agents_.end()) {
    it = agents_.emplace(hello.name, Entry{}).first;
    hello.first_seen = now;
  } else {
    hello.first_seen = it->second.record.first_seen;
  }
  Entry& entry = it->second;
  Registration registration{next_session_++, entry.session};
  hello.connected_since = now;
  hello.last_heartbeat = now;
  hello.unregistered = false;
  entry.record = std::move(hello);
  entry.session = registration.session;
  entry.persisted_heartbeat = now;
  entry.registered_since_sweep = true;
  SaveLocked(entry);
  return registration;
}

bool FleetRegistry::Heartbeat(std::string_view name, uint64_t session, uint32_t tasks_running, WallTime now) {
  std::lock_guard lock(mutex_);
  auto it = agents_.find(name);
  if (it == agents_.end() || it->second.session != session) return false;
  it->second.record.last_heartbeat = now;
  it->second.record.tasks_running = tasks_running;
  return true;
}

void FleetRegistry::Disconnected(std::string_view name, uint64_t session, bool unregistered, WallTime now) {
  std::lock_guard lock(mutex_);
  auto it = agents_.find(name);
  if (it == agents_.end() || it->second.session != session) return;  // replaced or removed meanwhile
  Entry& entry = it->second;
  entry.session = 0;
  entry.record.unregistered = unregistered;
  if (unregistered) entry.record.last_heartbeat = now;  // its goodbye is its last sign of life
  entry.persisted_heartbeat = entry.record.last_heartbeat;
  SaveLocked(entry);
}

FleetRegistry::Removed FleetRegistry::Remove(std::string_view name) {
  std::lock_guard lock(mutex_);
  auto it = agents_.find(name);
  if (it == agents_.end()) return {};
  Removed removed{true, it->second.session};
  if (auto gone = store_.Remove(it->first); !gone) {
    log_.Error(
        fmt::format("registry: cannot remove agent {} from the store: {}; a restarted master will list it "
                    "again",
                    name, gone.error().message));
  }
  agents_.erase(it);
  return removed;
}

std::vector<FleetRegistry::View> FleetRegistry::List(WallTime now) const {
  std::lock_guard lock(mutex_);
  std::vector<View> views;
  views.reserve(agents_.size());
  for (const auto& [name, entry] : agents_) {
    views.push_back(View{entry.record, StatusAt(entry.record, entry.session != 0, now, timing_), entry.session});
  }
  return views;
}

std::optional<FleetRegistry::View> FleetRegistry::Find(std::string_view name, WallTime now) const {
  std::lock_guard lock(mutex_);
  auto it = agents_.find(name);
  if (it == agents_.end()) return std::nullopt;
  const Entry& entry = it->second;
  return View{entry.record, StatusAt(entry.record, entry.session != 0, now, timing_), entry.session};
}

std::map<AgentStatus, size_t> FleetRegistry::CountByStatus(WallTime now) const {
  std::map<AgentStatus, size_t> counts{{AgentStatus::kUp, 0}, {AgentStatus::kDown, 0}, {AgentStatus::kGone, 0}};
  std::lock_guard lock(mutex_);
  for (const auto& [name, entry] : agents_) ++counts[StatusAt(entry.record, entry.session != 0, now, timing_)];
  return counts;
}

std::vector<FleetRegistry::Transition> FleetRegistry::Sweep(WallTime now) {
  std::vector<Transition> transitions;
  std::lock_guard lock(mutex_);
  for (auto& [name, entry] : agents_) {
    if (std::exchange(entry.registered_since_sweep, false) && entry.reported != AgentStatus::kUp) {
      transitions.push_back(Transition{name, entry.reported, AgentStatus::kUp, entry.record.last_heartbeat, true});
      entry.reported = AgentStatus::kUp;
    }
    const AgentStatus status = StatusAt(entry.record, entry.session != 0, now, timing_);
    if (status == entry.reported) continue;
    transitions.push_back(Transition{name, entry.reported, status, entry.record.last_heartbeat, entry.session != 0});
    entry.reported = status;
  }
  return transitions;
}

void FleetRegistry::PersistHeartbeats() {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<std::string, WallTime>> changed;
  for (auto& [name, entry] : agents_) {
    if (entry.record.last_heartbeat == entry.persisted_heartbeat) continue;
    changed.emplace_back(name, entry.record.last_heartbeat);
  }
  if (changed.empty()) return;
  if (auto saved = store_.SaveHeartbeats(changed); !saved) {
    log_.Error(fmt::format("registry: cannot save {} heartbeats: {}", changed.size(), saved.error().message));
    return;
  }
  for (const auto& [name, when] : changed) agents_.find(name)->second.persisted_heartbeat = when;
}

}  // namespace sloth
