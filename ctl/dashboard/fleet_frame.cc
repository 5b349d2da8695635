#include "ctl/dashboard/fleet_frame.h"

#include <cmath>

#include "ctl/dashboard/dashboard_model.h"
#include "ctl/dashboard/frame_writer.h"
#include "ctl/dashboard/units.h"

namespace sloth::dashboard {
namespace {

struct Column {
  const char* title;
  int width;
  bool right;  // right-aligned (numbers)
};

// The last column (the note) takes what is left of the width.
constexpr Column kColumns[] = {{"AGENT", 16, false},    {"STATUS", 8, false}, {"VERSION", 8, false},
                               {"UPTIME", 7, true},     {"TASKS", 7, true},   {"SUCCESS", 8, true},
                               {"WORST P99", 10, true}, {"ERRORS", 7, true},  {"RSS", 10, true}};

std::string Cell(const std::string& text, const Column& column, bool unicode) {
  return (column.right ? PadLeft(text, column.width, unicode) : PadRight(text, column.width, unicode)) + " ";
}

Tone ToneOfStatus(const FleetRow& row) {
  if (row.status == "down") return Tone::kBad;
  if (row.status == "gone") return Tone::kDim;
  return row.answered ? Tone::kGood : Tone::kWarn;
}

std::string StatusText(const FrameWriter& w, const FleetRow& row) {
  const char* emoji = row.status == "down" ? "🔴" : row.status == "gone" ? "⚪" : row.answered ? "🟢" : "🟡";
  return w.Icon(emoji) + row.status;
}

}  // namespace

std::string FleetFrame(const FleetModel& m, const FrameOptions& options) {
  FrameWriter w(options);
  const bool unicode = w.style().unicode;
  w.Spread(w.Paint(w.Icon("🦥") + "Sloth Runner" + w.Dot() + "fleet of " + std::to_string(m.rows.size()) + " agent" +
                       (m.rows.size() == 1 ? "" : "s"),
                   Tone::kHeading),
           w.Paint("updated " + FormatClockTime(m.updated_unix_s), Tone::kDim));
  std::string summary = " " + w.Paint(std::to_string(m.up) + " up", Tone::kGood) + w.Dot() +
                        w.Paint(std::to_string(m.down) + " down", m.down > 0 ? Tone::kBad : Tone::kPlain) + w.Dot() +
                        w.Paint(std::to_string(m.gone) + " gone", Tone::kDim) + w.Dot() +
                        fmt::format("{} of {} up answered within {}", m.answered, m.up, FormatDuration(m.deadline_s));
  w.Line(summary);
  if (!options.banner.empty()) w.Line(w.Paint(" " + w.Icon("🚨") + options.banner + " ", Tone::kBanner));
  w.Section("🖥️", "Agents");
  std::string header;
  for (const Column& column : kColumns) header += Cell(column.title, column, unicode);
  w.Line(w.Paint(header + "NOTE", Tone::kDim));
  if (m.rows.empty()) w.Line(" No agent has registered with the master yet");
  for (const FleetRow& r : m.rows) {
    auto number = [](const std::optional<double>& value) { return value ? FormatCount(*value) : std::string("-"); };
    const Speed speed = r.worst_p99_s ? SpeedOfP99(*r.worst_p99_s) : Speed::kUnknown;
    const Tone success_tone = !r.success_rate           ? Tone::kPlain
                              : *r.success_rate >= 0.99 ? Tone::kGood
                              : *r.success_rate >= 0.9  ? Tone::kWarn
                                                        : Tone::kBad;
    std::string line;
    line += Cell(r.name, kColumns[0], unicode);
    line += w.Paint(Cell(StatusText(w, r), kColumns[1], unicode), ToneOfStatus(r));
    line += Cell(r.version.empty() ? "-" : r.version, kColumns[2], unicode);
    line += Cell(r.uptime_s ? FormatUptime(*r.uptime_s) : "-", kColumns[3], unicode);
    line += Cell(number(r.tasks_total), kColumns[4], unicode);
    line += w.Paint(Cell(r.success_rate ? FormatPercent(*r.success_rate) : "-", kColumns[5], unicode), success_tone);
    line += w.Paint(Cell(r.worst_p99_s ? FormatDuration(*r.worst_p99_s, unicode) : "-", kColumns[6], unicode),
                    speed == Speed::kSlow     ? Tone::kBad
                    : speed == Speed::kNormal ? Tone::kWarn
                                              : Tone::kPlain);
    line += w.Paint(Cell(number(r.errors_total), kColumns[7], unicode),
                    r.errors_total && *r.errors_total > 0 ? Tone::kBad : Tone::kPlain);
    line += Cell(r.resident_bytes ? FormatBytes(*r.resident_bytes) : "-", kColumns[8], unicode);
    std::string note = r.note;
    if (note.empty() && !r.worst_task.empty()) note = "slowest " + r.worst_task;
    if (note.empty() && r.source == "master") note = "via the master";
    line += w.Paint(note, r.answered ? Tone::kDim : ToneOfStatus(r));
    w.Line(line);
  }
  return w.Finish();
}

}  // namespace sloth::dashboard
