#include "common/log.h"

#include <chrono>
#include <ctime>

#include <fmt/format.h>

namespace sloth {

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kError: return "error";
    case LogLevel::kWarning: return "warning";
    case LogLevel::kNotice: return "notice";
    case LogLevel::kInfo: return "info";
    case LogLevel::kDebug: return "debug";
  }
  return "info";
}

bool ParseLogLevel(std::string_view text, LogLevel* level) {
  for (LogLevel l : {LogLevel::kError, LogLevel::kWarning, LogLevel::kNotice, LogLevel::kInfo, LogLevel::kDebug}) {
    if (text == LogLevelName(l)) {
      *level = l;
      return true;
    }
  }
  return false;
}

ConsoleLogSink::ConsoleLogSink(FILE* out) : out_(out) {}

void ConsoleLogSink::Write(const LogRecord& record) {
  const auto now = std::chrono::system_clock::now();
  const std::time_t secs = std::chrono::system_clock::to_time_t(now);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&secs, &utc);
  std::string line =
      fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z {}: {}", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                  utc.tm_hour, utc.tm_min, utc.tm_sec, millis, LogLevelName(record.level), record.message);
  if (!record.fields.empty()) {
    line += " (";
    bool first = true;
    for (const LogField& f : record.fields) {
      if (!first) line += ' ';
      first = false;
      line += fmt::format("{}={}", f.key, f.value);
    }
    line += ')';
  }
  line += '\n';
  std::lock_guard lock(mutex_);
  std::fputs(line.c_str(), out_);
  std::fflush(out_);
}

Logger::Logger(std::unique_ptr<LogSink> sink, LogLevel min_level) : sink_(std::move(sink)), min_level_(min_level) {}

void Logger::Log(LogLevel level, std::string_view message, std::span<const LogField> fields,
                 std::string_view message_id) {
  if (!Enabled(level)) return;
  sink_->Write(LogRecord{level, message_id, message, fields});
}

}  // namespace sloth
