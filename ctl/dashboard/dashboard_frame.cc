#include "ctl/dashboard/dashboard_frame.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <vector>

#include <fmt/format.h>

#include "ctl/dashboard/frame_writer.h"
#include "ctl/dashboard/text_cells.h"
#include "ctl/dashboard/units.h"

namespace sloth::dashboard {
namespace {

Tone ToneOfSpeed(Speed speed) {
  switch (speed) {
    case Speed::kFast: return Tone::kGood;
    case Speed::kNormal: return Tone::kWarn;
    case Speed::kSlow: return Tone::kBad;
    case Speed::kUnknown: break;
  }
  return Tone::kDim;
}

// Lower is better: below `warn` good, below `bad` warn, else bad.
Tone ToneOfLoad(double ratio, double warn, double bad) {
  if (std::isnan(ratio)) return Tone::kDim;
  return ratio < warn ? Tone::kGood : ratio < bad ? Tone::kWarn : Tone::kBad;
}

std::string SpeedLabel(const FrameWriter& w, Speed speed) {
  std::string word;
  const char* emoji = "";
  switch (speed) {
    case Speed::kFast:
      word = "Fast";
      emoji = "🟢";
      break;
    case Speed::kNormal:
      word = "Normal";
      emoji = "🟡";
      break;
    case Speed::kSlow:
      word = "Slow";
      emoji = "🔴";
      break;
    case Speed::kUnknown:
      word = "no data";
      emoji = "⚪";
      break;
  }
  std::string text = w.style().emoji ? std::string(emoji) + " " + word : word;
  return w.Paint(text, ToneOfSpeed(speed));
}

std::string Duration(const FrameWriter& w, double seconds) { return FormatDuration(seconds, w.style().unicode); }

// A gauge row: label, value, bar, note; the bar narrows with the width and goes below 64 cols.
void GaugeRow(FrameWriter& w, std::string_view label, const std::string& value, double ratio, Tone tone,
              const std::string& note) {
  const int bar_width = std::clamp(w.cols() - 31 - 24, 8, 30);  // 25 at 80 columns, 8 at 60
  std::string line = " " + PadRight(label, 14) + PadLeft(value, 12) + "  ";
  if (bar_width >= 8) {
    const bool edges = w.style().unicode;
    line += (edges ? "▕" : "[") + w.Paint(Bar(ratio, bar_width, w.style().graph), tone) + (edges ? "▏" : "]") + " ";
  }
  line += note;
  w.Line(line);
}

// "label ⣀⣤⣶⣿ now" when the trend has at least two points.
void TrendRow(FrameWriter& w, std::string_view label, const std::vector<double>& values, const std::string& now,
              bool from_minimum = false) {
  if (values.size() < 2) return;
  const int width = std::clamp(w.cols() - 16 - 16, 8, 60);
  w.Line(" " + PadRight(label, 14) + w.Paint(Sparkline(values, width, w.style().graph, from_minimum), Tone::kHeading) +
         "  " + now);
}

void HeaderSection(FrameWriter& w, const DashboardModel& m, const FrameOptions& options) {
  const auto& h = m.header;
  w.Spread(w.Paint(w.Icon("🦥") + "Sloth Runner" + w.Dot() + "agent " + h.agent, Tone::kHeading),
           w.Paint("updated " + FormatClockTime(h.updated_unix_s), Tone::kDim));
  std::vector<std::string> parts;
  parts.push_back(h.version.empty() ? "version ?" : "v" + h.version);
  if (!h.os.empty() || !h.arch.empty()) parts.push_back(h.os + "/" + h.arch);
  parts.push_back("up " + (h.uptime_s ? FormatUptime(*h.uptime_s) : std::string("?")));
  if (!h.healthy) {
    parts.push_back(w.Paint("health unknown", Tone::kDim));
  } else if (*h.healthy) {
    parts.push_back(w.Paint(w.Icon("🟢") + "healthy", Tone::kGood));
  } else {
    parts.push_back(
        w.Paint(w.Icon("🔴") + "unhealthy" + (h.health_reason.empty() ? "" : ": " + h.health_reason), Tone::kBad));
  }
  std::string line;
  for (size_t i = 0; i < parts.size(); ++i) line += (i ? w.Dot() : "") + parts[i];
  w.Line(line);
  if (!options.banner.empty()) w.Line(w.Paint(" " + w.Icon("🚨") + options.banner + " ", Tone::kBanner));
}

void SystemSection(FrameWriter& w, const DashboardModel& m) {
  const auto& s = m.system;
  w.Section("💻", "System");
  if (!s.resident_bytes && !s.allocated_bytes && !s.threads && !s.open_fds && !s.cpu_ratio) {
    w.Line(" No process metrics in this scrape (process_* families are missing).");
    return;
  }
  if (s.resident_bytes) {
    const double heap = s.allocated_bytes.value_or(std::nan(""));
    const double ratio = s.allocated_bytes && *s.resident_bytes > 0 ? heap / *s.resident_bytes : std::nan("");
    GaugeRow(w, "Memory (RSS)", FormatBytes(*s.resident_bytes), ratio, Tone::kGood,
             s.allocated_bytes ? "heap " + FormatBytes(heap) + " (" + FormatPercent(ratio) + ")" : "");
  }
  if (s.cpu_ratio) {
    GaugeRow(w, "CPU", FormatPercent(*s.cpu_ratio), *s.cpu_ratio, ToneOfLoad(*s.cpu_ratio, 0.5, 0.9),
             s.cpu_is_average ? "avg since start" : "of a core");
  }
  if (s.open_fds) {
    const double ratio = s.max_fds && *s.max_fds > 0 ? *s.open_fds / *s.max_fds : std::nan("");
    GaugeRow(w, "Open fds", FormatCount(*s.open_fds) + (s.max_fds ? "/" + FormatCount(*s.max_fds) : std::string()),
             ratio, ToneOfLoad(ratio, 0.7, 0.9), s.max_fds ? FormatPercent(ratio) + " of limit" : "");
  }
  if (s.threads) w.Line(" " + PadRight("Threads", 14) + PadLeft(FormatCount(*s.threads), 12));
  if (!m.trends.resident_bytes.empty()) {
    TrendRow(w, "Memory trend", m.trends.resident_bytes, FormatBytes(m.trends.resident_bytes.back()), true);
  }
}

void TasksSection(FrameWriter& w, const DashboardModel& m) {
  const auto& t = m.tasks;
  w.Section("📋", "Tasks");
  if (t.total == 0 && t.running == 0) {
    w.Line(fmt::format(" No tasks yet {} run `slothctl agent run {} \"echo test\"`", w.style().unicode ? "—" : "-",
                       m.header.agent));
    return;
  }
  // Roomy: " Total 6   ✅ success 5   ...". Narrow: " 6 total  ✅ 5 ok  ❌ 1 failed ...".
  auto totals = [&](bool roomy) {
    const char* gap = roomy ? "   " : "  ";
    auto item = [&](std::string_view icon, std::string_view word, double n) {
      return roomy ? w.Icon(icon) + std::string(word) + " " + FormatCount(n)
                   : w.Icon(icon) + FormatCount(n) + " " + std::string(word);
    };
    std::string line = roomy ? " Total " + FormatCount(t.total) + gap : " " + FormatCount(t.total) + " total" + gap;
    line += w.Paint(item("✅", roomy ? "success" : "ok", t.success), Tone::kGood) + gap;
    line += w.Paint(item("❌", "failed", t.failed), t.failed > 0 ? Tone::kBad : Tone::kPlain) + gap;
    line += item("⏩", "skipped", t.skipped) + gap;
    line += w.Paint(item("⏳", "running", t.running), t.running > 0 ? Tone::kWarn : Tone::kPlain);
    return line;
  };
  const std::string roomy = totals(true);
  w.Line(DisplayWidth(roomy) <= w.cols() ? roomy : totals(false));
  const double rate = t.success_rate.value_or(std::nan(""));
  const Tone tone = std::isnan(rate) ? Tone::kDim : rate >= 0.95 ? Tone::kGood : rate >= 0.8 ? Tone::kWarn : Tone::kBad;
  GaugeRow(w, "Success rate", t.success_rate ? FormatPercent(rate) : "-", rate, tone,
           t.rate_per_s ? "finishing " + FormatRate(*t.rate_per_s) : "");
  TrendRow(w, "Task rate", m.trends.task_rate_per_s,
           FormatRate(m.trends.task_rate_per_s.empty() ? 0 : m.trends.task_rate_per_s.back()));
}

void PerformanceSection(FrameWriter& w, const DashboardModel& m) {
  w.Section("⚡", "Task Performance");
  if (m.performance.empty()) {
    w.Line(" No task durations yet: the P50/P99 table fills in as tasks finish.");
    return;
  }
  const bool p50 = w.cols() >= 70;
  const bool usage = w.cols() >= 80;  // CPU and peak memory per run
  const bool recent = w.cols() >= 100;
  constexpr int kNum = 9;
  constexpr int kMemory = 11;
  const int status_width = w.style().emoji ? 10 : 8;
  const int fixed =
      1 + 8 + kNum + (p50 ? kNum : 0) + (usage ? kNum + kMemory : 0) + (recent ? 12 : 0) + 2 + status_width;
  const int name_width = std::max(w.cols() - fixed, 10);
  auto row = [&](const std::string& name, const std::string& count, const std::string& c50, const std::string& c99,
                 const std::string& cpu, const std::string& memory, const std::string& last,
                 const std::string& status) {
    std::string line = " " + PadRight(name, name_width, w.style().unicode) + PadLeft(count, 8);
    if (p50) line += PadLeft(c50, kNum);
    line += PadLeft(c99, kNum);
    if (usage) line += PadLeft(cpu, kNum) + PadLeft(memory, kMemory);
    if (recent) line += PadLeft(last, 12);
    line += "  " + status;
    w.Line(line);
  };
  row("GROUP/TASK", "COUNT", "P50", "P99", "CPU/RUN", "PEAK MEM", "P99 (last)", "SPEED");
  for (const auto& r : m.performance) {
    row(r.group + "/" + r.task, FormatCount(r.count), Duration(w, r.p50_s), Duration(w, r.p99_s),
        r.cpu_s_per_run ? Duration(w, *r.cpu_s_per_run) : "-", OrDash(r.memory_peak_bytes, FormatBytes),
        r.recent_p99_s ? Duration(w, *r.recent_p99_s) : "-", SpeedLabel(w, r.speed));
  }
  // For each slow task, the run to look at first and the command that shows its log.
  for (const auto& r : m.performance) {
    if (r.speed != Speed::kSlow || !r.slowest_run) continue;
    w.Line(fmt::format(" {}{}/{} slowest recent run {} ({})", w.Icon("🔎"), r.group, r.task, r.slowest_run->id,
                       Duration(w, r.slowest_run->seconds)));
    w.Line("   " + w.Paint(JournalctlCommand(*r.slowest_run), Tone::kDim));
  }
}

// Only once a workflow has run: ad-hoc tasks have no groups to show.
void WorkflowGroupsSection(FrameWriter& w, const DashboardModel& m) {
  if (m.workflow_groups.empty() && m.workflow_runs.empty()) return;
  w.Section("🧩", "Workflow Groups");
  for (const auto& run : m.workflow_runs) {
    std::string counts = FormatCount(run.succeeded) + " ok";
    if (run.failed > 0) counts += ", " + FormatCount(run.failed) + " failed";
    if (run.skipped > 0) counts += ", " + FormatCount(run.skipped) + " skipped";
    if (run.running > 0) counts += ", " + FormatCount(run.running) + " running";
    if (run.queued > 0) counts += ", " + FormatCount(run.queued) + " queued";
    const Tone tone = run.status == "success" ? Tone::kGood : run.status == "failed" ? Tone::kBad : Tone::kWarn;
    w.Line(" run " + run.id + "  " + run.workflow + "  " +
           w.Paint(run.status + (run.cancelled ? " (cancelled)" : ""), tone) + "  " + counts + w.Dot() +
           Duration(w, run.duration_s));
  }
  if (m.workflow_groups.empty()) return;
  constexpr int kNum = 9;
  const bool p50 = w.cols() >= 70;
  const int fixed = 1 + 8 + 3 * kNum + (p50 ? kNum : 0) + kNum;
  const int name_width = std::max(w.cols() - fixed, 10);
  auto row = [&](const std::string& name, const std::string& runs, const std::string& ok, const std::string& failed,
                 const std::string& skipped, const std::string& c50, const std::string& c99) {
    std::string line = " " + PadRight(name, name_width, w.style().unicode) + PadLeft(runs, 8) + PadLeft(ok, kNum) +
                       PadLeft(failed, kNum) + PadLeft(skipped, kNum);
    if (p50) line += PadLeft(c50, kNum);
    w.Line(line + PadLeft(c99, kNum));
  };
  row("GROUP", "RUNS", "SUCCESS", "FAILED", "SKIPPED", "P50", "P99");
  for (const auto& r : m.workflow_groups) {
    row(r.group, FormatCount(r.runs), FormatCount(r.success), FormatCount(r.failed), FormatCount(r.skipped),
        Duration(w, r.p50_s), Duration(w, r.p99_s));
  }
}

void GrpcSection(FrameWriter& w, const DashboardModel& m) {
  w.Section("🌐", "gRPC");
  if (m.grpc.empty()) {
    w.Line(" No gRPC requests yet.");
    return;
  }
  const bool p50 = w.cols() >= 70;
  constexpr int kNum = 9;
  const int fixed = 1 + 10 + 9 + (p50 ? kNum : 0) + kNum;
  const int name_width = std::max(w.cols() - fixed, 10);
  auto row = [&](const std::string& method, const std::string& requests, const std::string& errors,
                 const std::string& c50, const std::string& c99) {
    std::string line =
        " " + PadRight(method, name_width, w.style().unicode) + PadLeft(requests, 10) + PadLeft(errors, 9);
    if (p50) line += PadLeft(c50, kNum);
    line += PadLeft(c99, kNum);
    w.Line(line);
  };
  row("METHOD", "REQUESTS", "ERRORS", "P50", "P99");
  for (const auto& g : m.grpc) {
    std::string method = g.method;
    if (method.rfind("sloth.v1.", 0) == 0) method.erase(0, 9);
    const double ratio = g.error_ratio.value_or(0);
    row(method, FormatCount(g.requests),
        w.Paint(g.error_ratio ? FormatPercent(ratio) : "-", ratio > 0 ? Tone::kBad : Tone::kPlain),
        Duration(w, g.p50_s), Duration(w, g.p99_s));
  }
}

void ErrorsSection(FrameWriter& w, const DashboardModel& m) {
  w.Section("❗", "Errors");
  if (m.errors_total == 0) {
    w.Line(" " + w.Paint(w.Icon("✅") + "No errors", Tone::kGood) +
           (m.errors.empty() ? "" : fmt::format(" ({} types watched)", m.errors.size())));
  } else {
    for (const auto& e : m.errors) {
      if (e.count == 0) continue;
      w.Line(" " + PadRight(e.type, 24) + w.Paint(PadLeft(FormatCount(e.count), 8), Tone::kBad));
    }
  }
  if (m.error_rate_per_s) {
    TrendRow(w, "Error rate", m.trends.error_rate_per_s, FormatRate(*m.error_rate_per_s));
  }
}

void SummaryLine(FrameWriter& w, const DashboardModel& m) {
  w.Blank();
  std::vector<std::string> parts;
  auto counted = [](double n, const char* one, const char* many) { return FormatCount(n) + (n == 1 ? one : many); };
  parts.push_back(counted(m.tasks.total, " task", " tasks"));
  if (m.tasks.success_rate) parts.push_back(FormatPercent(*m.tasks.success_rate) + " success");
  size_t slow = 0;
  for (const auto& r : m.performance) slow += r.speed == Speed::kSlow ? 1 : 0;
  if (slow) parts.push_back(w.Paint(fmt::format("{} slow", slow), Tone::kBad));
  parts.push_back(
      w.Paint(counted(m.errors_total, " error", " errors"), m.errors_total > 0 ? Tone::kBad : Tone::kPlain));
  auto join = [&](const std::vector<std::string>& items) {
    std::string line = " " + w.Icon("📊") + "Summary: ";
    for (size_t i = 0; i < items.size(); ++i) line += (i ? w.Dot() : "") + items[i];
    return line;
  };
  std::string line = join(parts);
  if (!m.performance.empty() && !std::isnan(m.performance.front().p99_s)) {  // only when it fits
    const auto& r = m.performance.front();
    auto longer = parts;
    longer.insert(longer.end() - 1, "slowest " + r.group + "/" + r.task + " P99 " + Duration(w, r.p99_s));
    if (std::string candidate = join(longer); DisplayWidth(candidate) <= w.cols()) line = candidate;
  }
  w.Line(line);
}

}  // namespace

std::string DashboardFrame(const DashboardModel& model, const FrameOptions& options) {
  FrameWriter w(options);
  HeaderSection(w, model, options);
  SystemSection(w, model);
  TasksSection(w, model);
  PerformanceSection(w, model);
  WorkflowGroupsSection(w, model);
  GrpcSection(w, model);
  ErrorsSection(w, model);
  SummaryLine(w, model);
  return w.Finish();
}

}  // namespace sloth::dashboard
